"""Already-decoded records (feed_record, decode_records) and the stream helpers (iter_events,
aiter_events, decode_bytes): same verdicts as the bytes, a Summary at the end, a source that
breaks off counts as a cut stream."""

import asyncio
import collections
import json
import types

import pytest

import pullstream

PULL = (
    b'{"status":"Pulling from library/alpine","id":"3.20"}\r\n'
    b'{"status":"Pulling fs layer","progressDetail":{},"id":"0123456789ab"}\r\n'
    b'{"status":"Downloading","progressDetail":{"current":512,"total":1024},"id":"0123456789ab"}\r\n'
    b'{"status":"Pull complete","progressDetail":{},"id":"0123456789ab"}\r\n'
    b'{"status":"Digest: sha256:00ff"}\r\n'
    b'{"status":"Status: Downloaded newer image for alpine:3.20"}\r\n'
)
RECORDS = [json.loads(line) for line in PULL.splitlines()]
RATE_LIMIT = {"errorDetail": {"message": "toomanyrequests: slow down"}, "error": "toomanyrequests: slow down"}


def kinds(items):
    return [item["kind"] for item in items if not isinstance(item, pullstream.Summary)]


def test_encode_record_is_compact_utf8_json_and_one_line():
    assert pullstream.encode_record({"status": "Pulling", "id": "é"}) == '{"status":"Pulling","id":"é"}\n'.encode()
    # A lone surrogate (JSON "\ud800") has no UTF-8 form: the record is escaped instead.
    assert pullstream.encode_record({"status": "\ud800"}) == b'{"status":"\\ud800"}\n'
    with pytest.raises(TypeError):
        pullstream.encode_record(["not", "a", "record"])


def test_encode_record_takes_any_mapping_as_declared_and_names_what_is_not_json():
    proxy = types.MappingProxyType({"status": "Downloading", "progressDetail": types.MappingProxyType({"current": 1})})
    assert pullstream.encode_record(proxy) == b'{"status":"Downloading","progressDetail":{"current":1}}\n'
    assert pullstream.encode_record(collections.ChainMap({"id": "a"})) == b'{"id":"a"}\n'
    with pytest.raises(TypeError, match="bytes"):
        pullstream.encode_record({"status": b"Downloading"})


def test_feed_record_gives_the_events_and_verdict_of_the_bytes():
    with pullstream.Decoder() as by_bytes, pullstream.Decoder() as by_records:
        byte_events = by_bytes.feed(PULL, now_ms=0)
        record_events = [event for record in RECORDS for event in by_records.feed_record(record, now_ms=0)]
        assert kinds(record_events) == kinds(byte_events)
        assert [e["layer_id"] for e in record_events] == [e["layer_id"] for e in byte_events]
        assert by_records.finish(0)["summary_json"] == by_bytes.finish(0)["summary_json"]
    assert pullstream.decode_records(RECORDS).data["result"] == "downloaded"


def test_iter_events_yields_events_then_one_summary_for_bytes_dicts_or_both():
    items = list(pullstream.iter_events([PULL[:30], PULL[30:]]))
    assert isinstance(items[-1], pullstream.Summary)
    assert not any(isinstance(item, pullstream.Summary) for item in items[:-1])
    assert kinds(items)[0] == "pulling_from" and kinds(items)[-1] == "pull_finished"
    mixed = [RECORDS[0], PULL.split(b"\r\n", 1)[1]]
    assert list(pullstream.iter_events(mixed))[-1].json == items[-1].json
    assert items[-1].exit_code == 0 and items[-1].outcome == "success"
    assert items[-1].transport_error is None


def test_a_record_cut_at_the_end_arrives_from_finish():
    items = list(pullstream.iter_events([PULL[:-10]]))
    assert kinds(items)[-1] == "malformed"
    assert items[-1].data["incomplete_reason"] == "cut_mid_record"


def broken(items, error):
    yield from items
    raise error


def test_a_source_that_breaks_off_is_a_cut_stream_with_the_error_text():
    summary = pullstream.decode_bytes(broken([PULL[:200]], ConnectionResetError("peer reset")))
    assert summary.data["incomplete_reason"] == "truncated_body"
    assert summary.exit_code == 2
    assert summary.transport_error == "peer reset"
    # Even after a clean-looking end: the transport said the body was not whole.
    assert pullstream.decode_bytes(broken([PULL], OSError())).data["incomplete_reason"] == "truncated_body"
    assert pullstream.decode_bytes(broken([PULL], OSError())).transport_error == "OSError"
    # The daemon's error still wins.
    failed = pullstream.decode_records(broken([RECORDS[0], RATE_LIMIT], OSError("gone")))
    assert failed.data["outcome"] == "failed" and failed.exit_code == 1


def test_a_wrong_item_type_raises_instead_of_becoming_a_verdict():
    with pytest.raises(TypeError):
        list(pullstream.iter_events([PULL, "a str is neither bytes nor a record"]))


async def agen(items, error=None):
    for item in items:
        await asyncio.sleep(0)
        yield item
    if error is not None:
        raise error


async def collect(source):
    return [item async for item in pullstream.aiter_events(source)]


def test_aiter_events_matches_iter_events_for_bytes_and_dicts():
    expected = list(pullstream.iter_events([PULL], clock=lambda: 0))
    for source in ([PULL[i:i + 13] for i in range(0, len(PULL), 13)], RECORDS):
        items = asyncio.run(collect(agen(source)))
        assert kinds(items) == kinds(expected)
        assert items[-1].json == expected[-1].json


def test_aiter_events_counts_a_broken_source_as_cut_and_lets_cancellation_through():
    items = asyncio.run(collect(agen(RECORDS[:3], ConnectionResetError("closed"))))
    assert items[-1].data["incomplete_reason"] == "truncated_body"
    assert items[-1].transport_error == "closed"

    async def cancelled():
        with pytest.raises(asyncio.CancelledError):
            await collect(agen(RECORDS, asyncio.CancelledError()))

    asyncio.run(cancelled())
