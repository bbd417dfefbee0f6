//! The workspace's `rust-version` is true: no dependency needs a newer
//! Rust, every package inherits it (so clippy's `incompatible_msrv`,
//! which CI runs with `-D warnings`, checks our own code against it), and
//! the README's quick start names the same version.

use std::process::Command;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// `1.85`, `1.85.0` as comparable numbers.
fn version(s: &str) -> (u32, u32, u32) {
    let mut parts = s.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let mut next = || parts.next().unwrap_or(0);
    (next(), next(), next())
}

/// The workspace's declared `rust-version`.
fn declared() -> String {
    let manifest = std::fs::read_to_string(format!("{ROOT}/Cargo.toml")).expect("Cargo.toml");
    manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("the workspace declares rust-version")
        .to_owned()
}

#[test]
fn no_dependency_needs_a_newer_rust_than_the_workspace_declares() {
    let ours = declared();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1"])
        .current_dir(ROOT)
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = String::from_utf8_lossy(&out.stdout);
    let needs: Vec<&str> = json
        .split("\"rust_version\":\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert!(needs.len() > 10, "cargo metadata lists rust versions");
    let newest = needs
        .iter()
        .copied()
        .max_by_key(|v| version(v))
        .expect("some");
    assert!(
        version(newest) <= version(&ours),
        "a dependency needs Rust {newest}, the workspace declares {ours}"
    );
    // Every package of ours declares it too, by inheritance.
    let declaring = needs.iter().filter(|v| **v == ours).count();
    assert!(declaring >= 5, "{declaring} packages declare {ours}");
}

/// The workspace's members, as its manifest lists them.
fn members() -> Vec<String> {
    let manifest = std::fs::read_to_string(format!("{ROOT}/Cargo.toml")).expect("Cargo.toml");
    let line = manifest
        .lines()
        .find_map(|l| l.strip_prefix("members = ["))
        .expect("the workspace lists its members on one line");
    line.trim_end_matches(']')
        .split(',')
        .map(|m| m.trim().trim_matches('"').to_owned())
        .filter(|m| !m.is_empty())
        .collect()
}

#[test]
fn every_package_inherits_the_rust_version() {
    let members = members();
    assert!(
        members.iter().any(|m| m == "examples/scheme"),
        "{members:?}"
    );
    for member in &members {
        let manifest = std::fs::read_to_string(format!("{ROOT}/{member}/Cargo.toml"))
            .expect("member manifest");
        assert!(
            manifest.contains("rust-version.workspace = true"),
            "{member}/Cargo.toml does not inherit rust-version"
        );
    }
}

#[test]
fn the_readme_names_the_declared_rust_version() {
    let ours = declared();
    let readme = std::fs::read_to_string(format!("{ROOT}/README.md")).expect("README.md");
    assert!(
        readme.contains(&format!("Rust toolchain ({ours} or newer)")),
        "the README's quick start names another Rust version than {ours}"
    );
}
