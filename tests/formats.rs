//! Repositories libgit2 cannot read (issue 15): SHA-256 objects, and refs in reftable.
//! awsguard reads them through git itself, and the same findings come out as in any other
//! repository. Every test runs in both formats, made by a real `git init`.

mod util;

use util::{TestRepo, fake};

/// `git init` options of each format, by name.
const SHA256: &[&str] = &["--object-format=sha256"];
const REFTABLE: &[&str] = &["--ref-format=reftable"];

/// One test function per format, so a failure names the format.
macro_rules! in_both_formats {
    ($($name:ident),* $(,)?) => {
        mod sha256 {
            $(#[test] fn $name() { super::$name(super::SHA256) })*
        }
        mod reftable {
            $(#[test] fn $name() { super::$name(super::REFTABLE) })*
        }
    };
}

in_both_formats!(
    first_commit_with_a_key_is_blocked,
    clean_commits_pass,
    only_added_lines_count,
    the_allowlist_applies,
    commit_all_scans_the_temporary_index,
    a_merge_reports_only_what_it_adds,
    named_files_are_scanned_whole,
    allow_and_check_config_work,
    commit_msg_applies_the_staged_allowlist,
    history_reads_commit_messages,
);

fn first_commit_with_a_key_is_blocked(format: &[&str]) {
    let repo = TestRepo::init_with_hook(format);
    let key = fake().key_id("AKIA");
    repo.stage("src/settings/config.py", format!("import os\nAWS_ACCESS_KEY_ID = \"{key}\"\n"));
    repo.assert_blocked(&[], "src/settings/config.py:2:22: aws.access-key-id:", &key);
    assert_eq!(repo.head(), None, "the branch is still unborn");
    // The hook's verdict is exit 1: a finding, not a failure to check.
    repo.awsguard(&["pre-commit"]).assert_code(1).assert_contains("src/settings/config.py:2:22:");
}

fn clean_commits_pass(format: &[&str]) {
    let repo = TestRepo::init_with_hook(format);
    repo.stage("main.py", "import os\nkey = os.environ[\"AWS_SECRET_ACCESS_KEY\"]\n");
    repo.stage("lib/deep/dir/util.py", "def f():\n    return 1\n");
    let run = repo.assert_commits(&[]);
    assert_eq!(run.all().trim(), "", "a clean commit prints nothing");
    repo.stage("main.py", "import os\nprint('hello')\n");
    repo.git(&["rm", "-q", "lib/deep/dir/util.py"]);
    repo.assert_commits(&[]);
}

fn only_added_lines_count(format: &[&str]) {
    let repo = TestRepo::init_with_hook(format);
    let mut fake = fake();
    let (old, new) = (fake.key_id("AKIA"), fake.key_id("AKIA"));
    repo.stage("deploy/env.sh", format!("REGION=us-east-1\nKEY={old}\n"));
    repo.commit_unchecked("a key that got in before the hook");
    // An unrelated line: the key already committed is not reported again.
    repo.stage("deploy/env.sh", format!("REGION=us-east-1\nKEY={old}\nZONE=a\n"));
    repo.assert_commits(&[]);
    // A renamed file with edits, and an exact copy of a committed file, add no key.
    repo.git(&["mv", "deploy/env.sh", "deploy/prod.sh"]);
    repo.stage("deploy/prod.sh", format!("#!/bin/sh\nREGION=us-east-1\nKEY={old}\nZONE=a\n"));
    repo.assert_commits(&[]);
    repo.stage("deploy/copy.sh", format!("#!/bin/sh\nREGION=us-east-1\nKEY={old}\nZONE=a\n"));
    repo.assert_commits(&[]);
    // A key on an added line is.
    repo.stage("deploy/prod.sh", format!("#!/bin/sh\nREGION=us-east-1\nKEY={old}\nZONE=a\nNEW={new}\n"));
    let run = repo.assert_blocked(&[], "deploy/prod.sh:5:5: aws.access-key-id:", &new);
    run.assert_lacks("prod.sh:3:").assert_lacks("copy.sh");
}

fn the_allowlist_applies(format: &[&str]) {
    let repo = TestRepo::init_with_hook(format);
    let mut fake = fake();
    let (allowed, other) = (fake.key_id("AKIA"), fake.key_id("AKIA"));
    let fingerprint = awsguard::allowlist::fingerprint(allowed.as_bytes());
    repo.stage(".awsguard.toml", format!("[[allow]]\nfingerprint = \"{fingerprint}\"\nreason = \"revoked\"\n"));
    repo.stage("incident.md", format!("The leaked key was {allowed}.\n"));
    repo.assert_commits(&[]).assert_contains("newly allows");
    // The allowlist HEAD already has is not news.
    repo.stage("incident.md", format!("The leaked key was {allowed}.\nIt was revoked.\n"));
    repo.assert_commits(&[]).assert_lacks("newly allows");
    repo.stage("incident.md", format!("The leaked key was {allowed}.\nAlso {other}\n"));
    repo.assert_blocked(&[], "incident.md:2:6:", &other);
}

fn commit_all_scans_the_temporary_index(format: &[&str]) {
    let repo = TestRepo::init_with_hook(format);
    repo.stage("app.env", "REGION=us-east-1\n");
    repo.assert_commits(&[]);
    let secret = fake().secret();
    repo.write("app.env", format!("REGION=us-east-1\nAWS_SECRET_ACCESS_KEY={secret}\n"));
    repo.assert_blocked(&["-a"], "app.env:2:23: aws.secret-access-key:", &secret);
    repo.write("other.txt", "x\n");
    repo.add(&["other.txt"]);
    repo.assert_commits(&["--", "other.txt"]);
}

fn a_merge_reports_only_what_it_adds(format: &[&str]) {
    let repo = TestRepo::init_with_hook(format);
    let mut fake = fake();
    let (theirs, resolved) = (fake.key_id("AKIA"), fake.key_id("AKIA"));
    repo.stage("a.txt", "a\n");
    repo.stage("conf.ini", "[s]\nvalue = base\n");
    repo.assert_commits(&[]);
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.stage("a.txt", format!("a\n{theirs}\n"));
    repo.stage("conf.ini", "[s]\nvalue = feature\n");
    repo.commit_unchecked("key on the branch");
    repo.git(&["checkout", "-q", "main"]);
    repo.stage("conf.ini", "[s]\nvalue = main\n");
    repo.assert_commits(&[]);
    let merge = repo.git_run(&["merge", "-q", "--no-edit", "feature"]);
    assert_ne!(merge.code(), 0, "the merge must conflict");
    // The branch's key comes with the merge, but the merge does not add it.
    repo.stage("conf.ini", format!("[s]\nvalue = merged\nkey = {resolved}\n"));
    let run = repo.assert_blocked(&["--no-edit"], "conf.ini:3:7: aws.access-key-id:", &resolved);
    run.assert_lacks("a.txt");
    repo.stage("conf.ini", "[s]\nvalue = merged\n");
    repo.assert_commits(&["--no-edit"]);
}

fn named_files_are_scanned_whole(format: &[&str]) {
    let repo = TestRepo::init_with_hook(format);
    let key = fake().key_id("AKIA");
    repo.stage("old.txt", format!("{key}\n"));
    repo.stage("clean.txt", "clean\n");
    repo.commit_unchecked("a key that got in before the hook");
    // `pre-commit run --files old.txt` checks the file whole, as staged.
    repo.awsguard(&["pre-commit", "old.txt"]).assert_code(1).assert_contains("old.txt:1:1:").assert_lacks(&key);
    repo.awsguard(&["pre-commit", "clean.txt"]).assert_code(0);
}

#[test]
fn history_reads_refs_in_reftable() {
    let repo = TestRepo::init_with_hook(REFTABLE);
    repo.stage("a.txt", "a\n");
    repo.assert_commits(&[]);
    let key = fake().key_id("AKIA");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.stage("b.txt", format!("{key}\n"));
    repo.commit_unchecked("key on a branch");
    repo.git(&["checkout", "-q", "main"]);
    repo.awsguard(&["history"]).assert_code(0);
    repo.awsguard(&["history", "feature"]).assert_code(1).assert_contains("b.txt:1:1:");
    repo.awsguard(&["history", "main..feature"]).assert_code(1).assert_contains("b.txt:1:1:");
    repo.awsguard(&["history", "feature..main"]).assert_code(0);
    repo.awsguard(&["history", "--all"]).assert_code(1).assert_contains("b.txt:1:1:");
    repo.awsguard(&["history", "no-such-branch"]).assert_code(2);
}

/// The way out of a false alarm that a blocked commit points to, and the audit of it.
fn allow_and_check_config_work(format: &[&str]) {
    let repo = TestRepo::init_with_hook(format);
    let key = fake().key_id("AKIA");
    repo.stage("README.md", "notes\n");
    repo.assert_commits(&[]);
    repo.stage("fixtures/creds.txt", format!("key = {key}\n"));
    repo.assert_blocked(&[], "fixtures/creds.txt:1:7: aws.access-key-id:", &key);
    repo.awsguard(&["allow", "--path", "fixtures/**", "--reason", "made-up keys for the parser tests"]).assert_code(0);
    repo.awsguard(&["check-config"])
        .assert_code(0)
        .assert_contains("path \"fixtures/**\"")
        .assert_contains("matches 1 finding");
    repo.assert_commits(&[]).assert_contains("newly allows");
    repo.awsguard(&["allow", "--path", "docs/**", "--reason", "nothing there yet, on purpose"]).assert_code(0);
    let run = repo.awsguard(&["check-config"]);
    run.assert_code(0)
        .assert_contains("path \"docs/**\"")
        .assert_contains("STALE")
        .assert_contains("matches 1 finding");
}

/// A key in a commit message blocks, unless the allowlist being committed allows it.
fn commit_msg_applies_the_staged_allowlist(format: &[&str]) {
    let repo = TestRepo::init(format);
    let bin = util::awsguard_bin();
    repo.awsguard(&["install", "--binary", bin.to_str().unwrap(), "--hook", "commit-msg"]).assert_code(0);
    let mut fake = fake();
    let (allowed, other) = (fake.key_id("AKIA"), fake.key_id("AKIA"));
    let fingerprint = awsguard::allowlist::fingerprint(allowed.as_bytes());
    repo.stage(".awsguard.toml", format!("[[allow]]\nfingerprint = \"{fingerprint}\"\nreason = \"revoked\"\n"));
    let run = repo.git_run(&["commit", "-q", "-m", &format!("rotate {other}")]);
    assert_ne!(run.code(), 0, "{}", run.all());
    run.assert_contains("COMMIT_EDITMSG:1:8: aws.access-key-id:").assert_lacks(&other);
    assert_eq!(repo.head(), None);
    repo.git_run(&["commit", "-q", "-m", &format!("revoked {allowed}")]).assert_code(0);
    assert!(repo.head().is_some());
}

/// A key pasted into a commit message is in history as much as one in a file.
fn history_reads_commit_messages(format: &[&str]) {
    let repo = TestRepo::init(format);
    let key = fake().key_id("AKIA");
    repo.stage("a.txt", "a\n");
    repo.git(&["commit", "-q", "-m", &format!("first\n\nkey {key}")]);
    let id = repo.head().unwrap();
    let run = repo.awsguard(&["history"]);
    run.assert_code(1).assert_contains(&format!("{}:COMMIT_MSG:3:5: aws.access-key-id:", &id[..12])).assert_lacks(&key);
    // `--all` reads the messages of the annotated tags refs name, a tag of a tag too.
    repo.git(&["commit", "-q", "--amend", "-m", "first"]);
    let token = fake().key_id("ASIA");
    repo.git(&["tag", "-a", "-m", &format!("rc\n{token}"), "rc"]);
    repo.git(&["tag", "-a", "-m", "final", "v1", "rc"]);
    let rc = repo.git(&["rev-parse", "rc"]).trim().to_string();
    repo.git(&["tag", "-d", "rc"]);
    repo.awsguard(&["history"]).assert_code(0);
    let run = repo.awsguard(&["history", "--all"]);
    run.assert_code(1).assert_contains(&format!("{}:TAG_MSG:2:1: aws.access-key-id:", &rc[..12])).assert_lacks(&token);
}

/// `<first 12 of commit>:<path>:<line>:<column>: <rule>:` as a history or push report says it.
fn at_commit(commit: &str, place: &str) -> String {
    format!("{}:{place}", &commit[..12])
}

#[test]
fn history_reads_sha256_commits() {
    let repo = TestRepo::init_with_hook(SHA256);
    let mut fake = fake();
    let (key, secret) = (fake.key_id("AKIA"), fake.secret());
    repo.stage("a.txt", "a\n");
    repo.assert_commits(&[]);
    let clean = repo.head().unwrap();
    assert_eq!(clean.len(), 64, "a SHA-256 commit ID");
    repo.awsguard(&["history"]).assert_code(0).assert_contains("no AWS credentials");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.stage("conf/app.env", format!("REGION=us-east-1\nAWS_ACCESS_KEY_ID={key}\n"));
    repo.commit_unchecked("a key committed with --no-verify");
    let leak = repo.head().unwrap();
    // Renamed with an edit, the key is not added again; a secret on a new line is.
    repo.git(&["mv", "conf/app.env", "conf/prod.env"]);
    repo.stage("conf/prod.env", format!("REGION=us-east-1\nAWS_ACCESS_KEY_ID={key}\nAWS_SECRET_ACCESS_KEY={secret}\n"));
    repo.commit_unchecked("renamed, and a secret");
    let second = repo.head().unwrap();
    repo.git(&["checkout", "-q", "main"]);

    repo.awsguard(&["history"]).assert_code(0);
    let run = repo.awsguard(&["history", "feature"]);
    run.assert_code(1)
        .assert_contains(&at_commit(&leak, "conf/app.env:2:19: aws.access-key-id:"))
        .assert_contains(&at_commit(&second, "conf/prod.env:3:23: aws.secret-access-key:"))
        .assert_lacks("conf/prod.env:2:")
        .assert_lacks(&key);
    // The whole 64-hex ID, never the temporary repository's.
    repo.awsguard(&["history", "--format", "json", "feature"]).assert_code(1).assert_contains(&leak);
    repo.awsguard(&["history", "main..feature"])
        .assert_code(1)
        .assert_contains(&at_commit(&leak, "conf/app.env:2:19:"));
    repo.awsguard(&["history", &format!("{leak}..feature")])
        .assert_code(1)
        .assert_lacks("conf/app.env")
        .assert_contains("conf/prod.env:3:23:");
    repo.awsguard(&["history", "feature..main"]).assert_code(0);
    repo.awsguard(&["history", "--all"]).assert_code(1).assert_contains(&at_commit(&leak, "conf/app.env:2:19:"));
    repo.awsguard(&["history", "no-such-branch"]).assert_code(2);

    // A merge brings the key without adding it: only the commit that added it is named.
    repo.stage("b.txt", "b\n");
    repo.assert_commits(&[]);
    repo.git(&["merge", "-q", "--no-ff", "--no-verify", "-m", "merge feature", "feature"]);
    let merge = repo.head().unwrap();
    let run = repo.awsguard(&["history"]);
    run.assert_code(1).assert_contains(&at_commit(&leak, "conf/app.env:2:19:")).assert_lacks(&merge[..12]);
    repo.awsguard(&["history", "feature..main"]).assert_code(0);

    // The allowlist committed at the range's end applies.
    let fingerprints = [&key, &secret].map(|v| awsguard::allowlist::fingerprint(v.as_bytes()));
    let allow: String =
        fingerprints.iter().map(|f| format!("[[allow]]\nfingerprint = \"{f}\"\nreason = \"revoked\"\n")).collect();
    repo.stage(".awsguard.toml", allow);
    repo.commit_unchecked("allow the revoked keys");
    repo.awsguard(&["history"]).assert_code(0);
    repo.awsguard(&["history", "feature"]).assert_code(1);
}

#[test]
fn install_scans_sha256_history() {
    let repo = TestRepo::init(SHA256);
    let binary = util::awsguard_bin();
    let install = ["install", "--binary", binary.to_str().unwrap()];
    repo.awsguard(&install).assert_code(0).assert_lacks("scanning the history");
    repo.stage("README", "hello\n");
    repo.commit_unchecked("first");
    repo.awsguard(&install).assert_code(0).assert_contains("holds no AWS credential");
    let key = fake().key_id("AKIA");
    repo.stage("deploy/config.js", format!("module.exports = {{ id: '{key}' }};\n"));
    repo.commit_unchecked("deploy config");
    let leak = repo.head().unwrap();
    let run = repo.awsguard(&install);
    run.assert_code(1)
        .assert_contains("ALREADY COMMITTED")
        .assert_contains(&at_commit(&leak, "deploy/config.js:1:25: aws.access-key-id:"))
        .assert_lacks(&key);
}

/// A client SHA-256 repository with awsguard's hooks, and a bare SHA-256 `origin` over
/// `file://` holding a commit with a key, pushed before the hook existed.
fn sha256_remote(repo: &TestRepo) -> (String, String) {
    let remote = repo.root.parent().unwrap().join("remote.git");
    let url = format!("file://{}", remote.display());
    repo.git(&["init", "-q", "--bare", "--object-format=sha256", remote.to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", &url]);
    let old = fake().key_id("AKIA");
    repo.stage("old.txt", format!("{old}\n"));
    repo.commit_unchecked("a key the remote already has");
    repo.git(&["push", "-q", "--no-verify", "origin", "main"]);
    (url, old)
}

#[test]
fn pre_push_reads_sha256_commits() {
    let repo = TestRepo::init_with_hook(SHA256);
    let (url, old) = sha256_remote(&repo);
    // A new branch sends only what origin/main does not reach.
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.stage("clean.txt", "clean\n");
    repo.commit_unchecked("clean");
    repo.git_run(&["push", "-q", "origin", "feature"]).assert_code(0);
    let new = fake().key_id("AKIA");
    repo.stage("new.txt", format!("{new}\n"));
    repo.commit_unchecked("a new key");
    let leak = repo.head().unwrap();
    let run = repo.git_run(&["push", "-q", "origin", "feature"]);
    assert_ne!(run.code(), 0, "push went through\n{}", run.all());
    run.assert_contains(&at_commit(&leak, "new.txt:1:1: aws.access-key-id:"))
        .assert_lacks("old.txt")
        .assert_lacks(&old)
        .assert_lacks(&new);
    // Pushed to by URL, the remotes with that URL say what it has.
    let run = repo.git_run(&["push", "-q", &url, "feature:other"]);
    assert_ne!(run.code(), 0, "push went through\n{}", run.all());
    run.assert_contains("new.txt:1:1:").assert_lacks("old.txt");
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.stage("more.txt", "more\n");
    repo.commit_unchecked("clean again");
    repo.git_run(&["push", "-q", "origin", "feature"]).assert_code(0);
    repo.git_run(&["push", "-q", &url, "feature:other"]).assert_code(0);
    // An annotated tag's message is pushed too.
    let key = fake().key_id("AKIA");
    repo.git(&["tag", "-a", "-m", &format!("release {key}"), "v1"]);
    let tag = repo.git(&["rev-parse", "v1"]).trim().to_string();
    let run = repo.git_run(&["push", "-q", "origin", "v1"]);
    assert_ne!(run.code(), 0, "tag push went through\n{}", run.all());
    run.assert_contains(&at_commit(&tag, "TAG_MSG:1:9: aws.access-key-id:")).assert_lacks(&key);
    repo.git(&["tag", "-d", "v1"]);
    repo.git(&["tag", "-a", "-m", "release", "v1"]);
    repo.git_run(&["push", "-q", "origin", "v1"]).assert_code(0);
}

/// Installs the repository's own `hooks/pre-receive` in `bare` as `name`.
fn install_server_hook(bare: &std::path::Path, name: &str) {
    let script =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("hooks/pre-receive")).unwrap();
    let recorded = format!("AWSGUARD_BIN='{}'", util::awsguard_bin().display());
    let path = bare.join("hooks").join(name);
    std::fs::write(&path, script.replacen("AWSGUARD_BIN=''", &recorded, 1)).unwrap();
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&path, perms).unwrap();
}

#[test]
fn pre_receive_reads_sha256_pushes() {
    for hook in ["pre-receive", "update"] {
        let repo = TestRepo::init(SHA256);
        let (_, old) = sha256_remote(&repo);
        let bare = repo.root.parent().unwrap().join("remote.git");
        install_server_hook(&bare, hook);
        let server_main = || repo.git(&["--git-dir", bare.to_str().unwrap(), "rev-parse", "main"]).trim().to_string();
        // What the server already has is not this push's doing.
        repo.stage("clean.txt", "clean\n");
        repo.commit_unchecked("clean");
        repo.git_run(&["push", "-q", "origin", "main"]).assert_code(0);
        assert_eq!(server_main(), repo.head().unwrap(), "{hook}: the clean push landed");
        let new = fake().key_id("AKIA");
        repo.stage("deploy.sh", format!("export AWS_ACCESS_KEY_ID={new}\n"));
        repo.commit_unchecked("a new key");
        let leak = repo.head().unwrap();
        repo.stage("later.txt", "later\n");
        repo.commit_unchecked("a later clean commit");
        let before = server_main();
        let run = repo.git_run(&["push", "origin", "main"]);
        assert_ne!(run.code(), 0, "{hook}: push accepted\n{}", run.all());
        assert_eq!(server_main(), before, "{hook}: main moved on the server\n{}", run.all());
        run.assert_contains(&format!("remote: {}", at_commit(&leak, "deploy.sh:1:26: aws.access-key-id:")))
            .assert_contains("remote: awsguard: push blocked: 1 AWS credential")
            .assert_lacks("old.txt")
            .assert_lacks(&old)
            .assert_lacks(&new);
        // An annotated tag's message is pushed too.
        let key = fake().key_id("AKIA");
        repo.git(&["tag", "-a", "-m", &format!("release {key}"), "v1", &before]);
        let tag = repo.git(&["rev-parse", "v1"]).trim().to_string();
        let run = repo.git_run(&["push", "origin", "v1"]);
        assert_ne!(run.code(), 0, "{hook}: tag push accepted\n{}", run.all());
        run.assert_contains(&format!("remote: {}", at_commit(&tag, "TAG_MSG:1:9: aws.access-key-id:")))
            .assert_lacks(&key);
        repo.git(&["tag", "-d", "v1"]);
        // On a new branch too; rewritten, the push goes through.
        let run = repo.git_run(&["push", "origin", "main:feature"]);
        assert_ne!(run.code(), 0, "{hook}: push accepted\n{}", run.all());
        run.assert_contains("remote: ").assert_contains("deploy.sh:1:26:");
        repo.git(&["reset", "-q", "--hard", "HEAD~2"]);
        repo.stage("deploy.sh", "export AWS_ACCESS_KEY_ID=$KEY\n");
        repo.commit_unchecked("the key from the environment");
        repo.git_run(&["push", "-q", "origin", "main"]).assert_code(0);
        assert_eq!(server_main(), repo.head().unwrap(), "{hook}: the fixed push landed");
    }
}

#[test]
fn a_repository_git_cannot_read_either_fails_closed() {
    let repo = TestRepo::init(SHA256);
    repo.stage("a.txt", "a\n");
    repo.git(&["config", "extensions.objectformat", "sha1024"]);
    repo.awsguard(&["pre-commit"]).assert_code(2).assert_contains("and git cannot either");
}

#[test]
fn pre_push_reads_refs_in_reftable() {
    let repo = TestRepo::init_with_hook(REFTABLE);
    let remote = repo.root.parent().unwrap().join("remote.git");
    let remote = remote.to_str().unwrap();
    repo.git(&["init", "-q", "--bare", "--ref-format=reftable", remote]);
    repo.git(&["remote", "add", "origin", remote]);
    let mut fake = fake();
    let (old, new) = (fake.key_id("AKIA"), fake.key_id("AKIA"));
    repo.stage("old.txt", format!("{old}\n"));
    repo.commit_unchecked("a key the remote already has");
    repo.git(&["push", "-q", "--no-verify", "origin", "main"]);
    // A new branch sends only what origin/main (a ref in reftable) does not reach.
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.stage("clean.txt", "clean\n");
    repo.commit_unchecked("clean");
    repo.git_run(&["push", "-q", "origin", "feature"]).assert_code(0);
    repo.stage("new.txt", format!("{new}\n"));
    repo.commit_unchecked("a new key");
    let run = repo.git_run(&["push", "-q", "origin", "feature"]);
    assert_ne!(run.code(), 0, "push went through\n{}", run.all());
    run.assert_contains(":new.txt:1:1: aws.access-key-id:").assert_lacks("old.txt").assert_lacks(&new);
}
