/*
 * pull_report: reads a Docker progress stream from a file (or stdin), feeds it to pullstream in
 * 4 KiB chunks, and prints the one-line JSON summary, exactly as `pullstream --json` does. Exits
 * with the summary's exit code (0 success, 1 failed, 2 incomplete, 3 not a progress stream or
 * unreadable input, 64 usage).
 *
 *   cc -std=c99 -Iinclude pull_report.c -Ltarget/release -lpullstream \
 *      -Wl,-rpath,$PWD/target/release -o pull_report
 *   ./pull_report tests/fixtures/pull_podman_compat.stream
 */
#define _POSIX_C_SOURCE 199309L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pullstream.h"

enum { CHUNK_SIZE = 4096, EXIT_UNREADABLE = 3, EXIT_USAGE = 64 };

/* The caller's monotonic clock, in milliseconds: the library never reads a clock itself. */
static uint64_t now_ms(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        return 0;
    }
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int fail(const char *what, pullstream_status status) {
    fprintf(stderr, "pull_report: %s: %s\n", what, pullstream_status_name(status));
    return EXIT_UNREADABLE;
}

/* Prints the summary line and returns the exit code, or -1 on an API failure. */
static int report(const pullstream_decoder *decoder) {
    size_t len = 0;
    pullstream_status status = pullstream_decoder_summary_json(decoder, NULL, 0, &len);
    if (status != PULLSTREAM_STATUS_BUFFER_TOO_SMALL && status != PULLSTREAM_STATUS_OK) {
        return fail("summary", status);
    }
    char *json = malloc(len + 1);
    if (json == NULL) {
        fprintf(stderr, "pull_report: out of memory\n");
        return EXIT_UNREADABLE;
    }
    status = pullstream_decoder_summary_json(decoder, json, len + 1, &len);
    if (status != PULLSTREAM_STATUS_OK) {
        free(json);
        return fail("summary", status);
    }
    fwrite(json, 1, len, stdout);
    fputc('\n', stdout);
    free(json);
    int32_t code = EXIT_UNREADABLE;
    status = pullstream_decoder_exit_code(decoder, &code);
    if (status != PULLSTREAM_STATUS_OK) {
        return fail("exit code", status);
    }
    return (int)code;
}

int main(int argc, char **argv) {
    if (argc > 2) {
        fprintf(stderr, "usage: pull_report [FILE]   (reads stdin without FILE)\n");
        return EXIT_USAGE;
    }
    FILE *input = stdin;
    if (argc == 2 && strcmp(argv[1], "-") != 0) {
        input = fopen(argv[1], "rb");
        if (input == NULL) {
            perror(argv[1]);
            return EXIT_UNREADABLE;
        }
    }

    pullstream_decoder *decoder = NULL;
    pullstream_status status = pullstream_decoder_new(NULL, &decoder);
    if (status != PULLSTREAM_STATUS_OK) {
        return fail("new", status);
    }

    /* No callback: the tracker sees every event; this program only wants the verdict. */
    unsigned char chunk[CHUNK_SIZE];
    int exit_code = 0;
    for (;;) {
        size_t got = fread(chunk, 1, sizeof chunk, input);
        if (got > 0) {
            status = pullstream_decoder_feed(decoder, chunk, got, now_ms(), NULL, NULL);
            if (status == PULLSTREAM_STATUS_STOPPED) {
                break;
            }
            if (status != PULLSTREAM_STATUS_OK) {
                exit_code = fail("feed", status);
                break;
            }
        }
        if (got < sizeof chunk) {
            if (ferror(input)) {
                perror("read");
                exit_code = EXIT_UNREADABLE;
            }
            break;
        }
    }
    if (exit_code == 0) {
        status = pullstream_decoder_finish(decoder, now_ms(), NULL, NULL);
        exit_code = status == PULLSTREAM_STATUS_OK ? report(decoder) : fail("finish", status);
    }
    pullstream_decoder_free(decoder);
    if (input != stdin) {
        fclose(input);
    }
    return exit_code;
}
