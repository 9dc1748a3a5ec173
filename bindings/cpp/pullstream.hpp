// pullstream.hpp — a header-only C++17 wrapper over the pullstream C API (include/pullstream.h).
//
// * `pullstream::Decoder` owns a `pullstream_decoder *` (move-only, freed by its destructor).
// * `feed` / `finish` take any callable `f(const pullstream::Event &)` returning `void` (go on)
//   or `pullstream::Flow` (`Flow::Pause` pauses). Exceptions thrown by the callable never cross
//   the C boundary: the decoder pauses, and the exception is rethrown once the C call returned.
// * `pullstream::HttpResponse` owns a `pullstream_http *`: it de-chunks a raw HTTP/1.1 response
//   (read from the Docker socket yourself) and hands the body to a callable, for a Decoder.
// * Results are `[[nodiscard]]`; failures other than PAUSED/STOPPED throw `pullstream::Error`
//   (`pullstream::HttpError` for a malformed response: with its text and byte offset).
// * Strings are `std::string_view`s borrowed from the library, valid as the C API says (event
//   strings and body pieces: only during the callback).
// * Threads: a Decoder or HttpResponse may be moved between threads but not used from two at once.
//
// Include path: this file includes "pullstream.h" by its bare name, so one -I serves both
// when they sit in one directory (an installed prefix puts both in <prefix>/include); in the
// source tree, compile with -Iinclude -Ibindings/cpp. Needs C++17 (checked below).
#ifndef PULLSTREAM_HPP
#define PULLSTREAM_HPP

// MSVC reports 199711L in __cplusplus unless /Zc:__cplusplus is given; _MSVC_LANG is exact.
#if defined(_MSVC_LANG)
#define PULLSTREAM_HPP_CPLUSPLUS _MSVC_LANG
#else
#define PULLSTREAM_HPP_CPLUSPLUS __cplusplus
#endif
#if PULLSTREAM_HPP_CPLUSPLUS < 201703L
#error "pullstream.hpp needs C++17 or newer (std::string_view, if constexpr): compile with -std=c++17 (GCC, Clang) or /std:c++17 (MSVC); from older C++, include pullstream.h and use the C API"
#else

#include <cstddef>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "pullstream.h"

namespace pullstream {

/// A status other than OK, PAUSED or STOPPED.
class Error : public std::runtime_error {
  public:
    explicit Error(pullstream_status status, const std::string &what)
        : std::runtime_error(what + ": " + pullstream_status_name(status)), status_(status) {}

    /// The C status.
    [[nodiscard]] pullstream_status status() const noexcept { return status_; }

  private:
    pullstream_status status_;
};

/// What an event callback asks for.
enum class Flow { Continue, Pause };

/// What a feed or finish call achieved.
enum class Progress {
    Done,     ///< every event was delivered
    Paused,   ///< the callback paused: call again (feed with no bytes, or finish) to resume
    Stopped,  ///< stop-at-first-error met an error: further bytes are ignored
};

/// A borrowed byte string as a string_view (empty when absent).
[[nodiscard]] inline std::string_view view(pullstream_bytes bytes) noexcept {
    if (bytes.ptr == nullptr) {
        return {};
    }
    return {reinterpret_cast<const char *>(bytes.ptr), bytes.len};
}

/// One event, valid only during the callback that receives it.
class Event {
  public:
    explicit Event(const pullstream_event &raw) noexcept : raw_(raw) {}

    [[nodiscard]] pullstream_event_kind kind() const noexcept { return raw_.kind; }
    [[nodiscard]] std::string_view kind_name() const noexcept {
        return pullstream_event_kind_name(static_cast<uint32_t>(raw_.kind));
    }
    [[nodiscard]] uint64_t offset() const noexcept { return raw_.offset; }
    [[nodiscard]] std::string_view record() const noexcept { return view(raw_.record); }
    [[nodiscard]] std::string_view status() const noexcept { return view(raw_.status); }
    [[nodiscard]] std::string_view layer_id() const noexcept { return view(raw_.layer_id); }
    [[nodiscard]] std::string_view detail() const noexcept { return view(raw_.detail); }
    [[nodiscard]] std::string_view error_message() const noexcept { return view(raw_.error_message); }
    [[nodiscard]] int64_t progress_current() const noexcept { return raw_.progress_current; }
    [[nodiscard]] int64_t progress_total() const noexcept { return raw_.progress_total; }
    /// The whole C struct, for the fields without an accessor.
    [[nodiscard]] const pullstream_event &raw() const noexcept { return raw_; }

