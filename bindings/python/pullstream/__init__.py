"""Python bindings for pullstream (ctypes over the C API).

    import pullstream

    decoder = pullstream.Decoder()
    for chunk in chunks:                 # bytes from the Docker API, split anywhere
        for event in decoder.feed(chunk):
            print(event["kind"], event["layer_id"], event["progress_current"])
    result = decoder.finish()
    print(result["summary"]["outcome"], result["exit_code"])

Records someone else already decoded (docker-py with `decode=True`, aiodocker) go to
`Decoder.feed_record`, or all at once to `decode_records`; `iter_events` / `aiter_events` take
an iterable / async iterable of byte chunks or decoded records, yield every event and end with
a `Summary`.

The library is the one bundled in the installed package (`pip install ./bindings/python`), or
the one named by the `PULLSTREAM_LIB` environment variable (see `_ffi.py` for the full search).
A Decoder may be moved between threads but must not be used from two at once.
"""

from __future__ import annotations

import ctypes
import json
import time
from collections import abc
from dataclasses import dataclass
from typing import (
    Any,
    AsyncIterable,
    AsyncIterator,
    Callable,
    ClassVar,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    NoReturn,
    Optional,
    Tuple,
    TypedDict,
    TypeVar,
    Union,
)

from . import _ffi


__all__ = [
    "Decoder",
    "Event",
    "Finish",
    "HttpResponse",
    "PullstreamError",
    "Summary",
    "aiter_events",
    "decode_bytes",
    "decode_records",
    "encode_record",
    "iter_events",
    "status_name",
    "version",
]

_lib: Any = _ffi.load()

# Every enumeration's values and names, generated from the library's one list of them.
from ._constants import *  # noqa: F401,F403 (STATUS_*, EVENT_KIND_*, …, *_NAMES)
from ._constants import (
    PULL_RESULT_NAMES,
    STATUS_BUFFER_TOO_SMALL,
    STATUS_ERROR_LENGTH_LIMIT,
    STATUS_HTTP_TRUNCATED,
    STATUS_ID_LENGTH_LIMIT,
    STATUS_LAYER_LIMIT,
    STATUS_OK,
    STATUS_PAUSED,
    STALL_PHASE_EXTRACT,
    STALL_PHASE_TRANSFER,
    STATUS_SEGMENT_LIMIT,
    STATUS_STOPPED,
    STATUS_TEXT_LENGTH_LIMIT,
    UNIT_NAMES,
)

# The tracker's limits, named by their statuses (as pullstream_config_set_limit takes them).
LIMIT_STATUSES: Dict[str, int] = {
    "max_layers": STATUS_LAYER_LIMIT,
    "max_segments": STATUS_SEGMENT_LIMIT,
    "max_id_len": STATUS_ID_LENGTH_LIMIT,
    "max_text_len": STATUS_TEXT_LENGTH_LIMIT,
    "max_error_len": STATUS_ERROR_LENGTH_LIMIT,
}

_FLAG_HAS_ERROR_CODE = 1
_FLAG_RETRYABLE = 2
_FLAG_PROGRESS_HIDDEN = 4

# 0 is "none" in C: no value in Python.
_UNITS: Dict[int, Optional[str]] = {**UNIT_NAMES, 0: None}
_PULL_RESULTS: Dict[int, Optional[str]] = {**PULL_RESULT_NAMES, 0: None}


class Event(TypedDict):
    """One typed event, copied out of the library (it outlives the call that produced it)."""

    kind: str
    kind_code: int
    offset: int
    record: bytes
    status: Optional[str]
    id: Optional[str]
    layer_id: Optional[str]
    detail: Optional[str]
    tag: Optional[str]
    progress_current: Optional[int]
    progress_total: Optional[int]
    unit: Optional[str]
    progress_hidden: bool
    pull_result: Optional[str]
    size: Optional[int]
    retry_seconds: int
    failure_kind: Optional[str]
    error_code: Optional[int]
    retryable: bool
    error_status: Optional[str]
    error_message: Optional[str]


