//! Server side: the real `hooks/pre-receive` (as pre-receive and as update) in a bare
//! repository, pushed to with real `git push` over `file://` and over `git daemon` on
//! 127.0.0.1; pre-push against the remote pushed to; history in a partial clone.

mod util;

use std::io::Write as _;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use util::{Run, TestRepo, awsguard_bin, fake, hermetic};

/// A client repository with one clean commit, and a bare repository `origin` (over
/// `file://`) with awsguard's hook installed as `hook` (pre-receive or update).
struct Setup {
    repo: TestRepo,
    bare: PathBuf,
}

impl Setup {
    fn new(hook: &str) -> Setup {
        let repo = TestRepo::new();
        let bare = repo.home.join("server.git");
        repo.git(&["init", "-q", "--bare", "-b", "main", bare.to_str().unwrap()]);
        repo.git(&["remote", "add", "origin", &format!("file://{}", bare.display())]);
        repo.stage("README", "hello\n");
        repo.commit_unchecked("first");
        repo.git(&["push", "-q", "origin", "main"]);
        let setup = Setup { repo, bare };
        setup.install(hook);
        setup
    }

    /// Installs the repository's own `hooks/pre-receive` under `name`, with the binary
    /// under test recorded as an installer would.
    fn install(&self, name: &str) {
        let script = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("hooks/pre-receive")).unwrap();
        let recorded = format!("AWSGUARD_BIN='{}'", awsguard_bin().display());
        let script = script.replacen("AWSGUARD_BIN=''", &recorded, 1);
        let path = self.bare.join("hooks").join(name);
        std::fs::write(&path, script).unwrap();
        let mut perms = std::fs::metadata(&path).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(&path, perms).unwrap();
    }

    /// What `name` points to on the server.
    fn server_ref(&self, name: &str) -> Option<String> {
        let run = self.repo.git_run(&["--git-dir", self.bare.to_str().unwrap(), "rev-parse", "-q", "--verify", name]);
        (run.code() == 0).then(|| run.stdout().trim().to_string())
    }

    fn push(&self, args: &[&str]) -> Run {
        let mut all = vec!["push", "--porcelain"];
        all.extend_from_slice(args);
        self.repo.git_run(&all)
    }

    /// Commits `path` with `content`, bypassing any local hook; returns the commit.
    fn commit(&self, path: &str, content: &str) -> String {
        self.repo.stage(path, content);
        self.repo.commit_unchecked(&format!("change {path}"));
        self.repo.head().unwrap()
    }

    /// Pushes, and asserts the server rejected it: git failed, `name` did not move, and
    /// the pusher saw the finding as a `remote:` line naming commit, path, line and rule,
    /// without colour and without the secret.
    #[track_caller]
    fn assert_rejected(&self, args: &[&str], name: &str, finding: &str, secret: &str) -> Run {
        let before = self.server_ref(name);
        let run = self.push(args);
        assert_ne!(run.code(), 0, "push accepted\n{}", run.all());
        assert_eq!(self.server_ref(name), before, "{name} moved on the server\n{}", run.all());
        run.assert_contains(&format!("remote: {finding}"))
            .assert_contains("remote: awsguard: push blocked: 1 AWS credential")
            .assert_contains("hook declined")
            .assert_lacks(secret)
            .assert_lacks("\x1b[");
        run
    }

    /// Pushes, and asserts the server accepted it and `name` now points to `to`.
    #[track_caller]
    fn assert_accepted(&self, args: &[&str], name: &str, to: Option<&str>) -> Run {
        let run = self.push(args);
        run.assert_code(0);
        assert_eq!(self.server_ref(name).as_deref(), to, "{name} on the server\n{}", run.all());
        run
    }
}

fn key_line(key: &str) -> String {
    format!("export AWS_ACCESS_KEY_ID={key}\n")
}

/// `deploy.sh:1:26: aws.access-key-id` in commit `id`, as a push report says it.
fn finding(id: &str, path: &str) -> String {
    format!("{}:{path}:1:26: aws.access-key-id:", &id[..12])
}

