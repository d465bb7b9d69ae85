//! No write that can be torn, no silent way through: `awsguard allow` replaces and stages
//! only what it means to, and nothing in the environment, the index or a closed stderr lets
//! a key reach a commit unannounced. Real repositories, real git, faults injected.

mod util;

use util::{TestRepo, awsguard_bin, fake, repo_with_staged_key};

// ---------------------------------------------------------------- writes that cannot be torn

/// A repository whose committed `.awsguard.toml` holds one entry.
fn repo_with_allowlist() -> (TestRepo, String) {
    let repo = TestRepo::new();
    let old = "# ours\n[[allow]]\npath = \"docs/demo.txt\"\nreason = \"demo keys\"\n".to_string();
    repo.stage(".awsguard.toml", &old);
    repo.commit_unchecked("allowlist");
    (repo, old)
}

#[test]
fn allow_killed_mid_write_leaves_the_old_allowlist() {
    let (repo, old) = repo_with_allowlist();
    // Killed half-way through writing, and with the new file complete but not yet renamed.
    for point in ["write", "rename"] {
        let mut cmd = repo.command(awsguard_bin());
        cmd.env("AWSGUARD_INJECT_ABORT", point).args(["allow", "--path", "fixtures/**", "--reason", "test data"]);
        let out = cmd.output().unwrap();
        assert_ne!(out.status.code(), Some(0), "{point}: the injected abort did not happen");
        assert_eq!(std::fs::read_to_string(repo.root.join(".awsguard.toml")).unwrap(), old, "{point}");
        assert_eq!(repo.git(&["show", ":.awsguard.toml"]), old, "{point}");
    }
    // Killed at random moments: the file is always the old or the new one, never a part.
    let new = format!("{old}\n[[allow]]\npath = \"fixtures/**\"\nreason = \"test data\"\n");
    for i in 0..20u64 {
        let mut child = repo
            .command(awsguard_bin())
            .args(["allow", "--path", "fixtures/**", "--reason", "test data"])
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_micros(i * 7_919 % 20_000));
        let _ = child.kill();
        let _ = child.wait();
        // A `git` that awsguard started outlives it (SIGKILL reaches awsguard alone) and
        // releases the index lock when it is done: wait for that, as a user would. One
        // started just before the kill may not hold the lock yet, so it must stay gone a
        // while.
        let lock = repo.root.join(".git/index.lock");
        let mut gone_since = None;
        for _ in 0..1000 {
            if lock.exists() {
                gone_since = None;
            } else if gone_since.get_or_insert_with(std::time::Instant::now).elapsed().as_millis() >= 200 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let now = std::fs::read_to_string(repo.root.join(".awsguard.toml")).unwrap();
        assert!(now == old || now == new, "torn allowlist:\n{now}");
        std::fs::write(repo.root.join(".awsguard.toml"), &old).unwrap();
        repo.add(&[".awsguard.toml"]);
    }
}

#[cfg(unix)]
#[test]
fn allow_refuses_a_symlinked_allowlist() {
    let repo = TestRepo::new();
    let outside = repo.home.join("outside.toml");
    std::fs::write(&outside, "# not the repository's\n").unwrap();
    std::os::unix::fs::symlink(&outside, repo.root.join(".awsguard.toml")).unwrap();
    repo.awsguard(&["allow", "--path", "docs/x", "--reason", "demo keys"])
        .assert_code(2)
        .assert_contains("symbolic link");
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "# not the repository's\n");
    assert!(std::fs::symlink_metadata(repo.root.join(".awsguard.toml")).unwrap().file_type().is_symlink());
    assert_eq!(repo.git(&["ls-files", "--", ".awsguard.toml"]), "");
}

