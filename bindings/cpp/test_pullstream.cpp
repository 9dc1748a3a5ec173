// Tests of the C++ wrapper: RAII, move-only handles, callables, pause/resume, exceptions.
#include "pullstream.hpp"

#include <cstdio>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace {

int failures = 0;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            ++failures;                                                              \
        }                                                                            \
    } while (0)

const std::string kPull =
    "{\"status\":\"Pulling from library/alpine\",\"id\":\"3.20\"}\r\n"
    "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"0123456789ab\"}\r\n"
    "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":512,\"total\":1024},\"id\":\"0123456789ab\"}\r\n"
    "{\"status\":\"Pull complete\",\"progressDetail\":{},\"id\":\"0123456789ab\"}\r\n"
    "{\"status\":\"Digest: sha256:00ff\"}\r\n"
    "{\"status\":\"Status: Downloaded newer image for alpine:3.20\"}\r\n";

static_assert(!std::is_copy_constructible_v<pullstream::Decoder>, "move-only");
static_assert(std::is_nothrow_move_constructible_v<pullstream::Decoder>, "movable");
static_assert(!std::is_copy_assignable_v<pullstream::Config>, "move-only");
static_assert(!std::is_copy_constructible_v<pullstream::HttpResponse>, "move-only");
static_assert(std::is_nothrow_move_constructible_v<pullstream::HttpResponse>, "movable");
static_assert(std::is_base_of_v<pullstream::Error, pullstream::HttpError>, "one catch for both");

void test_feed_with_a_lambda() {
    pullstream::Decoder decoder;
    std::vector<std::string> kinds;
    std::string layer;
    auto progress = decoder.feed(kPull, 0, [&](const pullstream::Event &event) {
        kinds.emplace_back(event.kind_name());
        if (event.kind() == PULLSTREAM_EVENT_KIND_DOWNLOADING) {
            layer = std::string(event.layer_id());  // copied: the view dies with the callback
            CHECK(event.progress_current() == 512);
            CHECK(event.progress_total() == 1024);
        }
    });
    CHECK(progress == pullstream::Progress::Done);
    CHECK(decoder.finish(0) == pullstream::Progress::Done);
    CHECK(kinds.size() == 6);
    CHECK(kinds.front() == "pulling_from");
    CHECK(kinds.back() == "pull_finished");
    CHECK(layer == "0123456789ab");
    CHECK(decoder.exit_code() == 0);
    std::string json = decoder.summary_json();
    CHECK(json.rfind("{\"outcome\":\"success\",\"operation\":\"pull\",\"result\":\"downloaded\"", 0) == 0);
    pullstream_outcome outcome = decoder.outcome();
    CHECK(outcome.verdict == PULLSTREAM_VERDICT_SUCCESS);
    CHECK(pullstream::view(outcome.reference) == "alpine:3.20");
    CHECK(decoder.snapshot().layer_count == 1);
    CHECK(pullstream::view(decoder.layer(0).id) == "0123456789ab");
}

void test_pause_and_resume() {
    pullstream::Decoder decoder;
    int seen = 0;
    auto pause_each = [&](const pullstream::Event &) {
        ++seen;
        return pullstream::Flow::Pause;
    };
    int rounds = 0;
    auto progress = decoder.feed(kPull, 0, pause_each);
    while (progress == pullstream::Progress::Paused && rounds++ < 100) {
        progress = decoder.feed({}, 0, pause_each);
    }
    CHECK(seen == 6);
    CHECK(rounds == 6);  // five more events after the first, then one round that finds none
}

void test_exceptions_do_not_cross_the_c_boundary() {
    pullstream::Decoder decoder;
    int seen = 0;
    bool caught = false;
    try {
        (void)decoder.feed(kPull, 0, [&](const pullstream::Event &) {
            if (++seen == 2) {
                throw std::runtime_error("from the callback");
            }
        });
    } catch (const std::runtime_error &e) {
        caught = std::string(e.what()) == "from the callback";
    }
    CHECK(caught);
    CHECK(seen == 2);
    // The decoder paused at the throw: resuming delivers the rest.
    CHECK(decoder.feed({}, 0, [&](const pullstream::Event &) { ++seen; }) == pullstream::Progress::Done);
    CHECK(seen == 6);
}

void test_move_and_errors() {
    pullstream::Decoder first;
    pullstream::Decoder second(std::move(first));
    CHECK(first.get() == nullptr);  // NOLINT: checking the moved-from state on purpose
    CHECK(second.get() != nullptr);
    CHECK(second.feed(kPull, 0) == pullstream::Progress::Done);
    CHECK(second.finish(0) == pullstream::Progress::Done);
    bool threw = false;
    try {
        (void)second.feed("{}", 0);  // after finish
    } catch (const pullstream::Error &e) {
        threw = e.status() == PULLSTREAM_STATUS_INVALID_STATE;
    }
    CHECK(threw);

    pullstream::Config config;
    config.max_record_len(64).stop_at_first_error(true);
    pullstream::Decoder strict(config);
    CHECK(strict.feed("<html>\n" + kPull, 0) == pullstream::Progress::Stopped);
    CHECK(strict.finish(0) == pullstream::Progress::Done);
    CHECK(strict.exit_code() == 3);
    threw = false;
    try {
        config.stall_after_ms(static_cast<pullstream_stall_phase>(42), 1);
    } catch (const pullstream::Error &e) {
        threw = e.status() == PULLSTREAM_STATUS_INVALID_ARGUMENT;
    }
    CHECK(threw);

    // The tracker's limits are named by their statuses; anything else is refused.
    config.limit(PULLSTREAM_STATUS_SEGMENT_LIMIT, 1).limit(PULLSTREAM_STATUS_TEXT_LENGTH_LIMIT, 16);
    threw = false;
    try {
        config.limit(PULLSTREAM_STATUS_TRUNCATED, 1);
    } catch (const pullstream::Error &e) {
        threw = e.status() == PULLSTREAM_STATUS_INVALID_ARGUMENT;
    }
    CHECK(threw);
}

