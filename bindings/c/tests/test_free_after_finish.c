/* A decoder can be freed at any point: fresh, mid-record, paused, after finish. */
#include "check.h"

int main(void) {
    pullstream_decoder *decoder = NULL;

    CHECK_STATUS(pullstream_decoder_new(NULL, &decoder), PULLSTREAM_STATUS_OK);
    pullstream_decoder_free(decoder); /* fresh */

    CHECK_STATUS(pullstream_decoder_new(NULL, &decoder), PULLSTREAM_STATUS_OK);
    CHECK_STATUS(pullstream_decoder_feed(decoder, (const uint8_t *)SAMPLE_PULL, 30, 0, NULL, NULL),
                 PULLSTREAM_STATUS_OK);
    pullstream_decoder_free(decoder); /* holding half a record */

    CHECK_STATUS(pullstream_decoder_new(NULL, &decoder), PULLSTREAM_STATUS_OK);
    counter c = {0, 0, 0, PULLSTREAM_STATUS_OK, 1};
    CHECK_STATUS(pullstream_decoder_feed(decoder, (const uint8_t *)SAMPLE_PULL, strlen(SAMPLE_PULL), 0, count_event, &c),
                 PULLSTREAM_STATUS_PAUSED);
    pullstream_decoder_free(decoder); /* paused with events still to deliver */

    CHECK_STATUS(pullstream_decoder_new(NULL, &decoder), PULLSTREAM_STATUS_OK);
    CHECK_STATUS(pullstream_decoder_feed(decoder, (const uint8_t *)SAMPLE_PULL, strlen(SAMPLE_PULL), 0, NULL, NULL),
                 PULLSTREAM_STATUS_OK);
    CHECK_STATUS(pullstream_decoder_finish(decoder, 0, NULL, NULL), PULLSTREAM_STATUS_OK);
    pullstream_outcome outcome;
    CHECK_STATUS(pullstream_decoder_outcome(decoder, &outcome), PULLSTREAM_STATUS_OK);
    CHECK(outcome.verdict == PULLSTREAM_VERDICT_SUCCESS);
    CHECK(outcome.success_kind == PULLSTREAM_SUCCESS_KIND_DOWNLOADED);
    CHECK(outcome.reference.len == strlen("alpine:3.20"));
    pullstream_snapshot snapshot;
    CHECK_STATUS(pullstream_decoder_snapshot(decoder, &snapshot), PULLSTREAM_STATUS_OK);
    CHECK(snapshot.layer_count == 1);
    CHECK(snapshot.layers_done == 1);
    pullstream_layer layer;
    CHECK_STATUS(pullstream_decoder_layer(decoder, 0, &layer), PULLSTREAM_STATUS_OK);
    CHECK(layer.phase == PULLSTREAM_PHASE_DONE);
    CHECK(layer.completion == PULLSTREAM_COMPLETION_PULLED);
    CHECK(layer.id.len == 12 && memcmp(layer.id.ptr, "0123456789ab", 12) == 0);
    CHECK_STATUS(pullstream_decoder_layer(decoder, 1, &layer), PULLSTREAM_STATUS_INVALID_ARGUMENT);
    pullstream_decoder_free(decoder); /* after finish */

    pullstream_decoder_free(NULL);
    return check_done("test_free_after_finish");
}
