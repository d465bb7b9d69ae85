//! Fail closed, never leak, survive hostile input and unusual repository states. Every
//! fault is injected into a real repository and checked through the real binary or a real
//! `git commit`.

mod util;

use std::collections::BTreeMap;
use std::path::Path;

use util::{Fake, TestRepo, awsguard_bin, fake};

/// A repository with one clean commit, awsguard installed, and a key staged in `k.txt`.
fn repo_with_staged_key(fake: &mut Fake) -> (TestRepo, String) {
    let repo = TestRepo::with_hook();
    repo.stage("base.txt", "base\n");
    repo.assert_commits(&[]);
    let key = fake.key_id("AKIA");
    repo.stage("k.txt", format!("{key}\n"));
    (repo, key)
}

// ---------------------------------------------------------------- fail closed

#[test]
fn a_corrupt_index_is_an_error_with_a_fix() {
    let (repo, _) = repo_with_staged_key(&mut fake());
    let index = repo.root.join(".git/index");
    let mut bytes = std::fs::read(&index).unwrap();
    let n = bytes.len();
    bytes[n - 5] ^= 0xff; // inside the trailing checksum
    std::fs::write(&index, &bytes).unwrap();
    repo.awsguard(&[]).assert_code(2).assert_contains("corrupt").assert_contains("git reset");
}

#[test]
fn a_truncated_index_is_an_error() {
    let (repo, _) = repo_with_staged_key(&mut fake());
    let index = repo.root.join(".git/index");
    let bytes = std::fs::read(&index).unwrap();
    std::fs::write(&index, &bytes[..bytes.len() / 2]).unwrap();
    repo.awsguard(&[]).assert_code(2).assert_contains("cannot read the index");
}

#[test]
fn an_index_entry_whose_blob_is_missing_is_an_error() {
    let repo = TestRepo::with_hook();
    let ghost = "0123456789012345678901234567890123456789";
    // On an unborn branch, and with a HEAD.
    repo.git(&["update-index", "--add", "--cacheinfo", &format!("100644,{ghost},ghost.txt")]);
    repo.awsguard(&[]).assert_code(2).assert_contains("ghost.txt").assert_contains("git fsck");
    repo.git(&["rm", "-q", "--cached", "ghost.txt"]);
    repo.stage("a.txt", "a\n");
    repo.assert_commits(&[]);
    repo.git(&["update-index", "--add", "--cacheinfo", &format!("100644,{ghost},dir/ghost.txt")]);
    repo.awsguard(&[]).assert_code(2).assert_contains("git fsck");
}

#[test]
fn a_damaged_staged_object_is_an_error() {
    let repo = TestRepo::with_hook();
    repo.stage("a.txt", "a\n");
    repo.assert_commits(&[]);
    repo.stage("b.txt", "content that will be damaged on disk\n".repeat(50));
    damage_staged(&repo, "b.txt");
    repo.awsguard(&[]).assert_code(2).assert_contains("b.txt").assert_contains("damaged").assert_contains("git fsck");
    repo.git(&["rm", "-q", "--cached", "b.txt"]);
    // The staged allowlist is read the same way: damage is reported, never a hang.
    repo.stage(".awsguard.toml", "# no entries yet, and this file will be damaged on disk\n".repeat(20));
    damage_staged(&repo, ".awsguard.toml");
    repo.awsguard(&[]).assert_code(2).assert_contains(".awsguard.toml").assert_contains("damaged");
}

/// Flips a byte inside the zlib stream of the staged loose object at `path`.
fn damage_staged(repo: &TestRepo, path: &str) {
    let id = repo.git(&["rev-parse", &format!(":{path}")]);
    let id = id.trim();
    let object = repo.root.join(".git/objects").join(&id[..2]).join(&id[2..]);
    let mut bytes = std::fs::read(&object).unwrap();
    let n = bytes.len();
    bytes[n - 6] ^= 0xff;
    std::fs::remove_file(&object).unwrap();
    std::fs::write(&object, &bytes).unwrap();
}

