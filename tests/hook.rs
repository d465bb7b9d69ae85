//! The pre-commit hook end to end: real repositories, the real hook, real `git commit`.
//! Every test asserts what git did (did HEAD move?), the exit status and the output.

mod util;

use util::{TestRepo, fake};

#[test]
fn first_commit_with_a_key_is_blocked() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    repo.stage("config.py", format!("AWS_ACCESS_KEY_ID = \"{key}\"\n"));
    repo.assert_blocked(&[], "config.py:1:22: aws.access-key-id:", &key);
    assert_eq!(repo.head(), None, "the branch is still unborn");
}

#[test]
fn clean_commit_passes_silently() {
    let repo = TestRepo::with_hook();
    repo.stage("main.py", "import os\nkey = os.environ[\"AWS_SECRET_ACCESS_KEY\"]\n");
    let run = repo.assert_commits(&[]);
    assert_eq!(run.all().trim(), "", "a clean commit prints nothing");
    repo.stage("main.py", "import os\nprint('hello')\n");
    repo.assert_commits(&[]);
}

#[test]
fn commit_all_scans_tracked_files() {
    let repo = TestRepo::with_hook();
    repo.stage("app.env", "REGION=us-east-1\n");
    repo.assert_commits(&[]);
    let secret = fake().secret();
    repo.write("app.env", format!("REGION=us-east-1\nAWS_SECRET_ACCESS_KEY={secret}\n"));
    repo.assert_blocked(&["-a"], "app.env:2:23: aws.secret-access-key:", &secret);
}

#[test]
fn commit_with_paths_scans_those_paths() {
    let repo = TestRepo::with_hook();
    repo.write("a.txt", "a\n");
    repo.write("b.txt", "b\n");
    repo.add(&["a.txt", "b.txt"]);
    repo.assert_commits(&[]);
    let key = fake().key_id("ASIA");
    repo.write("b.txt", format!("b\n{key}\n"));
    repo.assert_blocked(&["--", "b.txt"], "b.txt:2:1: aws.access-key-id:", &key);
    repo.assert_blocked(&["--only", "b.txt"], "b.txt:2:1:", &key);
    // `git commit <path>` of a clean file leaves the dirty one out of the commit.
    repo.write("a.txt", "a2\n");
    repo.assert_commits(&["--", "a.txt"]);
}

#[test]
fn commit_include_scans_the_index_and_the_paths() {
    let repo = TestRepo::with_hook();
    repo.write("a.txt", "a\n");
    repo.write("b.txt", "b\n");
    repo.add(&["a.txt", "b.txt"]);
    repo.assert_commits(&[]);
    let key = fake().key_id("AKIA");
    repo.stage("a.txt", format!("{key}\n"));
    repo.write("b.txt", "b2\n");
    repo.assert_blocked(&["--include", "b.txt"], "a.txt:1:1:", &key);
}

#[test]
fn a_key_only_in_unstaged_edits_passes() {
    let repo = TestRepo::with_hook();
    repo.stage("notes.md", "# notes\n");
    let key = fake().key_id("AKIA");
    repo.write("notes.md", format!("# notes\nkey: {key}\n"));
    repo.assert_commits(&[]);
}

#[test]
fn partial_staging_commits_only_the_staged_hunk() {
    let repo = TestRepo::with_hook();
    let lines: Vec<String> = (1..=40).map(|i| format!("line {i}")).collect();
    repo.stage("big.txt", lines.join("\n") + "\n");
    repo.assert_commits(&[]);
    // Two separate edits; stage only the first, as `git add -p` would.
    let key = fake().key_id("AKIA");
    let mut edited = lines.clone();
    edited[1] = "line 2 edited".into();
    edited[35] = format!("line 36 {key}");
    repo.write("big.txt", edited.join("\n") + "\n");
    let patch = repo.git(&["diff", "-U0", "big.txt"]);
    let first_hunk: String = {
        let mut out = String::new();
        let mut hunks = 0;
        for line in patch.lines() {
            if line.starts_with("@@") {
                hunks += 1;
            }
            if hunks <= 1 {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    };
    repo.write("first.patch", first_hunk);
    repo.git(&["apply", "--cached", "--unidiff-zero", "first.patch"]);
    repo.remove("first.patch");
    repo.assert_commits(&[]);
    // Staging the rest brings the key in.
    repo.add(&["big.txt"]);
    repo.assert_blocked(&[], "big.txt:36:9:", &key);
}

#[test]
fn a_key_staged_then_deleted_from_the_work_tree_is_blocked() {
    let repo = TestRepo::with_hook();
    let secret = fake().secret();
    repo.stage("creds", format!("[default]\naws_secret_access_key = {secret}\n"));
    repo.remove("creds");
    repo.assert_blocked(&[], "creds:2:25: aws.secret-access-key:", &secret);
}

#[test]
fn a_key_on_a_removed_line_passes() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    repo.stage("old.cfg", format!("a = 1\nkey = {key}\nb = 2\n"));
    repo.commit_unchecked("a key that slipped in");
    repo.stage("old.cfg", "a = 1\nb = 2\n");
    repo.assert_commits(&[]);
}

#[test]
fn editing_elsewhere_in_a_file_with_an_old_key_passes() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    repo.stage("legacy.cfg", format!("a = 1\nkey = {key}\nb = 2\n"));
    repo.commit_unchecked("legacy");
    repo.stage("legacy.cfg", format!("a = 10\nkey = {key}\nb = 2\nc = 3\n"));
    repo.assert_commits(&[]);
}

