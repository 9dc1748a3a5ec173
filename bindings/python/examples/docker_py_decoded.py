"""docker-py, decoded records: when your code already holds dicts.

`APIClient.pull(..., stream=True, decode=True)` yields one dict per record. pullstream takes
them as they are (`decode_records`, or `Decoder.feed_record` one at a time) and gives the
verdict their bytes would give, except for what docker-py's decoder dropped: stretches it
could not parse, and a record cut off at the end (see the package README).

    python docker_py_decoded.py alpine:3.20        # a real pull (needs docker-py and a daemon)
    python docker_py_decoded.py --replay FILE      # a recorded stream, no daemon

Prints the one-line summary on stdout and exits with the command-line tool's exit code.
"""

from __future__ import annotations

import sys
from typing import Any, List

import pullstream


def pull_with_verdict(api: Any, repository: str, tag: str) -> pullstream.Summary:
    records = api.pull(repository, tag=tag, stream=True, decode=True)
    return pullstream.decode_records(records)


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