#[test]
fn an_unreadable_allowlist_is_an_error() {
    let repo = TestRepo::with_hook();
    // The staged .awsguard.toml names a missing blob.
    let ghost = "0123456789012345678901234567890123456789";
    repo.git(&["update-index", "--add", "--cacheinfo", &format!("100644,{ghost},.awsguard.toml")]);
    repo.awsguard(&[]).assert_code(2).assert_contains(".awsguard.toml");
    repo.git(&["rm", "-q", "--cached", ".awsguard.toml"]);
    // Not UTF-8.
    repo.stage(".awsguard.toml", b"[[allow]]\nreason = \"\xff\"\n");
    repo.awsguard(&[]).assert_code(2).assert_contains(".awsguard.toml:2:");
    repo.git(&["rm", "-q", "--cached", ".awsguard.toml"]);
    // A --config that is a directory.
    let dir = repo.home.join("policy.toml");
    std::fs::create_dir_all(&dir).unwrap();
    repo.awsguard(&["--config", dir.to_str().unwrap()]).assert_code(2).assert_contains("policy.toml");
}

#[test]
fn a_locked_index_is_still_scanned_and_allow_reports_the_lock() {
    let (repo, key) = repo_with_staged_key(&mut fake());
    // git holds index.lock while it runs the hook; reading the index must still work.
    std::fs::write(repo.root.join(".git/index.lock"), b"").unwrap();
    repo.awsguard(&[]).assert_code(1).assert_contains("k.txt:1:1:").assert_lacks(&key);
    // Writing it cannot: `awsguard allow` says why.
    repo.awsguard(&["allow", "--path", "k.txt", "--reason", "fixture"]).assert_code(2).assert_contains("index.lock");
}

#[test]
fn a_sha256_repository_is_an_error() {
    let repo = TestRepo::new();
    let dir = repo.home.join("sha256");
    repo.git(&["init", "-q", "--object-format=sha256", dir.to_str().unwrap()]);
    let mut cmd = repo.command(awsguard_bin());
    cmd.current_dir(&dir);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sha256"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_bare_repository_is_an_error() {
    let repo = TestRepo::new();
    let dir = repo.home.join("bare.git");
    repo.git(&["init", "-q", "--bare", dir.to_str().unwrap()]);
    let mut cmd = repo.command(awsguard_bin());
    cmd.current_dir(&dir);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bare repository"));
}

#[cfg(unix)]
#[test]
fn an_object_too_large_for_memory_is_an_error_not_a_crash() {
    let repo = TestRepo::new();
    let mut blob = vec![b'x'; 100 << 20];
    blob.extend_from_slice(format!("\n{}\n", fake().key_id("AKIA")).as_bytes());
    repo.stage("huge.bin", blob);
    let mut cmd = repo.command("sh");
    cmd.arg("-c").arg(format!("ulimit -v 60000 && exec '{}'", awsguard_bin().display()));
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("huge.bin") && stderr.contains("memory"), "{stderr}");
}

#[test]
fn a_panic_blocks_with_exit_2_and_a_message() {
    let (repo, _) = repo_with_staged_key(&mut fake());
    let mut cmd = repo.command(awsguard_bin());
    cmd.env("AWSGUARD_INJECT_PANIC", "1");
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("awsguard: internal error") && stderr.contains("commit is blocked"), "{stderr}");
    // Through git, the commit does not happen.
    let mut cmd = repo.command("git");
    cmd.env("AWSGUARD_INJECT_PANIC", "1").args(["commit", "-q", "-m", "x"]);
    let before = repo.head();
    assert_ne!(cmd.output().unwrap().status.code(), Some(0));
    assert_eq!(repo.head(), before);
}

// ---------------------------------------------------------------- never leak

/// Asserts that no 10-character piece of any secret appears in the output: enough to rule
/// out whole secrets and any fragment long enough to be useful (redaction shows 4 + 4).
fn assert_never_printed(output: &str, secrets: &[String]) {
    const PIECE: usize = 10;
    let printed: std::collections::HashSet<&[u8]> = output.as_bytes().windows(PIECE).collect();
    for secret in secrets {
        for piece in secret.as_bytes().windows(PIECE) {
            assert!(!printed.contains(piece), "output holds {:?}, a piece of a secret", String::from_utf8_lossy(piece));
        }
    }
}

