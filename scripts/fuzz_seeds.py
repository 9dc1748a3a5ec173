#!/usr/bin/env python3
"""Writes the fuzz seed corpus, fuzz/seeds/<target>/, from tests/fixtures/*.stream.

The layouts are the ones `fuzz/fuzz_body.rs` decodes:
  whole    the stream bytes as they are;
  chunked  [len_lo, len_hi, depth, flags, pause, ncuts, (cut_lo, cut_hi) x ncuts, data...]
           (see ChunkedCase::from_bytes);
  http     the fixture as an HTTP/1.1 response (Content-Length or chunked), in the chunked
           layout;
  c_api    a sequence of C calls (see c_api_body::check_c_api);
  tracker  [max_layers, stall_transfer u16, stall_extract u16, min_rate u16, window u16, ops...]
           with each fixture record turned into one op (see TrackerCase::from_bytes).
Deterministic: the same fixtures always give the same seeds. Run it again after adding fixtures:
    python3 scripts/fuzz_seeds.py
"""
import hashlib
import json
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
SEEDS = os.path.join(ROOT, "fuzz", "seeds")

# Must match fuzz_body::SHAPES, in order.
SHAPES = [
    "Pulling from {text}", "Pulling fs layer", "Waiting", "Downloading", "Verifying Checksum",
    "Download complete", "Extracting", "Pull complete", "Already exists", "Retrying in {n} seconds",
    "Digest: sha256:{text}", "Status: Downloaded newer image for {text}",
    "Status: Image is up to date for {text}", "The push refers to repository [{text}]",
    "Preparing", "Pushing", "Pushed", "Layer already exists", "Mounted from {text}",
    "{text}: digest: sha256:{text} size: {n}", "Loading layer", "Downloading from {text}",
    "Importing",
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "Pulling repository {text}", "Exists", "{text}", "<error>", "<aux>", "<stream>", "<empty>",
    "<message>",
]


def records(data):
    """The JSON objects of a fixture (any framing), skipping what does not parse."""
    decoder = json.JSONDecoder()
    text = data.decode("utf-8", "replace")
    pos = 0
    while True:
        start = text.find("{", pos)
        if start < 0:
            return
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            pos = start + 1
            continue
        pos = end
        if isinstance(value, dict):
            yield value


def short(text):
    raw = str(text).encode("utf-8")[:23]
    return bytes([len(raw)]) + raw


def shape_of(record):
    """(shape index, text) for one record."""
    if record.get("errorDetail") or record.get("error"):
        return 27, record.get("error") or ""
    if "aux" in record:
        return 28, ""
    if "stream" in record:
        return 29, record["stream"]
    status = record.get("status")
    if status is None:
        return (31, record["message"]) if "message" in record else (30, "")
    if status in SHAPES:
        return SHAPES.index(status), ""
    for index, shape in enumerate(SHAPES):
        if "{text}" in shape and shape.endswith("{text}"):
            prefix = shape[: -len("{text}")]
            if prefix and status.startswith(prefix):
                return index, status[len(prefix):]
    return 26, status


def number(value):
    """(mode, bytes) for current/total: mode 0 absent, 2 is -1, 3 an i64."""
    if not isinstance(value, int):
        return 0, b""
    if value == -1:
        return 2, b""
    return 3, struct.pack("<q", value)


def tracker_seed(data):
    out = bytearray([8]) + struct.pack("<HHHH", 3000, 6000, 0, 1000)
    ids = {}
    for i, record in enumerate(records(data)):
        shape, text = shape_of(record)
        tag = 1 + (i % 7)
        out += bytes([tag]) + struct.pack("<H", 250)
        out += bytes([shape])
        layer = record.get("id")
        if layer is None:
            out += bytes([0])
        elif len(ids) < 6 or layer in ids:
            out += bytes([ids.setdefault(layer, len(ids) + 1)])
        else:
            out += bytes([7]) + short(layer)
        out += short(text)
        detail = record.get("progressDetail") or {}
        cmode, cbytes = number(detail.get("current"))
        tmode, tbytes = number(detail.get("total"))
        flags = cmode | tmode << 2
        flags |= 0x10 if detail.get("units") == "s" else 0
        flags |= 0x20 if detail.get("hidecounts") else 0
        out += bytes([flags]) + cbytes + tbytes + bytes([i % 2 * 2])
        if i % 5 == 4:
            out += bytes([0]) + struct.pack("<H", 40000)  # a poll_stalls call
    return bytes(out)


def c_api_seed(data, variant):
    """A call sequence (see c_api_body::check_c_api): config, decoder, the fixture fed in pieces
    with pauses, every query, finish, feed after finish, free and recreate."""
    out = bytearray()
    out += bytes([0x00])                                   # config_new (slot 0)
    out += bytes([0x02, 3, 1, 5, 0])                       # set_max_layers(5)
    out += bytes([0x02, 4, 2]) + struct.pack("<H", 2000) + bytes([0])  # transfer stall 2 s
    if variant == 1:
        out += bytes([0x02, 0, 1, 200, 0])                 # max_record_len 200
        out += bytes([0x02, 2, 1, 1, 0])                   # stop_at_first_error
    out += bytes([0x03])                                   # decoder_new(slot 0)
    step = 300 if variant == 0 else 97
    for i, start in enumerate(range(0, len(data), step)):
        piece = data[start:start + step]
        mode = (0x10 if i % 2 else 0x30) | (2 << 1)        # callback, pause every 1 or 3
        out += bytes([0x04]) + struct.pack("<H", len(piece)) + piece
        out += struct.pack("<H", (i * 500) % 65536) + bytes([mode])
        out += bytes([0x04, 0, 0, 0, 0, 0x00])             # feed(NULL, 0): resume
        if i % 3 == 0:
            out += bytes([0x07, 4, 0x08, 0x09, i % 7, 0x0a]) + struct.pack("<I", i * 3000)
            out += bytes([0x0b, 2])
    out += bytes([0x06, 0x10, 0x06, 0x00])                 # finish (pausing), finish
    out += bytes([0x07, 4, 0x07, 1, 10, 0x08, 0x09, 0, 0x0b, 1, 8])
    out += bytes([0x04, 3, 0, 0x7b, 0x7d, 0x0a, 0, 0, 0])  # feed after finish
    out += bytes([0x83, 0x0c, 0x8c, 0x03])                 # NULL out, free, free(NULL), recreate
    out += bytes([0x0d]) + struct.pack("<I", 0xFFFFFFFF) + bytes([0x0d, 7, 0, 0, 0])
    return bytes(out)


