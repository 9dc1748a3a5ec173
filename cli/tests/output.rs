//! Writing the output: a stdout that cannot be written is an error with its own exit code,
//! a reader that went away is not.

use std::path::Path;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_pullstream");

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(format!("{name}.stream"))
}

#[test]
fn a_full_disk_on_stdout_exits_74() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("no /dev/full here: skipped");
        return;
    };
    for mode in ["--json", "--events"] {
        let out = Command::new(BIN)
            .arg(mode)
            .arg(fixture("pull_success_crlf"))
            .stdout(full.try_clone().unwrap())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(74), "{mode}: {stderr}");
        assert!(
            stderr.contains("cannot write to standard output"),
            "{stderr}"
        );
    }
}

#[test]
fn a_reader_that_went_away_is_no_error() {
    let mut child = Command::new(BIN)
        .arg("--events")
        .arg(fixture("pull_success_crlf"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end at once: every write meets a broken pipe.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `command` in a pseudo-terminal made by util-linux `script`; `None` without it.
fn in_pty(command: &str, columns: Option<&str>) -> Option<String> {
    let has_script = Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_script {
        eprintln!("skipped: util-linux `script` is not installed");
        return None;
    }
    let mut script = Command::new("script");
    script
        .args(["-qfec", command, "/dev/null"])
        // A plain shell: bash would export its own idea of COLUMNS.
        .env("SHELL", "/bin/sh")
        .env_remove("COLUMNS")
        .stdin(Stdio::null());
    if let Some(columns) = columns {
        script.env("COLUMNS", columns);
    }
    let output = script.output().unwrap();
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The widest layer or aggregate line of a live display, escapes removed.
fn widest_live_line(screen: &str) -> usize {
    let mut plain = String::new();
    let mut in_escape = false;
    for c in screen.chars() {
        match c {
            '\x1b' => in_escape = true,
            c if in_escape => in_escape = !c.is_ascii_alphabetic(),
            '\r' => plain.push('\n'),
            c => plain.push(c),
        }
    }
    plain
        .lines()
        .filter(|l| l.ends_with(']') || l.ends_with("layers"))
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
}

#[test]
fn the_live_display_takes_the_terminals_width() {
    let demo = format!("stty rows 20 cols 50; {BIN} --demo --demo-speed 40");
    let Some(narrow) = in_pty(&demo, None) else {
        return;
    };
    let widest = widest_live_line(&narrow);
    assert!((30..50).contains(&widest), "{widest}");
    // COLUMNS wins over the terminal.
    let wide = in_pty(&demo, Some("100")).unwrap();
    assert!(widest_live_line(&wide) > 50, "{}", widest_live_line(&wide));
}

#[test]
fn a_terminal_on_stdin_is_told_what_is_expected() {
    let Some(screen) = in_pty(&format!("timeout 2 {BIN}"), None) else {
        return;
    };
    assert!(
        screen.contains("waiting for a progress stream on standard input"),
        "{screen}"
    );
    assert!(screen.contains("pullstream pull IMAGE"), "{screen}");
}