#[test]
fn deleting_a_file_with_a_key_passes() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    repo.stage("leak.txt", format!("{key}\n"));
    repo.commit_unchecked("leak");
    repo.git(&["rm", "-q", "leak.txt"]);
    repo.assert_commits(&[]);
}

#[test]
fn git_mv_of_a_file_with_a_committed_key_passes() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    repo.stage("src/settings.py", format!("KEY = '{key}'\n"));
    repo.commit_unchecked("settings");
    repo.git(&["mv", "src/settings.py", "src/config.py"]);
    repo.assert_commits(&[]);
    // A whole directory moved, too.
    repo.git(&["mv", "src", "lib"]);
    repo.assert_commits(&[]);
}

#[test]
fn a_rename_with_edits_contributes_only_its_new_lines() {
    let repo = TestRepo::with_hook();
    let mut fake = fake();
    let old_key = fake.key_id("AKIA");
    let body: String = (0..30).map(|i| format!("setting_{i} = {i}\n")).collect();
    repo.stage("a.cfg", format!("key = {old_key}\n{body}"));
    repo.commit_unchecked("old key");
    repo.git(&["mv", "a.cfg", "b.cfg"]);
    repo.stage("b.cfg", format!("key = {old_key}\n{body}extra = 1\n"));
    repo.assert_commits(&[]);
    // But a new key added during a rename is caught.
    let new_key = fake.key_id("AKIA");
    repo.git(&["mv", "b.cfg", "c.cfg"]);
    repo.stage("c.cfg", format!("key = {old_key}\n{body}extra = 1\nnew = {new_key}\n"));
    repo.assert_blocked(&[], "c.cfg:33:7:", &new_key);
}

#[test]
fn an_exact_copy_of_a_committed_file_passes() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    repo.stage("fixtures/a.json", format!("{{\"id\": \"{key}\"}}\n"));
    repo.commit_unchecked("fixture");
    std::fs::copy(repo.root.join("fixtures/a.json"), repo.root.join("fixtures/b.json")).unwrap();
    repo.add(&["fixtures/b.json"]);
    repo.assert_commits(&[]);
}

#[test]
fn a_mode_only_change_passes() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    repo.stage("run.sh", format!("#!/bin/sh\n# {key}\n"));
    repo.commit_unchecked("script");
    repo.git(&["update-index", "--chmod=+x", "run.sh"]);
    repo.assert_commits(&[]);
}

#[test]
fn merge_resolution_that_adds_a_key_is_blocked() {
    let repo = TestRepo::with_hook();
    repo.stage("conf.ini", "[s]\nvalue = base\n");
    repo.assert_commits(&[]);
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.stage("conf.ini", "[s]\nvalue = feature\n");
    repo.assert_commits(&[]);
    repo.git(&["checkout", "-q", "main"]);
    repo.stage("conf.ini", "[s]\nvalue = main\n");
    repo.assert_commits(&[]);
    let merge = repo.git_run(&["merge", "-q", "--no-edit", "feature"]);
    assert_ne!(merge.code(), 0, "the merge must conflict");
    let key = fake().key_id("AKIA");
    repo.stage("conf.ini", format!("[s]\nvalue = merged\nkey = {key}\n"));
    repo.assert_blocked(&["--no-edit"], "conf.ini:3:7: aws.access-key-id:", &key);
    // Resolving without the key lets the merge commit through.
    repo.stage("conf.ini", "[s]\nvalue = merged\n");
    repo.assert_commits(&["--no-edit"]);
}

