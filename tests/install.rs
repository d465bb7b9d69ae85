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

/// husky and lefthook from npm: `AWSGUARD_NODE_MODULES` (a `node_modules` holding both;
/// `.ci/run` installs them into target/ci-node), else target/ci-node/node_modules if there.
/// Under CI (or `AWSGUARD_REQUIRE_NODE_TOOLS=1`) their absence fails the test.
fn node_modules() -> Option<std::path::PathBuf> {
    let required = std::env::var("AWSGUARD_REQUIRE_NODE_TOOLS").is_ok_and(|v| !v.is_empty() && v != "0")
        || std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
    let dir = match std::env::var_os("AWSGUARD_NODE_MODULES").filter(|v| !v.is_empty()) {
        Some(named) => std::path::PathBuf::from(named),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ci-node/node_modules"),
    };
    let found = ["husky", "lefthook"].iter().all(|t| dir.join(".bin").join(t).exists());
    let why = format!(
        "husky and lefthook are not installed in {} (npm install --prefix target/ci-node husky lefthook)",
        dir.display()
    );
    assert!(found || !required, "{why}, and this run requires them (CI or AWSGUARD_REQUIRE_NODE_TOOLS)");
    if !found {
        eprintln!("SKIPPED: {why}");
    }
    found.then_some(dir)
}

/// A JavaScript project: package.json (with npm init's failing test script), node_modules
/// linked to the tools, and a PATH with node_modules/.bin and the awsguard under test.
fn js_project(modules: &Path) -> (TestRepo, std::ffi::OsString) {
    let repo = TestRepo::new();
    repo.write(
        "package.json",
        r#"{"name":"lambda","version":"1.0.0","scripts":{"test":"echo \"Error: no test specified\" && exit 1"}}"#,
    );
    repo.write(".gitignore", "node_modules\n");
    std::os::unix::fs::symlink(modules, repo.root.join("node_modules")).unwrap();
    let bin_dir = awsguard_bin().parent().unwrap().to_path_buf();
    let path = std::env::join_paths(
        [repo.root.join("node_modules/.bin"), bin_dir]
            .into_iter()
            .chain(std::env::split_paths(&util::path_with(Path::new("/nonexistent")))),
    )
    .unwrap();
    (repo, path)
}

fn run_with_path(repo: &TestRepo, path: &std::ffi::OsStr, program: &str, args: &[&str]) -> util::Run {
    let mut cmd = repo.command(program);
    cmd.env("PATH", path).args(args);
    let output = cmd.output().unwrap();
    util::Run { what: format!("{program} {}", args.join(" ")), output }
}

fn commit_with_path(repo: &TestRepo, path: &std::ffi::OsStr) -> util::Run {
    run_with_path(repo, path, "git", &["commit", "-q", "-m", "test"])
}

