//! `cargo xtask`: the workspace's build tasks, in Rust instead of shell, with only `std`.
//!
//! * `install`: builds the C library (package `pullstream-capi`) and installs the header, the
//!   shared library with its SONAME links, the static library and a pkg-config file under
//!   `$DESTDIR$PREFIX`, the layout a distribution package or `make install` would give.
//! * `fuzz-seeds`: rewrites `fuzz/seeds/<target>/` from the Rust encoders next to the fuzz
//!   bodies (`tests/common/fuzz_body.rs`, `capi/tests/common/c_api_body.rs`), by running the
//!   ignored `write_fuzz_seeds` tests that hold them.

use std::env;
use std::ffi::OsString;
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, ExitCode};

const HELP: &str = "\
cargo xtask <command> [options]

Commands:
  install --prefix DIR [--libdir DIR] [--profile release|debug]
      Builds pullstream-capi (`cargo rustc -p pullstream-capi`) and installs into $DESTDIR$PREFIX:
        include/pullstream.h
        <libdir>/libpullstream.so.<version>, libpullstream.so.<major> and libpullstream.so (links)
        <libdir>/libpullstream.a
        <libdir>/pkgconfig/pullstream.pc
      --prefix DIR    where the files belong (made absolute; written into pullstream.pc, a
                      space escaped as `\\ `, which shell-like consumers such as make read)
      --libdir DIR    relative to the prefix, or absolute (default: lib)
      --profile P     release (default) or debug
      DESTDIR         environment variable: a staging root prepended to every installed path
                      (as in GNU make); pullstream.pc still names the prefix
      CARGO_TARGET_DIR is honoured.
  fuzz-seeds
      Rewrites fuzz/seeds/<target>/ from tests/fixtures with the Rust seed encoders.
  help
      This text.
";

/// A failure to report: the message, and whether it was a usage error (exit 2) or not (exit 1).
struct Failure {
    message: String,
    usage: bool,
}

fn fail<T>(message: impl Into<String>) -> Result<T, Failure> {
    Err(Failure {
        message: message.into(),
        usage: false,
    })
}

fn usage<T>(message: impl Into<String>) -> Result<T, Failure> {
    Err(Failure {
        message: message.into(),
        usage: true,
    })
}

fn main() -> ExitCode {
    let args: Vec<OsString> = env::args_os().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("xtask: error: {}", failure.message);
            if failure.usage {
                eprintln!("(run `cargo xtask help` for the commands and options)");
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn run(args: &[OsString]) -> Result<(), Failure> {
    let Some(command) = args.first() else {
        print!("{HELP}");
        return usage("no command given");
    };
    let rest = &args[1..];
    match command.to_str() {
        Some("help" | "--help" | "-h") => {
            print!("{HELP}");
            Ok(())
        }
        Some("install") => install(&InstallOptions::parse(rest)?),
        Some("fuzz-seeds") => {
            if let Some(extra) = rest.first() {
                return usage(format!("fuzz-seeds takes no arguments, got {extra:?}"));
            }
            fuzz_seeds()
        }
        _ => usage(format!("unknown command {command:?}")),
    }
}

/// The workspace root: this crate sits in `<root>/xtask`.
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The cargo that runs us (`cargo run` sets `CARGO`), else the one on PATH.
fn cargo() -> Command {
    let mut command = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(workspace_root());
    command
}

/// `path` made absolute against the current directory, with `.` and `..` resolved in the text
/// (the prefix is written into pullstream.pc, where `/work/cli/../../opt` would be a puzzle).
fn absolute(path: &Path) -> Result<PathBuf, Failure> {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        match env::current_dir() {
            Ok(dir) => dir.join(path),
            Err(error) => return fail(format!("cannot read the current directory: {error}")),
        }
    };
    Ok(normalized(&joined))
}

/// An absolute path with `.` and `..` resolved lexically (`..` at the root stays at the root).
fn normalized(path: &Path) -> PathBuf {
    let mut result = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                result.pop();
            }
            other => result.push(other),
        }
    }
    result
}

/// `CARGO_TARGET_DIR` (relative to the directory cargo was run from), else `<root>/target`.
fn target_dir() -> Result<PathBuf, Failure> {
    match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => absolute(Path::new(&dir)),
        _ => Ok(workspace_root().join("target")),
    }
}

#[derive(Debug)]
struct InstallOptions {
    prefix: PathBuf,
    libdir: PathBuf,
    /// `release` or `debug`: both the cargo profile and the directory under the target dir.
    profile: String,
    destdir: Option<PathBuf>,
}

