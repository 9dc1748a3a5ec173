/* Every NULL argument gives PULLSTREAM_STATUS_NULL_ARGUMENT, never a crash. */
#include "check.h"

int main(void) {
    size_t len = 0;
    int32_t code = 0;
    uint64_t offset = 0;
    pullstream_status status = PULLSTREAM_STATUS_OK;
    char buf[16];

    CHECK_STATUS(pullstream_decoder_new(NULL, NULL), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_decoder_feed(NULL, (const uint8_t *)"{}", 2, 0, NULL, NULL),
                 PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_decoder_finish(NULL, 0, NULL, NULL), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_decoder_summary_json(NULL, buf, sizeof buf, &len), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_decoder_exit_code(NULL, &code), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_decoder_outcome(NULL, NULL), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_decoder_snapshot(NULL, NULL), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_decoder_layer(NULL, 0, NULL), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_decoder_poll_stalls(NULL, 0, NULL, NULL, NULL), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_decoder_last_error(NULL, buf, sizeof buf, &len, &offset, &status),
                 PULLSTREAM_STATUS_NULL_ARGUMENT);
    pullstream_decoder_free(NULL);

    CHECK_STATUS(pullstream_config_new(NULL), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_config_set_max_record_len(NULL, 1024), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_config_set_max_depth(NULL, 8), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_config_set_stop_at_first_error(NULL, 1), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_config_set_max_layers(NULL, 8), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_config_set_limit(NULL, PULLSTREAM_STATUS_SEGMENT_LIMIT, 8), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_config_set_stall_after_ms(NULL, PULLSTREAM_STALL_PHASE_TRANSFER, 1),
                 PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_config_set_min_bytes_per_sec(NULL, 1), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_config_set_rate_window_ms(NULL, 1), PULLSTREAM_STATUS_NULL_ARGUMENT);
    pullstream_config_free(NULL);

    pullstream_decoder *decoder = NULL;
    CHECK_STATUS(pullstream_decoder_new(NULL, &decoder), PULLSTREAM_STATUS_OK);
    CHECK(decoder != NULL);
    /* NULL data with a length is refused; NULL data with length 0 is an empty chunk. */
    CHECK_STATUS(pullstream_decoder_feed(decoder, NULL, 4, 0, NULL, NULL), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_decoder_feed(decoder, NULL, 0, 0, NULL, NULL), PULLSTREAM_STATUS_OK);
    CHECK_STATUS(pullstream_decoder_summary_json(decoder, NULL, 0, NULL), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_decoder_summary_json(decoder, NULL, 8, &len), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_decoder_exit_code(decoder, NULL), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_decoder_outcome(decoder, NULL), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_decoder_snapshot(decoder, NULL), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_decoder_layer(decoder, 0, NULL), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_decoder_last_error(decoder, buf, sizeof buf, NULL, NULL, NULL),
                 PULLSTREAM_STATUS_NULL_ARGUMENT);
    /* NULL callbacks and optional out-parameters are allowed. */
    CHECK_STATUS(pullstream_decoder_feed(decoder, (const uint8_t *)SAMPLE_PULL, strlen(SAMPLE_PULL), 0, NULL, NULL),
                 PULLSTREAM_STATUS_OK);
    CHECK_STATUS(pullstream_decoder_poll_stalls(decoder, 0, NULL, NULL, NULL), PULLSTREAM_STATUS_OK);
    CHECK_STATUS(pullstream_decoder_last_error(decoder, buf, sizeof buf, &len, NULL, NULL), PULLSTREAM_STATUS_OK);
    CHECK(len == 0);
    pullstream_decoder_free(decoder);

    /* A bad enumeration value is refused, not trusted. */
    pullstream_config *config = NULL;
    CHECK_STATUS(pullstream_config_new(&config), PULLSTREAM_STATUS_OK);
    CHECK_STATUS(pullstream_config_set_stall_after_ms(config, 77, 1), PULLSTREAM_STATUS_INVALID_ARGUMENT);
    pullstream_config_free(config);
    return check_done("test_null_arguments");
}
