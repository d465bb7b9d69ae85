//! Fitting in: pre-push, commit-msg, history and file scans, the global installer, and
//! the real pre-commit framework. (What is printed: tests/output.rs.)

mod util;

use std::path::{Path, PathBuf};

use util::{TestRepo, awsguard_bin, fake};

fn install(repo: &TestRepo, hooks: &[&str]) {
    let bin = awsguard_bin();
    let mut args = vec!["install", "--binary", bin.to_str().unwrap()];
    for hook in hooks {
        args.extend(["--hook", hook]);
    }
    repo.awsguard(&args).assert_code(0);
}

/// A repository with a bare remote `origin` that already has one clean commit on main.
fn repo_with_remote() -> (TestRepo, PathBuf) {
    let repo = TestRepo::new();
    let remote = repo.home.join("origin.git");
    repo.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    repo.stage("README", "hello\n");
    repo.commit_unchecked("first");
    repo.git(&["push", "-q", "-u", "origin", "main"]);
    (repo, remote)
}

fn remote_head(repo: &TestRepo, remote: &Path, branch: &str) -> Option<String> {
    let run = repo.git_run(&["--git-dir", remote.to_str().unwrap(), "rev-parse", "-q", "--verify", branch]);
    (run.code() == 0).then(|| run.stdout().trim().to_string())
}

#[test]
fn pre_push_blocks_a_key_committed_without_the_hook() {
    let (repo, remote) = repo_with_remote();
    install(&repo, &["pre-push"]);
    let key = fake().key_id("AKIA");
    repo.stage("deploy.sh", format!("export AWS_ACCESS_KEY_ID={key}\n"));
    repo.commit_unchecked("committed with --no-verify");
    let commit = repo.head().unwrap();
    repo.stage("more.txt", "more\n");
    repo.commit_unchecked("a later clean commit");
    let before = remote_head(&repo, &remote, "main");
    let run = repo.git_run(&["push", "-q", "origin", "main"]);
    assert_ne!(run.code(), 0, "push went through\n{}", run.all());
    run.assert_contains(&format!("{}:deploy.sh:1:26: aws.access-key-id:", &commit[..12])).assert_lacks(&key);
    assert_eq!(remote_head(&repo, &remote, "main"), before, "the remote did not move");
    // Removing the key in a new commit is not enough: the old commit would still be sent.
    repo.stage("deploy.sh", "export AWS_ACCESS_KEY_ID=$KEY\n");
    repo.commit_unchecked("remove the key");
    assert_ne!(repo.git_run(&["push", "-q", "origin", "main"]).code(), 0);
    // Rewriting history so the key never existed lets the push through.
    repo.git(&["reset", "-q", "--hard", "origin/main"]);
    repo.stage("deploy.sh", "export AWS_ACCESS_KEY_ID=$KEY\n");
    repo.commit_unchecked("clean");
    repo.git_run(&["push", "-q", "origin", "main"]).assert_code(0);
}

#[test]
fn pre_push_of_a_new_branch_scans_only_what_the_remote_lacks() {
    let (repo, remote) = repo_with_remote();
    // A key that is already on the remote (pushed before the hook existed).
    repo.stage("old.txt", format!("{}\n", fake().key_id("AKIA")));
    repo.commit_unchecked("old key");
    repo.git(&["push", "-q", "origin", "main"]);
    // install reports the key already in history (exit 1), and installs the hook all the same.
    let bin = awsguard_bin();
    repo.awsguard(&["install", "--binary", bin.to_str().unwrap(), "--hook", "pre-push"])
        .assert_code(1)
        .assert_contains("ALREADY COMMITTED");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.stage("new.txt", "clean\n");
    repo.commit_unchecked("feature work");
    repo.git_run(&["push", "-q", "origin", "feature"]).assert_code(0);
    assert!(remote_head(&repo, &remote, "feature").is_some());
    // Deleting a branch sends nothing and passes.
    repo.git_run(&["push", "-q", "origin", "--delete", "feature"]).assert_code(0);
}

#[test]
fn pre_push_keeps_and_feeds_an_existing_hook() {
    let (repo, _remote) = repo_with_remote();
    let previous = repo.root.join(".git/hooks/pre-push");
    let seen = repo.home.join("seen-refs");
    std::fs::write(&previous, format!("#!/bin/sh\ncat > '{}'\n", seen.display())).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&previous, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    install(&repo, &["pre-push"]);
    repo.stage("a.txt", "a\n");
    repo.commit_unchecked("clean");
    repo.git_run(&["push", "-q", "origin", "main"]).assert_code(0);
    let refs = std::fs::read_to_string(&seen).unwrap();
    assert!(refs.starts_with("refs/heads/main "), "the previous hook got the refs: {refs:?}");
}

