//! `awsguard pre-push`: scan every commit a push would send that the remote does not have,
//! so a commit made with `--no-verify`, or on a machine without the hook, is still stopped
//! before it leaves.

use std::io::BufRead;

use anyhow::{Context, Result};

use super::history::{commit_allowlist, hide_remote_tracking, parse_oid, scan_walk};
use super::{Outcome, conclude};
use crate::cli::Args;
use crate::report::Scope;
use crate::staged;

/// Reads git's pre-push protocol from stdin: `<local ref> <local oid> <remote ref> <remote
/// oid>` per line. Under the pre-commit framework (which gives no stdin but sets
/// `PRE_COMMIT_FROM_REF`/`PRE_COMMIT_TO_REF`), scans that range instead.
///
/// # Errors
/// Malformed input, or a commit that cannot be read.
pub fn run(args: &Args) -> Result<Outcome> {
    let repo = staged::open_repository_any()?;
    let mut updates = Vec::new();
    if let Some(range) = framework_range() {
        updates.push(range);
    } else {
        for line in std::io::stdin().lock().lines() {
            let line = line.context("reading the refs being pushed from stdin")?;
            let fields: Vec<&str> = line.split_whitespace().collect();
            match fields.as_slice() {
                [] => continue,
                [_, local, _, remote] => updates.push((local.to_string(), remote.to_string())),
                _ => {
                    anyhow::bail!("unexpected pre-push input {line:?}: expected `<local ref> <oid> <remote ref> <oid>`")
                }
            }
        }
    }
    range_scan(args, &repo, &updates)
}

/// The range the pre-commit framework gives a pre-push (or `--from-ref/--to-ref`) run, as
/// a `(local, remote)` update: `PRE_COMMIT_TO_REF` is being pushed over
/// `PRE_COMMIT_FROM_REF`.
pub fn framework_range() -> Option<(String, String)> {
    let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
    Some((var("PRE_COMMIT_TO_REF")?, var("PRE_COMMIT_FROM_REF")?))
}

/// Scans the commits reachable from each `(local, remote)` update's local object but not
/// from its remote object or any remote-tracking branch. A deletion (local all zeros)
/// sends nothing.
///
/// # Errors
/// A malformed object ID, or a commit that cannot be read.
pub fn range_scan(args: &Args, repo: &git2::Repository, updates: &[(String, String)]) -> Result<Outcome> {
    let mut walk = repo.revwalk().context("walking history")?;
    let mut tip = None;
    for (local, remote) in updates {
        let local_id = match parse_oid(local) {
            Ok(id) => id,
            Err(_) => {
                repo.revparse_single(local).with_context(|| format!("resolving {local:?}"))?.peel_to_commit()?.id()
            }
        };
        if local_id.is_zero() {
            continue;
        }
        walk.push(local_id).with_context(|| format!("finding commit {local_id}"))?;
        tip.get_or_insert(local_id);
        let remote_id = parse_oid(remote).ok().or_else(|| repo.revparse_single(remote).ok().map(|o| o.id()));
        if let Some(remote_id) = remote_id.filter(|id| !id.is_zero()) {
            // The remote's old tip may be unknown here (someone else pushed): then only the
            // remote-tracking branches say what the remote has.
            if repo.find_commit(remote_id).is_ok() {
                walk.hide(remote_id)?;
            }
        }
    }
    if tip.is_none() {
        return Ok(Outcome::Clean);
    }
    hide_remote_tracking(repo, &mut walk)?;
    let allowlist = commit_allowlist(repo, tip, args)?;
    let checked = scan_walk(repo, walk, &allowlist)?;
    conclude(args, &allowlist, &checked, Scope::Push)
}