// A fixture of the repository (the tests run from its root).
std::string read_fixture(const char *name) {
    std::ifstream file(std::string("tests/fixtures/") + name, std::ios::binary);
    CHECK(file.good());
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

// `body` as a chunked HTTP/1.1 200 response, in chunks of `chunk` bytes; `last_chunk` false
// leaves out the closing `0` chunk (a body cut short between chunks).
std::string chunked_response(const std::string &body, std::size_t chunk, bool last_chunk) {
    std::string response =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (std::size_t at = 0; at < body.size(); at += chunk) {
        std::string piece = body.substr(at, chunk);
        char size[32];
        std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
        response += size + piece + "\r\n";
    }
    if (last_chunk) {
        response += "0\r\n\r\n";
    }
    return response;
}

// The response through HttpResponse in pieces of `piece` bytes, its body through a Decoder.
struct HttpRun {
    std::string body;
    std::string summary;
    int exit_code = -1;
    pullstream::BodyEnd end = pullstream::BodyEnd::Complete;
    uint16_t status = 0;
};
HttpRun run_http(const std::string &response, std::size_t piece) {
    HttpRun run;
    pullstream::HttpResponse http;
    pullstream::Decoder decoder;
    for (std::size_t at = 0; at < response.size(); at += piece) {
        http.feed(std::string_view(response).substr(at, piece), [&](std::string_view body) {
            run.body += body;
            CHECK(decoder.feed(body, 0) == pullstream::Progress::Done);
        });
    }
    CHECK(decoder.finish(0) == pullstream::Progress::Done);
    run.end = http.finish_into(decoder);
    run.status = http.status();
    run.summary = decoder.summary_json();
    run.exit_code = decoder.exit_code();
    return run;
}

void test_http_dechunks_a_fixture_to_the_summary_of_its_body() {
    const std::string body = read_fixture("pull_success_crlf.stream");
    CHECK(!body.empty());
    pullstream::Decoder direct;
    CHECK(direct.feed(body, 0) == pullstream::Progress::Done);
    CHECK(direct.finish(0) == pullstream::Progress::Done);
    for (std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{4096}}) {
        HttpRun run = run_http(chunked_response(body, 100, true), piece);
        CHECK(run.body == body);
        CHECK(run.status == 200);
        CHECK(run.end == pullstream::BodyEnd::Complete);
        CHECK(run.summary == direct.summary_json());
        CHECK(run.exit_code == 0);
    }
}

void test_http_body_cut_short_is_told_to_the_decoder() {
    const std::string body = read_fixture("pull_success_crlf.stream");
    HttpRun run = run_http(chunked_response(body, 100, false), 13);
    CHECK(run.body == body);  // every record arrived, only the `0` chunk is missing
    CHECK(run.end == pullstream::BodyEnd::Truncated);
    CHECK(run.summary.find("\"incomplete_reason\":\"truncated_body\"") != std::string::npos);
    CHECK(run.exit_code == 2);
}

void test_http_malformed_response_and_callback_exceptions() {
    pullstream::HttpResponse http;
    std::string body;
    bool threw = false;
    const std::string response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\nzz\r\n";
    try {
        http.feed(response, [&](std::string_view piece) { body += piece; });
    } catch (const pullstream::HttpError &e) {
        threw = e.status() == PULLSTREAM_STATUS_HTTP_BAD_CHUNK && !e.message().empty() &&
                e.offset() >= response.size() - 4 && e.offset() <= response.size();
    }
    CHECK(threw);
    CHECK(body == "{}");  // the piece before the error was handed out first

    // A throwing body callable: rethrown after the C call, later pieces of that feed dropped.
    pullstream::HttpResponse second;
    int pieces = 0;
    bool caught = false;
    try {
        second.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n",
                    [&](std::string_view) {
                        ++pieces;
                        throw std::runtime_error("from the body callable");
                    });
    } catch (const std::runtime_error &e) {
        caught = std::string(e.what()) == "from the body callable";
    }
    CHECK(caught);
    CHECK(pieces == 1);

    // Cut inside the head: not a truncated body, an error.
    pullstream::HttpResponse cut;
    pullstream::Decoder decoder;
    cut.feed("HTTP/1.1 200 OK\r\nTransfer-Enc", [](std::string_view) {});
    threw = false;
    try {
        (void)cut.finish_into(decoder);
    } catch (const pullstream::HttpError &e) {
        threw = e.status() == PULLSTREAM_STATUS_HTTP_TRUNCATED;
    }
    CHECK(threw);

    pullstream::HttpResponse moved(std::move(second));
    CHECK(second.get() == nullptr);  // NOLINT: checking the moved-from state on purpose
    CHECK(moved.get() != nullptr);
}

}  // namespace

int main() {
    test_feed_with_a_lambda();
    test_pause_and_resume();
    test_exceptions_do_not_cross_the_c_boundary();
    test_move_and_errors();
    test_http_dechunks_a_fixture_to_the_summary_of_its_body();
    test_http_body_cut_short_is_told_to_the_decoder();
    test_http_malformed_response_and_callback_exceptions();
    if (failures == 0) {
        std::printf("test_pullstream (C++): ok\n");
        return 0;
    }
    std::printf("test_pullstream (C++): %d check(s) failed\n", failures);
    return 1;
}