#[test]
fn commit_msg_blocks_a_key_in_the_message() {
    let repo = TestRepo::new();
    install(&repo, &["commit-msg"]);
    repo.stage("a.txt", "a\n");
    let key = fake().key_id("AKIA");
    let run = repo.git_run(&["commit", "-q", "-m", &format!("use key {key} for the demo")]);
    assert_ne!(run.code(), 0);
    run.assert_contains("COMMIT_EDITMSG:1:9: aws.access-key-id:").assert_lacks(&key);
    assert_eq!(repo.head(), None);
    repo.git_run(&["commit", "-q", "-m", "a clean message"]).assert_code(0);
}

/// `git commit -v` through an editor that writes `message` above what git prepared (the
/// comments, the scissors line and the staged diff).
fn commit_verbose(repo: &TestRepo, message: &str) -> util::Run {
    let text = repo.home.join("message.txt");
    std::fs::write(&text, message).unwrap();
    let editor = repo.home.join("editor.sh");
    std::fs::write(
        &editor,
        format!("#!/bin/sh\ncat '{}' \"$1\" > \"$1.new\" && mv \"$1.new\" \"$1\"\n", text.display()),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut cmd = repo.command("git");
    cmd.env("GIT_EDITOR", &editor).args(["commit", "-q", "-v"]);
    util::Run { what: format!("git commit -v, message {message:?}"), output: cmd.output().unwrap() }
}

/// Only the message git records is scanned: the staged diff that `git commit -v` shows below
/// the scissors line is not (pre-commit checks the staged changes), but a key above the
/// scissors line, or below a line that merely looks like one, is blocked.
#[test]
fn commit_msg_stops_at_the_scissors_line_and_only_there() {
    let repo = TestRepo::new();
    install(&repo, &["commit-msg"]);
    let mut fake = fake();
    let (staged, in_message) = (fake.key_id("AKIA"), fake.key_id("AKIA"));
    repo.stage("deploy.sh", format!("export AWS_ACCESS_KEY_ID={staged}\n"));

    // Above the scissors line: blocked, at its line in the message file.
    let run = commit_verbose(&repo, &format!("deploy script\n\nkey: {in_message}\n"));
    assert_ne!(run.code(), 0, "a key in the message was committed\n{}", run.all());
    run.assert_contains("COMMIT_EDITMSG:3:6: aws.access-key-id:").assert_lacks(&in_message);
    assert_eq!(repo.head(), None);

    // Lines that look like the scissors line but are not: what follows is message text.
    for lookalike in [
        "------------------------ >8 ------------------------", // not a comment
        "#------------------------ >8 ------------------------", // no space
        "# ------------------------ >8 ------------------------ and more",
        "# ----------------------- >8 ------------------------", // one dash short
        "  # ------------------------ >8 ------------------------",
    ] {
        let run = commit_verbose(&repo, &format!("deploy script\n\n{lookalike}\n{in_message}\n"));
        assert_ne!(run.code(), 0, "a key below {lookalike:?} was committed\n{}", run.all());
        run.assert_contains("COMMIT_EDITMSG:4:1: aws.access-key-id:").assert_lacks(&in_message);
        assert_eq!(repo.head(), None, "{lookalike:?}");
    }

    // Below the real scissors line, git's own, is the diff with the staged key: not scanned.
    let run = commit_verbose(&repo, "deploy script\n");
    assert_eq!(run.code(), 0, "the diff below the scissors line blocked the commit\n{}", run.all());
    assert!(repo.head().is_some(), "the commit happened");
    let recorded = repo.git(&["log", "-1", "--format=%B"]);
    assert_eq!(recorded.trim(), "deploy script", "git dropped the diff from the message");

    // With another comment character, git's scissors line uses it, and `#` lines are text.
    repo.git(&["config", "core.commentChar", ";"]);
    repo.stage("deploy.sh", format!("export AWS_ACCESS_KEY_ID={staged}\nexport REGION=eu-west-1\n"));
    let run = commit_verbose(
        &repo,
        &format!("region\n# ------------------------ >8 ------------------------\n{in_message}\n"),
    );
    assert_ne!(run.code(), 0, "a key below a # scissors line was committed with commentChar ;\n{}", run.all());
    run.assert_contains("COMMIT_EDITMSG:3:1: aws.access-key-id:").assert_lacks(&in_message);
    let before = repo.head();
    let run = commit_verbose(&repo, "region\n");
    assert_eq!(run.code(), 0, "the ; scissors line was not honoured\n{}", run.all());
    assert_ne!(repo.head(), before);
}

#[test]
fn install_all_installs_every_hook() {
    let repo = TestRepo::new();
    install(&repo, &["all"]);
    for hook in ["pre-commit", "pre-push", "commit-msg"] {
        let text = std::fs::read_to_string(repo.root.join(".git/hooks").join(hook)).unwrap();
        assert!(text.contains("# awsguard-hook"), "{hook}");
    }
    repo.awsguard(&["uninstall", "--hook", "all"]).assert_code(0);
    assert!(!repo.root.join(".git/hooks/pre-push").exists());
}

#[test]
fn history_reports_commit_path_and_line() {
    let repo = TestRepo::new();
    repo.stage("a.txt", "a\n");
    repo.commit_unchecked("clean");
    let base = repo.head().unwrap();
    let secret = fake().secret();
    repo.stage("b.ini", format!("[x]\naws_secret_access_key = {secret}\n"));
    repo.commit_unchecked("leak");
    let leak = repo.head().unwrap();
    repo.git(&["rm", "-q", "b.ini"]);
    repo.commit_unchecked("removed again, but still in history");
    let run = repo.awsguard(&["history"]);
    run.assert_code(1)
        .assert_contains(&format!("{}:b.ini:2:25: aws.secret-access-key:", &leak[..12]))
        .assert_lacks(&secret);
    repo.awsguard(&["history", &format!("{leak}..HEAD")]).assert_code(0);
    repo.awsguard(&["history", &format!("{base}..HEAD"), "--format", "json"]).assert_code(1).assert_contains(&leak);
    repo.awsguard(&["history", "no-such-ref"]).assert_code(2);
}

#[test]
fn scan_reads_files_on_disk_and_respects_gitignore() {
    let repo = TestRepo::new();
    let mut fake = fake();
    let (k1, k2, k3) = (fake.key_id("AKIA"), fake.key_id("AKIA"), fake.key_id("ASIA"));
    repo.write(".gitignore", "build/\n*.log\n");
    repo.write("src/app.py", format!("KEY = '{k1}'\n"));
    repo.write("build/out.txt", format!("{k2}\n"));
    repo.write("debug.log", format!("{k2}\n"));
    let run = repo.awsguard(&["scan"]);
    run.assert_code(1).assert_contains("src/app.py:1:8:").assert_lacks("build/out.txt").assert_lacks("debug.log");
    repo.awsguard(&["scan", "build/out.txt"]).assert_code(1).assert_contains("build/out.txt:1:1:");
    repo.awsguard(&["scan", ".gitignore"]).assert_code(0);
    // stdin
    let mut cmd = repo.command(awsguard_bin());
    cmd.args(["scan", "-"]).stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(format!("x\ny = {k3}\n").as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("<stdin>:2:5: aws.access-key-id:"));
    // Outside any repository, too.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.env"), format!("AWS_ACCESS_KEY_ID={k1}\n")).unwrap();
    let mut cmd = repo.command(awsguard_bin());
    cmd.current_dir(dir.path()).env("GIT_CEILING_DIRECTORIES", dir.path().parent().unwrap()).arg("scan");
    assert_eq!(cmd.output().unwrap().status.code(), Some(1));
}

#[test]
fn global_install_uses_a_hooks_template_then_core_hooks_path() {
    let repo = TestRepo::new();
    let run = repo.awsguard(&["install", "--global", "--binary", awsguard_bin().to_str().unwrap()]);
    run.assert_code(0).assert_contains("init.templateDir").assert_contains("git init");
    let template = repo.home.join(".git-template/hooks/pre-commit");
    assert!(template.is_file());
    // A new repository gets the hook.
    let fresh = repo.home.join("fresh");
    repo.git(&["init", "-q", fresh.to_str().unwrap()]);
    assert!(fresh.join(".git/hooks/pre-commit").is_file());
    let key = fake().key_id("AKIA");
    std::fs::write(fresh.join("k.txt"), format!("{key}\n")).unwrap();
    let git = |args: &[&str]| {
        let mut cmd = repo.command("git");
        cmd.current_dir(&fresh).args(args);
        cmd.output().unwrap()
    };
    git(&["add", "k.txt"]);
    assert_eq!(
        git(&["-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "x"]).status.code(),
        Some(1)
    );
    repo.awsguard(&["uninstall", "--global"]).assert_code(0);
    assert!(!template.exists());
    // With a global core.hooksPath, that is where it goes.
    let hooks = repo.home.join("global-hooks");
    repo.git(&["config", "--global", "core.hooksPath", hooks.to_str().unwrap()]);
    repo.awsguard(&["install", "--global", "--binary", awsguard_bin().to_str().unwrap()])
        .assert_code(0)
        .assert_contains("core.hooksPath");
    assert!(hooks.join("pre-commit").is_file());
}

/// The real pre-commit framework, pointed at this repository's `.pre-commit-hooks.yaml`.
/// CI installs it and sets `AWSGUARD_REQUIRE_PRE_COMMIT=1` (any `CI=true` counts too): there a
/// missing framework fails the test; elsewhere the test says why it did not run.
#[test]
fn the_pre_commit_framework_runs_the_published_hook() {
    let required = std::env::var("AWSGUARD_REQUIRE_PRE_COMMIT").is_ok_and(|v| !v.is_empty() && v != "0")
        || std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
    let Some(pre_commit) = find_pre_commit() else {
        let why = "the pre-commit framework is not installed (set AWSGUARD_PRE_COMMIT or put pre-commit on PATH)";
        assert!(!required, "{why}, and this run requires it (CI or AWSGUARD_REQUIRE_PRE_COMMIT)");
        eprintln!("SKIPPED: {why}");
        return;
    };
    let this_repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scratch = tempfile::tempdir().unwrap();
    util::make_home(scratch.path());
    let mut cmd = util::hermetic("git", scratch.path());
    cmd.arg("-C").arg(this_repo).args(["rev-parse", "HEAD"]);
    let rev = cmd.output().unwrap();
    if !rev.status.success() {
        assert!(!required, "this checkout is not a git repository: {}", String::from_utf8_lossy(&rev.stderr));
        eprintln!("SKIPPED: this checkout is not a git repository");
        return;
    }
    let rev = String::from_utf8_lossy(&rev.stdout).trim().to_string();
    let repo = TestRepo::new();
    repo.write(
        ".pre-commit-config.yaml",
        format!("repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: awsguard-system\n", this_repo.display()),
    );
    repo.add(&[".pre-commit-config.yaml"]);
    let path = util::path_with(awsguard_bin().parent().unwrap());
    let run_git = |args: &[&str]| {
        let mut cmd = repo.command("git");
        cmd.env("PATH", &path).env("PRE_COMMIT_HOME", repo.home.join("pre-commit-cache")).args(args);
        let out = cmd.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
        )
    };
    let mut cmd = repo.command(&pre_commit);
    cmd.env("PATH", &path).env("PRE_COMMIT_HOME", repo.home.join("pre-commit-cache")).arg("install");
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "pre-commit install: {}", String::from_utf8_lossy(&out.stderr));

    // A clean commit passes.
    repo.stage("a.txt", "a\n");
    let (code, output) = run_git(&["commit", "-q", "-m", "clean"]);
    assert_eq!(code, 0, "{output}");
    assert!(repo.head().is_some());

    // A staged key is blocked, while unstaged changes are stashed and restored.
    let mut fake = fake();
    let key = fake.key_id("AKIA");
    repo.stage("k.txt", format!("{key}\n"));
    repo.write("a.txt", "a\nunstaged edit\n");
    let before = repo.head();
    let (code, output) = run_git(&["commit", "-q", "-m", "key"]);
    assert_ne!(code, 0, "{output}");
    assert!(output.contains("k.txt:1:1: aws.access-key-id:") && !output.contains(&key), "{output}");
    assert_eq!(repo.head(), before);
    assert_eq!(
        std::fs::read_to_string(repo.root.join("a.txt")).unwrap(),
        "a\nunstaged edit\n",
        "unstaged work restored"
    );

    // A key only in unstaged changes does not block the commit of what is staged.
    repo.git(&["rm", "-q", "--cached", "k.txt"]);
    repo.stage("b.txt", "b\n");
    repo.write("a.txt", format!("a\nunstaged {}\n", fake.key_id("AKIA")));
    let (code, output) = run_git(&["commit", "-q", "-m", "staged part only"]);
    assert_eq!(code, 0, "{output}");
    assert_ne!(repo.head(), before);

    // At the pre-push stage, the framework hands awsguard the range being pushed.
    let remote = repo.home.join("origin.git");
    repo.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    repo.git(&["checkout", "-q", "--", "a.txt"]);
    let (code, output) = run_git(&["push", "-q", "origin", "main"]);
    assert_eq!(code, 0, "{output}");
    let mut cmd = repo.command(&pre_commit);
    cmd.env("PATH", &path).env("PRE_COMMIT_HOME", repo.home.join("pre-commit-cache")).args([
        "install",
        "--hook-type",
        "pre-push",
    ]);
    assert!(cmd.output().unwrap().status.success());
    let pushed_key = fake.key_id("ASIA");
    repo.stage("push.txt", format!("{pushed_key}\n"));
    repo.commit_unchecked("key committed with --no-verify");
    let (code, output) = run_git(&["push", "-q", "origin", "main"]);
    assert_ne!(code, 0, "{output}");
    assert!(output.contains("push.txt:1:1: aws.access-key-id:") && !output.contains(&pushed_key), "{output}");
}

/// `AWSGUARD_PRE_COMMIT` if set (it must then exist), otherwise the peers' virtualenv or the
/// first `pre-commit` on PATH.
fn find_pre_commit() -> Option<PathBuf> {
    if let Some(named) = std::env::var_os("AWSGUARD_PRE_COMMIT").filter(|v| !v.is_empty()) {
        let named = PathBuf::from(named);
        assert!(named.is_file(), "AWSGUARD_PRE_COMMIT names {}, which is not a file", named.display());
        return Some(named);
    }
    std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".cache/awsguard-peers/venv/bin/pre-commit"))
        .filter(|p| p.is_file())
        .or_else(|| util::find_on_path("pre-commit"))
}