def http_seeds(data, index):
    """The fixture as the body of an HTTP/1.1 response (layout of chunked seeds)."""
    head = b"HTTP/1.1 200 OK\r\nApi-Version: 1.45\r\nContent-Type: application/json\r\n"
    if index % 3 == 0:
        wire = head + b"Content-Length: %d\r\n\r\n" % len(data) + data
    else:
        wire = head + b"Transfer-Encoding: chunked\r\n\r\n"
        step = 37 + 50 * (index % 5)
        for start in range(0, len(data), step):
            piece = data[start:start + step]
            ext = b";x=1" if start == 0 and index % 2 else b""
            wire += b"%x%s\r\n" % (len(piece), ext) + piece + b"\r\n"
        wire += b"0\r\n\r\n" if index % 4 else b"0\r\nTrailer: x\r\n\r\n"
    cuts = [min(c, 65535) for c in (len(head) - 3, len(head) + 40, len(wire) // 2, len(wire) - 2)]
    return struct.pack("<HBBBB", 0, 0, 0, 0, len(cuts)) + b"".join(
        struct.pack("<H", c) for c in cuts) + wire


def chunked_seeds(data):
    n = len(data)
    even = [min(k * 97, 65535) for k in range(1, 1 + min(31, n // 97))]
    yield "default", struct.pack("<HBBBB", 0, 0, 0, 0, len(even)) + b"".join(
        struct.pack("<H", c) for c in even) + data
    cuts = [n // 3, n // 2, n - 1 if n else 0]
    yield "small_limits_pause", struct.pack("<HBBBB", 96, 3, 0, 1, 3) + b"".join(
        struct.pack("<H", min(c, 65535)) for c in cuts) + data
    yield "stop_first", struct.pack("<HBBBB", 0, 0, 1, 2, 1) + struct.pack("<H", 1) + data


def write(target, name, content):
    directory = os.path.join(SEEDS, target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(content)


def main():
    streams = sorted(f for f in os.listdir(FIXTURES) if f.endswith(".stream"))
    if not streams:
        sys.exit("no fixtures in tests/fixtures")
    for target in ("whole", "chunked", "tracker", "c_api", "http"):
        directory = os.path.join(SEEDS, target)
        if os.path.isdir(directory):
            for old in os.listdir(directory):
                os.remove(os.path.join(directory, old))
    count = 0
    for stream in streams:
        name = stream[: -len(".stream")]
        with open(os.path.join(FIXTURES, stream), "rb") as f:
            data = f.read()
        write("whole", name, data)
        for variant, content in chunked_seeds(data):
            write("chunked", f"{name}.{variant}", content)
        write("tracker", name, tracker_seed(data))
        write("c_api", name, c_api_seed(data, count % 2))
        write("http", name, http_seeds(data, count))
        count += 1
    # A few hostile shapes the fixtures do not have.
    hostile = {
        "deep": b'{"a":' + b"[" * 300 + b"]" * 300 + b"}\r\n{}",
        "nul_and_bad_utf8": b'\x00\xff{"status":"a\xff\x00b","id":"\xc3("}\r\n\x00{}',
        "surrogate": b'{"status":"\\ud800","id":"\\udc00\\ud800x"}\n{"status":"\\u0000"}',
        "numbers": b'{"status":"Downloading","id":"a","progressDetail":{"current":1e400,'
                   b'"total":-5}}\n{"status":"Downloading","id":"a","progressDetail":'
                   b'{"current":99999999999999999999,"total":1.5}}\n',
        "duplicates": b'{"status":"a","status":"b","id":"x","id":"y"}\r\n',
        "alternating": b'{"status":"Waiting","id":"a"}\ngarbage line\n' * 4,
    }
    for name, data in hostile.items():
        write("whole", "hostile_" + name, data)
        write("chunked", "hostile_" + name, struct.pack("<HBBBB", 64, 4, 0, 1, 1)
              + struct.pack("<H", len(data) // 2) + data)
    errors = {
        "http_404": b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 29\r\n\r\n{\"message\":\"No such image\"}\n",
        "http_502": b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\n\r\n<html>bad</html>",
        "http_continue": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n2\n{}\n0\n\n",
        "http_bad_chunk": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n",
        "http_huge_chunk": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                           b"ffffffffffffffffff\r\n{}",
    }
    for name, wire in errors.items():
        write("http", name, struct.pack("<HBBBB", 0, 0, 0, 0, 1) + struct.pack("<H", 20) + wire)
    digest = hashlib.sha1()
    for target in ("whole", "chunked", "tracker", "c_api", "http"):
        for seed in sorted(os.listdir(os.path.join(SEEDS, target))):
            with open(os.path.join(SEEDS, target, seed), "rb") as f:
                digest.update(f.read())
    print(f"fuzz seeds: {count} fixtures -> fuzz/seeds/{{whole,chunked,tracker,c_api,http}} "
          f"(sha1 {digest.hexdigest()[:12]})")


if __name__ == "__main__":
    main()
