//! `awsguard scan [PATH...]`: scan files as they are on disk, for CI jobs, containers and
//! editors. Inside a repository, what git ignores is skipped when a directory is walked,
//! and `.awsguard.toml` applies as staged.

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
            check_bytes(&scanner, &config, &Place { path: b"<stdin>", view: &content, commit: None }, &mut checked)?;
            continue;
        }
        collect(Path::new(path), &mut files)?;
    }
    let budget = RefCell::new(Budget::new(config.archives.limits));
    let count = files.len() + paths.iter().filter(|p| *p == "-").count();
    for file in files {
        let content = std::fs::read(&file).with_context(|| format!("reading {}", shown(&file)))?;
        let shown = file.strip_prefix("./").unwrap_or(&file);
        let place = Place { path: shown.as_os_str().as_encoded_bytes(), view: &content, commit: None };
        check_whole(&scanner, &config, &budget, &place, &mut checked)?;
    }
    let outcome = conclude(args, &config, &checked, Scope::Files)?;
    if outcome == Outcome::Clean && !args.quiet {
        eprintln!("awsguard: scan: no AWS credentials in {count} file{}", if count == 1 { "" } else { "s" });
    }
    Ok(outcome)
}

/// Adds `path` (or every file below it) to `out`. A directory is walked as git sees it:
/// `.gitignore` files at every level, `.git/info/exclude` and the global excludes file
/// apply inside a repository, and `.git` itself is skipped; hidden files such as `.env`
/// are scanned. Symbolic links found in a walk are not followed (git stores the link, not
/// what it points to), but a path named on the command line is: `scan link.ini` scans the
/// file it names.
fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", shown(path)))?;
    if !meta.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let walk = ignore::WalkBuilder::new(path)
        .standard_filters(false)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(true)
        .parents(true)
        .require_git(true)
        .filter_entry(|entry| entry.file_name() != ".git")
        .sort_by_file_name(|a, b| a.cmp(b))
        .build();
    for entry in walk {
        let entry = entry.with_context(|| format!("walking {}", shown(path)))?;
        if entry.file_type().is_some_and(|t| t.is_file()) {
            out.push(entry.into_path());
        }
    }
    Ok(())
}

/// A path for a message, escaped: a file name may hold newlines or terminal escapes.
fn shown(path: &Path) -> String {
    crate::report::escape(path.as_os_str().as_encoded_bytes())
}
