/* A non-zero return from the callback pauses; feeding an empty chunk resumes, nothing lost. */
#include "check.h"

int main(void) {
    pullstream_decoder *decoder = NULL;
    CHECK_STATUS(pullstream_decoder_new(NULL, &decoder), PULLSTREAM_STATUS_OK);
    counter c = {0, 0, 0, PULLSTREAM_STATUS_OK, 1}; /* pause after every event */
    CHECK_STATUS(pullstream_decoder_feed(decoder, (const uint8_t *)SAMPLE_PULL, strlen(SAMPLE_PULL), 0, count_event, &c),
                 PULLSTREAM_STATUS_PAUSED);
    CHECK(c.events == 1);
    CHECK(c.last_kind == PULLSTREAM_EVENT_KIND_PULLING_FROM);

    /* While paused, the snapshot already reflects the events delivered. */
    pullstream_snapshot snapshot;
    CHECK_STATUS(pullstream_decoder_snapshot(decoder, &snapshot), PULLSTREAM_STATUS_OK);
    CHECK(snapshot.records == 1);
    CHECK(snapshot.position == strlen(SAMPLE_PULL));

    int rounds = 0;
    pullstream_status status = PULLSTREAM_STATUS_PAUSED;
    while (status == PULLSTREAM_STATUS_PAUSED && rounds < 100) {
        status = pullstream_decoder_feed(decoder, NULL, 0, 0, count_event, &c);
        rounds++;
    }
    CHECK_STATUS(status, PULLSTREAM_STATUS_OK);
    CHECK(c.events == SAMPLE_PULL_EVENTS);
    CHECK(c.last_kind == PULLSTREAM_EVENT_KIND_PULL_FINISHED);

    /* A paused finish resumes with another finish. */
    static const char cut[] = "{\"status\":\"Pull complete\",\"progressDetail\":{},\"id\":\"01";
    c.pause_every = 1;
    CHECK_STATUS(pullstream_decoder_feed(decoder, (const uint8_t *)cut, strlen(cut), 0, count_event, &c),
                 PULLSTREAM_STATUS_OK);
    CHECK_STATUS(pullstream_decoder_finish(decoder, 0, count_event, &c), PULLSTREAM_STATUS_PAUSED);
    CHECK(c.malformed == 1);
    CHECK_STATUS(pullstream_decoder_finish(decoder, 0, count_event, &c), PULLSTREAM_STATUS_OK);
    CHECK(c.events == SAMPLE_PULL_EVENTS + 1);

    int32_t code = -1;
    CHECK_STATUS(pullstream_decoder_exit_code(decoder, &code), PULLSTREAM_STATUS_OK);
    CHECK(code == 2); /* cut mid record: incomplete */
    pullstream_decoder_free(decoder);
    return check_done("test_pause_resume");
}