#[test]
fn merging_a_branch_that_adds_no_key_passes() {
    let repo = TestRepo::with_hook();
    repo.stage("a.txt", "a\n");
    repo.assert_commits(&[]);
    repo.git(&["checkout", "-q", "-b", "feature"]);
    for i in 0..20 {
        repo.write(format!("feature/{i}.txt"), format!("file {i}\n"));
    }
    repo.add(&["feature"]);
    repo.assert_commits(&[]);
    repo.git(&["checkout", "-q", "main"]);
    repo.stage("b.txt", "b\n");
    repo.assert_commits(&[]);
    let before = repo.head();
    repo.git_run(&["merge", "-q", "--no-edit", "feature"]).assert_code(0);
    assert_ne!(repo.head(), before, "the merge commit was made");
}

#[test]
fn merging_a_branch_whose_key_is_already_committed_passes() {
    // The key was committed on the branch (bypassing the hook); the merge itself does not
    // introduce it, so the merge is not the place to block it (pre-push and CI are).
    let repo = TestRepo::with_hook();
    repo.stage("a.txt", "a\n");
    repo.assert_commits(&[]);
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.stage("a.txt", format!("a\n{}\n", fake().key_id("AKIA")));
    repo.commit_unchecked("key on the branch");
    repo.git(&["checkout", "-q", "main"]);
    repo.stage("b.txt", "b\n");
    repo.assert_commits(&[]);
    let before = repo.head();
    repo.git_run(&["merge", "-q", "--no-edit", "feature"]).assert_code(0);
    assert_ne!(repo.head(), before);
}

#[test]
fn linked_worktree_commits_are_scanned() {
    let repo = TestRepo::with_hook();
    repo.stage("a.txt", "a\n");
    repo.assert_commits(&[]);
    repo.git(&["worktree", "add", "-q", "-b", "wt", "../wt"]);
    let key = fake().key_id("AKIA");
    std::fs::write(repo.root.join("../wt/a.txt"), format!("a\n{key}\n")).unwrap();
    let before = repo.git_in("../wt", &["rev-parse", "HEAD"]).stdout();
    let run = repo.git_in("../wt", &["commit", "-q", "-a", "-m", "x"]);
    assert_eq!(run.code(), 1, "{}", run.all());
    run.assert_contains("a.txt:2:1: aws.access-key-id:").assert_lacks(&key);
    assert_eq!(repo.git_in("../wt", &["rev-parse", "HEAD"]).stdout(), before);
}

#[test]
fn crlf_files_are_scanned() {
    let repo = TestRepo::with_hook();
    let secret = fake().secret();
    repo.stage("win.ini", format!("[aws]\r\naws_secret_access_key={secret}\r\nregion=eu-west-1\r\n"));
    repo.assert_blocked(&[], "win.ini:2:23: aws.secret-access-key:", &secret);
}

#[cfg(unix)]
#[test]
fn non_utf8_paths_and_content_are_scanned_and_printed_escaped() {
    use std::os::unix::ffi::OsStrExt;
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
    let mut content = b"\xff\xfe latin-1 \xe9\xe8 text\n".to_vec();
    content.extend_from_slice(format!("k={key}\n").as_bytes());
    std::fs::write(repo.root.join(name), content).unwrap();
    repo.git(&["add", "-A"]);
    repo.assert_blocked(&[], "caf\\xe9.txt:2:3: aws.access-key-id:", &key);
}

#[test]
fn hook_started_from_a_subdirectory_scans_the_whole_index() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    repo.write("deep/er/x.yaml", format!("key: {key}\n"));
    repo.write("other/y.txt", "y\n");
    repo.add(&["deep", "other"]);
    let run = repo.git_in("other", &["commit", "-q", "-m", "x"]);
    assert_eq!(run.code(), 1, "{}", run.all());
    run.assert_contains("deep/er/x.yaml:1:6:");
    assert_eq!(repo.head(), None);
    // Run by hand from a subdirectory, too.
    let mut cmd = repo.command(util::awsguard_bin());
    cmd.current_dir(repo.root.join("other"));
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn outside_a_repository_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let repo = TestRepo::new();
    let mut cmd = repo.command(util::awsguard_bin());
    cmd.current_dir(dir.path()).env("GIT_CEILING_DIRECTORIES", dir.path().parent().unwrap());
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not inside a git repository"), "{stderr}");
}

