/* finish() reports a record cut off at the end; the verdict is "incomplete". */
#include "check.h"

static uint64_t truncated_offset = 0;

static int32_t on_event(void *userdata, const pullstream_event *event) {
    counter *c = (counter *)userdata;
    if (event->kind == PULLSTREAM_EVENT_KIND_MALFORMED) {
        truncated_offset = event->offset;
        /* Event strings are borrowed, not NUL-terminated, valid only now. */
        CHECK(event->error_message.ptr != NULL && event->error_message.len > 0);
        CHECK(event->record.len == 0);
    }
    return count_event(c, event);
}

int main(void) {
    pullstream_decoder *decoder = NULL;
    CHECK_STATUS(pullstream_decoder_new(NULL, &decoder), PULLSTREAM_STATUS_OK);
    size_t whole = strlen(SAMPLE_PULL);
    size_t keep = whole - 20; /* cut inside the last record */
    counter c = {0, 0, 0, PULLSTREAM_STATUS_OK, 0};
    CHECK_STATUS(pullstream_decoder_feed(decoder, (const uint8_t *)SAMPLE_PULL, keep, 0, on_event, &c),
                 PULLSTREAM_STATUS_OK);
    CHECK(c.events == SAMPLE_PULL_EVENTS - 1);
    CHECK(c.malformed == 0);
    CHECK_STATUS(pullstream_decoder_finish(decoder, 0, on_event, &c), PULLSTREAM_STATUS_OK);
    CHECK(c.malformed == 1);
    CHECK(c.last_error_status == PULLSTREAM_STATUS_TRUNCATED);
    CHECK(truncated_offset == (uint64_t)(strstr(SAMPLE_PULL, "{\"status\":\"Status:") - SAMPLE_PULL));

    pullstream_outcome outcome;
    CHECK_STATUS(pullstream_decoder_outcome(decoder, &outcome), PULLSTREAM_STATUS_OK);
    CHECK(outcome.verdict == PULLSTREAM_VERDICT_INCOMPLETE);
    CHECK(outcome.incomplete_reason == PULLSTREAM_INCOMPLETE_REASON_CUT_MID_RECORD);
    CHECK(outcome.operation == PULLSTREAM_OPERATION_PULL);
    CHECK(outcome.exit_code == 2);
    CHECK(outcome.digest.len == strlen("sha256:00ff") && memcmp(outcome.digest.ptr, "sha256:00ff", 11) == 0);
    CHECK(outcome.error_message.ptr == NULL);
    char *json = summary_of(decoder);
    CHECK(json != NULL && strstr(json, "\"incomplete_reason\":\"cut_mid_record\"") != NULL);
    free(json);

    /* After finish, more bytes are refused; finish again is a no-op. */
    CHECK_STATUS(pullstream_decoder_feed(decoder, (const uint8_t *)"{}", 2, 0, NULL, NULL),
                 PULLSTREAM_STATUS_INVALID_STATE);
    CHECK_STATUS(pullstream_decoder_finish(decoder, 0, on_event, &c), PULLSTREAM_STATUS_OK);
    CHECK(c.malformed == 1);
    pullstream_decoder_free(decoder);
    return check_done("test_finish_leftovers");
}