#[test]
fn pre_receive_rejects_a_key_and_accepts_clean_pushes() {
    let s = Setup::new("pre-receive");
    let clean = s.commit("notes.txt", "clean\n");
    s.assert_accepted(&["origin", "main"], "main", Some(&clean));
    let key = fake().key_id("AKIA");
    let leak = s.commit("deploy.sh", &key_line(&key));
    s.commit("more.txt", "a later clean commit\n");
    s.assert_rejected(&["origin", "main"], "main", &finding(&leak, "deploy.sh"), &key);
    // Removing it in a new commit is not enough; rewriting history is.
    s.commit("deploy.sh", "export AWS_ACCESS_KEY_ID=$KEY\n");
    s.assert_rejected(&["origin", "main"], "main", &finding(&leak, "deploy.sh"), &key);
    s.repo.git(&["reset", "-q", "--hard", &clean]);
    let fixed = s.commit("deploy.sh", "export AWS_ACCESS_KEY_ID=$KEY\n");
    s.assert_accepted(&["origin", "main"], "main", Some(&fixed));
}

#[test]
fn a_key_in_a_commit_message_is_rejected() {
    let s = Setup::new("pre-receive");
    let key = fake().key_id("AKIA");
    s.repo.stage("notes.txt", "clean\n");
    s.repo.git(&["commit", "-q", "--no-verify", "-m", &format!("deploy\n\nused {key} to test")]);
    let leak = s.repo.head().unwrap();
    s.assert_rejected(
        &["origin", "main"],
        "main",
        &format!("{}:COMMIT_MSG:3:6: aws.access-key-id:", &leak[..12]),
        &key,
    );
    // The same change, reworded, goes through.
    s.repo.git(&["commit", "-q", "--amend", "--no-verify", "-m", "deploy"]);
    let reworded = s.repo.head().unwrap();
    s.assert_accepted(&["origin", "main"], "main", Some(&reworded));
}

#[test]
fn objects_packed_in_the_quarantine_are_read_too() {
    let s = Setup::new("pre-receive");
    // Every push is kept as a pack in the quarantine instead of loose objects.
    s.repo.git(&["--git-dir", s.bare.to_str().unwrap(), "config", "receive.unpackLimit", "1"]);
    let key = fake().key_id("AKIA");
    let leak = s.commit("deploy.sh", &key_line(&key));
    s.assert_rejected(&["origin", "main"], "main", &finding(&leak, "deploy.sh"), &key);
    s.repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    let clean = s.commit("deploy.sh", "clean\n");
    s.assert_accepted(&["origin", "main"], "main", Some(&clean));
}

#[test]
fn new_branches_scan_only_what_the_server_lacks() {
    let s = Setup::new("pre-receive");
    // A key the server already has (pushed before the hook existed): not this push's doing.
    std::fs::remove_file(s.bare.join("hooks/pre-receive")).unwrap();
    let old_key = fake().key_id("AKIA");
    let old = s.commit("old.sh", &key_line(&old_key));
    s.assert_accepted(&["origin", "main"], "main", Some(&old));
    s.install("pre-receive");
    s.repo.git(&["checkout", "-q", "-b", "same"]);
    s.assert_accepted(&["origin", "same"], "refs/heads/same", Some(&old));
    let feature = s.commit("feature.txt", "clean\n");
    s.assert_accepted(&["origin", "same:feature"], "refs/heads/feature", Some(&feature));
    // A new branch with a new key is rejected; a branch off it as well.
    let key = fake().key_id("AKIA");
    let leak = s.commit("new.sh", &key_line(&key));
    s.assert_rejected(&["origin", "same:leaky"], "refs/heads/leaky", &finding(&leak, "new.sh"), &key);
    assert_eq!(s.server_ref("refs/heads/leaky"), None);
}

#[test]
fn force_pushes_are_scanned_from_where_the_server_is() {
    let s = Setup::new("pre-receive");
    let base = s.repo.head().unwrap();
    let one = s.commit("a.txt", "one\n");
    s.assert_accepted(&["origin", "main"], "main", Some(&one));
    s.repo.git(&["reset", "-q", "--hard", &base]);
    let key = fake().key_id("AKIA");
    let leak = s.commit("b.sh", &key_line(&key));
    s.assert_rejected(&["--force", "origin", "main"], "main", &finding(&leak, "b.sh"), &key);
    s.repo.git(&["reset", "-q", "--hard", &base]);
    let rewritten = s.commit("b.sh", "clean\n");
    s.assert_accepted(&["--force", "origin", "main"], "main", Some(&rewritten));
}