class Finish(TypedDict):
    """What `Decoder.finish` returns."""

    summary: Dict[str, Any]
    summary_json: str
    exit_code: int
    events: List[Event]


@dataclass(frozen=True)
class Summary:
    """The end of a decoded stream, as `iter_events`, `aiter_events`, `decode_bytes` and
    `decode_records` give it.

    `json` is the one-line summary exactly as `pullstream --json` prints it (without the
    newline), `data` the same parsed, `exit_code` the command-line tool's exit code for it.
    `transport_error` is the text of the exception the source raised when it broke off (a
    connection reset, aiohttp's ClientPayloadError, ...): the stream then counts as cut short
    (`incomplete_reason` "truncated_body" unless the daemon reported an error), and the
    exception is not re-raised.
    """

    json: str
    data: Dict[str, Any]
    exit_code: int
    transport_error: Optional[str] = None

    @property
    def outcome(self) -> str:
        """"success", "failed" or "incomplete"."""
        return str(self.data["outcome"])


# What the stream helpers take: raw byte chunks, or records someone else decoded.
Chunk = Union[bytes, bytearray, memoryview]
Record = Mapping[str, Any]
StreamItem = Union[bytes, bytearray, memoryview, Mapping[str, Any]]
Clock = Callable[[], int]


def version() -> str:
    """The library's version, e.g. "0.1.0"."""
    return str(_lib.pullstream_version().decode())


def status_name(status: int) -> str:
    """The name of a status code, e.g. "PULLSTREAM_STATUS_PAUSED"."""
    return str(_lib.pullstream_status_name(status).decode())


class PullstreamError(Exception):
    """A C call returned a status other than OK (or PAUSED/STOPPED where those are expected).

    `offset` and `body` are set by HttpResponse (the byte offset of a framing error and the
    body bytes that came before it)."""

    offset: int = 0
    body: bytes = b""

    def __init__(self, status: int, what: str) -> None:
        self.status = status
        self.name = status_name(status)
        super().__init__(f"{what}: {self.name}")


def _check(status: int, what: str) -> None:
    if status != STATUS_OK:
        raise PullstreamError(status, what)


def _bytes(value: Any) -> Optional[bytes]:
    if not value.ptr:
        return None
    return ctypes.string_at(value.ptr, value.len)


def _text(value: Any) -> Optional[str]:
    raw = _bytes(value)
    return None if raw is None else raw.decode("utf-8")


def _unknown_is_none(number: int) -> Optional[int]:
    return None if number < 0 else number


def _event_dict(event: Any) -> Event:
    """Copies one C event into a dict (the C struct dies with the callback)."""
    failure = event.failure_kind
    return {
        "kind": _lib.pullstream_event_kind_name(event.kind).decode(),
        "kind_code": event.kind,
        "offset": event.offset,
        "record": _bytes(event.record) or b"",
        "status": _text(event.status),
        "id": _text(event.id),
        "layer_id": _text(event.layer_id),
        "detail": _text(event.detail),
        "tag": _text(event.tag),
        "progress_current": _unknown_is_none(event.progress_current),
        "progress_total": _unknown_is_none(event.progress_total),
        "unit": _UNITS.get(event.progress_unit),
        "progress_hidden": bool(event.flags & _FLAG_PROGRESS_HIDDEN),
        "pull_result": _PULL_RESULTS.get(event.pull_result),
        "size": _unknown_is_none(event.size),
        "retry_seconds": event.retry_seconds,
        "failure_kind": _lib.pullstream_failure_kind_name(failure).decode() if failure else None,
        "error_code": event.error_code if event.flags & _FLAG_HAS_ERROR_CODE else None,
        "retryable": bool(event.flags & _FLAG_RETRYABLE),
        "error_status": status_name(event.error_status) if event.error_status else None,
        "error_message": _text(event.error_message),
    }


