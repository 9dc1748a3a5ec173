// Tests of the C++ wrapper: RAII, move-only handles, callables, pause/resume, exceptions.
#include "pullstream.hpp"

#include <cstdio>
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

}  // namespace

int main() {
    test_feed_with_a_lambda();
    test_pause_and_resume();
    test_exceptions_do_not_cross_the_c_boundary();
    test_move_and_errors();
    if (failures == 0) {
        std::printf("test_pullstream (C++): ok\n");
        return 0;
    }
    std::printf("test_pullstream (C++): %d check(s) failed\n", failures);
    return 1;
}
