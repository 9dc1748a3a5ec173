"""Run with the Python of an environment where the package was installed with
`pip install ./bindings/python`, from a directory outside the source tree:

    python installed_fixtures.py CLI FIXTURE...

Checks that `import pullstream` finds the installed package and its bundled library (no
environment variable), then decodes every fixture twice, by bytes (in pieces of several sizes)
and by decoded dicts (json.JSONDecoder.raw_decode over the bytes, as client libraries do), and
compares with `CLI --json FIXTURE`: the bytes exactly; the dicts exactly, except where the
upstream decoder lost something (a stretch it could not parse, a record cut off), where the
summary must equal the CLI's on the records re-serialised, and differ from the original only in
`malformed_records` and a cut record's `incomplete_reason`/`outcome`. Prints one line per
fixture and a total; exits non-zero on any difference.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import tempfile
from typing import Any, Dict, List, Tuple

import pullstream

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "examples"))
from _replay import split_records  # noqa: E402  (the examples' stand-in decoder)

# What a decoder upstream can lose, and so what the dict path may legitimately change.
LOSSY_FIELDS = ("malformed_records", "incomplete_reason", "outcome")


def cli_json(cli: str, path: str) -> Tuple[str, int]:
    run = subprocess.run([cli, "--json", path], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
    return run.stdout.decode("utf-8").rstrip("\n"), run.returncode


def by_bytes(data: bytes, size: int) -> pullstream.Summary:
    return pullstream.decode_bytes((data[at : at + size] for at in range(0, len(data), size)), clock=lambda: 0)


def without(summary: Dict[str, Any], fields: Tuple[str, ...]) -> Dict[str, Any]:
    return {key: value for key, value in summary.items() if key not in fields}


def check(cli: str, path: str) -> Tuple[List[str], str]:
    problems: List[str] = []
    data = pathlib.Path(path).read_bytes()
    expected, expected_exit = cli_json(cli, path)
    for size in (1, 7, 4096, max(1, len(data))):
        got = by_bytes(data, size)
        if (got.json, got.exit_code) != (expected, expected_exit):
            problems.append(f"bytes in pieces of {size}: {got.json} (exit {got.exit_code})")
    records = list(split_records(data))
    from_dicts = pullstream.decode_records(records, clock=lambda: 0)
    if (from_dicts.json, from_dicts.exit_code) == (expected, expected_exit):
        return problems, ""
    # Lossy: the dicts must give what the CLI gives on their own bytes ...
    with tempfile.NamedTemporaryFile(suffix=".stream", delete=False) as copy:
        copy.write(b"".join(pullstream.encode_record(record) for record in records))
    try:
        reserialised, reserialised_exit = cli_json(cli, copy.name)
    finally:
        os.unlink(copy.name)
    if (from_dicts.json, from_dicts.exit_code) != (reserialised, reserialised_exit):
        problems.append(f"dicts: {from_dicts.json} but the CLI on their bytes: {reserialised}")
    # ... and differ from the original bytes only in what was lost.
    original = json.loads(expected)
    if without(from_dicts.data, LOSSY_FIELDS) != without(original, LOSSY_FIELDS):
        problems.append(f"dicts differ beyond the lossy fields: {from_dicts.json}")
    if from_dicts.data["malformed_records"] >= original["malformed_records"] and original["malformed_records"]:
        problems.append("dicts: lossy, yet no malformed stretch was dropped")
    lost = [f"{key} {original[key]} -> {from_dicts.data[key]}" for key in LOSSY_FIELDS if original[key] != from_dicts.data[key]]
    return problems, " (dicts, lossy: " + ", ".join(lost) + ")"


def main(argv: List[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 64
    package = pathlib.Path(pullstream.__file__).resolve().parent
    if "site-packages" not in package.parts:
        print(f"FAIL import: pullstream came from {package}, not an installed package")
        return 1
    if "PULLSTREAM_LIB" in os.environ:
        print("FAIL environment: PULLSTREAM_LIB is set; this check is about the bundled library")
        return 1
    print(f"ok   import pullstream {pullstream.version()} from {package}")
    failed = 0
    for path in argv[2:]:
        problems, note = check(argv[1], path)
        name = pathlib.Path(path).stem
        if problems:
            failed += 1
            print(f"FAIL {name}")
            for problem in problems:
                print(f"     | {problem}")
        else:
            print(f"ok   {name}{note}")
    print(f"installed package: {len(argv) - 2 - failed} fixtures passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
