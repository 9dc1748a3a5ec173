/* A record past the configured limit is reported (MALFORMED, RECORD_TOO_LARGE) and skipped. */
#include "check.h"

int main(void) {
    pullstream_config *config = NULL;
    CHECK_STATUS(pullstream_config_new(&config), PULLSTREAM_STATUS_OK);
    CHECK_STATUS(pullstream_config_set_max_record_len(config, 256), PULLSTREAM_STATUS_OK);
    pullstream_decoder *decoder = NULL;
    CHECK_STATUS(pullstream_decoder_new(config, &decoder), PULLSTREAM_STATUS_OK);
    pullstream_config_free(config); /* the decoder copied it */

    char big[1024];
    int n = snprintf(big, sizeof big, "{\"status\":\"%0900d\"}\r\n", 7);
    CHECK(n > 0 && (size_t)n < sizeof big);
    counter c = {0, 0, 0, PULLSTREAM_STATUS_OK, 0};
    /* Fed in small pieces, so the decoder must drop the record without buffering it all. */
    for (int at = 0; at < n; at += 100) {
        int len = n - at < 100 ? n - at : 100;
        CHECK_STATUS(pullstream_decoder_feed(decoder, (const uint8_t *)big + at, (size_t)len, 0, count_event, &c),
                     PULLSTREAM_STATUS_OK);
    }
    CHECK(c.malformed == 1);
    CHECK(c.last_error_status == PULLSTREAM_STATUS_RECORD_TOO_LARGE);
    CHECK_STATUS(pullstream_decoder_feed(decoder, (const uint8_t *)SAMPLE_PULL, strlen(SAMPLE_PULL), 0, count_event, &c),
                 PULLSTREAM_STATUS_OK);
    CHECK(c.events == 1 + SAMPLE_PULL_EVENTS);

    char message[256];
    size_t len = 0;
    uint64_t offset = 99;
    pullstream_status kind = PULLSTREAM_STATUS_OK;
    CHECK_STATUS(pullstream_decoder_last_error(decoder, message, 4, &len, &offset, &kind),
                 PULLSTREAM_STATUS_BUFFER_TOO_SMALL);
    CHECK(len > 4);
    CHECK_STATUS(pullstream_decoder_last_error(decoder, message, sizeof message, &len, &offset, &kind),
                 PULLSTREAM_STATUS_OK);
    CHECK(kind == PULLSTREAM_STATUS_RECORD_TOO_LARGE);
    CHECK(offset == 0);
    CHECK(strlen(message) == len);
    CHECK(strstr(message, "larger than the limit of 256 bytes") != NULL);

    CHECK_STATUS(pullstream_decoder_finish(decoder, 0, NULL, NULL), PULLSTREAM_STATUS_OK);
    char *json = summary_of(decoder);
    CHECK(json != NULL && strstr(json, "\"malformed_records\":1") != NULL);
    free(json);
    pullstream_decoder_free(decoder);
    return check_done("test_record_too_large");
}