impl InstallOptions {
    fn parse(args: &[OsString]) -> Result<InstallOptions, Failure> {
        let mut prefix = None;
        let mut libdir = PathBuf::from("lib");
        let mut profile = String::from("release");
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let Some(arg) = arg.to_str() else {
                return usage(format!("install: argument {arg:?} is not UTF-8"));
            };
            // Both `--name value` and `--name=value`.
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) if name.starts_with("--") => {
                    (name, Some(OsString::from(value)))
                }
                _ => (arg, None),
            };
            let mut value = || match inline.clone().or_else(|| args.next().cloned()) {
                Some(value) if !value.is_empty() => Ok(value),
                _ => usage(format!("install: {name} needs a value")),
            };
            match name {
                "--prefix" => prefix = Some(PathBuf::from(value()?)),
                "--libdir" => libdir = PathBuf::from(value()?),
                "--profile" => {
                    let chosen = value()?;
                    match chosen.to_str() {
                        Some(p @ ("release" | "debug")) => profile = p.to_string(),
                        _ => {
                            return usage(format!(
                                "install: --profile must be release or debug, not {chosen:?}"
                            ))
                        }
                    }
                }
                _ => return usage(format!("install: unknown option {arg:?}")),
            }
        }
        let Some(prefix) = prefix else {
            return usage("install: --prefix DIR is required");
        };
        let destdir = env::var_os("DESTDIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from);
        Ok(InstallOptions {
            prefix: absolute(&prefix)?,
            libdir,
            profile,
            destdir: match destdir {
                Some(dir) => Some(absolute(&dir)?),
                None => None,
            },
        })
    }

    /// Where `path` (absolute, as the installed system sees it) lands: under DESTDIR if set.
    fn staged(&self, path: &Path) -> PathBuf {
        match &self.destdir {
            // `Path::join` would drop DESTDIR before an absolute path: strip the root first.
            Some(destdir) => destdir.join(path.strip_prefix("/").unwrap_or(path)),
            None => path.to_path_buf(),
        }
    }

    fn libdir(&self) -> PathBuf {
        self.prefix.join(&self.libdir)
    }
}

/// `version = "…"` of the `[package]` table of a Cargo.toml (enough TOML for our manifests).
fn package_version(manifest: &Path) -> Result<String, Failure> {
    let text = match fs::read_to_string(manifest) {
        Ok(text) => text,
        Err(error) => return fail(format!("cannot read {}: {error}", manifest.display())),
    };
    let mut in_package = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
            continue;
        }
        if !in_package {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            if key.trim() == "version" {
                let value = value.trim().trim_matches('"');
                let valid = value.split('.').count() == 3
                    && value
                        .split('.')
                        .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
                if valid {
                    return Ok(value.to_string());
                }
                return fail(format!(
                    "{}: version {value:?} is not MAJOR.MINOR.PATCH",
                    manifest.display()
                ));
            }
        }
    }
    fail(format!("{}: no version in [package]", manifest.display()))
}

/// Builds the C library and returns the native libraries its static library needs, as rustc
/// prints them (`--print native-static-libs`). `cargo rustc` builds the same crate types as
/// `cargo build` (rlib, cdylib, staticlib) in one rustc run; cargo replays the printed note
/// when the build is already fresh.
fn build_capi(profile: &str) -> Result<Vec<String>, Failure> {
    let mut command = cargo();
    // Cargo calls the debug profile `dev`; its output directory is still `debug`.
    let cargo_profile = if profile == "debug" { "dev" } else { profile };
    command.args([
        "rustc",
        "--lib",
        "-p",
        "pullstream-capi",
        "--profile",
        cargo_profile,
    ]);
    command.args(["--", "--print", "native-static-libs"]);
    eprintln!(
        "xtask: cargo rustc --lib -p pullstream-capi --profile {cargo_profile} -- --print native-static-libs"
    );
    let output = match command.output() {
        Ok(output) => output,
        Err(error) => return fail(format!("cannot run cargo: {error}")),
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        eprint!("{stderr}");
        return fail(format!(
            "building pullstream-capi failed ({})",
            output.status
        ));
    }
    const NOTE: &str = "native-static-libs:";
    let libs = stderr
        .lines()
        .rev()
        .find_map(|line| line.split_once(NOTE).map(|(_, libs)| libs));
    match libs {
        // `-lgcc_s` is the unwinder as a shared library: every C compiler driver already links
        // the unwinder (gcc: libgcc_s for a dynamic program, libgcc_eh for `-static`), and
        // naming the shared one here would make `cc -static $(pkg-config --static --libs
        // pullstream)` fail, as there is no libgcc_s.a.
        Some(libs) => Ok(libs
            .split_whitespace()
            .filter(|lib| *lib != "-lgcc_s")
            .map(str::to_string)
            .collect()),
        None => {
            eprint!("{stderr}");
            fail("rustc did not print native-static-libs for pullstream-capi")
        }
    }
}