/// With file names (`pass_filenames: true`), the framework's own runs check what they name:
/// `run --all-files` finds a key committed before the hook, `run --files` checks that file.
#[test]
fn the_pre_commit_framework_checks_the_files_it_names() {
    let required = std::env::var("AWSGUARD_REQUIRE_PRE_COMMIT").is_ok_and(|v| !v.is_empty() && v != "0")
        || std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
    let Some(pre_commit) = find_pre_commit() else {
        assert!(!required, "the pre-commit framework is not installed, and this run requires it");
        eprintln!("SKIPPED: the pre-commit framework is not installed (set AWSGUARD_PRE_COMMIT)");
        return;
    };
    let this_repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repo = TestRepo::new();
    let rev = repo.git_run(&["-C", this_repo.to_str().unwrap(), "rev-parse", "HEAD"]);
    if rev.code() != 0 {
        assert!(!required, "this checkout is not a git repository: {}", rev.stderr());
        eprintln!("SKIPPED: this checkout is not a git repository");
        return;
    }
    let rev = rev.stdout().trim().to_string();
    repo.write(
        ".pre-commit-config.yaml",
        format!("repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: awsguard-system\n", this_repo.display()),
    );
    repo.add(&[".pre-commit-config.yaml"]);
    let key = fake().key_id("AKIA");
    repo.stage("old/config.js", format!("const id = '{key}';\n"));
    repo.stage("a.txt", "a\n");
    repo.commit_unchecked("before the hook");
    let path = util::path_with(awsguard_bin().parent().unwrap());
    let framework = |args: &[&str]| {
        let mut cmd = repo.command(&pre_commit);
        cmd.env("PATH", &path).env("PRE_COMMIT_HOME", repo.home.join("pre-commit-cache")).args(args);
        util::Run { what: format!("pre-commit {}", args.join(" ")), output: cmd.output().unwrap() }
    };
    let all = framework(&["run", "--all-files"]);
    assert_ne!(all.code(), 0, "{}", all.all());
    all.assert_contains("old/config.js:1:").assert_lacks(&key);
    let named = framework(&["run", "--files", "old/config.js"]);
    assert_ne!(named.code(), 0, "{}", named.all());
    named.assert_contains("old/config.js:1:");
    framework(&["run", "--files", "a.txt"]).assert_code(0);
    // An untracked file named on the command line is read from disk.
    let untracked = fake().key_id("ASIA");
    repo.write("new.txt", format!("{untracked}\n"));
    framework(&["run", "--files", "new.txt"]).assert_contains("new.txt:1:1:").assert_lacks(&untracked);
    // A plain commit still checks what it adds, and passes a clean one.
    framework(&["install"]).assert_code(0);
    let commit = |message: &str| {
        let mut cmd = repo.command("git");
        cmd.env("PATH", &path).env("PRE_COMMIT_HOME", repo.home.join("pre-commit-cache"));
        util::Run { what: "git commit".into(), output: cmd.args(["commit", "-q", "-m", message]).output().unwrap() }
    };
    let staged = fake().key_id("AKIA");
    repo.stage("c.txt", format!("{staged}\n"));
    let before = repo.head();
    commit("key").assert_contains("c.txt:1:1:").assert_lacks(&staged);
    assert_eq!(repo.head(), before);
    repo.stage("c.txt", "c\n");
    commit("clean").assert_code(0);
    assert_ne!(repo.head(), before);
}
