//! `include/pullstream.h` is generated from `capi/src/` by cbindgen and committed, so C users and
//! the C tests never need cbindgen. This test regenerates it in memory and fails when the
//! committed file differs.

const REGENERATE: &str = "UPDATE_HEADER=1 cargo test -p pullstream-capi --test header";

fn manifest_dir() -> &'static str {
    env!("CARGO_MANIFEST_DIR")
}

fn header_path() -> String {
    format!("{}/../include/pullstream.h", manifest_dir())
}

/// The version macros, from Cargo.toml's version.
fn version_macros() -> String {
    let version = env!("CARGO_PKG_VERSION");
    let mut parts = version.split(['.', '-', '+']);
    let mut next = || parts.next().unwrap_or("0").to_owned();
    let (major, minor, patch) = (next(), next(), next());
    format!(
        "\n/* The version of the library this header belongs to (compare with pullstream_version()). */\n\
         #define PULLSTREAM_VERSION_MAJOR {major}\n\
         #define PULLSTREAM_VERSION_MINOR {minor}\n\
         #define PULLSTREAM_VERSION_PATCH {patch}\n\
         #define PULLSTREAM_VERSION_STRING \"{version}\"\n"
    )
}

/// The C `enum` blocks, from the one list of every enumeration (`pullstream_capi::enums`):
/// cbindgen cannot expand the macro that declares them, and the Rust side carries them as
/// `uint32_t` aliases (excluded from cbindgen's output in cbindgen.toml). The layout is the one
/// cbindgen gives a `#[repr(u32)]` enum, so C23 and C++ see the fixed underlying type.
fn enum_blocks() -> String {
    let mut out = String::new();
    let comment = |out: &mut String, indent: &str, line: &str| {
        if line.is_empty() {
            out.push_str(&format!("{indent}//\n"));
        } else {
            out.push_str(&format!("{indent}// {line}\n"));
        }
    };
    for of in pullstream_capi::enums::C_ENUMS {
        let name = of.c_name;
        out.push('\n');
        for line in of.doc.lines() {
            comment(&mut out, "", line);
        }
        out.push_str(&format!(
            "enum {name}\n\
             #if defined(__cplusplus) || __STDC_VERSION__ >= 202311L\n  : uint32_t\n\
             #endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L\n {{\n"
        ));
        for value in of.values() {
            for line in value.entry.doc_lines() {
                comment(&mut out, "  ", &line);
            }
            out.push_str(&format!("  {} = {},\n", value.c_name, value.code));
        }
        out.push_str(&format!(
            "}};\n#ifndef __cplusplus\n#if __STDC_VERSION__ >= 202311L\n\
             typedef enum {name} {name};\n#else\ntypedef uint32_t {name};\n\
             #endif // __STDC_VERSION__ >= 202311L\n#endif // __cplusplus\n"
        ));
    }
    out
}

fn generate() -> Vec<u8> {
    let dir = manifest_dir();
    let mut config = cbindgen::Config::from_file(format!("{dir}/cbindgen.toml"))
        .expect("cbindgen.toml is readable and valid");
    config.after_includes = Some(version_macros() + &enum_blocks());
    // The `uint32_t` aliases of the enumerations: their typedefs are in `enum_blocks`.
    config.export.exclude.extend(
        pullstream_capi::enums::C_ENUMS
            .iter()
            .map(|of| of.c_name.to_owned()),
    );
    let mut out = Vec::new();
    cbindgen::Builder::new()
        .with_config(config)
        // Only the C ABI: public constants elsewhere in the crate are not part of it.
        .with_src(format!("{dir}/src/lib.rs"))
        .generate()
        .expect("cbindgen failed on capi/src")
        .write(&mut out);
    out
}

#[test]
fn header_is_fresh() {
    let generated = generate();
    let path = header_path();
    if std::env::var_os("UPDATE_HEADER").is_some() {
        std::fs::create_dir_all(format!("{}/../include", manifest_dir())).unwrap();
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    if committed != generated {
        let first_difference = committed
            .iter()
            .zip(&generated)
            .position(|(a, b)| a != b)
            .unwrap_or(committed.len().min(generated.len()));
        let line = generated[..first_difference.min(generated.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        panic!(
            "include/pullstream.h is stale (first difference near line {line}): run `{REGENERATE}`"
        );
    }
}

#[test]
fn header_version_macros_match_the_crate() {
    let header = std::fs::read_to_string(header_path())
        .unwrap_or_else(|_| panic!("include/pullstream.h is missing: run `{REGENERATE}`"));
    let value = |name: &str| -> String {
        let prefix = format!("#define {name} ");
        header
            .lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("{name} is missing from the header: run `{REGENERATE}`"))
            .trim()
            .to_owned()
    };
    let version = format!(
        "{}.{}.{}",
        value("PULLSTREAM_VERSION_MAJOR"),
        value("PULLSTREAM_VERSION_MINOR"),
        value("PULLSTREAM_VERSION_PATCH")
    );
    assert_eq!(version, env!("CARGO_PKG_VERSION"), "run `{REGENERATE}`");
    assert_eq!(
        value("PULLSTREAM_VERSION_STRING"),
        format!("\"{}\"", env!("CARGO_PKG_VERSION"))
    );
    // SAFETY: `pullstream_version` returns a static NUL-terminated string.
    let library = unsafe { std::ffi::CStr::from_ptr(pullstream_capi::pullstream_version()) };
    assert_eq!(library.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}

#[test]
fn every_exported_function_is_declared() {
    let header = std::fs::read_to_string(header_path()).unwrap();
    let sources = ["config.rs", "decoder.rs", "lib.rs"]
        .map(|f| std::fs::read_to_string(format!("{}/src/{f}", manifest_dir())).unwrap());
    let mut count = 0;
    for source in &sources {
        for line in source.lines() {
            if let Some(rest) = line.trim().strip_prefix("pub unsafe extern \"C\" fn ") {
                let name = &rest[..rest.find('(').unwrap()];
                assert!(name.starts_with("pullstream_"), "{name} lacks the prefix");
                let call = format!("{name}(");
                let declared = header.lines().any(|l| {
                    let l = l.trim();
                    !l.starts_with("//") && l.contains(&call) && l.ends_with(");")
                });
                assert!(
                    declared,
                    "{name} is not declared in the header: run `{REGENERATE}`"
                );
                count += 1;
            }
        }
    }
    assert!(count >= 20, "only {count} exported functions found");
}
