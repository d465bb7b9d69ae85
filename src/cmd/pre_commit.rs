//! `awsguard pre-commit` (the default): scan what `git commit` is about to record.

use anyhow::{Context, Result};

use super::{Outcome, conclude, load_allowlist};
use crate::check::{Checked, Checker};
use crate::cli::Args;
use crate::report::Scope;
use crate::rules::RULES;
use crate::scan::Scanner;
use crate::staged;

/// Staged changes → added lines → prefilter → rules → allowlist → report.
///
/// # Errors
/// Anything that stops a complete check: the caller blocks the commit.
pub fn run(args: &Args) -> Result<Outcome> {
    // The pre-commit framework runs this same entry at its pre-push stage (and for
    // `--from-ref/--to-ref`), giving the range in its environment instead of a staged change.
    if let Some(range) = super::pre_push::framework_range() {
        let repo = staged::open_repository_any()?;
        return super::pre_push::range_scan(args, &repo, &[range]);
    }
    let mut repo = staged::open_repository()?;
    let merge_heads = staged::merge_heads(&mut repo)?;
    let index = staged::open_index(&repo)?;
    let allowlist = load_allowlist(Some((&repo, &index)), args)?;
    let mut changes = staged::staged_changes(&repo, &index)?;
    let scanner = Scanner::new(&RULES);
    let mut checker = Checker::new(&repo, &scanner, &allowlist);
    for id in merge_heads {
        let commit = repo.find_commit(id).with_context(|| format!("reading MERGE_HEAD commit {id}"))?;
        checker.merge_trees.push(commit.tree().context("reading the tree of MERGE_HEAD")?);
    }
    let mut checked = Checked::default();
    checker.check(&mut changes, &mut checked)?;
    conclude(args, &allowlist, &checked, Scope::Staged)
}
