//! Gives the shared library the SONAME of its ABI version, so programs linked against
//! `libpullstream.so` record `libpullstream.so.<major>` and keep working across compatible
//! upgrades (`cargo xtask install` creates the links; cargo-c sets the same name).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" || target_os.ends_with("bsd") {
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libpullstream.so.{major}");
    }
}
