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

#[test]
fn commands_other_than_pre_commit_fail_closed_in_sha256() {
    let repo = TestRepo::init_with_hook(SHA256);
    repo.stage("a.txt", "a\n");
    repo.assert_commits(&[]);
    repo.awsguard(&["history"]).assert_code(2).assert_contains("libgit2 cannot open this repository");
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
