//! What a staged change to `.awsguard.toml` newly allows, compared with HEAD's version:
//! whoever commits in a cloned repository is told when the commit widens the exceptions,
//! even where the widening is allowed.

use std::collections::HashSet;
use std::path::Path;

use git2::Repository;

use super::{Config, Date, REPO_FILE, Source};
use crate::allowlist::Entry;
use crate::report::escape;

/// One line per entry, archive bound or `unscanned` glob that the staged file has and
/// HEAD's has not (an entry with a field removed or loosened counts as new). Empty when
/// nothing widens or HEAD's file cannot be read.
pub(super) fn widened(repo: &Repository, staged: &Source, today: Date) -> Vec<String> {
    let Ok(now) = Config::parse(std::slice::from_ref(staged), today) else { return Vec::new() };
    let head_text = crate::repo::head_commit(repo)
        .ok()
        .flatten()
        .and_then(|id| repo.find_commit(id).ok()?.tree().ok())
        .and_then(|t| t.get_path(Path::new(REPO_FILE)).ok().map(|e| e.id()))
        .and_then(|id| repo.find_blob(id).ok().map(|b| b.content().to_vec()));
    let before = match head_text {
        None => Config::default(),
        Some(text) => Config::parse(&[Source { name: REPO_FILE.into(), text }], today).unwrap_or_default(),
    };
    let old: HashSet<String> = before.allowlist.entries.iter().map(key).collect();
    let mut out = Vec::new();
    for entry in now.allowlist.entries.iter().filter(|e| !old.contains(&key(e))) {
        out.push(format!("{}: {} ({})", entry.origin, escape(key(entry).as_bytes()), escape(entry.reason.as_bytes())));
    }
    let (a, b) = (before.archives.limits, now.archives.limits);
    for (name, was, is) in [
        ("max_depth", u64::from(a.max_depth), u64::from(b.max_depth)),
        ("max_archive_bytes", a.max_archive_bytes, b.max_archive_bytes),
        ("max_total_bytes", a.max_total_bytes, b.max_total_bytes),
        ("max_members", a.max_members, b.max_members),
        ("max_ratio", a.max_ratio, b.max_ratio),
    ] {
        if was != is {
            out.push(format!("[archives] {name} changes from {was} to {is}"));
        }
    }
    let old_globs: HashSet<&str> = before.archives.unscanned.iter().map(|(g, _, _)| g.as_str()).collect();
    for (glob, _, origin) in now.archives.unscanned.iter().filter(|(g, _, _)| !old_globs.contains(g.as_str())) {
        out.push(format!("{origin}: [archives] unscanned {}", escape(format!("{glob:?}").as_bytes())));
    }
    out
}

/// What an entry selects and how: two entries with the same key excuse the same findings.
fn key(entry: &Entry) -> String {
    let mut key = entry.describe();
    if let Some(date) = entry.expires {
        key.push_str(&format!(", until {date}"));
    }
    if entry.allow_all {
        key.push_str(", allow_all");
    }
    key
}
