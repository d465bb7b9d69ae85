//! `awsguard check-config`: validate every allowlist in force and list the entries that
//! no longer match anything in the staged tree (stale), expired ones, and `allow_all` ones.

use std::collections::HashSet;
use std::io::Write;

use anyhow::Result;

use super::Outcome;
use crate::changes::Changes;
use crate::cli::Args;
use crate::config::{Config, RepoFile};
use crate::findings::Checked;
use crate::objects::Objects;
use crate::pass::Checker;
use crate::report::escape;
use crate::rules::RULES;
use crate::scan::Scanner;
use crate::staged::Staged;
use crate::{plumbing, repo, staged};

/// Validates (errors exit 2, like the hook would), then reports on each entry.
///
/// # Errors
/// A malformed allowlist, or a repository that cannot be read.
pub fn run(args: &Args) -> Result<Outcome> {
    let scanner = Scanner::new(&RULES);
    let (repo, index, mut changes, _scratch) = match repo::open_repository() {
        Ok(repo) => {
            let index = staged::open_index(&repo)?;
            // Every file as it is staged: the tree the next commit will have.
            let changes = Changes::all_of_index(&index);
            (repo, index, changes, None)
        }
        // SHA-256 and other repositories libgit2 cannot open: git lists and reads every file.
        Err(e) => match e.downcast::<repo::Unreadable>() {
            Ok(unreadable) => {
                let Staged { repo, index, mut changes, scratch, .. } =
                    plumbing::staged(&unreadable, &scanner, &plumbing::every_staged_file()?)?;
                // The staged changes, and every other file the index has.
                let changed: HashSet<Vec<u8>> = changes.files.iter().map(|c| c.path.clone()).collect();
                let others = Changes::all_of_index(&index).files;
                changes.files.extend(others.into_iter().filter(|c| !changed.contains(&c.path)));
                (repo, index, changes, scratch)
            }
            Err(e) => return Err(e),
        },
    };
    let config = Config::load(RepoFile::Staged(&repo, &index), args)?;
    let allowlist = &config.allowlist;
    let mut checked = Checked::default();
    let objects = Objects::new(&repo);
    Checker::new(&repo, &scanner, &config, &objects).check(&mut changes, &mut checked)?;

    let mut out = std::io::stdout().lock();
    if allowlist.entries.is_empty() {
        writeln!(
            out,
            "awsguard: no allowlist entries (checked the user config, .awsguard.toml as staged, and --config)"
        )?;
        return Ok(Outcome::Clean);
    }
    let n = allowlist.entries.len();
    writeln!(out, "awsguard: {n} allowlist {}, all valid", if n == 1 { "entry" } else { "entries" })?;
    for (i, entry) in allowlist.entries.iter().enumerate() {
        let used = checked.allowed_by_entry.get(i).copied().unwrap_or(0);
        let mut notes = Vec::new();
        if allowlist.is_expired(entry) {
            notes.push(format!("EXPIRED on {}", entry.expires.expect("expired entries have a date")));
        }
        if entry.allow_all {
            notes.push("allow_all: warned about on every commit".to_string());
        }
        if used == 0 {
            notes.push("STALE: matches nothing in the staged tree; remove it".to_string());
        } else {
            notes.push(format!("matches {used} finding{}", if used == 1 { "" } else { "s" }));
        }
        let (origin, describe) = (entry.origin.to_string(), entry.describe());
        let [origin, describe, reason] = [origin.as_bytes(), describe.as_bytes(), entry.reason.as_bytes()].map(escape);
        writeln!(out, "  {origin}: {describe} ({reason}): {}", notes.join("; "))?;
    }
    Ok(Outcome::Clean)
}
