//! Fail closed, never leak, survive hostile input and unusual repository states. Every
//! fault is injected into a real repository and checked through the real binary or a real
//! `git commit`.

mod util;

use std::collections::BTreeMap;
use std::path::Path;

use util::{TestRepo, awsguard_bin, fake, repo_with_staged_key};

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
fn a_sha256_repository_is_read_through_git() {
    // Issue 15: every command reads it through git (tests/formats.rs); a bare one has no
    // index to check, and says so.
    let repo = TestRepo::new();
    let dir = repo.home.join("sha256");
    repo.git(&["init", "-q", "--object-format=sha256", dir.to_str().unwrap()]);
    let run = |args: &[&str]| repo.command(awsguard_bin()).current_dir(&dir).args(args).output().unwrap();
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // An unborn HEAD has no history: that stops the check, as in a SHA-1 repository.
    assert_eq!(run(&["history"]).status.code(), Some(2));
    let out = run(&["check-config"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no allowlist entries"));
    let bare = repo.home.join("bare-sha256.git");
    repo.git(&["init", "-q", "--bare", "--object-format=sha256", bare.to_str().unwrap()]);
    let out = repo.command(awsguard_bin()).current_dir(&bare).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bare repository"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
    let key = fake().key_id("AKIA");
    // Just under the size from which blobs are streamed: read whole, and that fails.
    let mut blob = vec![b'x'; (63 << 20) + (512 << 10)];
    blob.extend_from_slice(format!("\n{key}\n").as_bytes());
    repo.stage("huge.bin", &blob);
    let limited = || {
        let mut cmd = repo.command("sh");
        cmd.arg("-c").arg(format!("ulimit -v 60000 && exec '{}'", awsguard_bin().display()));
        cmd.output().unwrap()
    };
    let out = limited();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("huge.bin") && stderr.contains("memory"), "{stderr}");
    // Larger, it is streamed a window at a time: the same memory is enough to find the key.
    blob.splice(0..0, std::iter::repeat_n(b'x', 40 << 20));
    repo.stage("huge.bin", &blob);
    let out = limited();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("AKIA...{}", &key[16..])));
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
