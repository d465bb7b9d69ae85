//! `awsguard scan [PATH...]`: scan files as they are on disk, for CI jobs, containers and
//! editors. Inside a repository, what `.gitignore` ignores is skipped, and `.awsguard.toml`
//! applies as staged.

use std::cell::RefCell;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use git2::Repository;

use super::{Outcome, conclude};
use crate::archive::Budget;
use crate::cli::Args;
use crate::config::{Config, RepoFile};
use crate::findings::{Checked, Place};
use crate::pass::{check_bytes, check_whole};
use crate::report::Scope;
use crate::rules::RULES;
use crate::scan::Scanner;
use crate::staged;

/// Scans each path (a file, a directory walked recursively, or `-` for stdin).
///
/// # Errors
/// A path that cannot be read, or a malformed allowlist.
pub fn run(args: &Args, paths: &[OsString]) -> Result<Outcome> {
    let repo = Repository::open_from_env().ok().filter(|r| !r.is_bare());
    let index = repo.as_ref().map(staged::open_index).transpose()?;
    let repo_file = match (&repo, &index) {
        (Some(repo), Some(index)) => RepoFile::Staged(repo, index),
        _ => RepoFile::None,
    };
    let config = Config::load(repo_file, args)?;
    let scanner = Scanner::new(&RULES);
    let mut checked = Checked::default();
    let default = [OsString::from(".")];
    let paths = if paths.is_empty() { &default[..] } else { paths };
    let mut files = Vec::new();
    for path in paths {
        if path == "-" {
            let mut content = Vec::new();
            std::io::stdin().lock().read_to_end(&mut content).context("reading stdin")?;
            check_bytes(&scanner, &config, &Place { path: b"<stdin>", view: &content, commit: None }, &mut checked);
            continue;
        }
        collect(repo.as_ref(), Path::new(path), &mut files)?;
    }
    let budget = RefCell::new(Budget::new(config.archives.limits));
    for file in files {
        let content = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
        let shown = file.strip_prefix("./").unwrap_or(&file);
        let place = Place { path: shown.as_os_str().as_encoded_bytes(), view: &content, commit: None };
        check_whole(&scanner, &config, &budget, &place, &mut checked)?;
    }
    conclude(args, &config, &checked, Scope::Files)
}

/// Adds `path` (or every file below it) to `out`, skipping `.git` and, in a repository,
/// ignored paths. Symbolic links are not followed.
fn collect(repo: Option<&Repository>, path: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let meta = std::fs::symlink_metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    if !meta.is_dir() {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("listing {}", path.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("listing {}", path.display()))?;
    entries.sort();
    for entry in entries {
        if entry.file_name().is_some_and(|n| n == ".git") || is_ignored(repo, &entry) {
            continue;
        }
        collect(repo, &entry, out)?;
    }
    Ok(())
}

/// Whether git ignores `path`, as `.gitignore` and the excludes files say.
fn is_ignored(repo: Option<&Repository>, path: &Path) -> bool {
    let relative = || -> Option<PathBuf> {
        let workdir = repo?.workdir()?.canonicalize().ok()?;
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let absolute = parent.canonicalize().ok()?.join(path.file_name()?);
        let mut relative = absolute.strip_prefix(&workdir).ok()?.as_os_str().to_os_string();
        // libgit2 matches directory-only patterns (`target/`) against a trailing slash.
        if path.is_dir() {
            relative.push("/");
        }
        Some(PathBuf::from(relative))
    };
    match (repo, relative()) {
        (Some(repo), Some(relative)) => repo.is_path_ignored(relative).unwrap_or(false),
        _ => false,
    }
}