def _now_ms() -> int:
    return time.monotonic_ns() // 1_000_000


def encode_record(record: Record) -> bytes:
    """The bytes `Decoder.feed_record` feeds for `record`: compact JSON, UTF-8 as it is (no
    \\u escapes), one line feed.

    A record decoded upstream has lost what only its bytes held: the order of duplicate keys,
    the spelling of numbers and escapes, and every stretch the upstream decoder could not
    parse (so `malformed_records` counts only what pullstream itself saw). Verdicts, events
    and counts of well-formed records are the same as for the original bytes."""
    if not isinstance(record, abc.Mapping):
        raise TypeError(f"a decoded record is a mapping (a JSON object), not {type(record).__name__}")
    # json.dumps writes dicts only: any other Mapping (the declared type), at the top or nested,
    # goes through _mapping_as_dict.
    text = json.dumps(record, separators=(",", ":"), ensure_ascii=False, default=_mapping_as_dict)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (from a JSON \ud800 escape) has no UTF-8 form: escape this record.
        data = json.dumps(record, separators=(",", ":"), default=_mapping_as_dict).encode("ascii")
    return data + b"\n"


def _mapping_as_dict(value: Any) -> Dict[Any, Any]:
    if isinstance(value, abc.Mapping):
        return dict(value)
    raise TypeError(f"a decoded record holds JSON values only, not {type(value).__name__} ({value!r:.60})")


_SelfHandle = TypeVar("_SelfHandle", bound="_Handle")


class _Handle:
    """Owns one C handle: freed by close(), by `with`, or by the garbage collector."""

    _handle: Any = None
    _FREE: ClassVar[Callable[[Any], None]]  # the library's free function for this handle type
    _NAME: ClassVar[str] = "handle"

    def close(self) -> None:
        """Frees the C handle (also done by the garbage collector and by `with`)."""
        if self._handle is not None:
            type(self)._FREE(self._handle)
            self._handle = None

    def __enter__(self: _SelfHandle) -> _SelfHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def _live(self) -> Any:
        if self._handle is None:
            raise ValueError(f"the {self._NAME} is closed")
        return self._handle


def _limit_setter(status: int) -> Callable[[Any, int], int]:
    return lambda config, value: int(_lib.pullstream_config_set_limit(config, status, value))


