"""The raw ctypes declarations of the pullstream C API (include/pullstream.h).

Every function and struct is declared with its C spelling, exactly as the header writes it, and
resolved to ctypes through one table; `tests/test_header.py` checks those spellings against the
header, so a change to the C API that this file does not follow fails the tests.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import pathlib
import sys
from typing import Any, Dict, List, Optional, Tuple

_PACKAGE_DIR = pathlib.Path(__file__).resolve().parent
# The repository root when the package is used from a source checkout (bindings/python/pullstream).
_SOURCE_ROOT = _PACKAGE_DIR.parents[2]

# The shared library's file names: the SONAME first (what an installed program loads).
if sys.platform == "darwin":
    _NAMES = ["libpullstream.0.dylib", "libpullstream.dylib"]
    _CARGO_NAME = "libpullstream_capi.dylib"
elif sys.platform == "win32":
    _NAMES = ["pullstream.dll"]
    _CARGO_NAME = "pullstream_capi.dll"
else:
    _NAMES = ["libpullstream.so.0", "libpullstream.so"]
    _CARGO_NAME = "libpullstream_capi.so"

# The library a built package carries beside this file (setup.py names it the same way).
BUNDLED_NAME = "libpullstream" + {"darwin": ".dylib", "win32": ".dll"}.get(sys.platform, ".so")

def library_candidates() -> List[Tuple[str, str]]:
    """Where `load()` looks for the C library, in order, as (what, path or name) pairs.

    1. `$PULLSTREAM_LIB`: when set, the only candidate (an explicit choice that fails to load is
       an error, never silently replaced by another copy);
    2. the package directory (a wheel that bundles the library);
    3. the system loader: `ctypes.util.find_library("pullstream")`, then the SONAME as it is
       (LD_LIBRARY_PATH, the ld.so cache), e.g. after `cargo xtask install --prefix /usr/local`;
    4. a source tree's cargo output, `target/{release,debug}/libpullstream_capi.so`
       (or under `$CARGO_TARGET_DIR`).
    """
    explicit = os.environ.get("PULLSTREAM_LIB")
    if explicit:
        return [("$PULLSTREAM_LIB", explicit)]
    # The bundled name is always tried, so that when it is missing (a damaged install, a
    # source checkout never built) the error names the place an installed package keeps it.
    candidates = [("package directory", str(_PACKAGE_DIR / name))
                  for name in dict.fromkeys([BUNDLED_NAME, *_NAMES])
                  if name == BUNDLED_NAME or (_PACKAGE_DIR / name).exists()]
    found = ctypes.util.find_library("pullstream")
    if found:
        candidates.append(("ctypes.util.find_library", found))
    candidates.append(("system loader", _NAMES[0]))
    target_dirs = [_SOURCE_ROOT / "target"]
    if os.environ.get("CARGO_TARGET_DIR"):
        target_dirs.insert(0, pathlib.Path(os.environ["CARGO_TARGET_DIR"]))
    for target in target_dirs:
        for profile in ("release", "debug"):
            path = target / profile / _CARGO_NAME
            if path.exists():
                candidates.append(("source tree", str(path)))
    return candidates


def _open_library() -> Tuple[Any, str]:
    """The first candidate that loads, or an OSError naming every one tried and how to fix it."""
    tried: List[str] = []
    for what, where in library_candidates():
        if os.sep in where and not os.path.exists(where):
            tried.append(f"  {what}: {where}: no such file")
            continue
        try:
            return ctypes.CDLL(where), where
        except OSError as error:
            tried.append(f"  {what}: {where}: {error}")
    raise OSError(
        "pullstream: cannot load the C library. Tried:\n" + "\n".join(tried) + "\n"
        "To fix: reinstall the package, which builds and bundles the library "
        "(`pip install --force-reinstall /path/to/pullstream/bindings/python`, needs cargo); "
        "or install the library (`cargo xtask install --prefix DIR`, then add DIR/lib to "
        "LD_LIBRARY_PATH); or build it in the source tree (`cargo build --release -p pullstream-capi`); "
        "or set PULLSTREAM_LIB to the library's path."
    )


# The library `load()` opened last (None before).
LIBRARY_PATH: Optional[str] = None


class Decoder(ctypes.Structure):
    """Opaque `pullstream_decoder`."""


class Config(ctypes.Structure):
    """Opaque `pullstream_config`."""


class Http(ctypes.Structure):
    """Opaque `pullstream_http`."""


# C type spelling -> ctypes type (structs and callbacks are added below).
CTYPES: Dict[str, Any] = {
    "void": None,
    "uint32_t": ctypes.c_uint32,
    "int32_t": ctypes.c_int32,
    "uint8_t": ctypes.c_uint8,
    "uint16_t": ctypes.c_uint16,
    "uint64_t": ctypes.c_uint64,
    "int64_t": ctypes.c_int64,
    "size_t": ctypes.c_size_t,
    "double": ctypes.c_double,
    "void *": ctypes.c_void_p,
    "char *": ctypes.c_char_p,
    "const char *": ctypes.c_char_p,
    "const uint8_t *": ctypes.POINTER(ctypes.c_uint8),
    "size_t *": ctypes.POINTER(ctypes.c_size_t),
    "uint64_t *": ctypes.POINTER(ctypes.c_uint64),
    "int32_t *": ctypes.POINTER(ctypes.c_int32),
    "pullstream_decoder *": ctypes.POINTER(Decoder),
    "const pullstream_decoder *": ctypes.POINTER(Decoder),
    "pullstream_decoder **": ctypes.POINTER(ctypes.POINTER(Decoder)),
    "pullstream_config *": ctypes.POINTER(Config),
    "const pullstream_config *": ctypes.POINTER(Config),
    "pullstream_config **": ctypes.POINTER(ctypes.POINTER(Config)),
    "pullstream_http *": ctypes.POINTER(Http),
    "pullstream_http **": ctypes.POINTER(ctypes.POINTER(Http)),
}

# Enumerations cross as uint32_t.
ENUMS = [
    "pullstream_status", "pullstream_event_kind", "pullstream_unit", "pullstream_pull_result",
    "pullstream_failure_kind", "pullstream_verdict", "pullstream_operation", "pullstream_dialect",
    "pullstream_success_kind", "pullstream_incomplete_reason", "pullstream_phase",
    "pullstream_completion", "pullstream_stall_phase", "pullstream_stall_reason",
]
for _enum in ENUMS:
    CTYPES[_enum] = ctypes.c_uint32
CTYPES["pullstream_status *"] = ctypes.POINTER(ctypes.c_uint32)


def _struct(name: str, fields: List[Tuple[str, str]]) -> Any:
    """A ctypes Structure from (field, C type spelling) pairs; keeps the spellings for the tests."""
    cls = type(name, (ctypes.Structure,), {
        "_fields_": [(field, CTYPES[ctype]) for field, ctype in fields],
        "C_FIELDS": fields,
    })
    CTYPES[name] = cls
    CTYPES[name + " *"] = ctypes.POINTER(cls)
    CTYPES["const " + name + " *"] = ctypes.POINTER(cls)
    return cls


Bytes = _struct("pullstream_bytes", [("ptr", "const uint8_t *"), ("len", "size_t")])

Event = _struct("pullstream_event", [
    ("kind", "pullstream_event_kind"),
    ("flags", "uint32_t"),
    ("offset", "uint64_t"),
    ("record", "pullstream_bytes"),
    ("status", "pullstream_bytes"),
    ("id", "pullstream_bytes"),
    ("layer_id", "pullstream_bytes"),
    ("detail", "pullstream_bytes"),
    ("tag", "pullstream_bytes"),
    ("progress_current", "int64_t"),
    ("progress_total", "int64_t"),
    ("progress_unit", "pullstream_unit"),
    ("pull_result", "pullstream_pull_result"),
    ("size", "int64_t"),
    ("retry_seconds", "uint32_t"),
    ("failure_kind", "pullstream_failure_kind"),
    ("error_code", "int64_t"),
    ("error_status", "pullstream_status"),
    ("error_message", "pullstream_bytes"),
])

Stall = _struct("pullstream_stall", [
    ("layer_id", "pullstream_bytes"),
    ("phase", "pullstream_phase"),
    ("reason", "pullstream_stall_reason"),
    ("idle_ms", "uint64_t"),
    ("bytes_per_sec", "uint64_t"),
])

Snapshot = _struct("pullstream_snapshot", [
    ("operation", "pullstream_operation"),
    ("dialect", "pullstream_dialect"),
    ("layer_count", "size_t"),
    ("segment_count", "size_t"),
    ("layers_known", "size_t"),
    ("layers_done", "size_t"),
    ("layers_already_present", "size_t"),
    ("bytes_done", "uint64_t"),
    ("bytes_total_known", "uint64_t"),
    ("percent_by_count", "double"),
    ("percent_by_bytes", "double"),
    ("bytes_per_sec", "double"),
    ("eta_secs", "double"),
    ("position", "uint64_t"),
    ("records", "uint64_t"),
    ("decode_errors", "uint64_t"),
])

Layer = _struct("pullstream_layer", [
    ("id", "pullstream_bytes"),
    ("segment", "size_t"),
    ("phase", "pullstream_phase"),
    ("completion", "pullstream_completion"),
    ("transfer_current", "uint64_t"),
    ("transfer_total", "int64_t"),
    ("extract_current", "uint64_t"),
    ("extract_total", "int64_t"),
    ("extract_unit", "pullstream_unit"),
    ("retries", "uint32_t"),
    ("flags", "uint32_t"),
])

Outcome = _struct("pullstream_outcome", [
    ("verdict", "pullstream_verdict"),
    ("operation", "pullstream_operation"),
    ("dialect", "pullstream_dialect"),
    ("success_kind", "pullstream_success_kind"),
    ("failure_kind", "pullstream_failure_kind"),
    ("incomplete_reason", "pullstream_incomplete_reason"),
    ("exit_code", "int32_t"),
    ("flags", "uint32_t"),
    ("error_code", "int64_t"),
    ("reference", "pullstream_bytes"),
    ("digest", "pullstream_bytes"),
    ("image_id", "pullstream_bytes"),
    ("error_message", "pullstream_bytes"),
    ("layers_seen", "uint64_t"),
    ("layers_complete", "uint64_t"),
    ("layers_already_present", "uint64_t"),
    ("layers_pending", "uint64_t"),
    ("bytes_downloaded", "uint64_t"),
    ("bytes_total_known", "uint64_t"),
    ("records", "uint64_t"),
    ("malformed_records", "uint64_t"),
])

EventCallback = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.POINTER(Event))
StallCallback = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(Stall))
HttpInfo = _struct("pullstream_http_info", [
    ("status", "uint16_t"),
    ("head_complete", "uint8_t"),
    ("chunked", "uint8_t"),
    ("complete", "uint8_t"),
    ("body_len", "uint64_t"),
])

BodyCallback = ctypes.CFUNCTYPE(None, ctypes.c_void_p, Bytes)
CTYPES["pullstream_body_callback"] = BodyCallback
CTYPES["pullstream_event_callback"] = EventCallback
CTYPES["pullstream_stall_callback"] = StallCallback

# name -> (return type, [argument types]), spelled as in the header.
SIGNATURES: Dict[str, Tuple[str, List[str]]] = {
    "pullstream_version": ("const char *", []),
    "pullstream_status_name": ("const char *", ["uint32_t"]),
    "pullstream_event_kind_name": ("const char *", ["uint32_t"]),
    "pullstream_failure_kind_name": ("const char *", ["uint32_t"]),
    "pullstream_config_new": ("pullstream_status", ["pullstream_config **"]),
    "pullstream_config_free": ("void", ["pullstream_config *"]),
    "pullstream_config_set_max_record_len": ("pullstream_status", ["pullstream_config *", "size_t"]),
    "pullstream_config_set_max_depth": ("pullstream_status", ["pullstream_config *", "uint32_t"]),
    "pullstream_config_set_stop_at_first_error": ("pullstream_status", ["pullstream_config *", "uint32_t"]),
    "pullstream_config_set_max_layers": ("pullstream_status", ["pullstream_config *", "size_t"]),
    "pullstream_config_set_limit": ("pullstream_status", ["pullstream_config *", "uint32_t", "size_t"]),
    "pullstream_config_set_stall_after_ms": ("pullstream_status", ["pullstream_config *", "uint32_t", "uint64_t"]),
    "pullstream_config_set_min_bytes_per_sec": ("pullstream_status", ["pullstream_config *", "uint64_t"]),
    "pullstream_config_set_rate_window_ms": ("pullstream_status", ["pullstream_config *", "uint64_t"]),
    "pullstream_decoder_new": ("pullstream_status", ["const pullstream_config *", "pullstream_decoder **"]),
    "pullstream_decoder_free": ("void", ["pullstream_decoder *"]),
    "pullstream_decoder_feed": ("pullstream_status", [
        "pullstream_decoder *", "const uint8_t *", "size_t", "uint64_t", "pullstream_event_callback", "void *"]),
    "pullstream_decoder_finish": ("pullstream_status", [
        "pullstream_decoder *", "uint64_t", "pullstream_event_callback", "void *"]),
    "pullstream_decoder_set_truncated_body": ("pullstream_status", ["pullstream_decoder *"]),
    "pullstream_decoder_summary_json": ("pullstream_status", [
        "const pullstream_decoder *", "char *", "size_t", "size_t *"]),
    "pullstream_decoder_exit_code": ("pullstream_status", ["const pullstream_decoder *", "int32_t *"]),
    "pullstream_decoder_outcome": ("pullstream_status", ["pullstream_decoder *", "pullstream_outcome *"]),
    "pullstream_decoder_snapshot": ("pullstream_status", ["const pullstream_decoder *", "pullstream_snapshot *"]),
    "pullstream_decoder_layer": ("pullstream_status", ["const pullstream_decoder *", "size_t", "pullstream_layer *"]),
    "pullstream_decoder_poll_stalls": ("pullstream_status", [
        "pullstream_decoder *", "uint64_t", "pullstream_stall_callback", "void *", "size_t *"]),
    "pullstream_decoder_last_error": ("pullstream_status", [
        "const pullstream_decoder *", "char *", "size_t", "size_t *", "uint64_t *", "pullstream_status *"]),
    "pullstream_http_new": ("pullstream_status", ["pullstream_http **"]),
    "pullstream_http_free": ("void", ["pullstream_http *"]),
    "pullstream_http_feed": ("pullstream_status", [
        "pullstream_http *", "const uint8_t *", "size_t", "pullstream_body_callback", "void *"]),
    "pullstream_http_finish": ("pullstream_status", ["pullstream_http *"]),
    "pullstream_http_finish_into": ("pullstream_status", ["pullstream_http *", "pullstream_decoder *"]),
    "pullstream_http_get_info": ("pullstream_status", ["pullstream_http *", "pullstream_http_info *"]),
    "pullstream_http_last_error": ("pullstream_status", [
        "pullstream_http *", "char *", "size_t", "size_t *", "uint64_t *"]),
}


def load(path: Optional[str] = None) -> Any:
    """Loads the shared library (`path`, else the first of `library_candidates()` that loads) and
    declares every function of SIGNATURES on it."""
    global LIBRARY_PATH
    if path is not None:
        lib = ctypes.CDLL(path)
    else:
        lib, path = _open_library()
    LIBRARY_PATH = path
    for name, (restype, argtypes) in SIGNATURES.items():
        function = getattr(lib, name)
        function.restype = CTYPES[restype]
        function.argtypes = [CTYPES[a] for a in argtypes]
    return lib