#[test]
fn no_output_format_ever_prints_a_secret() {
    let repo = TestRepo::new();
    let mut fake = fake();
    let mut secrets = Vec::new();
    for i in 0..300 {
        let (id, secret, token) =
            (fake.key_id(["AKIA", "ASIA", "ABIA", "ACCA"][i % 4]), fake.secret(), fake.session_token());
        let appsync = fake.expand("da2-{lower36:26}");
        let mws = fake.expand("amzn.mws.{uuid}");
        let text = match i % 5 {
            0 => format!(
                "[p{i}]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\naws_session_token = {token}\n"
            ),
            1 => format!("{{\"AccessKeyId\": \"{id}\", \"SecretAccessKey\": \"{}\"}}\n", secret.replace('/', "\\/")),
            2 => format!("AWS_ACCESS_KEY_ID={id}\nAWS_SECRET_ACCESS_KEY={secret}\nAPPSYNC={appsync}\n"),
            3 => format!("<SecretAccessKey>{secret}</SecretAccessKey>\n<Token>{token}</Token>\n{mws}\n"),
            _ => format!("new BasicAWSCredentials(\"{id}\", \"{secret}\");\n"),
        };
        repo.write(format!("f{i}.txt"), text);
        secrets.extend([id, secret, token, appsync, mws]);
    }
    repo.git(&["add", "-A"]);
    for format in ["text", "json", "sarif"] {
        let run = repo.awsguard(&["--format", format]);
        run.assert_code(1);
        assert_never_printed(&run.all(), &secrets);
    }
    // Asked for on a pipe, secrets stay hidden; forced, they are shown.
    let run = repo.awsguard(&["--show-secrets"]);
    assert_never_printed(&run.all(), &secrets);
    repo.awsguard(&["--show-secrets=always"]).assert_code(1).assert_contains(&secrets[1]);
}

/// Every file under `dir` with its content.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(
                    path.strip_prefix(dir).unwrap().display().to_string(),
                    std::fs::read(&path).unwrap_or_default(),
                );
            }
        }
    }
    out
}

#[test]
fn a_scan_writes_nothing_to_disk() {
    let (repo, _) = repo_with_staged_key(&mut fake());
    repo.write("sub/dir/more.txt", "more\n");
    repo.add(&["sub"]);
    let before = snapshot(repo.root.parent().unwrap());
    repo.awsguard(&[]).assert_code(1);
    repo.awsguard(&["--format", "sarif"]).assert_code(1);
    repo.awsguard(&["check-config"]).assert_code(0);
    let after = snapshot(repo.root.parent().unwrap());
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>(), "files were added or removed");
    assert!(before == after, "a file's content changed");
}

// ---------------------------------------------------------------- hostile input

#[cfg(unix)]
#[test]
fn hostile_paths_are_printed_escaped() {
    use std::os::unix::ffi::OsStrExt;
    let repo = TestRepo::new();
    let key = fake().key_id("AKIA");
    let name = std::ffi::OsStr::from_bytes(b"x\n\x1b[2Jclean.txt:1:1: nothing found\xff\x07");
    std::fs::write(repo.root.join(name), format!("{key}\n")).unwrap();
    repo.git(&["add", "-A"]);
    let run = repo.awsguard(&[]);
    run.assert_code(1);
    let out = run.stdout();
    assert!(!out.contains('\x1b') && !out.contains('\x07'), "raw control bytes in {out:?}");
    assert_eq!(out.lines().count(), 1, "a path cannot forge a line: {out:?}");
    assert!(out.starts_with("x\\n\\x1b[2Jclean.txt:1:1: nothing found\\xff\\x07:1:1: aws.access-key-id:"), "{out:?}");
    let json = repo.awsguard(&["--format", "json"]).stdout();
    assert!(!json.contains('\x1b'), "{json:?}");
}

// ---------------------------------------------------------------- unusual states

