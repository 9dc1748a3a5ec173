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