class Decoder(_Handle):
    """A stream decoder: feed bytes, get event dicts, then finish() for the verdict.

    Options (all optional): max_record_len, max_depth, stop_at_first_error, max_layers,
    max_segments, max_id_len, max_text_len, max_error_len, stall_transfer_ms, stall_extract_ms,
    min_bytes_per_sec, rate_window_ms.
    """

    _FREE = _lib.pullstream_decoder_free
    _NAME = "decoder"

    _SETTERS: ClassVar[Dict[str, Callable[[Any, Any], int]]] = {
        "max_record_len": _lib.pullstream_config_set_max_record_len,
        "max_depth": _lib.pullstream_config_set_max_depth,
        "stop_at_first_error": lambda c, v: _lib.pullstream_config_set_stop_at_first_error(c, 1 if v else 0),
        **{name: _limit_setter(status) for name, status in LIMIT_STATUSES.items()},
        "stall_transfer_ms": lambda c, v: _lib.pullstream_config_set_stall_after_ms(c, STALL_PHASE_TRANSFER, v),
        "stall_extract_ms": lambda c, v: _lib.pullstream_config_set_stall_after_ms(c, STALL_PHASE_EXTRACT, v),
        "min_bytes_per_sec": _lib.pullstream_config_set_min_bytes_per_sec,
        "rate_window_ms": _lib.pullstream_config_set_rate_window_ms,
    }

    def __init__(self, **options: int) -> None:
        self._handle = None
        self.stopped = False
        config = ctypes.POINTER(_ffi.Config)()
        _check(_lib.pullstream_config_new(ctypes.byref(config)), "pullstream_config_new")
        try:
            for name, value in options.items():
                setter = self._SETTERS.get(name)
                if setter is None:
                    raise TypeError(f"unknown option {name!r}")
                _check(setter(config, value), name)
            handle = ctypes.POINTER(_ffi.Decoder)()
            _check(_lib.pullstream_decoder_new(config, ctypes.byref(handle)), "pullstream_decoder_new")
            self._handle = handle
        finally:
            _lib.pullstream_config_free(config)

    def _deliver(self, call: Callable[[Any], int], what: str) -> List[Event]:
        """Runs a feed/finish call, collecting every event; resumes after pauses."""
        events: List[Event] = []
        failure: List[BaseException] = []

        def on_event(_userdata: Any, event: Any) -> int:
            try:
                events.append(_event_dict(event.contents))
                return 0
            except BaseException as error:  # never unwind through C: pause and re-raise
                failure.append(error)
                return 1

        callback = _ffi.EventCallback(on_event)
        status = call(callback)
        if failure:
            raise failure[0]
        while status == STATUS_PAUSED:
            status = call(callback)
            if failure:
                raise failure[0]
        if status == STATUS_STOPPED:
            self.stopped = True
        elif status != STATUS_OK:
            raise PullstreamError(status, what)
        return events

    def feed(self, data: Chunk, now_ms: Optional[int] = None) -> List[Event]:
        """Feeds the next bytes of the stream; returns the events they completed, as dicts."""
        handle = self._live()
        data = bytes(data)
        now = _now_ms() if now_ms is None else now_ms
        buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data) if data else None
        first = [True]

        def call(callback: Any) -> int:
            # After a pause, resume with an empty chunk: the bytes were already taken.
            if first[0]:
                first[0] = False
                return int(_lib.pullstream_decoder_feed(handle, buffer, len(data), now, callback, None))
            return int(_lib.pullstream_decoder_feed(handle, None, 0, now, callback, None))

        return self._deliver(call, "pullstream_decoder_feed")

    def feed_record(self, record: Record, now_ms: Optional[int] = None) -> List[Event]:
        """Feeds one record that someone else already decoded: a dict, as docker-py's
        `pull(..., stream=True, decode=True)` and aiodocker's `pull(..., stream=True)` yield.

        It is serialised back (`encode_record`: compact JSON, one line) and fed like bytes, so
        the events and verdict are those of the record's bytes. What the upstream decoder
        dropped is lost: malformed stretches between records, and a record cut off at the end
        (the verdict then says "no_terminal_status" where the bytes would say
        "cut_mid_record"). Raw bytes remain the better input when you have them."""
        return self.feed(encode_record(record), now_ms)

    def finish(self, now_ms: Optional[int] = None) -> Finish:
        """Ends the stream. Returns {"summary": dict, "summary_json": str, "exit_code": int,
        "events": [events delivered by finish, e.g. a record cut off at the end]}."""
        handle = self._live()
        now = _now_ms() if now_ms is None else now_ms
        events = self._deliver(
            lambda callback: int(_lib.pullstream_decoder_finish(handle, now, callback, None)),
            "pullstream_decoder_finish",
        )
        text = self.summary_json()
        summary: Dict[str, Any] = json.loads(text)
        return {"summary": summary, "summary_json": text, "exit_code": self.exit_code(), "events": events}

    def set_truncated_body(self) -> None:
        """Tells the decoder that the transport ended the body before its own end (an HTTP body
        cut short, a connection your client saw drop): the verdict becomes incomplete with
        incomplete_reason "truncated_body" (exit code 2) unless the daemon reported an error.
        Any time, before or after finish(). HttpResponse.finish(decoder) calls it for you."""
        _check(_lib.pullstream_decoder_set_truncated_body(self._live()), "pullstream_decoder_set_truncated_body")

    def summary_json(self) -> str:
        """The one-line JSON summary, exactly as `pullstream --json` prints it (no newline)."""
        handle = self._live()
        length = ctypes.c_size_t(0)
        status = _lib.pullstream_decoder_summary_json(handle, None, 0, ctypes.byref(length))
        if status != STATUS_BUFFER_TOO_SMALL:
            raise PullstreamError(status, "pullstream_decoder_summary_json")
        buffer = ctypes.create_string_buffer(length.value + 1)
        _check(_lib.pullstream_decoder_summary_json(handle, buffer, len(buffer), ctypes.byref(length)),
               "pullstream_decoder_summary_json")
        return buffer.raw[: length.value].decode("utf-8")

    def exit_code(self) -> int:
        """The command-line tool's exit code for the summary (0, 1, 2 or 3)."""
        code = ctypes.c_int32(0)
        _check(_lib.pullstream_decoder_exit_code(self._live(), ctypes.byref(code)), "pullstream_decoder_exit_code")
        return code.value

    def snapshot(self) -> Dict[str, Any]:
        """Progress so far, as a dict (rates and ETA are None when unknown)."""
        snapshot = _ffi.Snapshot()
        _check(_lib.pullstream_decoder_snapshot(self._live(), ctypes.byref(snapshot)), "pullstream_decoder_snapshot")
        out: Dict[str, Any] = {name: getattr(snapshot, name) for name, _ in _ffi.Snapshot.C_FIELDS}
        for name in ("bytes_per_sec", "eta_secs"):
            out[name] = _unknown_is_none(out[name])
        return out

    def layers(self) -> List[Dict[str, Any]]:
        """The layer table: a list of dicts, in order of first appearance."""
        handle = self._live()
        count = self.snapshot()["layer_count"]
        out: List[Dict[str, Any]] = []
        for index in range(count):
            layer = _ffi.Layer()
            _check(_lib.pullstream_decoder_layer(handle, index, ctypes.byref(layer)), "pullstream_decoder_layer")
            entry: Dict[str, Any] = {name: getattr(layer, name) for name, _ in _ffi.Layer.C_FIELDS}
            entry["id"] = _text(layer.id)
            out.append(entry)
        return out

    def poll_stalls(self, now_ms: Optional[int] = None) -> List[Dict[str, Any]]:
        """Layers newly found stalled at `now_ms`: a list of {"layer_id", "phase", "idle_ms", ...}."""
        stalls: List[Dict[str, Any]] = []

        def on_stall(_userdata: Any, stall: Any) -> None:
            s = stall.contents
            stalls.append({"layer_id": _text(s.layer_id), "phase": s.phase, "reason": s.reason,
                           "idle_ms": s.idle_ms, "bytes_per_sec": s.bytes_per_sec})

        callback = _ffi.StallCallback(on_stall)
        now = _now_ms() if now_ms is None else now_ms
        _check(_lib.pullstream_decoder_poll_stalls(self._live(), now, callback, None, None),
               "pullstream_decoder_poll_stalls")
        return stalls

    def last_error(self) -> Tuple[Optional[str], int, str]:
        """(status name or None, offset, message) of the last decode error."""
        buffer = ctypes.create_string_buffer(1024)
        length = ctypes.c_size_t(0)
        offset = ctypes.c_uint64(0)
        status = ctypes.c_uint32(0)
        result = _lib.pullstream_decoder_last_error(self._live(), buffer, len(buffer), ctypes.byref(length),
                                                    ctypes.byref(offset), ctypes.byref(status))
        if result == STATUS_BUFFER_TOO_SMALL:
            buffer = ctypes.create_string_buffer(length.value + 1)
            result = _lib.pullstream_decoder_last_error(self._live(), buffer, len(buffer), ctypes.byref(length),
                                                        ctypes.byref(offset), ctypes.byref(status))
        _check(result, "pullstream_decoder_last_error")
        name = status_name(status.value) if status.value else None
        return name, offset.value, buffer.raw[: length.value].decode("utf-8")


