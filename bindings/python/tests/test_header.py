"""Every pullstream_* function and struct the package declares matches include/pullstream.h."""

import pathlib
import re

from pullstream import _ffi

HEADER = (pathlib.Path(__file__).resolve().parents[3] / "include" / "pullstream.h").read_text()


def normalize(ctype):
    """One spelling per C type: no `struct` keyword, single spaces, `*` attached as `T *`."""
    ctype = re.sub(r"\bstruct\s+", "", ctype)
    ctype = re.sub(r"\s*\*", " *", ctype.strip())
    ctype = re.sub(r"\* \*", "**", ctype)
    return re.sub(r"\s+", " ", ctype)


def split_declaration(text):
    """'const uint8_t *data' -> ('const uint8_t *', 'data')."""
    match = re.fullmatch(r"(.*?[\s*])(\w+)", text.strip())
    assert match, text
    return normalize(match.group(1)), match.group(2)


def header_functions():
    functions = {}
    code = "\n".join(line for line in HEADER.splitlines() if not line.lstrip().startswith("//"))
    for match in re.finditer(r"^([A-Za-z_][\w \*]*?[\s\*])(pullstream_\w+)\(([^)]*)\);", code, re.M):
        restype, name, args = match.groups()
        params = [] if args.strip() in ("", "void") else [split_declaration(a)[0] for a in args.split(",")]
        functions[name] = (normalize(restype), params)
    return functions


def header_structs():
    structs = {}
    for match in re.finditer(r"typedef struct (pullstream_\w+) \{(.*?)\} \1;", HEADER, re.S):
        fields = []
        for line in match.group(2).splitlines():
            line = line.strip()
            if line and not line.startswith("//"):
                ctype, name = split_declaration(line.rstrip(";"))
                fields.append((name, ctype))
        structs[match.group(1)] = fields
    return structs


def test_every_declared_function_is_in_the_header_with_the_same_signature():
    declared = header_functions()
    assert len(declared) >= 20
    for name, (restype, argtypes) in _ffi.SIGNATURES.items():
        assert name in declared, f"{name} is not in the header"
        assert declared[name] == (normalize(restype), [normalize(a) for a in argtypes]), name


def test_every_header_function_is_declared_by_the_package():
    assert sorted(header_functions()) == sorted(_ffi.SIGNATURES)


def test_structs_match_the_header_field_by_field():
    structs = header_structs()
    for cls in (_ffi.Bytes, _ffi.Event, _ffi.Stall, _ffi.Snapshot, _ffi.Layer, _ffi.Outcome, _ffi.HttpInfo):
        name = cls.__name__
        assert [(f, normalize(t)) for f, t in cls.C_FIELDS] == structs[name], name


def test_enumerations_are_uint32():
    for enum in _ffi.ENUMS:
        assert re.search(rf"typedef uint32_t {enum};", HEADER), enum


def test_callbacks_match_the_header():
    assert "typedef int32_t (*pullstream_event_callback)(void *userdata, const struct pullstream_event *event);" in HEADER
    assert "typedef void (*pullstream_stall_callback)(void *userdata, const struct pullstream_stall *stall);" in HEADER
    assert "typedef void (*pullstream_body_callback)(void *userdata, struct pullstream_bytes body);" in HEADER