  private:
    const pullstream_event &raw_;
};

/// Options for a new Decoder (owning, move-only).
class Config {
  public:
    Config() { check(pullstream_config_new(&config_), "pullstream_config_new"); }
    ~Config() { pullstream_config_free(config_); }
    Config(const Config &) = delete;
    Config &operator=(const Config &) = delete;
    Config(Config &&other) noexcept : config_(std::exchange(other.config_, nullptr)) {}
    Config &operator=(Config &&other) noexcept {
        std::swap(config_, other.config_);
        return *this;
    }

    Config &max_record_len(std::size_t bytes) {
        check(pullstream_config_set_max_record_len(config_, bytes), "max_record_len");
        return *this;
    }
    Config &max_depth(uint32_t depth) {
        check(pullstream_config_set_max_depth(config_, depth), "max_depth");
        return *this;
    }
    Config &stop_at_first_error(bool stop) {
        check(pullstream_config_set_stop_at_first_error(config_, stop ? 1u : 0u), "stop_at_first_error");
        return *this;
    }
    Config &max_layers(std::size_t layers) {
        check(pullstream_config_set_max_layers(config_, layers), "max_layers");
        return *this;
    }
    /// One of the tracker's limits, named by its status (`PULLSTREAM_STATUS_SEGMENT_LIMIT`, ...).
    Config &limit(pullstream_status which, std::size_t value) {
        check(pullstream_config_set_limit(config_, static_cast<uint32_t>(which), value), "limit");
        return *this;
    }
    Config &stall_after_ms(pullstream_stall_phase phase, uint64_t ms) {
        check(pullstream_config_set_stall_after_ms(config_, static_cast<uint32_t>(phase), ms), "stall_after_ms");
        return *this;
    }

    /// The C handle, still owned by this object.
    [[nodiscard]] const pullstream_config *get() const noexcept { return config_; }

  private:
    static void check(pullstream_status status, const char *what) {
        if (status != PULLSTREAM_STATUS_OK) {
            throw Error(status, what);
        }
    }
    pullstream_config *config_ = nullptr;
};

/// A stream decoder (owning, move-only).
class Decoder {
  public:
    Decoder() : Decoder(nullptr) {}
    explicit Decoder(const Config &config) : Decoder(config.get()) {}
    ~Decoder() { pullstream_decoder_free(decoder_); }
    Decoder(const Decoder &) = delete;
    Decoder &operator=(const Decoder &) = delete;
    Decoder(Decoder &&other) noexcept : decoder_(std::exchange(other.decoder_, nullptr)) {}
    Decoder &operator=(Decoder &&other) noexcept {
        std::swap(decoder_, other.decoder_);
        return *this;
    }

    /// Feeds bytes; `on_event(const Event &)` sees each event and may return Flow::Pause.
    template <class F>
    [[nodiscard]] Progress feed(std::string_view bytes, uint64_t now_ms, F &&on_event) {
        Trampoline<F> state{on_event, nullptr};
        pullstream_status status =
            pullstream_decoder_feed(decoder_, reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size(),
                                    now_ms, &Trampoline<F>::call, &state);
        return settle(status, state.error, "pullstream_decoder_feed");
    }

    /// Feeds bytes without looking at the events (the tracker still sees them).
    [[nodiscard]] Progress feed(std::string_view bytes, uint64_t now_ms) {
        pullstream_status status = pullstream_decoder_feed(
            decoder_, reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size(), now_ms, nullptr, nullptr);
        return settle(status, nullptr, "pullstream_decoder_feed");
    }

    /// Ends the stream (a record cut off at the end arrives as a MALFORMED event).
    template <class F>
    [[nodiscard]] Progress finish(uint64_t now_ms, F &&on_event) {
        Trampoline<F> state{on_event, nullptr};
        pullstream_status status = pullstream_decoder_finish(decoder_, now_ms, &Trampoline<F>::call, &state);
        return settle(status, state.error, "pullstream_decoder_finish");
    }

    /// Ends the stream without looking at the events.
    [[nodiscard]] Progress finish(uint64_t now_ms) {
        return settle(pullstream_decoder_finish(decoder_, now_ms, nullptr, nullptr), nullptr,
                      "pullstream_decoder_finish");
    }