#[test]
fn sparse_checkout_with_a_sparse_index_is_scanned() {
    let repo = TestRepo::with_hook();
    for dir in ["in", "out/deep"] {
        repo.write(format!("{dir}/a.txt"), "a\n");
    }
    repo.git(&["add", "-A"]);
    repo.assert_commits(&[]);
    repo.git(&["sparse-checkout", "init", "--cone", "--sparse-index"]);
    repo.git(&["sparse-checkout", "set", "in"]);
    assert!(!repo.root.join("out").exists(), "out/ is outside the sparse cone");
    let key = fake().key_id("AKIA");
    repo.stage("in/k.txt", format!("{key}\n"));
    repo.assert_blocked(&[], "in/k.txt:1:1:", &key);
    repo.stage("in/k.txt", "clean\n");
    repo.assert_commits(&[]);
}

#[test]
fn a_split_index_is_scanned() {
    let repo = TestRepo::with_hook();
    repo.git(&["config", "core.splitIndex", "true"]);
    repo.stage("a.txt", "a\n");
    repo.assert_commits(&[]);
    let key = fake().key_id("ASIA");
    repo.stage("b.txt", format!("{key}\n"));
    assert!(
        std::fs::read_dir(repo.root.join(".git")).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("sharedindex."))
    );
    repo.assert_blocked(&[], "b.txt:1:1:", &key);
    repo.assert_blocked(&["-a"], "b.txt:1:1:", &key);
}

#[test]
fn an_index_v4_is_scanned() {
    let repo = TestRepo::with_hook();
    repo.git(&["config", "index.version", "4"]);
    let key = fake().key_id("AKIA");
    repo.write("deep/path/name/k.txt", format!("{key}\n"));
    repo.add(&["deep"]);
    repo.git(&["update-index", "--index-version", "4"]);
    repo.assert_blocked(&[], "deep/path/name/k.txt:1:1:", &key);
}

#[test]
fn assume_unchanged_and_skip_worktree_entries_are_scanned_as_staged() {
    let repo = TestRepo::with_hook();
    repo.write("a.txt", "a\n");
    repo.write("b.txt", "b\n");
    repo.add(&["a.txt", "b.txt"]);
    repo.assert_commits(&[]);
    let mut fake = fake();
    let (k1, k2) = (fake.key_id("AKIA"), fake.key_id("AKIA"));
    repo.stage("a.txt", format!("{k1}\n"));
    repo.git(&["update-index", "--assume-unchanged", "a.txt"]);
    repo.assert_blocked(&[], "a.txt:1:1:", &k1);
    repo.git(&["update-index", "--no-assume-unchanged", "a.txt"]);
    repo.git(&["reset", "-q", "a.txt"]);
    // A skip-worktree entry whose staged blob holds a key.
    let blob = {
        repo.write("tmp.txt", format!("{k2}\n"));
        let id = repo.git(&["hash-object", "-w", "tmp.txt"]);
        repo.remove("tmp.txt");
        id.trim().to_string()
    };
    repo.git(&["update-index", "--cacheinfo", &format!("100644,{blob},b.txt")]);
    repo.git(&["update-index", "--skip-worktree", "b.txt"]);
    repo.assert_blocked(&[], "b.txt:1:1:", &k2);
}

#[test]
fn intent_to_add_entries_are_not_committed_content() {
    let repo = TestRepo::with_hook();
    repo.stage("a.txt", "a\n");
    repo.assert_commits(&[]);
    let key = fake().key_id("AKIA");
    repo.write("later.txt", format!("{key}\n"));
    repo.git(&["add", "-N", "later.txt"]);
    repo.stage("a.txt", "a2\n");
    repo.assert_commits(&[]);
    // `commit -a` adds its content: then it is scanned.
    repo.assert_blocked(&["-a"], "later.txt:1:1:", &key);
}

#[test]
fn a_real_submodule_adds_nothing() {
    let repo = TestRepo::with_hook();
    let other = TestRepo::new();
    other.stage("secret.txt", format!("{}\n", fake().key_id("AKIA")));
    other.commit_unchecked("other repo");
    repo.stage("a.txt", "a\n");
    repo.assert_commits(&[]);
    repo.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        other.root.to_str().unwrap(),
        "vendor/other",
    ]);
    repo.assert_commits(&[]);
}

