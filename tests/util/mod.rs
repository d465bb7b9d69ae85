//! Test harness: real repositories in temporary directories, driven with the git CLI, with
//! awsguard installed as a real hook.
//!
//! Every child process (git, awsguard, script, pre-commit) starts from an empty environment
//! (see [`hermetic`]): nothing of the user's git configuration leaks in, no `GIT_*` variable
//! of an enclosing hook run leaks out, and a terminal never changes what a test sees. A test
//! that needs a variable sets it on the command itself, where the reader sees it.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::fmt::Write as _;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub use awsguard::fake::Fake;

/// The awsguard binary under test.
pub fn awsguard_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_awsguard"))
}

/// The repository's own `hooks/pre-commit`.
pub fn hook_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("hooks").join("pre-commit")
}

/// `PATH` with `dir` in front: how a test puts a binary on the path explicitly.
pub fn path_with(dir: &Path) -> std::ffi::OsString {
    let rest = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(dir.to_path_buf()).chain(std::env::split_paths(&rest))).unwrap()
}

/// The first `name` on the parent's `PATH`.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// A command with a scrubbed environment: only the parent's `PATH` (to find git), `HOME`
/// set to `home` (which should hold an empty `.gitconfig`), no system git configuration,
/// the C locale and fixed commit dates. No `TERM`, `NO_COLOR`, `GIT_*` or `RUST_BACKTRACE`
/// of the parent reaches the child. Stdin is null and stdout and stderr are pipes, so the
/// outcome is the same whether or not `cargo test` runs on a terminal.
pub fn hermetic(program: impl AsRef<OsStr>, home: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    // Coverage tools name the profile output here; it changes nothing the binary does.
    if let Some(profile) = std::env::var_os("LLVM_PROFILE_FILE") {
        cmd.env("LLVM_PROFILE_FILE", profile);
    }
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", home.join(".gitconfig"))
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .env("LANG", "C")
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Makes `home` a private HOME: the directory, its config directory and an empty
/// `.gitconfig` (what `GIT_CONFIG_GLOBAL` names in [`hermetic`]).
pub fn make_home(home: &Path) {
    std::fs::create_dir_all(home.join(".config")).unwrap();
    std::fs::write(home.join(".gitconfig"), "").unwrap();
}

/// The seed of this test's fake credentials: `AWSGUARD_TEST_SEED` when set, otherwise one
/// fixed for the test (derived from its name), so that every run draws the same values.
pub fn test_seed() -> u64 {
    match std::env::var("AWSGUARD_TEST_SEED") {
        Ok(s) => s.trim().parse().unwrap_or_else(|_| panic!("AWSGUARD_TEST_SEED={s:?} is not a u64")),
        // libtest names each test's thread after the test.
        Err(_) => fnv1a(0xcbf2_9ce4_8422_2325, std::thread::current().name().unwrap_or("").as_bytes()),
    }
}

fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// A generator of fake keys. Its values are fixed for a test and a call site: the test's
/// seed ([`test_seed`]) mixed with where `fake()` is called, so that two calls in one test
/// draw different keys. The seed is printed, and shown when the test fails; running again
/// with `AWSGUARD_TEST_SEED` set to it replays the same values.
#[track_caller]
pub fn fake() -> Fake {
    let seed = test_seed();
    let at = std::panic::Location::caller();
    eprintln!("fake credentials: seed {seed} at {at} (replay with AWSGUARD_TEST_SEED={seed})");
    Fake::new(fnv1a(seed, format!("{}:{}:{}", at.file(), at.line(), at.column()).as_bytes()))
}

/// A git repository in a temporary directory.
pub struct TestRepo {
    _dir: tempfile::TempDir,
    /// The work tree root.
    pub root: PathBuf,
    /// A private HOME, so no user configuration applies.
    pub home: PathBuf,
}

/// A command's outcome, printable in full when an assertion fails.
pub struct Run {
    pub what: String,
    pub output: Output,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
    /// Both streams, as a user at a terminal sees them.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout(), self.stderr())
    }
    fn describe(&self) -> String {
        let mut s = String::new();
        let _ = write!(
            s,
            "command: {}\nstatus: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.what,
            self.output.status,
            self.stdout(),
            self.stderr()
        );
        s
    }
    /// Asserts the exit code, printing everything on failure.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(self.code(), code, "unexpected exit code\n{}", self.describe());
        self
    }
    /// Asserts that the output (stdout and stderr) contains `needle`.
    #[track_caller]
    pub fn assert_contains(&self, needle: &str) -> &Run {
        assert!(self.all().contains(needle), "output lacks {needle:?}\n{}", self.describe());
        self
    }
    /// Asserts that the output does not contain `needle` (a secret, say).
    #[track_caller]
    pub fn assert_lacks(&self, needle: &str) -> &Run {
        assert!(!self.all().contains(needle), "output holds {needle:?}\n{}", self.describe());
        self
    }
}

impl Default for TestRepo {
    fn default() -> Self {
        TestRepo::new()
    }
}

impl TestRepo {
    /// `git init -b main` in a fresh directory, with a test identity and no signing.
    pub fn new() -> TestRepo {
        TestRepo::init(&[])
    }

