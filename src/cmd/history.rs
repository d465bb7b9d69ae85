//! `awsguard history [RANGE | --all]`: scan what each commit added, as the hook would have
//! when the commit was made.

use anyhow::Result;

use super::{Outcome, conclude};
use crate::cli::Args;
use crate::commits;
use crate::config::{Config, RepoFile};
use crate::plumbing::ranges::Mirror;
use crate::repo;
use crate::report::Scope;

/// Scans the commits of `range` (`A..B`, or a revision and its ancestors; default HEAD),
/// or with `all` those of every ref, with the allowlist committed at the range's end
/// (HEAD for `all`). A repository libgit2 cannot open (SHA-256) is read through git.
///
/// # Errors
/// A bad range or an unreadable commit.
pub fn run(args: &Args, range: Option<&str>, all: bool) -> Result<Outcome> {
    let range_spec = if all { Some("every ref's history") } else { range };
    let (config, checked) = match repo::open_repository_any() {
        Ok(repo) => {
            let range = if all { commits::all_refs(&repo)? } else { commits::history(&repo, range.unwrap_or("HEAD"))? };
            let config = Config::load(RepoFile::Committed(&repo, range.tip), args)?;
            let checked = commits::scan(&repo, range, &config)?;
            (config, checked)
        }
        Err(e) => {
            let mirror = Mirror::open(&e.downcast::<repo::Unreadable>()?)?;
            let range = if all { mirror.all_refs()? } else { mirror.history(range.unwrap_or("HEAD"))? };
            mirror.scan(&range, args)?
        }
    };
    let outcome = conclude(args, &config, &checked, Scope::History)?;
    if outcome == Outcome::Clean && !args.quiet {
        eprintln!("awsguard: history: no AWS credentials in what {} added", range_spec.unwrap_or("HEAD's history"));
    }
    Ok(outcome)
}
