"""The Python Decoder over the C library: fixtures, chunking, events, errors."""

import json
import pathlib

import pytest

import pullstream

FIXTURES = pathlib.Path(__file__).resolve().parents[3] / "tests" / "fixtures"
STREAMS = sorted(FIXTURES.glob("*.stream"))

PULL = (
    b'{"status":"Pulling from library/alpine","id":"3.20"}\r\n'
    b'{"status":"Pulling fs layer","progressDetail":{},"id":"0123456789ab"}\r\n'
    b'{"status":"Downloading","progressDetail":{"current":512,"total":-1},'
    b'"progress":"[=\\u003e  ] 512B","id":"0123456789ab"}\r\n'
    b'{"status":"Pull complete","progressDetail":{},"id":"0123456789ab"}\r\n'
    b'{"status":"Digest: sha256:00ff"}\r\n'
    b'{"status":"Status: Downloaded newer image for alpine:3.20"}\r\n'
)


def run(stream, chunk):
    decoder = pullstream.Decoder()
    events = []
    for at in range(0, len(stream), chunk):
        events += decoder.feed(stream[at:at + chunk], now_ms=0)
    result = decoder.finish(now_ms=0)
    events += result["events"]
    decoder.close()
    return events, result


def test_fixtures_exist():
    assert len(STREAMS) >= 10


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.stem)
def test_every_fixture_reaches_its_expected_verdict(path):
    expect = json.loads(path.with_suffix("").with_suffix(".expect.json").read_text())
    stream = path.read_bytes()
    events, result = run(stream, 4096)
    for key, value in expect.items():
        assert result["summary"][key] == value, key
    assert result["summary_json"] == json.dumps(result["summary"], separators=(",", ":"), ensure_ascii=False)
    # Any chunking gives the same events and summary.
    for chunk in (1, 7, 100):
        assert run(stream, chunk) == (events, result)


def test_event_dicts_carry_decoded_fields():
    decoder = pullstream.Decoder()
    events = decoder.feed(PULL)
    assert [e["kind"] for e in events] == [
        "pulling_from", "pulling_fs_layer", "downloading", "pull_complete", "digest", "pull_finished"]
    first, downloading = events[0], events[2]
    assert first["detail"] == "library/alpine"
    assert first["tag"] == "3.20"
    assert first["layer_id"] is None
    assert first["offset"] == 0
    assert first["record"] == PULL.split(b"\r\n")[0]
    assert downloading["layer_id"] == "0123456789ab"
    assert (downloading["progress_current"], downloading["progress_total"]) == (512, None)
    assert downloading["unit"] == "bytes"
    assert events[5]["pull_result"] == "downloaded"
    assert events[5]["detail"] == "alpine:3.20"
    result = decoder.finish()
    assert result["exit_code"] == 0
    assert result["summary"]["outcome"] == "success"
    assert decoder.layers()[0]["id"] == "0123456789ab"
    assert decoder.snapshot()["records"] == 6


def test_daemon_errors_and_malformed_bytes():
    decoder = pullstream.Decoder()
    events = decoder.feed(b'<html>\n{"errorDetail":{"message":"toomanyrequests: slow down"},'
                          b'"error":"toomanyrequests: slow down"}\r\n{"status":"cut')
    assert events[0]["kind"] == "malformed"
    assert events[0]["error_status"] == "PULLSTREAM_STATUS_NOT_JSON"
    assert events[0]["error_message"].startswith("byte 0: not JSON")
    assert events[1]["kind"] == "error"
    assert events[1]["failure_kind"] == "rate_limited"
    assert events[1]["retryable"] is True
    assert events[1]["error_message"] == "toomanyrequests: slow down"
    result = decoder.finish()
    assert [e["error_status"] for e in result["events"]] == ["PULLSTREAM_STATUS_TRUNCATED"]
    assert result["exit_code"] == 1
    assert decoder.last_error()[0] == "PULLSTREAM_STATUS_TRUNCATED"


def test_options_reach_the_decoder():
    decoder = pullstream.Decoder(max_record_len=64, stop_at_first_error=False)
    events = decoder.feed(b'{"status":"' + b"x" * 100 + b'"}\n' + PULL)
    assert events[0]["error_status"] == "PULLSTREAM_STATUS_RECORD_TOO_LARGE"
    strict = pullstream.Decoder(stop_at_first_error=True)
    assert len(strict.feed(b"<html>\n" + PULL)) == 1
    assert strict.stopped
    with pytest.raises(TypeError):
        pullstream.Decoder(no_such_option=1)


def test_tracker_limits_reach_the_decoder_and_are_announced_once():
    decoder = pullstream.Decoder(max_segments=1, max_text_len=16)
    stream = b"".join(
        b'{"status":"Pulling from library/%s","id":"latest"}\n' % name for name in (b"a", b"b", b"c" * 40)
    )
    notices = [e for e in decoder.feed(stream) if e["kind"] == "tracker_limit"]
    assert [(e["error_status"], e["size"]) for e in notices] == [
        ("PULLSTREAM_STATUS_SEGMENT_LIMIT", 1),
        ("PULLSTREAM_STATUS_TEXT_LENGTH_LIMIT", 16),
    ]
    assert "images" in notices[0]["error_message"]


def test_limit_statuses_match_the_header():
    header = (pathlib.Path(__file__).resolve().parents[3] / "include" / "pullstream.h").read_text()
    names = {"max_layers": "LAYER", "max_segments": "SEGMENT", "max_id_len": "ID_LENGTH",
             "max_text_len": "TEXT_LENGTH", "max_error_len": "ERROR_LENGTH"}
    for option, status in pullstream.LIMIT_STATUSES.items():
        assert f"PULLSTREAM_STATUS_{names[option]}_LIMIT = {status}," in header


def test_stalls_use_the_callers_clock():
    decoder = pullstream.Decoder(stall_transfer_ms=5_000)
    decoder.feed(b'{"status":"Downloading","progressDetail":{"current":1,"total":9},"id":"0123456789ab"}\n',
                 now_ms=1_000)
    assert decoder.poll_stalls(now_ms=2_000) == []
    stalls = decoder.poll_stalls(now_ms=7_000)
    assert [(s["layer_id"], s["idle_ms"]) for s in stalls] == [("0123456789ab", 6_000)]
    assert decoder.poll_stalls(now_ms=9_000) == []


def test_misuse_raises():
    decoder = pullstream.Decoder()
    decoder.finish()
    with pytest.raises(pullstream.PullstreamError) as error:
        decoder.feed(b"{}")
    assert error.value.name == "PULLSTREAM_STATUS_INVALID_STATE"
    decoder.close()
    decoder.close()  # closing twice is fine
    with pytest.raises(ValueError):
        decoder.feed(b"{}")
    with pullstream.Decoder() as scoped:
        assert scoped.feed(b"") == []


def test_version_and_names():
    assert pullstream.version().count(".") == 2
    assert pullstream.status_name(6) == "PULLSTREAM_STATUS_PAUSED"
    assert pullstream.status_name(4242) == "PULLSTREAM_STATUS_UNKNOWN"
