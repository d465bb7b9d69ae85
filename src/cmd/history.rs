//! `awsguard history [RANGE]`: scan what each commit added, as the hook would have when
//! the commit was made.

use anyhow::Result;

use super::{Outcome, conclude};
use crate::cli::Args;
use crate::commits;
use crate::config::{Config, RepoFile};
use crate::repo;
use crate::report::Scope;

/// Scans the commits of `RANGE` (`A..B`, or a revision and its ancestors; default HEAD),
/// with the allowlist committed at the range's end.
///
/// # Errors
/// A bad range or an unreadable commit.
pub fn run(args: &Args, range: Option<&str>) -> Result<Outcome> {
    let repo = repo::open_repository_any()?;
    let range_spec = range;
    let range = commits::history(&repo, range.unwrap_or("HEAD"))?;
    let config = Config::load(RepoFile::Committed(&repo, range.tip), args)?;
    let checked = commits::scan(&repo, range.walk, &config)?;
    let outcome = conclude(args, &config, &checked, Scope::History)?;
    if outcome == Outcome::Clean && !args.quiet {
        eprintln!("awsguard: history: no AWS credentials in what {} added", range_spec.unwrap_or("HEAD's history"));
    }
    Ok(outcome)
}