class HttpResponse(_Handle):
    """De-chunks one raw HTTP/1.1 response (status line, headers, chunked or identity body),
    for callers that read the Docker socket themselves:

        http = pullstream.HttpResponse()
        decoder = pullstream.Decoder()
        for piece in socket_reads:
            events = decoder.feed(http.feed(piece))
        http.finish(decoder)
        result = decoder.finish()

    `feed` returns the body bytes the piece completed. Malformed responses raise
    PullstreamError (with `offset`); `status` is the HTTP status once the head has arrived.
    `finish(decoder)` tells the decoder when a success response's body was cut short, so its
    verdict says "truncated_body" instead of trusting a clean-looking end.
    """

    _FREE = _lib.pullstream_http_free
    _NAME = "response decoder"

    def __init__(self) -> None:
        handle = ctypes.POINTER(_ffi.Http)()
        _check(_lib.pullstream_http_new(ctypes.byref(handle)), "pullstream_http_new")
        self._handle = handle

    def _raise(self, status: int, what: str, body: bytes = b"") -> NoReturn:
        message = ctypes.create_string_buffer(512)
        length = ctypes.c_size_t(0)
        offset = ctypes.c_uint64(0)
        _lib.pullstream_http_last_error(self._live(), message, len(message), ctypes.byref(length), ctypes.byref(offset))
        error = PullstreamError(status, f"{what}: {message.value.decode('utf-8', 'replace')}")
        error.offset = offset.value
        error.body = body
        raise error

    def feed(self, data: Chunk) -> bytes:
        """Feeds the next bytes of the response; returns the body bytes they completed.

        A malformed response raises PullstreamError; its `body` holds the body bytes that came
        before the error in this piece (feed them to the decoder too, then call
        `finish(decoder)`: framing that breaks after the body began is a truncated body)."""
        data = bytes(data)
        body: List[bytes] = []

        def on_body(_userdata: Any, piece: Any) -> None:
            body.append(ctypes.string_at(piece.ptr, piece.len) if piece.len else b"")

        callback = _ffi.BodyCallback(on_body)
        buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data) if data else None
        status = _lib.pullstream_http_feed(self._live(), buffer, len(data), callback, None)
        if status != STATUS_OK:
            self._raise(status, "pullstream_http_feed", b"".join(body))
        return b"".join(body)

    def finish(self, decoder: Optional[Decoder] = None) -> None:
        """Ends the input.

        Without a decoder, raises PullstreamError when the response was cut short. With the
        Decoder the body went to, a body cut short (also by chunked framing that broke after
        the body began) is told to it instead of raised (a 2xx body's verdict becomes
        incomplete, "truncated_body"; an error response keeps the verdict of its JSON
        message); a response cut inside its head, or broken before its body, still raises."""
        if decoder is None:
            status = _lib.pullstream_http_finish(self._live())
            if status != STATUS_OK:
                self._raise(status, "pullstream_http_finish")
            return
        status = _lib.pullstream_http_finish_into(self._live(), decoder._live())
        if status == STATUS_OK or (status == STATUS_HTTP_TRUNCATED and self.info()["head_complete"]):
            return
        self._raise(status, "pullstream_http_finish_into")

    def info(self) -> Dict[str, Any]:
        """{"status", "head_complete", "chunked", "complete", "body_len"} so far."""
        info = _ffi.HttpInfo()
        _check(_lib.pullstream_http_get_info(self._live(), ctypes.byref(info)), "pullstream_http_get_info")
        return {
            "status": info.status or None,
            "head_complete": bool(info.head_complete),
            "chunked": bool(info.chunked),
            "complete": bool(info.complete),
            "body_len": info.body_len,
        }

    @property
    def status(self) -> Optional[int]:
        """The HTTP status code, or None before the head has arrived."""
        status: Optional[int] = self.info()["status"]
        return status