fn copy(from: &Path, to: &Path) -> Result<(), Failure> {
    // Remove first: overwriting a library a running program has mapped would corrupt it.
    if fs::symlink_metadata(to).is_ok() {
        if let Err(error) = fs::remove_file(to) {
            return fail(format!("cannot replace {}: {error}", to.display()));
        }
    }
    match fs::copy(from, to) {
        Ok(_) => Ok(()),
        Err(error) => fail(format!(
            "cannot copy {} to {}: {error}",
            from.display(),
            to.display()
        )),
    }
}

fn symlink(target: &str, link: &Path) -> Result<(), Failure> {
    if fs::symlink_metadata(link).is_ok() {
        if let Err(error) = fs::remove_file(link) {
            return fail(format!("cannot replace {}: {error}", link.display()));
        }
    }
    #[cfg(unix)]
    let made = std::os::unix::fs::symlink(target, link);
    #[cfg(not(unix))]
    let made: std::io::Result<()> = Err(std::io::Error::other("symbolic links need a Unix system"));
    match made {
        Ok(()) => Ok(()),
        Err(error) => fail(format!(
            "cannot link {} -> {target}: {error}",
            link.display()
        )),
    }
}

fn create_dir(dir: &Path) -> Result<(), Failure> {
    match fs::create_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(error) => fail(format!("cannot create {}: {error}", dir.display())),
    }
}

fn write(path: &Path, contents: &str) -> Result<(), Failure> {
    match fs::write(path, contents) {
        Ok(()) => Ok(()),
        Err(error) => fail(format!("cannot write {}: {error}", path.display())),
    }
}

/// pullstream.pc. `libdir` is written relative to `${prefix}` when it lies under it, so the
/// file stays right if the tree is moved with `pkg-config --define-prefix`.
fn pkg_config(options: &InstallOptions, version: &str, private_libs: &[String]) -> String {
    let prefix = pc_escaped(&options.prefix);
    let libdir = match options.libdir().strip_prefix(&options.prefix) {
        Ok(relative) => format!("${{prefix}}/{}", pc_escaped(relative)),
        Err(_) => pc_escaped(&options.libdir()),
    };
    format!(
        "prefix={prefix}\n\
         libdir={libdir}\n\
         includedir=${{prefix}}/include\n\
         \n\
         Name: pullstream\n\
         Description: Decoder, event classifier and progress tracker for Docker and Podman JSON progress streams\n\
         Version: {version}\n\
         Libs: -L${{libdir}} -lpullstream\n\
         Libs.private: {}\n\
         Cflags: -I${{includedir}}\n",
        private_libs.join(" ")
    )
}

