//! `awsguard history [RANGE]`: scan what each commit added, as the hook would have when
//! the commit was made. Also the engine of `pre-push`.

use std::io::{IsTerminal, Write};

use anyhow::{Context, Result, bail};
use git2::{Oid, Repository, Revwalk, Sort};

use super::{Outcome, allowlist_sources, conclude};
use crate::allowlist::{Allowlist, Date, REPO_FILE, Source};
use crate::changes::Changes;
use crate::check::{Checked, Checker};
use crate::cli::Args;
use crate::objects::Objects;
use crate::report::Scope;
use crate::rules::RULES;
use crate::scan::Scanner;
use crate::staged;

/// Scans the commits of `RANGE` (`A..B`, or a revision and its ancestors; default HEAD).
///
/// # Errors
/// A bad range or an unreadable commit.
pub fn run(args: &Args, range: Option<&str>) -> Result<Outcome> {
    let repo = staged::open_repository_any()?;
    let mut walk = repo.revwalk().context("walking history")?;
    let range = range.unwrap_or("HEAD");
    if range.contains("..") {
        walk.push_range(range).with_context(|| format!("resolving the range {range:?}"))?;
    } else {
        let id = repo.revparse_single(range).with_context(|| format!("resolving {range:?}"))?.peel_to_commit()?.id();
        walk.push(id)?;
    }
    let tip = tip_of(&repo, range)?;
    let allowlist = commit_allowlist(&repo, tip, args)?;
    let checked = scan_walk(&repo, walk, &allowlist)?;
    conclude(args, &allowlist, &checked, Scope::History)
}

/// The commit a range ends at, whose allowlist applies to the whole range.
fn tip_of(repo: &Repository, range: &str) -> Result<Option<Oid>> {
    let end = range.rsplit("..").next().filter(|s| !s.is_empty()).unwrap_or("HEAD");
    Ok(repo.revparse_single(end).ok().and_then(|o| o.peel_to_commit().ok()).map(|c| c.id()))
}

/// The allowlist for a scan of commits: the user's and `--config` files, and
/// `.awsguard.toml` as committed in `tip` (the policy the pushed branch carries).
///
/// # Errors
/// When a source cannot be read or does not parse.
pub fn commit_allowlist(repo: &Repository, tip: Option<Oid>, args: &Args) -> Result<Allowlist> {
    let mut repo_source = None;
    if let Some(tip) = tip {
        let tree = repo.find_commit(tip)?.tree()?;
        if let Ok(entry) = tree.get_path(std::path::Path::new(REPO_FILE)) {
            let blob = Objects::new(repo).blob(repo, entry.id()).context("reading the committed .awsguard.toml")?;
            repo_source = Some(Source { name: REPO_FILE.to_string(), text: blob.to_vec() });
        }
    }
    super::with_cli_limits(Allowlist::parse(&allowlist_sources(repo_source, args)?, Date::today())?, args)
}

/// Scans every commit the walk yields, oldest first, each against its first parent; for a
/// merge, lines its other parents already had are not new.
///
/// # Errors
/// An unreadable commit, tree or blob.
pub fn scan_walk(repo: &Repository, mut walk: Revwalk<'_>, allowlist: &Allowlist) -> Result<Checked> {
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    let ids: Vec<Oid> = walk.collect::<Result<_, _>>().context("walking history")?;
    let scanner = Scanner::new(&RULES);
    let mut checked = Checked::default();
    let progress = std::io::stderr().is_terminal() && ids.len() > 50;
    for (n, id) in ids.iter().enumerate() {
        if progress && n % 25 == 0 {
            let _ = write!(std::io::stderr(), "\rawsguard: scanned {n}/{} commits", ids.len());
        }
        let commit = repo.find_commit(*id).with_context(|| format!("reading commit {id}"))?;
        let tree = commit.tree().with_context(|| format!("reading the tree of {id}"))?;
        let mut changes = match commit.parent_count() {
            0 => Changes::all_of(repo, &tree)?,
            _ => Changes::between(repo, &commit.parent(0)?.tree()?, &tree)?,
        };
        let mut checker = Checker::new(repo, &scanner, allowlist);
        checker.commit = Some(id.to_string());
        for parent in commit.parents().skip(1) {
            checker.merge_trees.push(parent.tree()?);
        }
        checker.check(&mut changes, &mut checked)?;
    }
    if progress {
        let _ = writeln!(std::io::stderr(), "\rawsguard: scanned {} commits        ", ids.len());
    }
    Ok(checked)
}

/// Hides every commit reachable from a remote-tracking branch: the remote has them.
///
/// # Errors
/// When the references cannot be listed.
pub fn hide_remote_tracking(repo: &Repository, walk: &mut Revwalk<'_>) -> Result<()> {
    for reference in repo.references_glob("refs/remotes/*").context("listing remote-tracking branches")? {
        let reference = reference?;
        if let Ok(commit) = reference.peel_to_commit() {
            walk.hide(commit.id())?;
        }
    }
    Ok(())
}

/// Parses a full hexadecimal object ID, as git's hook protocols give them.
///
/// # Errors
/// When the text is not one.
pub fn parse_oid(text: &str) -> Result<Oid> {
    if text.len() != 40 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("{text:?} is not a full object ID");
    }
    Ok(Oid::from_str(text)?)
}