#[test]
fn allow_stages_only_its_own_entry() {
    let (repo, old) = repo_with_allowlist();
    // An unrelated edit, not staged.
    let draft = format!("{old}# draft: not ready\n");
    repo.write(".awsguard.toml", &draft);
    repo.awsguard(&["allow", "--path", "fixtures/**", "--reason", "test data"]).assert_code(0);
    let entry = "[[allow]]\npath = \"fixtures/**\"\nreason = \"test data\"\n";
    let staged = repo.git(&["show", ":.awsguard.toml"]);
    assert_eq!(staged, format!("{old}\n{entry}"));
    let worktree = std::fs::read_to_string(repo.root.join(".awsguard.toml")).unwrap();
    assert_eq!(worktree, format!("{draft}\n{entry}"));
    // The draft line is still an unstaged change, and only it.
    let diff = repo.git(&["diff", "--", ".awsguard.toml"]);
    let changed: Vec<&str> =
        diff.lines().filter(|l| l.starts_with(['+', '-']) && !l.starts_with("+++") && !l.starts_with("---")).collect();
    assert_eq!(changed, ["+# draft: not ready"], "{diff}");
}

#[test]
fn allow_checks_the_index_before_writing() {
    let (repo, old) = repo_with_allowlist();
    std::fs::write(repo.root.join(".git/index.lock"), b"").unwrap();
    let args = ["allow", "--path", "fixtures/**", "--reason", "test data"];
    repo.awsguard(&args).assert_code(2).assert_contains("index.lock").assert_contains("nothing was written");
    assert_eq!(std::fs::read_to_string(repo.root.join(".awsguard.toml")).unwrap(), old);
    // Following the advice adds the entry once.
    std::fs::remove_file(repo.root.join(".git/index.lock")).unwrap();
    repo.awsguard(&args).assert_code(0);
    let staged = repo.git(&["show", ":.awsguard.toml"]);
    assert_eq!(staged.matches("fixtures/**").count(), 1, "{staged}");
    assert_eq!(std::fs::read_to_string(repo.root.join(".awsguard.toml")).unwrap(), staged);
}

#[test]
fn allow_keeps_a_split_index_whole() {
    let (repo, old) = repo_with_allowlist();
    for i in 0..5 {
        repo.stage(&format!("f{i}.txt"), "x\n");
    }
    repo.git(&["update-index", "--split-index"]);
    repo.stage("later.txt", "y\n");
    let before = repo.git(&["ls-files"]);
    repo.awsguard(&["allow", "--path", "fixtures/**", "--reason", "test data"]).assert_code(0);
    assert_eq!(repo.git(&["ls-files"]), before, "entries of the split index were lost");
    let staged = repo.git(&["show", ":.awsguard.toml"]);
    assert!(staged.starts_with(&old) && staged.matches("fixtures/**").count() == 1, "{staged}");
    assert!(
        repo.root.join(".git").read_dir().unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("sharedindex."))
    );
}

// ---------------------------------------------------------------- no silent way through

#[test]
fn commit_msg_scans_comment_lines_that_git_commit_m_keeps() {
    let repo = TestRepo::new();
    let bin = awsguard_bin();
    repo.awsguard(&["install", "--hook", "commit-msg", "--binary", bin.to_str().unwrap()]).assert_code(0);
    repo.stage("a.txt", "a\n");
    let key = fake().key_id("AKIA");
    let message = format!("deploy\n\n# key {key}\n");
    let run = repo.git_run(&["commit", "-q", "-m", &message]);
    assert_ne!(run.code(), 0, "a key on a # line of the message was committed\n{}", run.all());
    run.assert_contains("COMMIT_EDITMSG:3:7: aws.access-key-id:").assert_lacks(&key);
    assert_eq!(repo.head(), None);
    // git really records that line: the hook had to see it.
    repo.git(&["commit", "-q", "--no-verify", "-m", &message]);
    assert!(repo.git(&["log", "-1", "--format=%B"]).contains(&key));
}

