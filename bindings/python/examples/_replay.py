"""Stand-ins for docker-py's APIClient and aiodocker's Docker that replay a recorded stream
(a file such as tests/fixtures/*.stream), so the examples run without a daemon and without
those packages installed. Only the calls the examples make are imitated."""

from __future__ import annotations

import json
import pathlib
from typing import Any, AsyncIterator, Dict, Iterator, List, Union

_JSON = json.JSONDecoder()
_WHITESPACE = " \t\r\n"


def split_records(data: bytes) -> Iterator[Dict[str, Any]]:
    """The records of a stream, decoded the way a JSON client library does it: one
    `raw_decode` after another. A stretch that does not decode (a proxy's HTML page, a record
    cut off) is skipped up to the next line that begins with `{` (not merely the next `{`: that
    could be an object nested in the broken record), and values that are not objects are
    dropped: those are what an upstream decoder loses, and why raw bytes are the better input."""
    text = data.decode("utf-8", "replace")
    position = 0
    while position < len(text):
        while position < len(text) and text[position] in _WHITESPACE:
            position += 1
        if position == len(text):
            break
        try:
            value, position = _JSON.raw_decode(text, position)
        except ValueError:
            position = _next_line_start(text, position)
            continue
        if isinstance(value, dict):
            yield value


def _next_line_start(text: str, position: int) -> int:
    """Where the next line that begins with `{` starts, or the end."""
    while True:
        line_feed = text.find("\n", position)
        if line_feed < 0:
            return len(text)
        position = line_feed + 1
        if text[position : position + 1] == "{":
            return position


def read_chunks(path: Union[str, pathlib.Path], size: int = 4096) -> Iterator[bytes]:
    """The file in pieces of `size` bytes, as an HTTP client hands out a body."""
    data = pathlib.Path(path).read_bytes()
    for start in range(0, len(data), size):
        yield data[start : start + size]


class ReplayAPIClient:
    """docker-py's low-level `docker.APIClient`, as far as `pull` goes."""

    def __init__(self, path: Union[str, pathlib.Path]) -> None:
        self.path = pathlib.Path(path)

    def pull(self, repository: str, tag: Any = None, stream: bool = False, decode: bool = False,
             **_options: Any) -> Iterator[Any]:
        assert stream, "the examples always stream"
        if decode:
            return split_records(self.path.read_bytes())
        return read_chunks(self.path)


class _ReplayImages:
    def __init__(self, path: pathlib.Path) -> None:
        self.path = path

    def pull(self, from_image: str, *, tag: Any = None, stream: bool = False,
             **_options: Any) -> AsyncIterator[Dict[str, Any]]:
        assert stream, "the example always streams"
        records: List[Dict[str, Any]] = list(split_records(self.path.read_bytes()))

        async def replay() -> AsyncIterator[Dict[str, Any]]:
            for record in records:
                yield record

        return replay()


class ReplayAiodocker:
    """aiodocker's `aiodocker.Docker`, as far as `images.pull(..., stream=True)` and `close`."""

    def __init__(self, path: Union[str, pathlib.Path]) -> None:
        self.images = _ReplayImages(pathlib.Path(path))

    async def close(self) -> None:
        pass
