//! `awsguard pre-commit` (the default): scan what `git commit` is about to record.

use std::cell::RefCell;
use std::ffi::OsString;
use std::path::Path;

use anyhow::{Context, Result};
use git2::Repository;

use super::{Outcome, conclude, scan_push};
use crate::archive::Budget;
use crate::changes::{Change, Changes};
use crate::cli::Args;
use crate::commits;
use crate::config::{Config, RepoFile};
use crate::findings::{Checked, Place};
use crate::index_file::IndexFile;
use crate::pass::{Checker, check_whole};
use crate::report::Scope;
use crate::rules::RULES;
use crate::scan::Scanner;
use crate::staged::{Staged, index_path};
use crate::{plumbing, repo};

/// Staged changes → added lines → prefilter → rules → allowlist → report. With `files`
/// (the pre-commit framework's `pass_filenames`), only those: their staged changes, the
/// whole staged content of those without one (`pre-commit run --all-files` / `--files`),
/// and the disk content of those not in the index.
///
/// # Errors
/// Anything that stops a complete check: the caller blocks the commit.
pub fn run(args: &Args, files: &[OsString]) -> Result<Outcome> {
    // The pre-commit framework runs this same entry at its pre-push stage (and for
    // `--from-ref/--to-ref`), giving the range in its environment instead of a staged change.
    if let Some(update) = commits::framework_update() {
        return scan_push(args, &[update]);
    }
    // The automata are built on a second core while the index is read: on a small commit in
    // a large repository these are the two longest steps.
    let building = std::thread::spawn(|| Scanner::new(&RULES));
    let scanner = || building.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    let (scanner, mut staged) = match repo::open_repository() {
        Ok(repo) => {
            let staged = Staged::read(repo)?;
            (scanner(), staged)
        }
        // SHA-256 and other repositories libgit2 cannot open: read through git.
        Err(e) => match e.downcast::<repo::Unreadable>() {
            Ok(unreadable) => {
                let scanner = scanner();
                let staged = plumbing::staged(&unreadable, &scanner, files)?;
                (scanner, staged)
            }
            Err(e) => return Err(e),
        },
    };
    let checked = check_staged(args, files, &scanner, &mut staged);
    // Nothing read from the index counts before its checksum says the file is whole, and a
    // damaged index explains a failed check best.
    staged.checksum.verify()?;
    let (config, checked) = checked?;
    conclude(args, &config, &checked, Scope::Staged)
}

/// The staged changes (only the `files` named, when any) checked with the staged config.
fn check_staged(args: &Args, files: &[OsString], scanner: &Scanner, staged: &mut Staged) -> Result<(Config, Checked)> {
    let Staged { repo, index, changes, merge_heads, objects, .. } = staged;
    let config = Config::load(RepoFile::Staged(repo, index), args)?;
    // Whole files stand alone: no old tree, so content HEAD already has is not skipped.
    let mut whole = Changes::default();
    let unindexed =
        if files.is_empty() { Vec::new() } else { only_named(repo, index, files, changes, &mut whole.files)? };
    let mut checker = Checker::new(repo, scanner, &config, objects);
    for &id in merge_heads.iter() {
        let commit = repo.find_commit(id).with_context(|| format!("reading MERGE_HEAD commit {id}"))?;
        checker.merge_trees.push(commit.tree_id());
    }
    let mut checked = Checked::default();
    checker.check(changes, &mut checked)?;
    checker.check(&mut whole, &mut checked)?;
    let budget = RefCell::new(Budget::new(config.archives.limits));
    let root = repo.workdir().context("the repository has no work tree")?;
    for path in unindexed {
        let file = root.join(crate::changes::path_of(&path));
        let Ok(content) = std::fs::read(&file) else { continue };
        check_whole(scanner, &config, &budget, &Place { path: &path, view: &content, commit: None }, &mut checked)?;
    }
    drop(checker); // it borrows the config returned
    Ok((config, checked))
}

/// Narrows `changes` to the named files, puts the whole staged blob of each named file
/// without a staged change in `whole`, and returns the named files the index does not hold.
fn only_named(
    repo: &Repository,
    index: &IndexFile,
    files: &[OsString],
    changes: &mut Changes,
    whole: &mut Vec<Change>,
) -> Result<Vec<Vec<u8>>> {
    let root = repo.workdir().context("the repository has no work tree")?;
    let named = files.iter().map(|f| index_path(root, Path::new(f))).collect::<Result<Vec<_>>>()?;
    changes.files.retain(|c| named.contains(&c.path));
    let mut unindexed = Vec::new();
    for path in named {
        if changes.files.iter().any(|c| c.path == path) {
            continue;
        }
        match index.get(&path) {
            // A submodule (gitlink) is another repository: its own hook checks it.
            Some(entry) if entry.mode == 0o160000 => {}
            Some(entry) => whole.push(Change { path, old: None, new: entry.id() }),
            None => unindexed.push(path),
        }
    }
    Ok(unindexed)
}
