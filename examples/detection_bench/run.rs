//! Running awsguard as the hook would: the files staged in real git repositories with the
//! git CLI, in an environment no developer configuration can reach.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use awsguard::allowlist::fingerprint;
use serde::Deserialize;

use crate::Opts;
use crate::compose::GenFile;

/// A finding as `awsguard --format json` prints it.
#[derive(Clone, Debug, Deserialize)]
pub struct Finding {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub rule: String,
    #[allow(dead_code)]
    kind: String,
    pub redacted: String,
    pub fingerprint: String,
}

#[derive(Deserialize)]
pub struct Report {
    findings: Vec<Finding>,
}

/// Where the repositories live, and the isolated git environment.
pub struct Sandbox {
    root: PathBuf,
    home: PathBuf,
    gitconfig: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl Sandbox {
    fn new(keep: Option<&Path>) -> Result<Sandbox> {
        let (root, temp) = match keep {
            Some(dir) => {
                if dir.exists() {
                    bail!("--keep {}: the directory already exists", dir.display());
                }
                fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
                (dir.canonicalize()?, None)
            }
            None => {
                let temp = tempfile::Builder::new().prefix("awsguard-detection-bench-").tempdir()?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        let home = root.join("home");
        fs::create_dir_all(home.join(".config"))?;
        let gitconfig = home.join(".gitconfig");
        fs::write(&gitconfig, "")?;
        Ok(Sandbox { root, home, gitconfig, _temp: temp })
    }

    /// A command with nothing of the user's environment: only PATH (and TMPDIR) is kept, so no
    /// `GIT_DIR`, `GIT_INDEX_FILE`, `GIT_WORK_TREE`, `GIT_OBJECT_DIRECTORY` or awsguard
    /// setting leaks in; HOME is private, the global config empty, the system config off.
    fn command(&self, program: &Path, cwd: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(cwd).env_clear();
        for key in ["PATH", "TMPDIR"] {
            if let Some(value) = std::env::var_os(key) {
                cmd.env(key, value);
            }
        }
        cmd.env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", &self.gitconfig)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("NO_COLOR", "1")
            .env("LC_ALL", "C")
            .stdin(Stdio::null());
        cmd
    }

    fn git(&self, cwd: &Path, args: &[&str]) -> Result<()> {
        let out = self.command(Path::new("git"), cwd).args(args).output().context("running git")?;
        if !out.status.success() {
            bail!("git {} failed in {}: {}", args.join(" "), cwd.display(), String::from_utf8_lossy(&out.stderr));
        }
        Ok(())
    }
}

#[derive(Default)]
pub struct Timings {
    pub generate: Duration,
    pub stage: Duration,
    pub scan: Duration,
    pub repos: usize,
}

/// Stages the files in batches of repositories and returns each file's findings.
pub fn run_awsguard(opts: &Opts, files: &[GenFile], timings: &mut Timings) -> Result<Vec<Vec<Finding>>> {
    let sandbox = Sandbox::new(opts.keep.as_deref())?;
    let by_path: HashMap<&str, usize> = files.iter().enumerate().map(|(i, f)| (f.path.as_str(), i)).collect();
    let mut findings: Vec<Vec<Finding>> = vec![Vec::new(); files.len()];
    for (batch_index, batch) in files.chunks(opts.batch).enumerate() {
        let repo = sandbox.root.join(format!("repo-{batch_index:03}"));
        let start = Instant::now();
        fs::create_dir_all(&repo)?;
        sandbox.git(&repo, &["init", "-q", "-b", "main"])?;
        // The repository's own settings, in case a git ignores the isolation above.
        for (key, value) in [
            ("user.name", "detection bench"),
            ("user.email", "bench@example.invalid"),
            ("commit.gpgsign", "false"),
            ("core.autocrlf", "false"),
        ] {
            sandbox.git(&repo, &["config", key, value])?;
        }
        for file in batch {
            let path = repo.join(&file.path);
            fs::create_dir_all(path.parent().expect("files live in directories"))?;
            fs::write(&path, file.encoding.encode(&file.text))
                .with_context(|| format!("writing {}", path.display()))?;
        }
        sandbox.git(&repo, &["add", "-A"])?;
        timings.stage += start.elapsed();
        let start = Instant::now();
        let out = sandbox
            .command(&opts.awsguard, &repo)
            .args(["--format", "json", "--color", "never"])
            .output()
            .with_context(|| format!("running {}", opts.awsguard.display()))?;
        timings.scan += start.elapsed();
        timings.repos += 1;
        if !matches!(out.status.code(), Some(0 | 1)) {
            bail!(
                "awsguard exited with {:?} in {}:\n{}",
                out.status.code(),
                repo.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let report: Report = serde_json::from_slice(&out.stdout).with_context(|| {
            format!("parsing awsguard's JSON output in {}: {}", repo.display(), String::from_utf8_lossy(&out.stdout))
        })?;
        for finding in report.findings {
            match by_path.get(finding.path.as_str()) {
                Some(&i) => findings[i].push(finding),
                None => bail!("awsguard reported a file the benchmark did not write: {}", finding.path),
            }
        }
    }
    if let Some(dir) = &opts.keep {
        let mut truth = String::from("path\tline\tfamily\tkind\tfingerprint\n");
        for (batch_index, batch) in files.chunks(opts.batch).enumerate() {
            for file in batch {
                for p in &file.plants {
                    let _ = writeln!(
                        truth,
                        "repo-{batch_index:03}/{}\t{}\t{:?}\t{}\t{}",
                        file.path,
                        p.line,
                        p.family,
                        p.kind.name(),
                        fingerprint(p.value.as_bytes())
                    );
                }
            }
        }
        fs::write(dir.join("truth.tsv"), truth)?;
    }
    Ok(findings)
}