fn lfs_pointer(repo: &TestRepo, content: &[u8], store: bool) -> String {
    use sha2::Digest;
    let oid: String = sha2::Sha256::digest(content).iter().map(|b| format!("{b:02x}")).collect();
    if store {
        let dir = repo.root.join(".git/lfs/objects").join(&oid[..2]).join(&oid[2..4]);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(&oid), content).unwrap();
    }
    format!("version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {}\n", content.len())
}

#[test]
fn git_lfs_content_is_scanned_through_its_pointer() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    let content = format!("binary-ish data\n\nkey={key}\n");
    let pointer = lfs_pointer(&repo, content.as_bytes(), true);
    repo.stage("model.bin", &pointer);
    repo.assert_blocked(&[], "model.bin:3:5:", &key);
    // Clean LFS content passes.
    let pointer = lfs_pointer(&repo, b"clean weights\n", true);
    repo.stage("model.bin", &pointer);
    repo.assert_commits(&[]);
    // A pointer whose content is not stored locally cannot be checked: fail closed.
    let pointer = lfs_pointer(&repo, b"content that was never stored\n", false);
    repo.stage("other.bin", &pointer);
    repo.awsguard(&[]).assert_code(2).assert_contains("Git LFS pointer").assert_contains("git lfs fetch");
}

#[cfg(unix)]
#[test]
fn symlinks_are_scanned_as_their_target_text() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    std::os::unix::fs::symlink(format!("/tmp/{key}"), repo.root.join("link")).unwrap();
    repo.add(&["link"]);
    repo.assert_blocked(&[], "link:1:6:", &key);
}

#[test]
fn binary_and_no_diff_attributes_do_not_hide_content() {
    let repo = TestRepo::with_hook();
    repo.stage(".gitattributes", "*.dat binary\n*.cfg -diff\n");
    repo.assert_commits(&[]);
    let mut fake = fake();
    let (k1, k2) = (fake.key_id("AKIA"), fake.key_id("AKIA"));
    repo.write("a.dat", format!("\0\0{k1}\0"));
    repo.write("b.cfg", format!("key = {k2}\n"));
    repo.add(&["a.dat", "b.cfg"]);
    let run = repo.assert_blocked(&[], "a.dat:1:3:", &k1);
    run.assert_contains("b.cfg:1:7:").assert_lacks(&k2);
}

#[test]
fn a_working_tree_encoding_is_scanned_as_git_stores_it() {
    let repo = TestRepo::with_hook();
    repo.stage(".gitattributes", "*.ps1 text working-tree-encoding=UTF-16LE eol=crlf\n");
    repo.assert_commits(&[]);
    let key = fake().key_id("AKIA");
    let text = format!("$key = \"{key}\"\r\n");
    let mut bytes = Vec::new();
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    repo.stage("setup.ps1", bytes);
    repo.assert_blocked(&[], "setup.ps1:1:9:", &key);
}

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
    repo.awsguard(&[]).assert_code(2).assert_contains("cache-tree").assert_lacks(&key);
    let before = repo.head();
    assert_ne!(repo.commit(&[]).code(), 0);
    assert_eq!(repo.head(), before, "the commit happened");
    // Without the hook, git does commit the key no entry holds: the check above is needed.
    repo.git(&["commit", "-q", "--no-verify", "-m", "unchecked"]);
    assert_eq!(repo.git(&["show", "HEAD:secret.txt"]), format!("{key}\n"));
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);

    // A directory named as HEAD's while a key is staged in it: the walk would skip it.
    let head_dir = repo.git(&["rev-parse", "HEAD:dir"]).trim().to_string();
    repo.stage("dir/key.txt", format!("{key}\n"));
    let staged = std::fs::read(&index_path).unwrap();
    std::fs::write(&index_path, with_cache_tree(&staged, &[("", -1, 1, None), ("dir", 1, 0, Some(&head_dir))]))
        .unwrap();
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

