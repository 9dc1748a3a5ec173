"""Builds the C library of ../../capi with cargo and bundles it in the package.

Everything declarative is in pyproject.toml; this file only says what pyproject.toml cannot:
the Rust library to build (setuptools-rust, `Binding.NoBinding`: a plain cdylib for ctypes),
the file name it gets inside the package, and the wheel's tag.
"""

from __future__ import annotations

import os
import sys
from typing import Tuple

from setuptools import setup
from setuptools_rust import Binding, RustExtension
from setuptools_rust.build import build_rust

try:  # setuptools >= 70.1 carries bdist_wheel itself
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # older setuptools: the wheel package's
    from wheel.bdist_wheel import bdist_wheel  # type: ignore[no-redef]

# Must match pullstream/_ffi.py's BUNDLED_NAME (the lookup finds the library by this name).
# Not imported from there: importing the package would load the library we are building.
BUNDLED_NAME = "libpullstream" + {"darwin": ".dylib", "win32": ".dll"}.get(sys.platform, ".so")


class build_rust_bundled(build_rust):  # noqa: N801 (setuptools command naming)
    """setuptools-rust names a NoBinding library like a CPython extension module
    (libpullstream.cpython-311-x86_64-linux-gnu.so). ctypes does not care about CPython's ABI,
    so the package carries it under the one name that fits every Python 3."""

    def get_dylib_ext_path(self, ext: RustExtension, target_fname: str) -> str:
        path = super().get_dylib_ext_path(ext, target_fname)
        return os.path.join(os.path.dirname(path), BUNDLED_NAME)


class bdist_wheel_any_python(bdist_wheel):  # noqa: N801
    """The wheel holds no CPython extension, only a library loaded with ctypes: it fits every
    CPython 3 (and PyPy) on its platform, so it is tagged py3-none-<platform>."""

    def finalize_options(self) -> None:
        super().finalize_options()
        self.root_is_pure = False  # a platform wheel: it carries a native library

    def get_tag(self) -> Tuple[str, str, str]:
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(
    rust_extensions=[
        RustExtension(
            # The module name only places the file (pullstream/...); build_rust_bundled names it.
            "pullstream.libpullstream",
            path=os.path.join("..", "..", "capi", "Cargo.toml"),
            binding=Binding.NoBinding,
            debug=False,
        )
    ],
    cmdclass={"build_rust": build_rust_bundled, "bdist_wheel": bdist_wheel_any_python},
)