def _feed_item(decoder: Decoder, item: StreamItem, now_ms: int) -> List[Event]:
    if isinstance(item, (bytes, bytearray, memoryview)):
        return decoder.feed(item, now_ms)
    if isinstance(item, abc.Mapping):
        return decoder.feed_record(item, now_ms)
    raise TypeError(f"a stream item is bytes or a decoded record (a mapping), not {type(item).__name__}")


def _summarise(decoder: Decoder, now_ms: int, transport_error: Optional[BaseException]) -> Tuple[List[Event], Summary]:
    if transport_error is not None:
        decoder.set_truncated_body()
    finish = decoder.finish(now_ms)
    text = None if transport_error is None else (str(transport_error) or type(transport_error).__name__)
    return finish["events"], Summary(finish["summary_json"], finish["summary"], finish["exit_code"], text)


def iter_events(
    source: Iterable[StreamItem], clock: Optional[Clock] = None, **options: int
) -> Iterator[Union[Event, Summary]]:
    """Decodes a whole stream: yields every event, then one `Summary` (always the last item).

    `source` yields byte chunks (docker-py's `pull(..., stream=True, decode=False)`, any
    socket or HTTP body) or already-decoded records (`decode=True`), or both. When iterating
    `source` raises an exception (a connection reset mid-body), the stream counts as cut short
    and the Summary carries the exception's text in `transport_error`; exceptions from the
    decoder itself (a wrong item type) propagate. `clock` gives milliseconds for rates and
    stalls (default: time.monotonic); `options` are Decoder's."""
    now = clock or _now_ms
    with Decoder(**options) as decoder:
        iterator = iter(source)
        broke_off: Optional[BaseException] = None
        while True:
            try:
                item = next(iterator)
            except StopIteration:
                break
            except Exception as error:  # the transport broke off: a verdict, not a crash
                broke_off = error
                break
            yield from _feed_item(decoder, item, now())
        events, summary = _summarise(decoder, now(), broke_off)
        yield from events
        yield summary