#[test]
fn tags_lightweight_and_annotated() {
    let s = Setup::new("pre-receive");
    let base = s.repo.head().unwrap();
    s.repo.git(&["tag", "v1", &base]);
    s.repo.git(&["tag", "-a", "-m", "release", "v1a", &base]);
    s.assert_accepted(&["origin", "v1", "v1a"], "refs/tags/v1", Some(&base));
    assert!(s.server_ref("refs/tags/v1a").is_some());
    // Tags on a commit no branch has: the commit is what the tag adds.
    let key = fake().key_id("AKIA");
    let leak = s.commit("tagged.sh", &key_line(&key));
    s.repo.git(&["tag", "light", &leak]);
    s.repo.git(&["tag", "-a", "-m", "annotated", "heavy", &leak]);
    s.assert_rejected(&["origin", "light"], "refs/tags/light", &finding(&leak, "tagged.sh"), &key);
    s.assert_rejected(&["origin", "heavy"], "refs/tags/heavy", &finding(&leak, "tagged.sh"), &key);
    s.repo.git(&["tag", "-d", "light", "heavy"]);
    s.repo.git(&["reset", "-q", "--hard", &base]);
    let clean = s.commit("tagged.sh", "clean\n");
    s.repo.git(&["tag", "-a", "-m", "annotated", "heavy", &clean]);
    s.assert_accepted(&["origin", "heavy"], "refs/tags/heavy^{commit}", Some(&clean));
}

/// An annotated tag is pushed with its message, on a commit the server may already have:
/// no commit hook ever reads that message.
#[test]
fn a_key_in_an_annotated_tag_message_is_rejected() {
    for hook in ["pre-receive", "update"] {
        let s = Setup::new(hook);
        let base = s.repo.head().unwrap();
        let key = fake().key_id("AKIA");
        s.repo.git(&["tag", "-a", "-m", "inner", "inner", &base]);
        // A tag of a tag: both messages travel.
        s.repo.git(&["tag", "-a", "-m", &format!("release\n\nsigned with {key}"), "v2", "inner"]);
        let tag = s.repo.git(&["rev-parse", "v2"]).trim().to_string();
        let finding = format!("{}:TAG_MSG:3:13: aws.access-key-id:", &tag[..12]);
        s.assert_rejected(&["origin", "v2"], "refs/tags/v2", &finding, &key);
        // Re-tagged with a clean message, the push goes through.
        s.repo.git(&["tag", "-d", "v2"]);
        s.repo.git(&["tag", "-a", "-m", "release", "v2", "inner"]);
        let clean = s.repo.git(&["rev-parse", "v2"]).trim().to_string();
        s.assert_accepted(&["origin", "v2"], "refs/tags/v2", Some(&clean));
    }
}

#[test]
fn deletions_are_accepted() {
    let s = Setup::new("pre-receive");
    std::fs::remove_file(s.bare.join("hooks/pre-receive")).unwrap();
    let key = fake().key_id("AKIA");
    let old = s.commit("old.sh", &key_line(&key));
    s.assert_accepted(&["origin", "main:doomed"], "refs/heads/doomed", Some(&old));
    s.install("pre-receive");
    s.assert_accepted(&["origin", "--delete", "doomed"], "refs/heads/doomed", None);
}

#[test]
fn the_allowlist_committed_in_the_pushed_tree_applies() {
    let s = Setup::new("pre-receive");
    let key = fake().key_id("AKIA");
    let leak = s.commit("fixture.sh", &key_line(&key));
    let run = s.assert_rejected(&["origin", "main"], "main", &finding(&leak, "fixture.sh"), &key);
    let all = run.all();
    // The advice names the fingerprint: as `awsguard allow sha256:...` or as an entry to paste.
    let (_, after) = all.split_once("sha256:").expect("a fingerprint in the advice");
    let hex: String = after.chars().take_while(char::is_ascii_hexdigit).collect();
    assert_eq!(hex.len(), 16, "{all}");
    let fingerprint = format!("sha256:{hex}");
    let allow = format!("[[allow]]\nfingerprint = \"{fingerprint}\"\nreason = \"test fixture\"\n");
    let allowed = s.commit(".awsguard.toml", &allow);
    s.assert_accepted(&["origin", "main"], "main", Some(&allowed));
}

