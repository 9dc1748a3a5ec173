"""When the C library cannot be loaded, the error lists every place searched and how to fix it."""

import os
import pathlib
import shutil
import subprocess
import sys

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "pullstream"


def test_a_package_without_its_library_names_what_was_searched_and_the_fix(tmp_path):
    # A copy of the package with no bundled library, as after a damaged install: nothing of the
    # source tree above it, no PULLSTREAM_LIB.
    copy = tmp_path / "site" / "pullstream"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("*.so", "*.dylib", "*.dll", "__pycache__"))
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("PULLSTREAM_LIB", "CARGO_TARGET_DIR", "LD_LIBRARY_PATH")}
    run = subprocess.run([sys.executable, "-c", "import pullstream"], cwd=tmp_path / "site",
                         env=environment, capture_output=True, text=True, check=False)
    assert run.returncode != 0
    message = run.stderr
    assert "cannot load the C library. Tried:" in message
    bundled = copy.resolve() / ("libpullstream" + {"darwin": ".dylib", "win32": ".dll"}.get(sys.platform, ".so"))
    assert f"package directory: {bundled}: no such file" in message, message
    assert "system loader" in message, message
    assert "pip install --force-reinstall" in message, message
    assert "PULLSTREAM_LIB" in message, message
