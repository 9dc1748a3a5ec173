"""HttpResponse de-chunks raw HTTP responses in front of a Decoder."""

import pytest

import pullstream

BODY = (
    b'{"status":"Pulling from library/alpine","id":"latest"}\r\n'
    b'{"status":"Digest: sha256:00ff"}\r\n'
    b'{"status":"Status: Image is up to date for alpine:latest"}\r\n'
)


def chunked(body, sizes):
    out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    position = 0
    for size in sizes:
        piece = body[position:position + size]
        position += len(piece)
        if piece:
            out += b"%x;ext=x\r\n" % len(piece) + piece + b"\r\n"
    return out + b"0\r\n\r\n"


@pytest.mark.parametrize("read_size", [1, 3, 64, 4096])
def test_chunked_response_gives_the_body_and_the_verdict(read_size):
    response = chunked(BODY, [7, 50, 1, 200])
    http = pullstream.HttpResponse()
    decoder = pullstream.Decoder()
    body = b""
    for start in range(0, len(response), read_size):
        piece = http.feed(response[start:start + read_size])
        body += piece
        decoder.feed(piece)
    http.finish()
    assert body == BODY
    assert http.status == 200
    assert http.info()["chunked"] and http.info()["complete"]
    assert decoder.finish()["summary"]["result"] == "up_to_date"


def test_error_body_is_a_failed_outcome():
    message = b'{"message":"pull access denied for nope, repository does not exist"}'
    response = b"HTTP/1.1 404 Not Found\r\nContent-Length: %d\r\n\r\n" % len(message) + message
    http = pullstream.HttpResponse()
    decoder = pullstream.Decoder()
    decoder.feed(http.feed(response))
    result = decoder.finish()
    assert http.status == 404
    assert result["exit_code"] == 1
    assert result["summary"]["error"]["kind"] == "not_found"


def test_malformed_and_truncated_responses_raise_with_an_offset():
    http = pullstream.HttpResponse()
    with pytest.raises(pullstream.PullstreamError) as bad:
        http.feed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
    assert bad.value.offset == 47
    cut = pullstream.HttpResponse()
    cut.feed(chunked(BODY, [40])[:-9])
    with pytest.raises(pullstream.PullstreamError):
        cut.finish()


def cut_short(body, how):
    """A 200 response carrying `body`, cut short: no `0` chunk, inside a chunk, or shorter
    than its Content-Length."""
    if how == "no-zero-chunk":
        return chunked(body, [40] * (len(body) // 40 + 1))[: -len(b"0\r\n\r\n")]
    if how == "inside-chunk":
        return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n" % (len(body) + 30) + body
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (len(body) + 1) + body


def through_http(response, read_size, tell):
    http = pullstream.HttpResponse()
    decoder = pullstream.Decoder()
    for start in range(0, len(response), read_size):
        decoder.feed(http.feed(response[start:start + read_size]))
    if tell:
        http.finish(decoder)  # a cut body is told to the decoder, not raised
    else:
        with pytest.raises(pullstream.PullstreamError):
            http.finish()
    return decoder.finish()


@pytest.mark.parametrize("how", ["no-zero-chunk", "inside-chunk", "short-identity"])
@pytest.mark.parametrize("read_size", [1, 7, 4096])
def test_a_success_body_cut_short_is_a_truncated_stream(how, read_size):
    response = cut_short(BODY, how)
    # Told nothing, the records alone look like a finished pull.
    assert through_http(response, read_size, tell=False)["summary"]["outcome"] == "success"
    result = through_http(response, read_size, tell=True)
    assert result["summary"]["outcome"] == "incomplete"
    assert result["summary"]["incomplete_reason"] == "truncated_body"
    assert result["exit_code"] == 2
    assert result["summary"]["records"] == 3


def test_decoder_can_be_told_directly_and_an_error_response_keeps_its_verdict():
    decoder = pullstream.Decoder()
    decoder.feed(BODY)
    decoder.set_truncated_body()
    assert decoder.finish()["summary"]["incomplete_reason"] == "truncated_body"

    message = b'{"message":"manifest unknown: nope"}\r\n'
    response = b"HTTP/1.1 404 Not Found\r\nContent-Length: 99\r\n\r\n" + message
    http = pullstream.HttpResponse()
    decoder = pullstream.Decoder()
    decoder.feed(http.feed(response))
    http.finish(decoder)
    result = decoder.finish()
    assert result["exit_code"] == 1
    assert result["summary"]["error"]["kind"] == "not_found"

    # A response cut inside its head still raises.
    http = pullstream.HttpResponse()
    http.feed(b"HTTP/1.1 200 OK\r\nContent-")
    with pytest.raises(pullstream.PullstreamError):
        http.finish(pullstream.Decoder())


def test_not_a_progress_stream_is_told_from_a_cut_stream():
    decoder = pullstream.Decoder()
    decoder.feed(b"<html><body>502 Bad Gateway</body></html>\n")
    result = decoder.finish()
    assert result["summary"]["incomplete_reason"] == "not_a_progress_stream"
    assert result["exit_code"] == 3
    decoder = pullstream.Decoder()
    decoder.feed(b'{"status":"Pulling from libr')
    result = decoder.finish()
    assert result["summary"]["incomplete_reason"] == "cut_mid_record"
    assert result["exit_code"] == 2


@pytest.mark.parametrize("read_size", [1, 7, 4096])
def test_a_success_body_whose_framing_breaks_is_a_truncated_stream(read_size):
    # Every record arrives, then a mangled line where the `0` chunk is due: the body ends
    # there, short of its end, as the command-line tool and the Rust and C calls say too.
    response = chunked(BODY, [40] * (len(BODY) // 40 + 1))[: -len(b"0\r\n\r\n")] + b"zz\r\n\r\n"
    http = pullstream.HttpResponse()
    decoder = pullstream.Decoder()
    with pytest.raises(pullstream.PullstreamError) as broken:
        for start in range(0, len(response), read_size):
            decoder.feed(http.feed(response[start:start + read_size]))
    decoder.feed(broken.value.body)  # the body that came before the error in that piece
    http.finish(decoder)  # told to the decoder, not raised
    result = decoder.finish()
    assert result["summary"]["incomplete_reason"] == "truncated_body"
    assert result["exit_code"] == 2
    assert result["summary"]["records"] == 3
