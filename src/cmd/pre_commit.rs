//! `awsguard pre-commit` (the default): scan what `git commit` is about to record.

use anyhow::{Context, Result};

use super::{Outcome, conclude, scan_push};
use crate::cli::Args;
use crate::commits;
use crate::config::{Config, RepoFile};
use crate::findings::Checked;
use crate::pass::Checker;
use crate::report::Scope;
use crate::rules::RULES;
use crate::scan::Scanner;
use crate::{repo, staged};

/// Staged changes → added lines → prefilter → rules → allowlist → report.
///
/// # Errors
/// Anything that stops a complete check: the caller blocks the commit.
pub fn run(args: &Args) -> Result<Outcome> {
    // The pre-commit framework runs this same entry at its pre-push stage (and for
    // `--from-ref/--to-ref`), giving the range in its environment instead of a staged change.
    if let Some(update) = commits::framework_update() {
        return scan_push(args, &[update]);
    }
    let mut repo = repo::open_repository()?;
    let merge_heads = repo::merge_heads(&mut repo)?;
    let index = staged::open_index(&repo)?;
    let config = Config::load(RepoFile::Staged(&repo, &index), args)?;
    let mut changes = staged::staged_changes(&repo, &index)?;
    let scanner = Scanner::new(&RULES);
    let mut checker = Checker::new(&repo, &scanner, &config);
    for id in merge_heads {
        let commit = repo.find_commit(id).with_context(|| format!("reading MERGE_HEAD commit {id}"))?;
        checker.merge_trees.push(commit.tree().context("reading the tree of MERGE_HEAD")?);
    }
    let mut checked = Checked::default();
    checker.check(&mut changes, &mut checked)?;
    conclude(args, &config, &checked, Scope::Staged)
}
