//! The prebuilt distributions, installed as users install them, with no network and no
//! `cargo` on PATH: the wheel in a fresh virtualenv, the npm packages in a fresh Node
//! project, and the pre-commit hook repository reaching the wheel through `PIP_FIND_LINKS`.
//!
//! The artifacts come from `packaging/build.sh` (`AWSGUARD_DIST`, default target/dist),
//! which `.ci/run` runs before `cargo test`. Under CI (or `AWSGUARD_REQUIRE_DIST=1`) their
//! absence fails the tests; elsewhere the tests say why they did not run.

mod util;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Instant;

use util::{Run, TestRepo, fake};

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn dist() -> Option<PathBuf> {
    let required = std::env::var("AWSGUARD_REQUIRE_DIST").is_ok_and(|v| !v.is_empty() && v != "0")
        || std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
    let dir = std::env::var_os("AWSGUARD_DIST")
        .filter(|v| !v.is_empty())
        .map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/dist"), PathBuf::from);
    let found = dir.join(format!("npm/awsguard-{VERSION}.tgz")).is_file();
    let why = format!("no distributions built in {} (run packaging/build.sh)", dir.display());
    assert!(found || !required, "{why}, and this run requires them (CI or AWSGUARD_REQUIRE_DIST)");
    if !found {
        eprintln!("SKIPPED: {why}");
    }
    found.then_some(dir)
}

/// The parent's PATH without any directory holding `cargo`: a machine without Rust.
fn path_without_cargo() -> OsString {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path).filter(|d| !d.join("cargo").exists()).collect();
    assert!(dirs.iter().any(|d| d.join("git").exists()), "git must stay on PATH");
    std::env::join_paths(dirs).unwrap()
}

fn path_with(first: &Path, rest: &OsString) -> OsString {
    std::env::join_paths(std::iter::once(first.to_path_buf()).chain(std::env::split_paths(rest))).unwrap()
}

