"""aiodocker: an asyncio pull with a verdict.

aiodocker's `docker.images.pull(..., stream=True)` yields decoded dicts and ends a cut
connection like a finished stream; `pullstream.aiter_events` takes those dicts (or aiohttp's
raw `resp.content.iter_chunked(n)` bytes), yields typed events and ends with a Summary.

    python aiodocker_pull.py alpine:3.20           # a real pull (needs aiodocker and a daemon)
    python aiodocker_pull.py --replay FILE         # a recorded stream, no daemon

Prints layer completions on stderr, the one-line summary on stdout, and exits with the
command-line tool's exit code.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any, List, Optional

import pullstream


async def pull_with_verdict(docker: Any, image: str, tag: str) -> pullstream.Summary:
    summary: Optional[pullstream.Summary] = None
    async for item in pullstream.aiter_events(docker.images.pull(image, tag=tag, stream=True)):
        if isinstance(item, pullstream.Summary):
            summary = item
        elif item["kind"] == "pull_complete":
            print("layer", item["layer_id"], "done", file=sys.stderr)
    assert summary is not None, "aiter_events always ends with a Summary"
    return summary


async def main(argv: List[str]) -> int:
    if len(argv) == 3 and argv[1] == "--replay":
        from _replay import ReplayAiodocker

        docker: Any = ReplayAiodocker(argv[2])
        image, tag = "replayed", "latest"
    elif len(argv) == 2:
        import aiodocker  # only for a real pull

        docker = aiodocker.Docker()
        image, _, tag = argv[1].partition(":")
        tag = tag or "latest"
    else:
        print(__doc__, file=sys.stderr)
        return 64
    try:
        summary = await pull_with_verdict(docker, image, tag)
    finally:
        await docker.close()
    print(summary.json)
    return summary.exit_code


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv)))