async def aiter_events(
    source: AsyncIterable[StreamItem], clock: Optional[Clock] = None, **options: int
) -> AsyncIterator[Union[Event, Summary]]:
    """`iter_events` for asyncio: `source` is an async iterable of byte chunks (aiohttp's
    `resp.content.iter_chunked(n)`, `iter_any()`) or of decoded records (aiodocker's
    `docker.images.pull(..., stream=True)`). Yields every event, then one `Summary`.

    Decoding runs in the event loop (it is fast: no I/O, no sleeping); cancellation is not
    caught. An exception raised by `source` counts as a cut stream, as in `iter_events`."""
    now = clock or _now_ms
    with Decoder(**options) as decoder:
        iterator = source.__aiter__()
        broke_off: Optional[BaseException] = None
        while True:
            try:
                item = await iterator.__anext__()
            except StopAsyncIteration:
                break
            except Exception as error:  # the transport broke off: a verdict, not a crash
                broke_off = error
                break
            for event in _feed_item(decoder, item, now()):
                yield event
        events, summary = _summarise(decoder, now(), broke_off)
        for event in events:
            yield event
        yield summary


def _last_summary(items: Iterator[Union[Event, Summary]]) -> Summary:
    summary: Optional[Summary] = None
    for item in items:
        if isinstance(item, Summary):
            summary = item
    assert summary is not None  # iter_events always ends with one
    return summary


def decode_bytes(chunks: Iterable[Chunk], clock: Optional[Clock] = None, **options: int) -> Summary:
    """Decodes a whole stream of byte chunks and returns its Summary (events are dropped)."""
    return _last_summary(iter_events(chunks, clock, **options))


def decode_records(records: Iterable[Record], clock: Optional[Clock] = None, **options: int) -> Summary:
    """Decodes a whole stream of already-decoded records (docker-py's `decode=True`) and
    returns its Summary. The same as feeding the records' bytes, except what the upstream
    decoder dropped (see `Decoder.feed_record`)."""
    return _last_summary(iter_events(records, clock, **options))
