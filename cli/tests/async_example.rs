//! The `async_pull` example of the core crate (the `stream` feature) prints exactly what
//! `pullstream --json` prints, with the same exit code, on every fixture. It lives with the
//! command-line tool's tests because it compares against that tool's binary; the example itself
//! is built with a nested `cargo build` (cargo is on PATH or in `$CARGO` under `cargo test`).

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixtures() -> Vec<(String, PathBuf)> {
    let dir = workspace_root().join("tests/fixtures");
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .expect("tests/fixtures")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "stream"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    out.sort();
    assert!(out.len() >= 20, "fixtures missing");
    out
}

/// Runs a cargo build inside the test (the binaries are not built by `cargo test --test`).
fn cargo_build(args: &[&str]) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| String::from("cargo"));
    let status = std::process::Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--quiet"])
        .args(args)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build {args:?}");
}

#[test]
fn the_async_example_prints_what_the_command_line_tool_prints_on_every_fixture() {
    cargo_build(&[
        "-p",
        "pullstream",
        "--example",
        "async_pull",
        "--features",
        "stream",
    ]);
    // `cargo build` writes the example to the workspace's target/debug.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("debug");
    let cli = PathBuf::from(env!("CARGO_BIN_EXE_pullstream"));
    let example = target.join("examples/async_pull");
    let run = |program: &Path, args: &[&std::ffi::OsStr]| {
        let output = std::process::Command::new(program)
            .args(args)
            .output()
            .expect("runs");
        (
            String::from_utf8(output.stdout).unwrap(),
            output.status.code(),
        )
    };
    let missing = workspace_root().join("tests/no-such-fixture.stream");
    let mut inputs = fixtures();
    inputs.push((String::from("a missing file"), missing));
    let mut codes = std::collections::BTreeSet::new();
    for (name, path) in inputs {
        let want = run(&cli, &["--json".as_ref(), path.as_os_str()]);
        let got = run(&example, &[path.as_os_str()]);
        assert!(
            want.0.ends_with('\n') && want.0.lines().count() == 1,
            "{name}"
        );
        assert_eq!(got, want, "{name}");
        codes.insert(want.1);
    }
    // Every exit code of the tool was compared.
    assert_eq!(
        codes.into_iter().collect::<Vec<_>>(),
        [Some(0), Some(1), Some(2), Some(3)]
    );
}