    /// The one-line JSON summary (as `pullstream --json`, without the newline).
    [[nodiscard]] std::string summary_json() const {
        std::size_t len = 0;
        pullstream_status status = pullstream_decoder_summary_json(decoder_, nullptr, 0, &len);
        if (status != PULLSTREAM_STATUS_BUFFER_TOO_SMALL) {
            throw Error(status, "pullstream_decoder_summary_json");
        }
        std::string json(len + 1, '\0');
        status = pullstream_decoder_summary_json(decoder_, json.data(), json.size(), &len);
        if (status != PULLSTREAM_STATUS_OK) {
            throw Error(status, "pullstream_decoder_summary_json");
        }
        json.resize(len);
        return json;
    }

    /// The command-line tool's exit code for the summary.
    [[nodiscard]] int exit_code() const {
        int32_t code = 0;
        check(pullstream_decoder_exit_code(decoder_, &code), "pullstream_decoder_exit_code");
        return code;
    }

    /// The verdict as numbers; its strings live until the next non-const call.
    [[nodiscard]] pullstream_outcome outcome() {
        pullstream_outcome outcome{};
        check(pullstream_decoder_outcome(decoder_, &outcome), "pullstream_decoder_outcome");
        return outcome;
    }

    /// Progress so far.
    [[nodiscard]] pullstream_snapshot snapshot() const {
        pullstream_snapshot snapshot{};
        check(pullstream_decoder_snapshot(decoder_, &snapshot), "pullstream_decoder_snapshot");
        return snapshot;
    }

    /// Entry `index` of the layer table; its id lives until the next non-const call.
    [[nodiscard]] pullstream_layer layer(std::size_t index) const {
        pullstream_layer layer{};
        check(pullstream_decoder_layer(decoder_, index, &layer), "pullstream_decoder_layer");
        return layer;
    }

    /// The C handle, still owned by this object.
    [[nodiscard]] pullstream_decoder *get() const noexcept { return decoder_; }

  private:
    explicit Decoder(const pullstream_config *config) {
        check(pullstream_decoder_new(config, &decoder_), "pullstream_decoder_new");
    }

    template <class F>
    struct Trampoline {
        F &on_event;
        std::exception_ptr error;

        static int32_t call(void *userdata, const pullstream_event *raw) noexcept {
            auto *self = static_cast<Trampoline *>(userdata);
            try {
                Event event(*raw);
                if constexpr (std::is_void_v<std::invoke_result_t<F &, const Event &>>) {
                    self->on_event(event);
                    return 0;
                } else {
                    return self->on_event(event) == Flow::Pause ? 1 : 0;
                }
            } catch (...) {
                // Never unwind through the library: pause, and rethrow after the C call.
                self->error = std::current_exception();
                return 1;
            }
        }
    };

    static void check(pullstream_status status, const char *what) {
        if (status != PULLSTREAM_STATUS_OK) {
            throw Error(status, what);
        }
    }

    static Progress settle(pullstream_status status, const std::exception_ptr &error, const char *what) {
        if (error) {
            std::rethrow_exception(error);
        }
        switch (status) {
        case PULLSTREAM_STATUS_OK:
            return Progress::Done;
        case PULLSTREAM_STATUS_PAUSED:
            return Progress::Paused;
        case PULLSTREAM_STATUS_STOPPED:
            return Progress::Stopped;
        default:
            throw Error(status, what);
        }
    }

    pullstream_decoder *decoder_ = nullptr;
};

/// A malformed HTTP response: the library's text and the byte offset where it was found.
class HttpError : public Error {
  public:
    HttpError(pullstream_status status, const std::string &what, std::string message, uint64_t offset)
        : Error(status, what + ": " + message), message_(std::move(message)), offset_(offset) {}

    /// What was wrong, as the library says it.
    [[nodiscard]] const std::string &message() const noexcept { return message_; }
    /// The byte offset in the response where it was found.
    [[nodiscard]] uint64_t offset() const noexcept { return offset_; }

  private:
    std::string message_;
    uint64_t offset_;
};

/// How a response's body ended, as `HttpResponse::finish_into` found it.
enum class BodyEnd {
    Complete,   ///< the whole body arrived
    Truncated,  ///< cut short: for a 2xx response the decoder was told (verdict "truncated_body")
};

/// De-chunks one raw HTTP/1.1 response (status line, headers, chunked or identity body) for a
/// Decoder (owning, move-only):
///
///     pullstream::HttpResponse http;
///     pullstream::Decoder decoder;
///     for (std::string_view piece : socket_reads) {
///         http.feed(piece, [&](std::string_view body) { (void)decoder.feed(body, now_ms()); });
///     }
///     auto end = http.finish_into(decoder);   // before or after decoder.finish
class HttpResponse {
  public:
    HttpResponse() {
        pullstream_status status = pullstream_http_new(&http_);
        if (status != PULLSTREAM_STATUS_OK) {
            throw Error(status, "pullstream_http_new");
        }
    }
    ~HttpResponse() { pullstream_http_free(http_); }
    HttpResponse(const HttpResponse &) = delete;
    HttpResponse &operator=(const HttpResponse &) = delete;
    HttpResponse(HttpResponse &&other) noexcept : http_(std::exchange(other.http_, nullptr)) {}
    HttpResponse &operator=(HttpResponse &&other) noexcept {
        std::swap(http_, other.http_);
        return *this;
    }