#[test]
fn the_update_hook_form_rejects_one_ref() {
    let s = Setup::new("update");
    let key = fake().key_id("AKIA");
    let leak = s.commit("deploy.sh", &key_line(&key));
    s.repo.git(&["branch", "clean", "HEAD~1"]);
    s.repo.git(&["checkout", "-q", "clean"]);
    let clean = s.commit("ok.txt", "fine\n");
    // The update hook decides ref by ref: the clean branch goes in, main does not.
    let before = s.server_ref("main");
    let run = s.push(&["origin", "main", "clean"]);
    assert_ne!(run.code(), 0, "{}", run.all());
    run.assert_contains(&format!("remote: {}", finding(&leak, "deploy.sh"))).assert_lacks(&key);
    assert_eq!(s.server_ref("main"), before);
    assert_eq!(s.server_ref("refs/heads/clean").as_deref(), Some(clean.as_str()));
}

#[test]
fn a_push_of_a_thousand_commits() {
    let s = Setup::new("pre-receive");
    let key = fake().key_id("AKIA");
    // fast-import builds the commits in one process; one in the middle holds the key.
    let mut stream = String::new();
    for n in 1..=1000 {
        let (path, content) = match n {
            500 => ("keys/deploy.sh".to_string(), key_line(&key)),
            _ => (format!("src/{}/file{n}.txt", n % 17), format!("line {n}\n")),
        };
        let message = format!("commit {n}\n");
        let from = if n == 1 { "from refs/heads/main^0\n" } else { "" };
        stream.push_str("commit refs/heads/main\ncommitter T <t@example.invalid> 1767225600 +0000\n");
        stream.push_str(&format!("data {}\n{message}{from}", message.len()));
        stream.push_str(&format!("M 100644 inline {path}\ndata {}\n{content}\n", content.len()));
    }
    let mut child = s.repo.command("git").args(["fast-import", "--quiet"]).stdin(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(stream.as_bytes()).unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
    s.repo.git(&["reset", "-q", "--hard", "main"]);
    let leak = s.repo.git(&["rev-parse", "main~500"]).trim().to_string();
    assert_eq!(s.repo.git(&["rev-list", "--count", "origin/main..main"]).trim(), "1000");
    let started = Instant::now();
    s.assert_rejected(&["origin", "main"], "main", &finding(&leak, "keys/deploy.sh"), &key);
    eprintln!("a 1,000-commit push checked and rejected in {:?} (debug build)", started.elapsed());
    // Without that commit the same thousand-commit push is accepted.
    s.repo.git(&["rebase", "-q", "--onto", &format!("{leak}~1"), &leak, "main"]);
    let head = s.repo.head().unwrap();
    s.assert_accepted(&["origin", "main"], "main", Some(&head));
}

/// `git daemon` serving the bare repository's parent on a free loopback port, killed
/// when dropped.
struct Daemon {
    child: Child,
    port: u16,
}

impl Daemon {
    fn start(s: &Setup) -> Daemon {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap().port();
        let base = s.bare.parent().unwrap();
        let child = hermetic("git", &s.repo.home)
            .args(["daemon", "--enable=receive-pack", "--export-all", "--reuseaddr", "--listen=127.0.0.1"])
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", base.display()))
            .arg("--timeout=60")
            .arg(base)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut daemon = Daemon { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            assert!(daemon.child.try_wait().unwrap().is_none(), "git daemon exited");
            assert!(Instant::now() < deadline, "git daemon did not listen on port {port} within 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        daemon
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn over_git_daemon_on_loopback() {
    let s = Setup::new("pre-receive");
    let daemon = Daemon::start(&s);
    let url = format!("git://127.0.0.1:{}/server.git", daemon.port);
    s.repo.git(&["remote", "set-url", "origin", &url]);
    let clean = s.commit("notes.txt", "clean\n");
    s.assert_accepted(&["origin", "main"], "main", Some(&clean));
    let key = fake().key_id("AKIA");
    let leak = s.commit("deploy.sh", &key_line(&key));
    s.assert_rejected(&["origin", "main"], "main", &finding(&leak, "deploy.sh"), &key);
    drop(daemon);
}

#[test]
fn pre_push_reads_annotated_tag_messages() {
    let s = Setup::new("pre-receive");
    std::fs::remove_file(s.bare.join("hooks/pre-receive")).unwrap();
    let bin = awsguard_bin();
    s.repo.awsguard(&["install", "--hook", "pre-push", "--binary", bin.to_str().unwrap()]).assert_code(0);
    let base = s.repo.head().unwrap();
    let key = fake().key_id("ASIA");
    s.repo.git(&["tag", "-a", "-m", &format!("token {key}"), "v3", &base]);
    let tag = s.repo.git(&["rev-parse", "v3"]).trim().to_string();
    let run = s.push(&["origin", "v3"]);
    assert_ne!(run.code(), 0, "push accepted\n{}", run.all());
    run.assert_contains(&format!("{}:TAG_MSG:1:7: aws.access-key-id:", &tag[..12])).assert_lacks(&key);
    assert_eq!(s.server_ref("refs/tags/v3"), None);
    s.repo.git(&["tag", "-d", "v3"]);
    s.repo.git(&["tag", "-a", "-m", "token in the vault", "v3", &base]);
    let clean = s.repo.git(&["rev-parse", "v3"]).trim().to_string();
    s.assert_accepted(&["origin", "v3"], "refs/tags/v3", Some(&clean));
}

#[test]
fn pre_push_counts_only_what_the_pushed_to_remote_has() {
    let s = Setup::new("pre-receive");
    std::fs::remove_file(s.bare.join("hooks/pre-receive")).unwrap();
    s.repo.git(&["fetch", "-q", "origin"]);
    // A fork has a branch with a key in it; origin has never seen it.
    let fork = s.repo.home.join("fork.git");
    s.repo.git(&["clone", "-q", "--bare", s.bare.to_str().unwrap(), fork.to_str().unwrap()]);
    s.repo.git(&["checkout", "-q", "-b", "theirs"]);
    let key = fake().key_id("AKIA");
    let leak = s.commit("fork.sh", &key_line(&key));
    s.repo.git(&["remote", "add", "fork", fork.to_str().unwrap()]);
    s.repo.git(&["push", "-q", "fork", "theirs"]);
    s.repo.git(&["checkout", "-q", "main"]);
    s.repo.git(&["branch", "-q", "-D", "theirs"]);
    s.repo.git(&["fetch", "-q", "fork"]);
    assert!(s.repo.git(&["branch", "-r"]).contains("fork/theirs"));
    s.repo.git(&["merge", "-q", "--no-edit", "fork/theirs"]);
    let bin = awsguard_bin();
    // The key is already in the local history: install says so (exit 1) and installs anyway.
    s.repo
        .awsguard(&["install", "--hook", "pre-push", "--binary", bin.to_str().unwrap()])
        .assert_code(1)
        .assert_contains("fork.sh:1:")
        .assert_lacks(&key);
    assert!(s.repo.root.join(".git/hooks/pre-push").exists());
    let before = s.server_ref("main");
    let run = s.repo.git_run(&["push", "-q", "origin", "main"]);
    assert_ne!(run.code(), 0, "the fork's commit was let through to origin\n{}", run.all());
    run.assert_contains(&finding(&leak, "fork.sh")).assert_lacks(&key);
    assert_eq!(s.server_ref("main"), before);
    // To the fork, which has it, the same commit is already published.
    s.repo.git_run(&["push", "-q", "fork", "main"]).assert_code(0);
}

#[test]
fn history_in_a_partial_clone_says_objects_are_missing() {
    let s = Setup::new("pre-receive");
    std::fs::remove_file(s.bare.join("hooks/pre-receive")).unwrap();
    s.repo.git(&["--git-dir", s.bare.to_str().unwrap(), "config", "uploadpack.allowFilter", "true"]);
    s.commit("a.txt", "first version\n");
    s.commit("a.txt", "second version\n");
    s.repo.git(&["push", "-q", "origin", "main"]);
    let partial = s.repo.home.join("partial");
    let url = format!("file://{}", s.bare.display());
    s.repo.git(&["clone", "-q", "--filter=blob:none", &url, partial.to_str().unwrap()]);
    let run = {
        let mut cmd = s.repo.command(awsguard_bin());
        cmd.current_dir(&partial).arg("history");
        let output = cmd.output().unwrap();
        Run { what: "awsguard history (partial clone)".into(), output }
    };
    run.assert_code(2).assert_contains("missing from this repository's history").assert_contains("partial clone");
    run.assert_lacks("git add");
    // The full history scans cleanly, all of it; a key on a branch HEAD does not reach is
    // found by `--all` only.
    s.repo.awsguard(&["history", "--all"]).assert_code(0);
    s.repo.git(&["checkout", "-q", "-b", "side"]);
    let key = fake().key_id("AKIA");
    let leak = s.commit("side.sh", &key_line(&key));
    s.repo.git(&["checkout", "-q", "main"]);
    s.repo.awsguard(&["history"]).assert_code(0);
    s.repo
        .awsguard(&["history", "--all"])
        .assert_code(1)
        .assert_contains(&finding(&leak, "side.sh"))
        .assert_lacks(&key);
}
