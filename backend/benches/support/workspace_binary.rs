//! Builds a workspace binary (brokersim, mailsink) with the profile this bench was built with,
//! so a release bench talks to a release process. A bench that starts one includes this file
//! with `#[path = "support/workspace_binary.rs"] mod workspace_binary;`.

use std::path::PathBuf;

/// Builds `package`'s binary of the same name (quick when fresh); its path.
pub fn build(package: &str) -> PathBuf {
    // The bench binary lives in <target>/<profile dir>/deps; the others one level up.
    let exe = std::env::current_exe().expect("the bench binary's path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the bench binary sits in <target>/<profile>/deps")
        .to_path_buf();
    let profile = match profile_dir.file_name().and_then(|name| name.to_str()) {
        Some("debug") => "dev".to_owned(),
        Some(name) => name.to_owned(),
        None => "release".to_owned(),
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = std::process::Command::new(cargo)
        .args(["build", "--quiet", "--profile", &profile])
        .args(["-p", package, "--bin", package])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap_or_else(|err| panic!("cargo runs to build {package}: {err}"));
    assert!(status.success(), "building {package} failed");
    profile_dir.join(package)
}