#[test]
fn leftover_pre_commit_range_variables_do_not_skip_the_index() {
    let repo = TestRepo::with_hook();
    repo.stage("a.txt", "a\n");
    repo.commit_unchecked("first");
    let key = fake().key_id("AKIA");
    repo.stage("k.txt", format!("{key}\n"));
    // Left in a shell by a CI script, with or without the framework's own flag.
    for framework in [false, true] {
        let mut cmd = repo.command("git");
        cmd.env("PRE_COMMIT_FROM_REF", "HEAD").env("PRE_COMMIT_TO_REF", "HEAD").args(["commit", "-q", "-m", "x"]);
        if framework {
            cmd.env("PRE_COMMIT", "1");
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "framework={framework}: committed\n{stderr}");
        assert!(stderr.contains("k.txt:1:1: aws.access-key-id:"), "{stderr}");
    }
    // Run by the framework itself (`pre-commit run --from-ref --to-ref`), the range is scanned.
    repo.commit_unchecked("key");
    let mut cmd = repo.command(awsguard_bin());
    cmd.env("PRE_COMMIT", "1").env("PRE_COMMIT_FROM_REF", "HEAD~1").env("PRE_COMMIT_TO_REF", "HEAD");
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `index` (version 2) with its extensions replaced by a cache-tree of `nodes` (git's
/// `TREE` format: `name NUL count SP subtrees LF [id]`, pre-order), checksum recomputed.
fn with_cache_tree(index: &[u8], nodes: &[(&str, i32, usize, Option<&str>)]) -> Vec<u8> {
    use sha1::{Digest, Sha1};
    assert_eq!(&index[4..8], &2u32.to_be_bytes(), "a version 2 index");
    let count = u32::from_be_bytes(index[8..12].try_into().unwrap());
    let mut pos = 12;
    for _ in 0..count {
        let name = usize::from(u16::from_be_bytes([index[pos + 60], index[pos + 61]]) & 0xfff);
        pos += (62 + name + 8) / 8 * 8;
    }
    let mut tree = Vec::new();
    for (name, entries, subtrees, id) in nodes {
        tree.extend_from_slice(format!("{name}\0{entries} {subtrees}\n").as_bytes());
        if let Some(id) = id {
            tree.extend_from_slice(
                &(0..20).map(|i| u8::from_str_radix(&id[2 * i..2 * i + 2], 16).unwrap()).collect::<Vec<_>>(),
            );
        }
    }
    let mut out = index[..pos].to_vec();
    out.extend_from_slice(b"TREE");
    out.extend_from_slice(&u32::try_from(tree.len()).unwrap().to_be_bytes());
    out.extend_from_slice(&tree);
    let sum = Sha1::digest(&out);
    out.extend_from_slice(&sum);
    out
}

#[test]
fn a_cache_tree_that_does_not_match_the_entries_blocks() {
    let repo = TestRepo::with_hook();
    repo.stage("top.txt", "top\n");
    repo.stage("dir/a.txt", "a\n");
    repo.commit_unchecked("first");
    let key = fake().key_id("AKIA");
    // A tree object that holds a key, though no index entry does (made here with write-tree).
    repo.stage("top.txt", "top, edited\n");
    repo.stage("secret.txt", format!("{key}\n"));
    let other = repo.git(&["write-tree"]).trim().to_string();
    repo.git(&["rm", "-q", "--cached", "secret.txt"]);
    repo.remove("secret.txt");
    let index_path = repo.root.join(".git/index");
    let clean = std::fs::read(&index_path).unwrap();
    // The root named as that tree: git commits it as it stands, key included.
    std::fs::write(&index_path, with_cache_tree(&clean, &[("", 2, 0, Some(&other))])).unwrap();
    // Reported as damage, with the recipe that keeps what is staged.
    repo.awsguard(&[])
        .assert_code(2)
        .assert_contains("cache-tree")
        .assert_contains("update-index -z --index-info")
        .assert_lacks("may be at fault")
        .assert_lacks(&key);
    let before = repo.head();
    assert_ne!(repo.commit(&[]).code(), 0);
    assert_eq!(repo.head(), before, "the commit happened");
    // Without the hook, git does commit the key no entry holds: the check above is needed.
    repo.git(&["commit", "-q", "--no-verify", "-m", "unchecked"]);
    assert_eq!(repo.git(&["show", "HEAD:secret.txt"]), format!("{key}\n"));
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);

    // A directory named as one of HEAD's own trees while a key is staged in it: git commits
    // HEAD's tree there, so the key is not committed; the walk trusts the node without
    // hashing (what keeps a commit in a large repository from hashing every tree).
    let head_dir = repo.git(&["rev-parse", "HEAD:dir"]).trim().to_string();
    repo.stage("dir/key.txt", format!("{key}\n"));
    repo.stage("top.txt", "top, edited again\n");
    let staged = std::fs::read(&index_path).unwrap();
    std::fs::write(&index_path, with_cache_tree(&staged, &[("", -1, 1, None), ("dir", 2, 0, Some(&head_dir))]))
        .unwrap();
    repo.awsguard(&[]).assert_code(0);
    let before = repo.head();
    repo.git(&["commit", "-q", "-m", "through the hook"]);
    assert_ne!(repo.head(), before);
    assert_eq!(repo.git(&["rev-parse", "HEAD:dir"]).trim(), head_dir, "git committed HEAD's dir as it was");
    assert!(!repo.git(&["ls-tree", "-r", "HEAD"]).contains("key.txt"), "the key was committed");
    repo.git(&["reset", "-q", "--soft", "HEAD~1"]);
    // The same node with an entry count that does not match: git would build a root from
    // it that is not the entries' tree; through `git commit` the hook checks the root git
    // wrote and blocks.
    std::fs::write(&index_path, with_cache_tree(&staged, &[("", -1, 1, None), ("dir", 1, 0, Some(&head_dir))]))
        .unwrap();
    let before = repo.head();
    let run = repo.commit(&[]);
    assert_ne!(run.code(), 0, "{}", run.all());
    run.assert_contains("cache-tree").assert_lacks(&key);
    assert_eq!(repo.head(), before, "the commit happened");
    // A node naming a tree HEAD does not have is checked against its entries.
    std::fs::write(&index_path, with_cache_tree(&staged, &[("", -1, 1, None), ("dir", 2, 0, Some(&other))])).unwrap();
    repo.awsguard(&[]).assert_code(2).assert_contains("cache-tree").assert_contains("dir/").assert_lacks(&key);
    // Two subtrees of one name: git keeps the last, a lookup could find the other.
    std::fs::write(
        &index_path,
        with_cache_tree(&staged, &[("", -1, 2, None), ("dir", 2, 0, Some(&head_dir)), ("dir", -1, 0, None)]),
    )
    .unwrap();
    repo.awsguard(&[]).assert_code(2).assert_contains("cache-tree").assert_lacks(&key);
}

#[cfg(unix)]
#[test]
fn an_unwritable_stderr_still_exits_2_never_aborts() {
    let (repo, key) = repo_with_staged_key(&mut fake());
    // /dev/full fails every write; a pipe whose reader is gone fails with EPIPE.
    let full = || std::process::Stdio::from(std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap());
    let cases: [(&[&str], Option<&str>, i32); 4] = [
        (&["--config", "/nonexistent/policy.toml"], None, 2),
        (&["--no-such-option"], None, 2),
        (&[], Some("AWSGUARD_INJECT_PANIC"), 2),
        (&[], None, 1),
    ];
    for (args, env, code) in cases {
        let mut cmd = repo.command(awsguard_bin());
        cmd.args(args).stderr(full());
        if let Some(var) = env {
            cmd.env(var, "1");
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{args:?} {env:?} with stderr on /dev/full: {:?}", out.status);
        assert!(!String::from_utf8_lossy(&out.stdout).contains(&key));
        // The same with stderr a pipe nobody reads.
        let mut cmd = repo.command(awsguard_bin());
        cmd.args(args).stderr(std::process::Stdio::piped());
        if let Some(var) = env {
            cmd.env(var, "1");
        }
        let mut child = cmd.spawn().unwrap();
        drop(child.stderr.take());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "{args:?} {env:?} with stderr a closed pipe: {status:?}");
    }
}

#[test]
fn allow_without_git_on_path_writes_nothing() {
    let (repo, old) = repo_with_allowlist();
    let empty = repo.home.join("empty-bin");
    std::fs::create_dir_all(&empty).unwrap();
    let mut cmd = repo.command(awsguard_bin());
    cmd.env("PATH", &empty).args(["allow", "--path", "fixtures/**", "--reason", "test data"]);
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(std::fs::read_to_string(repo.root.join(".awsguard.toml")).unwrap(), old);
}
