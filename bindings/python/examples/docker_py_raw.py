"""docker-py, raw chunks: pull an image and get a verdict you can trust.

docker-py's `images.pull` drains the stream and turns the daemon's error into a generic
exception; the low-level `APIClient.pull(..., stream=True, decode=False)` hands out the body's
bytes as they come, which is the best input pullstream can have.

    python docker_py_raw.py alpine:3.20            # a real pull (needs docker-py and a daemon)
    python docker_py_raw.py --replay FILE          # a recorded stream, no daemon

Prints status changes on stderr, the one-line summary (as `pullstream --json`) on stdout, and
exits with the command-line tool's exit code.
"""

from __future__ import annotations

import sys
from typing import Any, List

import pullstream


def pull_with_verdict(api: Any, repository: str, tag: str) -> pullstream.Summary:
    chunks = api.pull(repository, tag=tag, stream=True, decode=False)
    for item in pullstream.iter_events(chunks):
        if isinstance(item, pullstream.Summary):
            return item
        if item["kind"] in ("pull_finished", "error") or item["error_message"]:
            print(item["kind"], item["status"] or item["error_message"] or "", file=sys.stderr)
    raise AssertionError("iter_events always ends with a Summary")


def main(argv: List[str]) -> int:
    if len(argv) == 3 and argv[1] == "--replay":
        from _replay import ReplayAPIClient

        api: Any = ReplayAPIClient(argv[2])
        repository, tag = "replayed", "latest"
    elif len(argv) == 2:
        import docker  # only for a real pull

        api = docker.APIClient()
        repository, _, tag = argv[1].partition(":")
        tag = tag or "latest"
    else:
        print(__doc__, file=sys.stderr)
        return 64
    summary = pull_with_verdict(api, repository, tag)
    print(summary.json)
    return summary.exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