// ---------------------------------------------------------------- bounded resources

/// What a child used, as the kernel counted it (`wait4`): exit code, peak RSS, CPU time.
struct Usage {
    code: Option<i32>,
    max_rss_mib: f64,
    cpu_seconds: f64,
    stderr: String,
}

/// Runs `cmd` to completion with stdout discarded and measures it. `cpu_limit` (seconds)
/// is set with `RLIMIT_CPU` in the child, so a regression ends in SIGXCPU, not a hang.
#[cfg(unix)]
#[allow(clippy::zombie_processes)] // reaped by wait4, which also gives the usage
fn measure(mut cmd: std::process::Command, cpu_limit: u64) -> Usage {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe and touches only the child.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit { rlim_cur: cpu_limit, rlim_max: cpu_limit + 5 };
            if libc::setrlimit(libc::RLIMIT_CPU, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid out-parameter; the child is ours and not yet reaped.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Usage {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        max_rss_mib: usage.ru_maxrss as f64 / 1024.0,
        cpu_seconds: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        stderr,
    }
}

#[cfg(unix)]
#[test]
fn a_merge_bringing_many_key_lines_reads_the_parent_once_per_file() {
    let repo = TestRepo::with_hook();
    repo.stage("a.txt", "a\n");
    repo.commit_unchecked("base");
    repo.git(&["checkout", "-q", "-b", "other"]);
    let mut fake = fake();
    let keys: String = (0..15_000).map(|i| format!("key{i} = {}\n", fake.key_id("AKIA"))).collect();
    repo.stage("keys.txt", &keys);
    repo.commit_unchecked("keys, committed on the other branch without the hook");
    repo.git(&["checkout", "-q", "main"]);
    repo.stage("b.txt", "b\n");
    repo.commit_unchecked("main moves on");
    repo.git(&["merge", "-q", "--no-ff", "--no-commit", "other"]);
    // Every key line is already in the other parent: nothing new, and quickly so.
    let usage = measure(repo.command(awsguard_bin()), 60);
    assert_eq!(usage.code, Some(0), "{}", usage.stderr);
    assert!(usage.cpu_seconds < 20.0, "{:.1} s of CPU for a 15,000-line merge", usage.cpu_seconds);
    // One new key line in the merge result is still found.
    let extra = fake.key_id("AKIA");
    repo.stage("keys.txt", format!("{keys}new = {extra}\n"));
    let usage = measure(repo.command(awsguard_bin()), 60);
    assert_eq!(usage.code, Some(1), "{}", usage.stderr);
    assert!(usage.stderr.is_empty() || !usage.stderr.contains(&extra));
}

#[cfg(unix)]
#[test]
fn a_huge_allowlist_loads_in_linear_time() {
    let (repo, key) = repo_with_staged_key(&mut fake());
    // 9 MiB of fingerprint entries, then one that names the staged key (by its line).
    let mut text = String::new();
    let mut i = 0u64;
    while text.len() < 9 << 20 {
        text.push_str(&format!("[[allow]]\nfingerprint = \"sha256:{:016x}\"\nreason = \"old fixture\"\n", i));
        i += 1;
    }
    let lines_before = text.lines().count();
    text.push_str(&format!("[[allow]]\nfingerprint = \"{}\"\nreason = \"this fixture\"\n", {
        awsguard::allowlist::fingerprint(key.as_bytes())
    }));
    let policy = repo.home.join("policy.toml");
    std::fs::write(&policy, &text).unwrap();
    let mut cmd = repo.command(awsguard_bin());
    cmd.args(["--config", policy.to_str().unwrap()]);
    let usage = measure(cmd, 60);
    eprintln!("{i} entries: {:.2} s CPU, {:.0} MiB peak RSS", usage.cpu_seconds, usage.max_rss_mib);
    assert_eq!(usage.code, Some(0), "{i} entries: {}", usage.stderr);
    assert!(usage.cpu_seconds < 30.0, "{i} entries took {:.1} s of CPU", usage.cpu_seconds);
    // Positions are still exact: a broken last entry is reported at its own line.
    text.push_str("[[allow]]\npath = \"x\"\n");
    std::fs::write(&policy, &text).unwrap();
    let mut cmd = repo.command(awsguard_bin());
    cmd.args(["--config", policy.to_str().unwrap()]);
    let usage = measure(cmd, 60);
    assert_eq!(usage.code, Some(2));
    let at = format!("policy.toml:{}:1: entry has no `reason`", lines_before + 4);
    assert!(usage.stderr.contains(&at), "expected {at:?} in {}", usage.stderr);
}

#[cfg(unix)]
#[test]
fn regex_entries_are_bounded_each_and_in_total() {
    let (repo, _) = repo_with_staged_key(&mut fake());
    let policy = repo.home.join("policy.toml");
    let entries = |n: usize| -> String {
        // Each close to the per-entry limit (64 KiB compiled): the worst case for memory.
        (0..n)
            .map(|i| {
                format!("[[allow]]\npattern = \"^(?:AKIA[A-Z2-7]{{16}}){{45}}{i:04}\"\nreason = \"fixture {i}\"\n")
            })
            .collect()
    };
    let run = |text: &str| {
        std::fs::write(&policy, text).unwrap();
        let mut cmd = repo.command(awsguard_bin());
        cmd.args(["--config", policy.to_str().unwrap()]);
        measure(cmd, 60)
    };
    // As many as allowed: they load, within bounded memory.
    let usage = run(&entries(awsguard::config::MAX_PATTERNS));
    eprintln!(
        "{} patterns: {:.2} s CPU, {:.0} MiB peak RSS",
        awsguard::config::MAX_PATTERNS,
        usage.cpu_seconds,
        usage.max_rss_mib
    );
    assert_eq!(usage.code, Some(1), "{}", usage.stderr);
    assert!(usage.max_rss_mib < 200.0, "{:.0} MiB for {} patterns", usage.max_rss_mib, awsguard::config::MAX_PATTERNS);
    // 4,500: refused at the first one too many, said where and why, in bounded memory.
    let usage = run(&entries(4_500));
    assert_eq!(usage.code, Some(2), "{}", usage.stderr);
    let at = format!("policy.toml:{}:11:", awsguard::config::MAX_PATTERNS * 3 + 2);
    assert!(usage.stderr.contains(&at) && usage.stderr.contains("`pattern` entries"), "{}", usage.stderr);
    assert!(usage.max_rss_mib < 200.0, "{:.0} MiB", usage.max_rss_mib);
    // One regex that compiles too large is refused on its own.
    let usage = run("[[allow]]\npattern = \"^(?:AKIA[A-Z2-7]{16}){500}\"\nreason = \"too big\"\n");
    assert_eq!(usage.code, Some(2), "{}", usage.stderr);
    assert!(usage.stderr.contains("policy.toml:2:11: invalid regex"), "{}", usage.stderr);
}

#[test]
fn default_output_leaves_too_much_of_a_key_id_unknown_to_rebuild_it() {
    // The account ID is 40 of the 80 bits after the prefix; with it, the last four
    // characters and a 64-bit fingerprint, the rest was found by brute force in a second.
    let mut fake = fake();
    let key = std::iter::repeat_with(|| fake.key_id("AKIA"))
        .find(|k| awsguard::rules::account_id(k.as_bytes()).is_some())
        .unwrap();
    let account = format!("{:012}", awsguard::rules::account_id(key.as_bytes()).unwrap());
    let repo = TestRepo::new();
    repo.stage("k.txt", format!("{key}\n"));
    for format in ["text", "json", "sarif"] {
        let run = repo.awsguard(&["--format", format]);
        run.assert_code(1).assert_lacks(&account).assert_lacks(&key[4..16]).assert_lacks(&key[..16]);
        run.assert_contains(&format!("AKIA...{}", &key[16..]));
    }
    // Asked for, with the whole secret, the account is shown too.
    repo.awsguard(&["--show-secrets=always"]).assert_code(1).assert_contains(&format!("AWS account {account}"));
}
