/* Feeding one byte at a time gives the same events and summary as one big chunk. */
#include "check.h"

static char *run(size_t chunk, size_t *events) {
    pullstream_decoder *decoder = NULL;
    if (pullstream_decoder_new(NULL, &decoder) != PULLSTREAM_STATUS_OK) {
        return NULL;
    }
    counter c = {0, 0, 0, PULLSTREAM_STATUS_OK, 0};
    size_t total = strlen(SAMPLE_PULL);
    for (size_t at = 0; at < total; at += chunk) {
        size_t n = total - at < chunk ? total - at : chunk;
        CHECK_STATUS(pullstream_decoder_feed(decoder, (const uint8_t *)SAMPLE_PULL + at, n, at, count_event, &c),
                     PULLSTREAM_STATUS_OK);
    }
    CHECK_STATUS(pullstream_decoder_finish(decoder, total, count_event, &c), PULLSTREAM_STATUS_OK);
    char *json = summary_of(decoder);
    int32_t code = -1;
    CHECK_STATUS(pullstream_decoder_exit_code(decoder, &code), PULLSTREAM_STATUS_OK);
    CHECK(code == 0);
    pullstream_decoder_free(decoder);
    *events = c.events;
    return json;
}

int main(void) {
    size_t whole_events = 0, byte_events = 0, odd_events = 0;
    char *whole = run(strlen(SAMPLE_PULL), &whole_events);
    char *bytewise = run(1, &byte_events);
    char *odd = run(7, &odd_events);
    CHECK(whole != NULL && bytewise != NULL && odd != NULL);
    if (whole != NULL && bytewise != NULL && odd != NULL) {
        CHECK(strcmp(whole, bytewise) == 0);
        CHECK(strcmp(whole, odd) == 0);
        CHECK(strstr(whole, "\"outcome\":\"success\"") != NULL);
    }
    CHECK(whole_events == SAMPLE_PULL_EVENTS);
    CHECK(byte_events == SAMPLE_PULL_EVENTS);
    CHECK(odd_events == SAMPLE_PULL_EVENTS);
    free(whole);
    free(bytewise);
    free(odd);
    return check_done("test_byte_at_a_time");
}