    /// [`TestRepo::new`] with more `git init` options (`--object-format=sha256`, say).
    pub fn init(options: &[&str]) -> TestRepo {
        let dir = tempfile::tempdir().expect("create temp dir");
        let home = dir.path().join("home");
        let root = dir.path().join("repo");
        make_home(&home);
        std::fs::create_dir_all(&root).unwrap();
        let repo = TestRepo { _dir: dir, root, home };
        repo.git(&[&["init", "-q", "-b", "main"], options].concat());
        for (key, value) in [
            ("user.name", "awsguard test"),
            ("user.email", "test@example.invalid"),
            ("commit.gpgsign", "false"),
            ("core.autocrlf", "false"),
            ("gc.auto", "0"),
            ("maintenance.auto", "false"),
        ] {
            repo.git(&["config", key, value]);
        }
        repo
    }

    /// A repository with awsguard installed as its pre-commit hook by `awsguard install`.
    pub fn with_hook() -> TestRepo {
        TestRepo::init_with_hook(&[])
    }

    /// [`TestRepo::with_hook`] with more `git init` options.
    pub fn init_with_hook(options: &[&str]) -> TestRepo {
        let repo = TestRepo::init(options);
        repo.awsguard(&["install", "--binary", awsguard_bin().to_str().unwrap()]).assert_code(0);
        repo
    }

    /// A [`hermetic`] command run in the work tree, with this repository's private HOME.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = hermetic(program, &self.home);
        cmd.current_dir(&self.root);
        cmd
    }

    fn run(&self, mut cmd: Command, what: String) -> Run {
        let output = cmd.output().unwrap_or_else(|e| panic!("running {what}: {e}"));
        Run { what, output }
    }

    /// Runs git and returns its outcome, whatever it is.
    pub fn git_run(&self, args: &[&str]) -> Run {
        let mut cmd = self.command("git");
        cmd.args(args);
        self.run(cmd, format!("git {}", args.join(" ")))
    }

    /// Runs git in a subdirectory of the work tree.
    pub fn git_in(&self, dir: &str, args: &[&str]) -> Run {
        let mut cmd = self.command("git");
        cmd.current_dir(self.root.join(dir)).args(args);
        self.run(cmd, format!("(cd {dir} && git {})", args.join(" ")))
    }

    /// Runs git and asserts that it succeeded; returns its stdout.
    #[track_caller]
    pub fn git(&self, args: &[&str]) -> String {
        let run = self.git_run(args);
        run.assert_code(0);
        run.stdout()
    }

    /// Runs the awsguard binary directly.
    pub fn awsguard(&self, args: &[&str]) -> Run {
        let mut cmd = self.command(awsguard_bin());
        cmd.args(args);
        self.run(cmd, format!("awsguard {}", args.join(" ")))
    }

    /// Writes a file (creating directories), relative to the work tree root.
    pub fn write(&self, path: impl AsRef<Path>, content: impl AsRef<[u8]>) {
        let path = self.root.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, content).unwrap();
    }

    /// Writes a file and `git add`s it.
    #[track_caller]
    pub fn stage(&self, path: &str, content: impl AsRef<[u8]>) {
        self.write(path, content);
        self.add(&[path]);
    }

    /// Removes a file from the work tree only.
    pub fn remove(&self, path: &str) {
        std::fs::remove_file(self.root.join(path)).unwrap();
    }

    /// `git add` these paths.
    #[track_caller]
    pub fn add(&self, paths: &[&str]) {
        let mut args = vec!["add", "--"];
        args.extend_from_slice(paths);
        self.git(&args);
    }

    /// `git commit -m MSG` plus extra arguments, through the installed hook.
    pub fn commit(&self, extra: &[&str]) -> Run {
        let mut args = vec!["commit", "-q", "-m", "test commit"];
        args.extend_from_slice(extra);
        self.git_run(&args)
    }

    /// Commits bypassing the hook: how a key gets into history despite it.
    #[track_caller]
    pub fn commit_unchecked(&self, message: &str) {
        self.git(&["commit", "-q", "--no-verify", "-m", message]);
    }

    /// The current HEAD commit, or `None` on an unborn branch.
    pub fn head(&self) -> Option<String> {
        let run = self.git_run(&["rev-parse", "-q", "--verify", "HEAD"]);
        (run.code() == 0).then(|| run.stdout().trim().to_string())
    }

    /// Runs `git commit` and asserts the hook blocked it: HEAD did not move, git failed,
    /// and the output names the finding's `path:line:col: rule` and never the secret.
    #[track_caller]
    pub fn assert_blocked(&self, extra: &[&str], location: &str, secret: &str) -> Run {
        let before = self.head();
        let run = self.commit(extra);
        assert_ne!(run.code(), 0, "commit succeeded but should have been blocked\n{}", run.describe());
        assert_eq!(self.head(), before, "HEAD moved although the hook failed\n{}", run.describe());
        run.assert_contains(location).assert_contains("awsguard: commit blocked").assert_lacks(secret);
        run
    }

    /// Runs `git commit` and asserts that it went through: HEAD moved.
    #[track_caller]
    pub fn assert_commits(&self, extra: &[&str]) -> Run {
        let before = self.head();
        let run = self.commit(extra);
        run.assert_code(0);
        assert_ne!(self.head(), before, "HEAD did not move\n{}", run.describe());
        run
    }
}

/// A repository with one clean commit, awsguard installed, and a key staged in `k.txt`.
pub fn repo_with_staged_key(fake: &mut Fake) -> (TestRepo, String) {
    let repo = TestRepo::with_hook();
    repo.stage("base.txt", "base\n");
    repo.assert_commits(&[]);
    let key = fake.key_id("AKIA");
    repo.stage("k.txt", format!("{key}\n"));
    (repo, key)
}
