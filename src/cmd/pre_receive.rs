//! `awsguard pre-receive` and `awsguard update REF OLD NEW`: on the server a push goes to,
//! scan what it adds that the repository did not have, and reject it when that holds a
//! credential. Laptops without the hook, `--no-verify`, merges and rebases all end here.

use anyhow::{Context, Result};

use super::{Outcome, conclude};
use crate::cli::Args;
use crate::commits::{self, Received};
use crate::config::{Config, RepoFile};
use crate::findings::Checked;
use crate::plumbing::ranges::{self, Mirror};
use crate::repo;
use crate::report::Scope;

/// Reads git's pre-receive protocol from stdin, or takes the update hook's arguments, and
/// scans each ref's new commits with the allowlist committed at that ref's new tip. The
/// objects are read from git's push quarantine, where they wait until the hook accepts.
/// Everything printed reaches the pusher as `remote:` lines. A repository libgit2 cannot
/// open (SHA-256) is read through git, which finds the quarantine on its own.
///
/// # Errors
/// Malformed input, or an object that cannot be read.
pub fn run(args: &Args, update: Option<&[String; 3]>) -> Result<Outcome> {
    let input = match update {
        Some(_) => String::new(),
        None => {
            std::io::read_to_string(std::io::stdin().lock()).context("reading the refs being received from stdin")?
        }
    };
    let mut results = Vec::new();
    match repo::open_repository_any() {
        Ok(repo) => {
            let updates = match update {
                Some([name, old, new]) => vec![Received::new(name, old, new)?],
                None => commits::read_received(input.as_bytes())?,
            };
            for range in commits::received(&repo, &updates)? {
                let config = Config::load(RepoFile::Committed(&repo, range.tip), args)?;
                let found = commits::scan(&repo, range, &config)?;
                results.push((config, found));
            }
        }
        Err(e) => {
            let mirror = Mirror::open(&e.downcast::<repo::Unreadable>()?)?;
            let updates = match update {
                Some([name, old, new]) => vec![ranges::Received::new(name, old, new)?],
                None => ranges::read_received(input.as_bytes())?,
            };
            for range in mirror.received(&updates)? {
                results.push(mirror.scan(&range, args)?);
            }
        }
    }
    let mut checked = Checked::default();
    let mut first_config = None;
    for (config, found) in results {
        checked.findings.extend(found.findings);
        checked.warnings.extend(found.warnings);
        match &first_config {
            // `conclude` warns of the first ref's allow-all entries; the others' are added here.
            None => first_config = Some(config),
            Some(_) => checked.warnings.extend(config.allowlist.allow_all_entries().map(|entry| {
                format!(
                    "the allowlist entry at {} allows every finding it covers (allow_all = true): {}",
                    entry.origin, entry.reason
                )
            })),
        }
    }
    match first_config {
        Some(config) => conclude(args, &config, &checked, Scope::Push),
        None => Ok(Outcome::Clean),
    }
}