#[test]
fn husky_runs_awsguard_first_and_keeps_it_across_npm_install() {
    let Some(modules) = node_modules() else { return };
    let (repo, path) = js_project(&modules);
    run_with_path(&repo, &path, "husky", &["init"]).assert_code(0);
    let husky_own = std::fs::read(repo.root.join(".husky/_/pre-commit")).unwrap();
    run_with_path(&repo, &path, awsguard_bin().to_str().unwrap(), &["install"])
        .assert_code(0)
        .assert_contains("added awsguard at the top of");
    // husky's own scripts are untouched and nothing was renamed.
    assert_eq!(std::fs::read(repo.root.join(".husky/_/pre-commit")).unwrap(), husky_own);
    let underscore: Vec<_> =
        std::fs::read_dir(repo.root.join(".husky/_")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(!underscore.iter().any(|n| n.to_string_lossy().contains("awsguard")), "{underscore:?}");
    // An install by an older awsguard, which wrapped husky's own script, is undone.
    let own = repo.root.join(".husky/_/pre-commit");
    std::fs::rename(&own, repo.root.join(".husky/_/pre-commit.pre-awsguard")).unwrap();
    std::fs::copy(util::hook_script(), &own).unwrap();
    run_with_path(&repo, &path, awsguard_bin().to_str().unwrap(), &["install"])
        .assert_code(0)
        .assert_contains("restored your previous");
    assert_eq!(std::fs::read(&own).unwrap(), husky_own);
    assert!(!repo.root.join(".husky/_/pre-commit.pre-awsguard").exists());
    let user = std::fs::read_to_string(repo.root.join(".husky/pre-commit")).unwrap();
    assert!(user.starts_with("# awsguard-hook: begin pre-commit") && user.ends_with("npm test\n"), "{user}");

    let key = fake().key_id("AKIA");
    repo.stage("k.txt", format!("{key}\n"));
    let blocked = commit_with_path(&repo, &path);
    assert_ne!(blocked.code(), 0, "{}", blocked.all());
    blocked.assert_contains("k.txt:1:1:").assert_contains("awsguard: commit blocked").assert_lacks(&key);
    blocked.assert_lacks("no test specified");
    // husky's prepare (what `npm install` runs) rewrites .husky/_/; awsguard is still there.
    run_with_path(&repo, &path, "npm", &["pkg", "set", "scripts.prepare=husky"]).assert_code(0);
    run_with_path(&repo, &path, "npm", &["run", "prepare"]).assert_code(0);
    let again = commit_with_path(&repo, &path);
    assert_ne!(again.code(), 0, "{}", again.all());
    again.assert_contains("awsguard: commit blocked");
    assert_eq!(repo.head(), None);
    // A clean commit reaches the user's own command after awsguard.
    repo.stage("k.txt", "clean\n");
    run_with_path(&repo, &path, "npm", &["pkg", "set", "scripts.test=exit 0"]).assert_code(0);
    repo.add(&["package.json", ".gitignore", ".husky"]);
    commit_with_path(&repo, &path).assert_code(0);
    assert!(repo.head().is_some());

    run_with_path(&repo, &path, awsguard_bin().to_str().unwrap(), &["uninstall"])
        .assert_code(0)
        .assert_contains("removed awsguard's lines from");
    assert_eq!(std::fs::read_to_string(repo.root.join(".husky/pre-commit")).unwrap(), "npm test\n");
    assert!(!repo.root.join(".husky/pre-push").exists(), "the pre-push file install created is gone");
}

#[test]
fn lefthook_gets_a_command_and_blocks_through_it() {
    let Some(modules) = node_modules() else { return };
    let (repo, path) = js_project(&modules);
    repo.write("lefthook.yml", "# lefthook configuration\n");
    run_with_path(&repo, &path, "lefthook", &["install"]).assert_code(0);
    run_with_path(&repo, &path, awsguard_bin().to_str().unwrap(), &["install"])
        .assert_code(0)
        .assert_contains("added a pre-commit command to");
    run_with_path(&repo, &path, "lefthook", &["install"]).assert_code(0);

    let key = fake().key_id("AKIA");
    repo.stage("k.txt", format!("{key}\n"));
    let blocked = commit_with_path(&repo, &path);
    assert_ne!(blocked.code(), 0, "{}", blocked.all());
    blocked.assert_contains("k.txt:1:1:").assert_lacks(&key);
    assert_eq!(repo.head(), None);
    repo.stage("k.txt", "clean\n");
    commit_with_path(&repo, &path).assert_code(0);
    assert!(repo.head().is_some());

    run_with_path(&repo, &path, awsguard_bin().to_str().unwrap(), &["uninstall"]).assert_code(0);
    assert_eq!(std::fs::read_to_string(repo.root.join("lefthook.yml")).unwrap(), "# lefthook configuration\n");
}

#[test]
fn lefthook_with_its_own_section_gets_exact_instructions() {
    let repo = TestRepo::new();
    let config = "pre-commit:\n  commands:\n    lint:\n      run: eslint\n";
    repo.write("lefthook.yml", config);
    repo.awsguard(&["install", "--hook", "pre-commit"])
        .assert_code(2)
        .assert_contains("under `pre-commit:` > `commands:`, add:\n    awsguard:\n      run: awsguard pre-commit");
    assert_eq!(std::fs::read_to_string(repo.root.join("lefthook.yml")).unwrap(), config);
}

#[test]
fn uninstall_removes_every_hook_install_added() {
    let repo = TestRepo::new();
    repo.awsguard(&["install", "--hook", "all", "--binary", awsguard_bin().to_str().unwrap()]).assert_code(0);
    let hooks = repo.root.join(".git/hooks");
    for hook in ["pre-commit", "pre-push", "commit-msg"] {
        assert!(hooks.join(hook).is_file(), "{hook}");
    }
    let run = repo.awsguard(&["uninstall"]);
    run.assert_code(0);
    for hook in ["pre-commit", "pre-push", "commit-msg"] {
        run.assert_contains(&format!("removed {}", hooks.join(hook).display()));
        assert!(!hooks.join(hook).exists(), "{hook} is left");
    }
}

#[test]
fn install_adds_pre_push_by_default() {
    let repo = TestRepo::with_hook();
    assert!(repo.root.join(".git/hooks/pre-push").is_file());
}

#[test]
fn uninstall_global_removes_the_template_it_created() {
    let repo = TestRepo::new();
    repo.awsguard(&["install", "--global", "--binary", awsguard_bin().to_str().unwrap()]).assert_code(0);
    let template = repo.home.join(".git-template");
    assert!(template.join("hooks/pre-commit").is_file());
    repo.awsguard(&["uninstall", "--global"]).assert_code(0).assert_contains("removed the hooks template");
    assert!(!template.exists());
    let config = std::fs::read_to_string(repo.home.join(".gitconfig")).unwrap();
    assert!(!config.contains("templateDir") && !config.contains("templatedir"), "{config}");
}

#[test]
fn a_dotfiles_repository_with_a_bare_git_dir_is_protected() {
    let repo = TestRepo::new();
    let git_dir = repo.home.join("dotfiles.git");
    repo.git(&["init", "-q", "--bare", git_dir.to_str().unwrap()]);
    let work = repo.home.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let dot = |args: &[&str]| {
        let mut cmd = repo.command("git");
        cmd.current_dir(&work).arg(format!("--git-dir={}", git_dir.display())).arg("--work-tree=.");
        cmd.args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"]).args(args);
        util::Run { what: format!("dotfiles git {}", args.join(" ")), output: cmd.output().unwrap() }
    };
    let mut install = repo.command(awsguard_bin());
    install.current_dir(&work).env("GIT_DIR", &git_dir).env("GIT_WORK_TREE", &work);
    install.args(["install", "--binary", awsguard_bin().to_str().unwrap()]);
    let out = install.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(git_dir.join("hooks/pre-commit").is_file());

    let secret = fake().secret();
    std::fs::create_dir_all(work.join(".aws")).unwrap();
    std::fs::write(work.join(".aws/credentials"), format!("aws_secret_access_key = {secret}\n")).unwrap();
    dot(&["add", ".aws/credentials"]).assert_code(0);
    let blocked = dot(&["commit", "-q", "-m", "dotfiles"]);
    assert_ne!(blocked.code(), 0, "{}", blocked.all());
    blocked.assert_contains(".aws/credentials:1:").assert_lacks(&secret);
    std::fs::write(work.join(".aws/credentials"), "[default]\nregion = eu-west-1\n").unwrap();
    dot(&["add", ".aws/credentials"]).assert_code(0);
    dot(&["commit", "-q", "-m", "dotfiles"]).assert_code(0);
}

#[test]
fn a_hook_linked_to_a_tracked_file_is_not_rewritten_through_the_link() {
    let repo = TestRepo::new();
    // awsguard's script, tracked in the repository (as this repository does), linked in.
    let tracked = std::fs::read_to_string(util::hook_script()).unwrap();
    repo.write("hooks/pre-commit", &tracked);
    let hook = repo.root.join(".git/hooks/pre-commit");
    std::os::unix::fs::symlink(repo.root.join("hooks/pre-commit"), &hook).unwrap();
    // A foreign script, tracked and linked in too.
    repo.write("hooks/pre-push", "#!/bin/sh\nexit 0\n");
    std::os::unix::fs::symlink(repo.root.join("hooks/pre-push"), repo.root.join(".git/hooks/pre-push")).unwrap();
    repo.awsguard(&["install", "--binary", awsguard_bin().to_str().unwrap()])
        .assert_code(0)
        .assert_contains("is a symbolic link to a copy of awsguard's hook");
    assert_eq!(std::fs::read_to_string(repo.root.join("hooks/pre-commit")).unwrap(), tracked);
    assert_eq!(std::fs::read_to_string(repo.root.join("hooks/pre-push")).unwrap(), "#!/bin/sh\nexit 0\n");
    let kept = repo.root.join(".git/hooks/pre-push.pre-awsguard");
    assert!(std::fs::symlink_metadata(&kept).unwrap().file_type().is_symlink(), "the link itself is kept");
    assert!(std::fs::read_to_string(repo.root.join(".git/hooks/pre-push")).unwrap().contains("# awsguard-hook"));
}

#[test]
fn install_reports_a_credential_already_in_history() {
    let repo = TestRepo::new();
    let key = fake().key_id("AKIA");
    repo.stage("deploy/config.js", format!("module.exports = {{ id: '{key}' }};\n"));
    repo.commit_unchecked("deploy config");
    let commit = repo.head().unwrap();
    let run = repo.awsguard(&["install", "--binary", awsguard_bin().to_str().unwrap()]);
    run.assert_code(1)
        .assert_contains("ALREADY COMMITTED")
        .assert_contains("ROTATE THESE KEYS NOW")
        .assert_contains("git filter-repo")
        .assert_contains(&commit[..12])
        .assert_contains("deploy/config.js:1:")
        .assert_lacks(&key);
    // The hooks are in place all the same, and the push of that history is stopped.
    assert!(repo.root.join(".git/hooks/pre-commit").is_file());
    assert!(repo.root.join(".git/hooks/pre-push").is_file());

    let clean = TestRepo::new();
    clean.stage("a.txt", "clean\n");
    clean.commit_unchecked("clean");
    clean
        .awsguard(&["install", "--binary", awsguard_bin().to_str().unwrap()])
        .assert_code(0)
        .assert_contains("holds no AWS credential");
}

#[test]
fn install_sh_says_loudly_when_history_already_holds_a_key() {
    let repo = TestRepo::new();
    let key = fake().key_id("AKIA");
    repo.stage("claudia.json", format!("{{\"accessKeyId\": \"{key}\"}}\n"));
    repo.commit_unchecked("deploy");
    let out = repo
        .command("sh")
        .arg(install_sh())
        .args(["--binary", awsguard_bin().to_str().unwrap()])
        .args(["--bin-dir", repo.home.join("bin").to_str().unwrap()])
        .args(["--repo", repo.root.to_str().unwrap()])
        .output()
        .unwrap();
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{all}");
    for needle in ["ALREADY COMMITTED", "claudia.json:1:", "ROTATE THESE KEYS NOW", "git filter-repo", "ALREADY holds"]
    {
        assert!(all.contains(needle), "lacks {needle:?}\n{all}");
    }
    assert!(!all.contains(&key), "{all}");
    assert!(repo.root.join(".git/hooks/pre-push").is_file());
}

#[test]
fn the_pre_commit_framework_gets_the_entry_to_add() {
    let repo = TestRepo::new();
    repo.write(".pre-commit-config.yaml", "repos: []\n");
    repo.awsguard(&["install", "--binary", awsguard_bin().to_str().unwrap()])
        .assert_code(0)
        .assert_contains("this repository uses the pre-commit framework")
        .assert_contains("      - id: awsguard");
    assert!(repo.root.join(".git/hooks/pre-commit").is_file(), "the hook works meanwhile");
    repo.write(".pre-commit-config.yaml", "repos:\n  - repo: local\n    hooks:\n      - id: awsguard\n");
    repo.awsguard(&["install"]).assert_code(0).assert_lacks("uses the pre-commit framework");
}
