/* Status, event kind and failure kind names are static strings; unknown values are named too. */
#include "check.h"

static int same(const char *a, const char *b) { return a != NULL && strcmp(a, b) == 0; }

int main(void) {
    CHECK(same(pullstream_status_name(PULLSTREAM_STATUS_OK), "PULLSTREAM_STATUS_OK"));
    CHECK(same(pullstream_status_name(PULLSTREAM_STATUS_NULL_ARGUMENT), "PULLSTREAM_STATUS_NULL_ARGUMENT"));
    CHECK(same(pullstream_status_name(PULLSTREAM_STATUS_INVALID_ARGUMENT), "PULLSTREAM_STATUS_INVALID_ARGUMENT"));
    CHECK(same(pullstream_status_name(PULLSTREAM_STATUS_INVALID_STATE), "PULLSTREAM_STATUS_INVALID_STATE"));
    CHECK(same(pullstream_status_name(PULLSTREAM_STATUS_PANIC), "PULLSTREAM_STATUS_PANIC"));
    CHECK(same(pullstream_status_name(PULLSTREAM_STATUS_BUFFER_TOO_SMALL), "PULLSTREAM_STATUS_BUFFER_TOO_SMALL"));
    CHECK(same(pullstream_status_name(PULLSTREAM_STATUS_PAUSED), "PULLSTREAM_STATUS_PAUSED"));
    CHECK(same(pullstream_status_name(PULLSTREAM_STATUS_STOPPED), "PULLSTREAM_STATUS_STOPPED"));
    CHECK(same(pullstream_status_name(PULLSTREAM_STATUS_NOT_JSON), "PULLSTREAM_STATUS_NOT_JSON"));
    CHECK(same(pullstream_status_name(PULLSTREAM_STATUS_RECORD_TOO_LARGE), "PULLSTREAM_STATUS_RECORD_TOO_LARGE"));
    CHECK(same(pullstream_status_name(PULLSTREAM_STATUS_TRUNCATED), "PULLSTREAM_STATUS_TRUNCATED"));
    CHECK(same(pullstream_status_name(PULLSTREAM_STATUS_LAYER_LIMIT), "PULLSTREAM_STATUS_LAYER_LIMIT"));
    CHECK(same(pullstream_status_name(PULLSTREAM_STATUS_SEGMENT_LIMIT), "PULLSTREAM_STATUS_SEGMENT_LIMIT"));
    CHECK(same(pullstream_status_name(PULLSTREAM_STATUS_ID_LENGTH_LIMIT), "PULLSTREAM_STATUS_ID_LENGTH_LIMIT"));
    CHECK(same(pullstream_status_name(PULLSTREAM_STATUS_TEXT_LENGTH_LIMIT), "PULLSTREAM_STATUS_TEXT_LENGTH_LIMIT"));
    CHECK(same(pullstream_status_name(PULLSTREAM_STATUS_ERROR_LENGTH_LIMIT), "PULLSTREAM_STATUS_ERROR_LENGTH_LIMIT"));
    CHECK(same(pullstream_status_name(9999), "PULLSTREAM_STATUS_UNKNOWN"));
    CHECK(same(pullstream_status_name(UINT32_MAX), "PULLSTREAM_STATUS_UNKNOWN"));

    CHECK(same(pullstream_event_kind_name(PULLSTREAM_EVENT_KIND_DOWNLOADING), "downloading"));
    CHECK(same(pullstream_event_kind_name(PULLSTREAM_EVENT_KIND_OTHER), "other"));
    CHECK(same(pullstream_event_kind_name(PULLSTREAM_EVENT_KIND_MALFORMED), "malformed"));
    CHECK(same(pullstream_event_kind_name(PULLSTREAM_EVENT_KIND_TRACKER_LIMIT), "tracker_limit"));
    CHECK(same(pullstream_event_kind_name(PULLSTREAM_EVENT_KIND_BUILDKIT_TRACE), "buildkit_trace"));
    CHECK(same(pullstream_event_kind_name(12345), "unknown"));

    CHECK(same(pullstream_failure_kind_name(PULLSTREAM_FAILURE_KIND_RATE_LIMITED), "rate_limited"));
    CHECK(same(pullstream_failure_kind_name(PULLSTREAM_FAILURE_KIND_NONE), "none"));
    CHECK(same(pullstream_failure_kind_name(77), "unknown"));

    /* The header and the library agree on the version. */
    char expected[32];
    snprintf(expected, sizeof expected, "%d.%d.%d", PULLSTREAM_VERSION_MAJOR, PULLSTREAM_VERSION_MINOR,
             PULLSTREAM_VERSION_PATCH);
    CHECK(same(pullstream_version(), expected));
    CHECK(same(pullstream_version(), PULLSTREAM_VERSION_STRING));
    return check_done("test_status_names");
}
