/* A success response whose body is cut short (no `0` chunk, closed inside a chunk, fewer bytes
 * than Content-Length) is a cut stream once pullstream_http_finish_into tells the decoder:
 * incomplete, TRUNCATED_BODY, exit code 2. An error response keeps its verdict. Input that is
 * not a progress stream says NOT_A_PROGRESS_STREAM with exit code 3. */
#include "check.h"

/* A classic pull that finished: whole, it is a success. */
#define BODY                                                                           \
    "{\"status\":\"Pulling from library/alpine\",\"id\":\"latest\"}\r\n"               \
    "{\"status\":\"Digest: sha256:00ff\"}\r\n"                                          \
    "{\"status\":\"Status: Image is up to date for alpine:latest\"}\r\n"

/* Every chunk but the terminating `0` one. */
static const char NO_ZERO_CHUNK[] =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    "38\r\n{\"status\":\"Pulling from library/alpine\",\"id\":\"latest\"}\r\n\r\n"
    "22\r\n{\"status\":\"Digest: sha256:00ff\"}\r\n\r\n"
    "3f\r\n{\"status\":\"Status: Image is up to date for alpine:latest\"}\r\n\r\n";
/* One chunk that announces more than arrives. */
static const char INSIDE_CHUNK[] =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    "200\r\n" BODY;
/* An identity body shorter than its Content-Length. */
static const char SHORT_IDENTITY[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n" BODY;
/* A 404 whose JSON message arrived but not the rest of what Content-Length promised. */
static const char CUT_404[] =
    "HTTP/1.1 404 Not Found\r\nContent-Length: 99\r\n\r\n"
    "{\"message\":\"manifest unknown: nope\"}\r\n";

enum how { HTTP_FINISH, FINISH_INTO, FINISH_INTO_AFTER_DECODER_FINISH };

static void to_decoder(void *userdata, pullstream_bytes body) {
    pullstream_decoder *decoder = (pullstream_decoder *)userdata;
    CHECK_STATUS(pullstream_decoder_feed(decoder, body.ptr, body.len, 0, NULL, NULL), PULLSTREAM_STATUS_OK);
}

/* Runs `response` through pullstream_http into a decoder, `read` bytes at a time. */
static pullstream_outcome run(const char *response, size_t read, enum how how, pullstream_status expect_finish,
                              char *json, size_t json_cap) {
    size_t len = strlen(response);
    pullstream_http *http = NULL;
    pullstream_decoder *decoder = NULL;
    CHECK_STATUS(pullstream_http_new(&http), PULLSTREAM_STATUS_OK);
    CHECK_STATUS(pullstream_decoder_new(NULL, &decoder), PULLSTREAM_STATUS_OK);
    for (size_t at = 0; at < len; at += read) {
        size_t n = len - at < read ? len - at : read;
        CHECK_STATUS(pullstream_http_feed(http, (const uint8_t *)response + at, n, to_decoder, decoder),
                     PULLSTREAM_STATUS_OK);
    }
    switch (how) {
    case HTTP_FINISH:
        CHECK_STATUS(pullstream_http_finish(http), expect_finish);
        CHECK_STATUS(pullstream_decoder_finish(decoder, 0, NULL, NULL), PULLSTREAM_STATUS_OK);
        break;
    case FINISH_INTO:
        CHECK_STATUS(pullstream_http_finish_into(http, decoder), expect_finish);
        /* Again: the same status, nothing changes. */
        CHECK_STATUS(pullstream_http_finish_into(http, decoder), expect_finish);
        CHECK_STATUS(pullstream_decoder_finish(decoder, 0, NULL, NULL), PULLSTREAM_STATUS_OK);
        break;
    case FINISH_INTO_AFTER_DECODER_FINISH:
        CHECK_STATUS(pullstream_decoder_finish(decoder, 0, NULL, NULL), PULLSTREAM_STATUS_OK);
        CHECK_STATUS(pullstream_http_finish_into(http, decoder), expect_finish);
        break;
    }
    pullstream_outcome outcome;
    CHECK_STATUS(pullstream_decoder_outcome(decoder, &outcome), PULLSTREAM_STATUS_OK);
    int32_t exit_code = -1;
    CHECK_STATUS(pullstream_decoder_exit_code(decoder, &exit_code), PULLSTREAM_STATUS_OK);
    CHECK(exit_code == outcome.exit_code);
    size_t json_len = 0;
    CHECK_STATUS(pullstream_decoder_summary_json(decoder, json, json_cap, &json_len), PULLSTREAM_STATUS_OK);
    pullstream_http_free(http);
    pullstream_decoder_free(decoder);
    outcome.reference = outcome.digest = outcome.image_id = outcome.error_message = (pullstream_bytes){NULL, 0};
    return outcome;
}

/* The verdict of `input` fed straight to a decoder. */
static pullstream_outcome body_only(const char *input, size_t len, char *json, size_t json_cap) {
    pullstream_decoder *decoder = NULL;
    CHECK_STATUS(pullstream_decoder_new(NULL, &decoder), PULLSTREAM_STATUS_OK);
    CHECK_STATUS(pullstream_decoder_feed(decoder, (const uint8_t *)input, len, 0, NULL, NULL), PULLSTREAM_STATUS_OK);
    CHECK_STATUS(pullstream_decoder_finish(decoder, 0, NULL, NULL), PULLSTREAM_STATUS_OK);
    pullstream_outcome outcome;
    CHECK_STATUS(pullstream_decoder_outcome(decoder, &outcome), PULLSTREAM_STATUS_OK);
    size_t json_len = 0;
    CHECK_STATUS(pullstream_decoder_summary_json(decoder, json, json_cap, &json_len), PULLSTREAM_STATUS_OK);
    pullstream_decoder_free(decoder);
    outcome.reference = outcome.digest = outcome.image_id = outcome.error_message = (pullstream_bytes){NULL, 0};
    return outcome;
}

int main(void) {
    char json[2048];
    const char *cut[] = {NO_ZERO_CHUNK, INSIDE_CHUNK, SHORT_IDENTITY};
    const size_t reads[] = {1, 7, 4096};

    for (size_t c = 0; c < 3; c++) {
        for (size_t r = 0; r < 3; r++) {
            /* pullstream_http_finish tells no decoder: the records alone say success. */
            pullstream_outcome alone = run(cut[c], reads[r], HTTP_FINISH, PULLSTREAM_STATUS_HTTP_TRUNCATED, json,
                                           sizeof json);
            CHECK(alone.verdict == PULLSTREAM_VERDICT_SUCCESS);
            CHECK(alone.exit_code == 0);

            enum how hows[] = {FINISH_INTO, FINISH_INTO_AFTER_DECODER_FINISH};
            for (size_t h = 0; h < 2; h++) {
                pullstream_outcome told = run(cut[c], reads[r], hows[h], PULLSTREAM_STATUS_HTTP_TRUNCATED, json,
                                              sizeof json);
                CHECK(told.verdict == PULLSTREAM_VERDICT_INCOMPLETE);
                CHECK(told.incomplete_reason == PULLSTREAM_INCOMPLETE_REASON_TRUNCATED_BODY);
                CHECK(told.success_kind == PULLSTREAM_SUCCESS_KIND_NONE);
                CHECK(told.exit_code == 2);
                CHECK(told.records == 3);
                CHECK(strstr(json, "\"incomplete_reason\":\"truncated_body\"") != NULL);
            }
        }
    }

    /* A whole response: finish_into changes nothing. */
    static const char WHOLE[] = "HTTP/1.1 200 OK\r\nContent-Length: 150\r\n\r\n" BODY;
    CHECK(strlen(BODY) == 150);
    pullstream_outcome whole = run(WHOLE, 5, FINISH_INTO, PULLSTREAM_STATUS_OK, json, sizeof json);
    CHECK(whole.verdict == PULLSTREAM_VERDICT_SUCCESS);
    CHECK(whole.incomplete_reason == PULLSTREAM_INCOMPLETE_REASON_NONE);

    /* An error response cut short keeps the verdict of its JSON message. */
    pullstream_outcome failed = run(CUT_404, 3, FINISH_INTO, PULLSTREAM_STATUS_HTTP_TRUNCATED, json, sizeof json);
    CHECK(failed.verdict == PULLSTREAM_VERDICT_FAILED);
    CHECK(failed.failure_kind == PULLSTREAM_FAILURE_KIND_NOT_FOUND);
    CHECK(failed.exit_code == 1);

    /* Any transport can tell the decoder itself. */
    pullstream_decoder *decoder = NULL;
    CHECK_STATUS(pullstream_decoder_new(NULL, &decoder), PULLSTREAM_STATUS_OK);
    CHECK_STATUS(pullstream_decoder_feed(decoder, (const uint8_t *)BODY, strlen(BODY), 0, NULL, NULL),
                 PULLSTREAM_STATUS_OK);
    CHECK_STATUS(pullstream_decoder_set_truncated_body(decoder), PULLSTREAM_STATUS_OK);
    CHECK_STATUS(pullstream_decoder_finish(decoder, 0, NULL, NULL), PULLSTREAM_STATUS_OK);
    pullstream_outcome set;
    CHECK_STATUS(pullstream_decoder_outcome(decoder, &set), PULLSTREAM_STATUS_OK);
    CHECK(set.incomplete_reason == PULLSTREAM_INCOMPLETE_REASON_TRUNCATED_BODY && set.exit_code == 2);
    pullstream_decoder_free(decoder);

    /* Not a progress stream (exit 3) is told from a cut stream (exit 2). */
    const char html[] = "<html><body>502 Bad Gateway</body></html>\n";
    pullstream_outcome not_stream = body_only(html, strlen(html), json, sizeof json);
    CHECK(not_stream.incomplete_reason == PULLSTREAM_INCOMPLETE_REASON_NOT_A_PROGRESS_STREAM);
    CHECK(not_stream.exit_code == 3);
    CHECK(strstr(json, "\"incomplete_reason\":\"not_a_progress_stream\"") != NULL);
    const char cut_record[] = "{\"status\":\"Pulling from libr";
    pullstream_outcome cut_stream = body_only(cut_record, strlen(cut_record), json, sizeof json);
    CHECK(cut_stream.incomplete_reason == PULLSTREAM_INCOMPLETE_REASON_CUT_MID_RECORD);
    CHECK(cut_stream.exit_code == 2);

    /* NULLs never crash, and change nothing. */
    pullstream_http *http = NULL;
    CHECK_STATUS(pullstream_http_new(&http), PULLSTREAM_STATUS_OK);
    CHECK_STATUS(pullstream_decoder_new(NULL, &decoder), PULLSTREAM_STATUS_OK);
    CHECK_STATUS(pullstream_http_finish_into(NULL, decoder), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_http_finish_into(http, NULL), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_decoder_set_truncated_body(NULL), PULLSTREAM_STATUS_NULL_ARGUMENT);
    pullstream_http_info info;
    CHECK_STATUS(pullstream_http_get_info(http, &info), PULLSTREAM_STATUS_OK);
    CHECK(!info.complete);
    pullstream_http_free(http);
    pullstream_decoder_free(decoder);
    return check_done("test_truncated_body");
}