#[test]
fn binary_files_are_scanned_as_bytes() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    let mut blob: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    blob.extend_from_slice(b"\0\0");
    blob.extend_from_slice(key.as_bytes());
    blob.extend_from_slice(b"\0\x01\x02");
    repo.stage("app.db", blob);
    repo.assert_blocked(&[], "app.db:", &key);
}

#[test]
fn a_submodule_entry_adds_nothing() {
    let repo = TestRepo::with_hook();
    repo.stage("a.txt", "a\n");
    repo.assert_commits(&[]);
    // A gitlink pointing at some commit.
    let head = repo.head().unwrap();
    repo.git(&["update-index", "--add", "--cacheinfo", &format!("160000,{head},vendor/lib")]);
    repo.assert_commits(&[]);
}

#[test]
fn amend_scans_the_amended_changes() {
    let repo = TestRepo::with_hook();
    repo.stage("a.txt", "a\n");
    repo.assert_commits(&[]);
    let key = fake().key_id("AKIA");
    repo.stage("a.txt", format!("a\n{key}\n"));
    repo.assert_blocked(&["--amend", "--no-edit"], "a.txt:2:1:", &key);
}

#[test]
fn core_hooks_path_is_honoured() {
    let repo = TestRepo::new();
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    repo.awsguard(&["install", "--binary", util::awsguard_bin().to_str().unwrap()]).assert_code(0);
    assert!(repo.root.join(".githooks/pre-commit").is_file());
    let key = fake().key_id("ASIA");
    repo.stage("x.txt", format!("{key}\n"));
    repo.assert_blocked(&[], "x.txt:1:1:", &key);
}

#[test]
fn the_shipped_hook_copied_by_hand_finds_the_binary_on_path() {
    let repo = TestRepo::new();
    let hook = repo.root.join(".git/hooks/pre-commit");
    std::fs::copy(util::hook_script(), &hook).unwrap();
    let bin_dir = util::awsguard_bin().parent().unwrap().to_path_buf();
    let path = util::path_with(&bin_dir);
    let key = fake().key_id("AKIA");
    repo.stage("x.txt", format!("{key}\n"));
    let mut cmd = repo.command("git");
    cmd.env("PATH", &path).args(["commit", "-q", "-m", "x"]);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(repo.head(), None);
}

#[test]
fn a_missing_binary_blocks_the_commit_with_instructions() {
    let repo = TestRepo::new();
    let hook = repo.root.join(".git/hooks/pre-commit");
    std::fs::copy(util::hook_script(), &hook).unwrap();
    repo.stage("x.txt", "x\n");
    let mut cmd = repo.command("git");
    cmd.env("PATH", "/usr/bin:/bin:/usr/local/bin").args(["commit", "-q", "-m", "x"]);
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr.contains("cannot find the awsguard binary") && stderr.contains("install"), "{stderr}");
    assert_eq!(repo.head(), None);
}

#[test]
fn utf16_files_are_scanned() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    let text = format!("$env:AWS_ACCESS_KEY_ID = \"{key}\"\r\nWrite-Host done\r\n");
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    repo.stage("setup.ps1", bytes);
    repo.assert_blocked(&[], "setup.ps1:1:", &key);
}

#[test]
fn documentation_examples_and_placeholders_pass() {
    let repo = TestRepo::with_hook();
    let doc_id = ["AKIA", "IOSFODNN7EXAMPLE"].concat();
    let text = format!(
        "aws_access_key_id = {doc_id}\n\
         aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n\
         aws_access_key_id = AKIA{}\n\
         aws_secret_access_key = ${{AWS_SECRET_ACCESS_KEY}}\n\
         secret: {{{{ secrets.AWS_SECRET_ACCESS_KEY }}}}\n\
         arn:aws:iam::123456789012:user/Development/product_1234/*\n",
        "X".repeat(16)
    );
    repo.stage("README.md", text);
    repo.assert_commits(&[]);
}

/// Regression: libgit2 took an empty `GIT_INDEX_FILE` as an empty index, so awsguard run
/// with it set to "" (as install.sh once did) passed everything unscanned.
#[test]
fn an_empty_git_index_file_variable_still_scans_the_index() {
    let repo = TestRepo::new();
    let key = fake().key_id("AKIA");
    repo.stage("x.txt", format!("{key}\n"));
    let mut cmd = repo.command(util::awsguard_bin());
    cmd.env("GIT_INDEX_FILE", "");
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    // And a GIT_INDEX_FILE naming a missing file is an error, never an empty index.
    let mut cmd = repo.command(util::awsguard_bin());
    cmd.env("GIT_INDEX_FILE", "no/such/index");
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}