/// A path as a .pc value: a space or a backslash escaped with a backslash, as meson writes its
/// .pc files, so that pkg-config prints `-I/opt/my\ libs/include` as one word for a consumer
/// that splits like a shell (make, meson, `eval`); unescaped, every consumer would see two.
fn pc_escaped(path: &Path) -> String {
    let mut escaped = String::new();
    for c in path.display().to_string().chars() {
        if c == ' ' || c == '\\' {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

fn install(options: &InstallOptions) -> Result<(), Failure> {
    let root = workspace_root();
    let version = package_version(&root.join("capi/Cargo.toml"))?;
    let major = version.split('.').next().unwrap_or("0");
    let private_libs = build_capi(&options.profile)?;
    let built = target_dir()?.join(&options.profile);
    let shared = built.join("libpullstream_capi.so");
    let archive = built.join("libpullstream_capi.a");
    for file in [&shared, &archive] {
        if !file.is_file() {
            return fail(format!("the build did not produce {}", file.display()));
        }
    }

    let include = options.staged(&options.prefix.join("include"));
    let lib = options.staged(&options.libdir());
    let pkgconfig = lib.join("pkgconfig");
    for dir in [&include, &lib, &pkgconfig] {
        create_dir(dir)?;
    }
    let mut installed = Vec::new();

    // The C++ wrapper goes beside the C header it includes, so `pkg-config --cflags pullstream`
    // is the one include path for C and C++ alike.
    for source in ["include/pullstream.h", "bindings/cpp/pullstream.hpp"] {
        let source = root.join(source);
        let header = include.join(source.file_name().unwrap_or_default());
        copy(&source, &header)?;
        installed.push(header);
    }

    // The real file carries the full version; the SONAME link (libpullstream.so.0, the name
    // capi/build.rs writes into the library) is what programs load; the bare name is what
    // `-lpullstream` finds at link time.
    let real_name = format!("libpullstream.so.{version}");
    let soname = format!("libpullstream.so.{major}");
    copy(&shared, &lib.join(&real_name))?;
    installed.push(lib.join(&real_name));
    symlink(&real_name, &lib.join(&soname))?;
    installed.push(lib.join(&soname));
    symlink(&soname, &lib.join("libpullstream.so"))?;
    installed.push(lib.join("libpullstream.so"));

    copy(&archive, &lib.join("libpullstream.a"))?;
    installed.push(lib.join("libpullstream.a"));

    let pc = pkgconfig.join("pullstream.pc");
    write(&pc, &pkg_config(options, &version, &private_libs))?;
    installed.push(pc);

    for file in &installed {
        match fs::read_link(file) {
            Ok(target) => println!("installed {} -> {}", file.display(), target.display()),
            Err(_) => println!("installed {}", file.display()),
        }
    }
    Ok(())
}

/// Runs the ignored `write_fuzz_seeds` test of each package with the seed directory to fill:
/// the encoders live with the fuzz bodies they mirror, so xtask needs neither `pullstream` nor
/// the C library.
fn fuzz_seeds() -> Result<(), Failure> {
    let seeds = workspace_root().join("fuzz/seeds");
    for target in ["whole", "chunked", "tracker", "http", "c_api"] {
        let dir = seeds.join(target);
        if dir.exists() {
            if let Err(error) = fs::remove_dir_all(&dir) {
                return fail(format!("cannot clear {}: {error}", dir.display()));
            }
        }
    }
    for package in ["pullstream", "pullstream-capi"] {
        let mut command = cargo();
        command.args(["test", "-p", package, "--test", "fuzz_regressions", "--"]);
        command.args(["--ignored", "--exact", "write_fuzz_seeds", "--nocapture"]);
        command.env("PULLSTREAM_FUZZ_SEEDS_DIR", &seeds);
        eprintln!("xtask: cargo test -p {package} --test fuzz_regressions -- --ignored --exact write_fuzz_seeds");
        match command.status() {
            Ok(status) if status.success() => {}
            Ok(status) => return fail(format!("writing the {package} seeds failed ({status})")),
            Err(error) => return fail(format!("cannot run cargo: {error}")),
        }
    }
    for target in ["whole", "chunked", "tracker", "http", "c_api"] {
        let count = fs::read_dir(seeds.join(target))
            .map(|entries| entries.count())
            .unwrap_or(0);
        println!("fuzz/seeds/{target}: {count} seeds");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(prefix: &str, libdir: &str) -> InstallOptions {
        InstallOptions {
            prefix: PathBuf::from(prefix),
            libdir: PathBuf::from(libdir),
            profile: String::from("release"),
            destdir: None,
        }
    }

    #[test]
    fn relative_prefixes_are_resolved_in_the_text() {
        assert_eq!(
            normalized(Path::new("/a/b/../../opt/./p")),
            Path::new("/opt/p")
        );
        assert_eq!(normalized(Path::new("/../x")), Path::new("/x"));
        let made = absolute(Path::new("x/../y")).unwrap_or_default();
        assert!(made.is_absolute() && made.ends_with("y"), "{made:?}");
        assert!(!made.components().any(|c| c == Component::ParentDir));
    }

    #[test]
    fn pc_file_escapes_spaces() {
        let pc = pkg_config(&options("/opt/my libs", "lib64"), "0.1.0", &["-lm".into()]);
        assert!(
            pc.starts_with("prefix=/opt/my\\ libs\nlibdir=${prefix}/lib64\n"),
            "{pc}"
        );
        let pc = pkg_config(&options("/opt", "/usr/lib/x y"), "0.1.0", &[]);
        assert!(pc.contains("\nlibdir=/usr/lib/x\\ y\n"), "{pc}");
    }
}