fn run(repo: &TestRepo, path: &OsString, program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Run {
    let program = program.as_ref().to_owned();
    let mut cmd = repo.command(&program);
    cmd.env("PATH", path).args(args);
    Run { what: format!("{} {}", program.to_string_lossy(), args.join(" ")), output: cmd.output().unwrap() }
}

/// A key commit is blocked, then a clean one passes, through whatever hook is installed.
fn blocks_a_key_and_passes_a_clean_commit(repo: &TestRepo, path: &OsString) {
    let key = fake().key_id("AKIA");
    repo.stage("config.js", format!("module.exports = {{ accessKeyId: '{key}' }};\n"));
    let blocked = run(repo, path, "git", &["commit", "-q", "-m", "key"]);
    assert_ne!(blocked.code(), 0, "{}", blocked.all());
    blocked.assert_contains("config.js:1:").assert_contains("awsguard: commit blocked").assert_lacks(&key);
    assert_eq!(repo.head(), None);
    repo.stage("config.js", "module.exports = { region: process.env.AWS_REGION };\n");
    run(repo, path, "git", &["commit", "-q", "-m", "clean"]).assert_code(0);
    assert!(repo.head().is_some());
}

#[test]
fn the_wheel_installs_in_a_fresh_venv_and_its_hook_blocks() {
    let Some(dist) = dist() else { return };
    let repo = TestRepo::new();
    let path = path_without_cargo();
    let venv = repo.home.join("venv");
    run(&repo, &path, "python3", &["-m", "venv", venv.to_str().unwrap()]).assert_code(0);
    let wheels = dist.join("wheels");
    run(
        &repo,
        &path,
        venv.join("bin/pip"),
        &["install", "--no-index", "--find-links", wheels.to_str().unwrap(), "awsguard"],
    )
    .assert_code(0);
    let awsguard = venv.join("bin/awsguard");
    run(&repo, &path, &awsguard, &["--version"]).assert_code(0).assert_contains(VERSION);
    run(&repo, &path, &awsguard, &["install"]).assert_code(0).assert_contains(&awsguard.display().to_string());
    blocks_a_key_and_passes_a_clean_commit(&repo, &path);
}

#[test]
fn the_npm_package_installs_offline_and_npx_awsguard_install_protects_the_project() {
    let Some(dist) = dist() else { return };
    let repo = TestRepo::new();
    let path = path_without_cargo();
    repo.write("package.json", r#"{"name":"lambda","version":"1.0.0","private":true}"#);
    repo.write(".gitignore", "node_modules\n");
    let npm = dist.join("npm");
    let main = npm.join(format!("awsguard-{VERSION}.tgz"));
    let platform = npm.join(format!("awsguard-linux-x64-{VERSION}.tgz"));
    run(
        &repo,
        &path,
        "npm",
        &[
            "install",
            "--offline",
            "--no-audit",
            "--no-fund",
            "--save-dev",
            main.to_str().unwrap(),
            platform.to_str().unwrap(),
        ],
    )
    .assert_code(0);
    let binary = repo.root.join("node_modules/@awsguard/linux-x64/bin/awsguard");
    assert!(binary.is_file(), "the platform package holds the binary");
    run(&repo, &path, "npx", &["--no-install", "awsguard", "--version"]).assert_code(0).assert_contains(VERSION);
    run(&repo, &path, "npx", &["--no-install", "awsguard", "install"]).assert_code(0);
    blocks_a_key_and_passes_a_clean_commit(&repo, &path);
}

#[test]
fn the_pre_commit_hook_installs_the_wheel_and_blocks_without_compiling() {
    let Some(dist) = dist() else { return };
    let Some(pre_commit) = std::env::var_os("AWSGUARD_PRE_COMMIT").filter(|v| !v.is_empty()).map(PathBuf::from) else {
        let required = std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
            || std::env::var("AWSGUARD_REQUIRE_PRE_COMMIT").is_ok_and(|v| !v.is_empty() && v != "0");
        assert!(!required, "AWSGUARD_PRE_COMMIT is not set, and this run requires the pre-commit framework");
        eprintln!("SKIPPED: AWSGUARD_PRE_COMMIT is not set");
        return;
    };
    let repo = TestRepo::new();
    let hook_repo = dist.join("pre-commit");
    repo.write(
        ".pre-commit-config.yaml",
        format!("repos:\n  - repo: {}\n    rev: v{VERSION}\n    hooks:\n      - id: awsguard\n", hook_repo.display()),
    );
    repo.add(&[".pre-commit-config.yaml"]);
    let venv_bin = pre_commit.parent().unwrap().to_path_buf();
    let path = path_with(&venv_bin, &path_without_cargo());
    let with_pip_env = |program: &Path, args: &[&str]| {
        let mut cmd = repo.command(program);
        cmd.env("PATH", &path)
            .env("PRE_COMMIT_HOME", repo.home.join("pre-commit-cache"))
            .env("PIP_FIND_LINKS", dist.join("wheels"))
            .env("PIP_NO_INDEX", "1")
            .args(args);
        Run { what: format!("{} {}", program.display(), args.join(" ")), output: cmd.output().unwrap() }
    };
    let key = fake().key_id("AKIA");
    repo.stage("config.js", format!("const id = '{key}';\n"));
    let start = Instant::now();
    with_pip_env(&pre_commit, &["install"]).assert_code(0);
    let blocked = with_pip_env(Path::new("git"), &["commit", "-q", "-m", "key"]);
    let elapsed = start.elapsed();
    eprintln!("first `pre-commit install && git commit` with the wheel: {:.1} s", elapsed.as_secs_f64());
    assert_ne!(blocked.code(), 0, "{}", blocked.all());
    blocked.assert_contains("config.js:1:").assert_lacks(&key);
    // Under 30 s on the 2-core machine it was measured on (BENCHMARKS.md), even with a load
    // average of 16; the bound here only catches a compilation sneaking back in (minutes),
    // since this test shares the machine with the rest of the suite.
    assert!(elapsed.as_secs() < 120, "first pre-commit install and commit took {elapsed:?}");
    repo.stage("config.js", "const id = process.env.AWS_ACCESS_KEY_ID;\n");
    with_pip_env(Path::new("git"), &["commit", "-q", "-m", "clean"]).assert_code(0);
    assert!(repo.head().is_some());
}
