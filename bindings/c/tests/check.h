/* Tiny assertion helpers shared by the C tests (each test is its own program). */
#ifndef PULLSTREAM_TEST_CHECK_H
#define PULLSTREAM_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pullstream.h"

static int check_failures = 0;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            check_failures++;                                                        \
        }                                                                            \
    } while (0)

#define CHECK_STATUS(expr, expected)                                                  \
    do {                                                                              \
        pullstream_status check_got_ = (expr);                                        \
        if (check_got_ != (expected)) {                                               \
            fprintf(stderr, "%s:%d: %s returned %s, expected %s\n", __FILE__, __LINE__, \
                    #expr, pullstream_status_name(check_got_),                        \
                    pullstream_status_name(expected));                                \
            check_failures++;                                                         \
        }                                                                             \
    } while (0)

/* Ends a test: prints one line and returns the process exit code. */
static inline int check_done(const char *name) {
    if (check_failures == 0) {
        printf("%s: ok\n", name);
        return 0;
    }
    printf("%s: %d check(s) failed\n", name, check_failures);
    return 1;
}

/* A pull that succeeds, with a record split by CRLF framing and Go's escapes. */
static const char SAMPLE_PULL[] =
    "{\"status\":\"Pulling from library/alpine\",\"id\":\"3.20\"}\r\n"
    "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"0123456789ab\"}\r\n"
    "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":512,\"total\":1024},"
    "\"progress\":\"[=\\u003e  ] 512B/1kB\",\"id\":\"0123456789ab\"}\r\n"
    "{\"status\":\"Download complete\",\"progressDetail\":{},\"id\":\"0123456789ab\"}\r\n"
    "{\"status\":\"Extracting\",\"progressDetail\":{\"current\":1024,\"total\":1024},\"id\":\"0123456789ab\"}\r\n"
    "{\"status\":\"Pull complete\",\"progressDetail\":{},\"id\":\"0123456789ab\"}\r\n"
    "{\"status\":\"Digest: sha256:00ff\"}\r\n"
    "{\"status\":\"Status: Downloaded newer image for alpine:3.20\"}\r\n";
enum { SAMPLE_PULL_EVENTS = 8 };

/* Counts events and remembers the last kind; pauses after every `pause_every` events. */
typedef struct {
    size_t events;
    size_t malformed;
    uint32_t last_kind;
    pullstream_status last_error_status;
    size_t pause_every;
} counter;

static inline int32_t count_event(void *userdata, const pullstream_event *event) {
    counter *c = (counter *)userdata;
    c->events++;
    c->last_kind = (uint32_t)event->kind;
    if (event->kind == PULLSTREAM_EVENT_KIND_MALFORMED) {
        c->malformed++;
        c->last_error_status = event->error_status;
    }
    return (c->pause_every != 0 && c->events % c->pause_every == 0) ? 1 : 0;
}

/* Copies the summary line into a fresh malloc'd, NUL-terminated string (NULL on failure). */
static inline char *summary_of(const pullstream_decoder *decoder) {
    size_t len = 0;
    if (pullstream_decoder_summary_json(decoder, NULL, 0, &len) != PULLSTREAM_STATUS_BUFFER_TOO_SMALL) {
        return NULL;
    }
    char *json = malloc(len + 1);
    if (json == NULL) {
        return NULL;
    }
    if (pullstream_decoder_summary_json(decoder, json, len + 1, &len) != PULLSTREAM_STATUS_OK) {
        free(json);
        return NULL;
    }
    return json;
}

#endif /* PULLSTREAM_TEST_CHECK_H */
