//! The installers: install.sh and `awsguard install`/`uninstall`, in real repositories.

mod util;

use std::path::Path;

use util::{TestRepo, awsguard_bin, fake};

fn install_sh() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("install.sh")
}

#[test]
fn install_sh_installs_the_binary_and_a_working_hook() {
    let repo = TestRepo::new();
    let bin_dir = repo.home.join("bin");
    let mut cmd = repo.command("sh");
    cmd.arg(install_sh())
        .args(["--binary", awsguard_bin().to_str().unwrap()])
        .args(["--bin-dir", bin_dir.to_str().unwrap()])
        .args(["--repo", repo.root.to_str().unwrap()]);
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("the hook works"), "{stdout}");
    assert!(bin_dir.join("awsguard").is_file());
    let hook = std::fs::read_to_string(repo.root.join(".git/hooks/pre-commit")).unwrap();
    assert!(hook.contains(&format!("AWSGUARD_BIN='{}'", bin_dir.join("awsguard").display())), "{hook}");

    // The installed hook blocks a key, with the binary found through the recorded path.
    let key = fake().key_id("AKIA");
    repo.stage("k.txt", format!("{key}\n"));
    repo.assert_blocked(&[], "k.txt:1:1:", &key);

    // Running it again is harmless.
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("already installed and up to date"));
}

#[test]
fn install_sh_refuses_unknown_arguments() {
    let repo = TestRepo::new();
    let out = repo.command("sh").arg(install_sh()).arg("--frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown argument"));
}

#[test]
fn install_is_idempotent() {
    let repo = TestRepo::with_hook();
    let hook = repo.root.join(".git/hooks/pre-commit");
    let first = std::fs::read(&hook).unwrap();
    repo.awsguard(&["install", "--binary", awsguard_bin().to_str().unwrap()])
        .assert_code(0)
        .assert_contains("already installed and up to date");
    assert_eq!(std::fs::read(&hook).unwrap(), first);
    assert!(!repo.root.join(".git/hooks/pre-commit.pre-awsguard").exists(), "its own hook is not chained to itself");
}

#[test]
fn an_existing_hook_is_kept_run_first_and_restored_on_uninstall() {
    let repo = TestRepo::new();
    let hook = repo.root.join(".git/hooks/pre-commit");
    let marker = repo.root.join("previous-hook-ran");
    let previous = format!("#!/bin/sh\necho ran > '{}'\nexit 0\n", marker.display());
    std::fs::write(&hook, &previous).unwrap();
    make_executable(&hook);

    repo.awsguard(&["install", "--binary", awsguard_bin().to_str().unwrap()])
        .assert_code(0)
        .assert_contains("kept your existing hook");
    assert_eq!(std::fs::read_to_string(hook.with_file_name("pre-commit.pre-awsguard")).unwrap(), previous);

    // Both run: the previous hook first, then awsguard, which blocks.
    let key = fake().key_id("AKIA");
    repo.stage("k.txt", format!("{key}\n"));
    repo.assert_blocked(&[], "k.txt:1:1:", &key);
    assert!(marker.exists(), "the previous hook ran");

    // A failing previous hook blocks on its own.
    std::fs::write(hook.with_file_name("pre-commit.pre-awsguard"), "#!/bin/sh\necho previous says no >&2\nexit 7\n")
        .unwrap();
    repo.stage("k.txt", "clean\n");
    let run = repo.commit(&[]);
    assert_eq!(run.code(), 1, "git reports a failed hook as 1\n{}", run.all());
    run.assert_contains("previous says no");
    assert_eq!(repo.head(), None);

    std::fs::write(hook.with_file_name("pre-commit.pre-awsguard"), &previous).unwrap();
    repo.awsguard(&["uninstall"]).assert_code(0).assert_contains("restored your previous");
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), previous);
    assert!(!hook.with_file_name("pre-commit.pre-awsguard").exists());
}

#[test]
fn install_will_not_overwrite_two_foreign_hooks() {
    let repo = TestRepo::new();
    let hooks = repo.root.join(".git/hooks");
    std::fs::write(hooks.join("pre-commit"), "#!/bin/sh\nexit 0\n").unwrap();
    std::fs::write(hooks.join("pre-commit.pre-awsguard"), "#!/bin/sh\nexit 0\n").unwrap();
    repo.awsguard(&["install"]).assert_code(2).assert_contains("will not overwrite");
    assert_eq!(std::fs::read_to_string(hooks.join("pre-commit")).unwrap(), "#!/bin/sh\nexit 0\n");
}

#[test]
fn uninstall_leaves_a_foreign_hook_alone() {
    let repo = TestRepo::new();
    let hook = repo.root.join(".git/hooks/pre-commit");
    std::fs::write(&hook, "#!/bin/sh\nexit 0\n").unwrap();
    repo.awsguard(&["uninstall"]).assert_code(0).assert_contains("not awsguard's hook");
    assert!(hook.exists());
}

fn make_executable(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}