    /// Feeds the next bytes of the response; `on_body(std::string_view)` receives each piece
    /// of body they complete, in order (valid only during the call). A malformed response
    /// throws HttpError after the body pieces before the error were handed out (feed those to
    /// the decoder as usual, then call finish_into: framing that breaks after the body began
    /// is a truncated body). An exception from `on_body` is rethrown once the C call returned;
    /// the pieces after it in this feed are dropped, so the stream is no longer whole.
    template <class F>
    void feed(std::string_view bytes, F &&on_body) {
        BodySink<F> sink{on_body, nullptr};
        pullstream_status status = pullstream_http_feed(
            http_, reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size(), &BodySink<F>::call, &sink);
        if (sink.error) {
            std::rethrow_exception(sink.error);
        }
        if (status != PULLSTREAM_STATUS_OK) {
            fail(status, "pullstream_http_feed");
        }
    }

    /// Ends the input (the connection closed) with no decoder to tell: a response cut short
    /// throws HttpError (`PULLSTREAM_STATUS_HTTP_TRUNCATED`).
    void finish() {
        pullstream_status status = pullstream_http_finish(http_);
        if (status != PULLSTREAM_STATUS_OK) {
            fail(status, "pullstream_http_finish");
        }
    }

    /// Ends the input and tells `decoder` (the one the body went to) how the body ended: a 2xx
    /// body cut short makes its verdict incomplete, "truncated_body". Returns Truncated for a
    /// body cut short (an error response's body keeps its own verdict); throws HttpError when
    /// the response was cut inside its head or broke before its body.
    [[nodiscard]] BodyEnd finish_into(Decoder &decoder) {
        pullstream_status status = pullstream_http_finish_into(http_, decoder.get());
        if (status == PULLSTREAM_STATUS_OK) {
            return BodyEnd::Complete;
        }
        if (status == PULLSTREAM_STATUS_HTTP_TRUNCATED && info().head_complete != 0) {
            return BodyEnd::Truncated;
        }
        fail(status, "pullstream_http_finish_into");
    }

    /// What is known about the response so far.
    [[nodiscard]] pullstream_http_info info() const {
        pullstream_http_info info{};
        pullstream_status status = pullstream_http_get_info(http_, &info);
        if (status != PULLSTREAM_STATUS_OK) {
            throw Error(status, "pullstream_http_get_info");
        }
        return info;
    }

    /// The HTTP status code, or 0 before the head has arrived.
    [[nodiscard]] uint16_t status() const { return info().status; }

    /// The C handle, still owned by this object.
    [[nodiscard]] pullstream_http *get() const noexcept { return http_; }

  private:
    template <class F>
    struct BodySink {
        F &on_body;
        std::exception_ptr error;

        static void call(void *userdata, pullstream_bytes body) noexcept {
            auto *self = static_cast<BodySink *>(userdata);
            if (self->error) {
                return;  // the callable threw on an earlier piece: it sees no more
            }
            try {
                self->on_body(view(body));
            } catch (...) {
                // Never unwind through the library: keep it, rethrow after the C call.
                self->error = std::current_exception();
            }
        }
    };

    [[noreturn]] void fail(pullstream_status status, const char *what) const {
        std::size_t len = 0;
        uint64_t offset = 0;
        std::string message;
        if (pullstream_http_last_error(http_, nullptr, 0, &len, &offset) == PULLSTREAM_STATUS_BUFFER_TOO_SMALL) {
            message.assign(len + 1, '\0');
            if (pullstream_http_last_error(http_, message.data(), message.size(), &len, &offset) ==
                PULLSTREAM_STATUS_OK) {
                message.resize(len);
            } else {
                message.clear();
            }
        }
        throw HttpError(status, what, message, offset);
    }

    pullstream_http *http_ = nullptr;
};

}  // namespace pullstream

#endif  // C++17
#endif  // PULLSTREAM_HPP
