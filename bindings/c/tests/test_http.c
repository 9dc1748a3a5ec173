/* pullstream_http de-chunks a raw HTTP/1.1 response for a decoder, fed one byte at a time; a
 * 404 with a JSON message becomes a failed outcome; a truncated chunked body is reported. */
#include "check.h"

/* A chunked 200 response carrying two records; the second chunk splits a record. */
static const char RESPONSE_200[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "Transfer-Encoding: chunked\r\n"
    "\r\n"
    "38\r\n{\"status\":\"Pulling from library/alpine\",\"id\":\"latest\"}\r\n\r\n"
    "1f;ext=1\r\n{\"status\":\"Digest: sha256:00ff\"\r\n"
    "3f\r\n}\r\n{\"status\":\"Status: Image is up to date for alpine:latest\"}\r\n\r\n"
    "0\r\n\r\n";

static const char RESPONSE_404[] =
    "HTTP/1.1 404 Not Found\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 38\r\n"
    "\r\n"
    "{\"message\":\"manifest unknown: nope\"}\r\n";

/* The body callback feeds the decoder passed as userdata. */
static void to_decoder(void *userdata, pullstream_bytes body) {
    pullstream_decoder *decoder = (pullstream_decoder *)userdata;
    CHECK_STATUS(pullstream_decoder_feed(decoder, body.ptr, body.len, 0, NULL, NULL), PULLSTREAM_STATUS_OK);
}

static pullstream_outcome run(const char *response, size_t len, pullstream_status expect_finish,
                              pullstream_http_info *info) {
    pullstream_http *http = NULL;
    pullstream_decoder *decoder = NULL;
    CHECK_STATUS(pullstream_http_new(&http), PULLSTREAM_STATUS_OK);
    CHECK_STATUS(pullstream_decoder_new(NULL, &decoder), PULLSTREAM_STATUS_OK);
    for (size_t i = 0; i < len; i++) {
        CHECK_STATUS(pullstream_http_feed(http, (const uint8_t *)response + i, 1, to_decoder, decoder),
                     PULLSTREAM_STATUS_OK);
    }
    CHECK_STATUS(pullstream_http_finish(http), expect_finish);
    CHECK_STATUS(pullstream_http_get_info(http, info), PULLSTREAM_STATUS_OK);
    CHECK_STATUS(pullstream_decoder_finish(decoder, 0, NULL, NULL), PULLSTREAM_STATUS_OK);
    pullstream_outcome outcome;
    CHECK_STATUS(pullstream_decoder_outcome(decoder, &outcome), PULLSTREAM_STATUS_OK);
    int32_t exit_code = -1;
    CHECK_STATUS(pullstream_decoder_exit_code(decoder, &exit_code), PULLSTREAM_STATUS_OK);
    CHECK(exit_code == outcome.exit_code);
    pullstream_http_free(http);
    pullstream_decoder_free(decoder);
    /* The outcome's strings die with the decoder: only its numbers are used below. */
    outcome.reference = outcome.digest = outcome.image_id = outcome.error_message =
        (pullstream_bytes){NULL, 0};
    return outcome;
}

int main(void) {
    pullstream_http_info info;

    pullstream_outcome ok = run(RESPONSE_200, strlen(RESPONSE_200), PULLSTREAM_STATUS_OK, &info);
    CHECK(ok.verdict == PULLSTREAM_VERDICT_SUCCESS);
    CHECK(ok.success_kind == PULLSTREAM_SUCCESS_KIND_UP_TO_DATE);
    CHECK(info.status == 200 && info.head_complete && info.chunked && info.complete);

    pullstream_outcome failed = run(RESPONSE_404, strlen(RESPONSE_404), PULLSTREAM_STATUS_OK, &info);
    CHECK(failed.verdict == PULLSTREAM_VERDICT_FAILED);
    CHECK(failed.failure_kind == PULLSTREAM_FAILURE_KIND_NOT_FOUND);
    CHECK(failed.exit_code == 1);
    CHECK(info.status == 404 && !info.chunked && info.complete);

    /* Cut inside the last chunk: the HTTP layer and the decoder both say so. */
    size_t cut = strlen(RESPONSE_200) - 30;
    pullstream_outcome cut_short = run(RESPONSE_200, cut, PULLSTREAM_STATUS_HTTP_TRUNCATED, &info);
    CHECK(cut_short.verdict == PULLSTREAM_VERDICT_INCOMPLETE);
    CHECK(!info.complete);

    /* Errors are sticky and described with an offset. */
    pullstream_http *http = NULL;
    CHECK_STATUS(pullstream_http_new(&http), PULLSTREAM_STATUS_OK);
    const char *bad = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
    CHECK_STATUS(pullstream_http_feed(http, (const uint8_t *)bad, strlen(bad), NULL, NULL),
                 PULLSTREAM_STATUS_HTTP_BAD_CHUNK);
    CHECK_STATUS(pullstream_http_feed(http, NULL, 0, NULL, NULL), PULLSTREAM_STATUS_HTTP_BAD_CHUNK);
    char text[128];
    size_t len = 0;
    uint64_t offset = 0;
    CHECK_STATUS(pullstream_http_last_error(http, text, sizeof text, &len, &offset), PULLSTREAM_STATUS_OK);
    CHECK(len > 0 && offset == 47);
    CHECK(strcmp(pullstream_status_name(PULLSTREAM_STATUS_HTTP_BAD_CHUNK), "PULLSTREAM_STATUS_HTTP_BAD_CHUNK") == 0);
    pullstream_http_free(http);

    /* NULLs never crash. */
    CHECK_STATUS(pullstream_http_new(NULL), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_http_feed(NULL, NULL, 0, NULL, NULL), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_http_finish(NULL), PULLSTREAM_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(pullstream_http_get_info(NULL, &info), PULLSTREAM_STATUS_NULL_ARGUMENT);
    pullstream_http_free(NULL);
    return check_done("test_http");
}
