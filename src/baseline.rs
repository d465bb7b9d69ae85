//! What a new blob is compared against to find the lines a change adds: the old version
//! of a modified file, the deleted file a renamed one came from (git's rename detection,
//! by shared lines), or nothing for a new file. An exact rename or copy adds nothing.

use std::collections::HashSet;

use anyhow::{Context, Result};
use git2::{Oid, Repository};

use crate::changes::{Change, Changes, Trees};
use crate::objects::Objects;

/// Share of lines an added file must have in common with a deleted one to be treated as a
/// rename of it (git's default similarity threshold is 50% too).
const RENAME_SIMILARITY: f64 = 0.5;

/// The part of a blob that the change did not add.
pub enum Baseline {
    /// A modification or a rename with edits: lines not in this blob are added.
    Blob(Oid),
    /// A new file: every line is added.
    None,
    /// An exact rename or copy: nothing is added.
    Unchanged,
}

/// The baseline of `change`, whose new content is `content`; without it (a blob too large
/// to hold), a new file is never taken for an edited rename: all its lines count.
///
/// # Errors
/// When a deleted file or a tree cannot be read.
pub fn baseline(
    repo: &Repository,
    objects: &Objects,
    change: &Change,
    content: Option<&[u8]>,
    changes: &mut Changes,
) -> Result<Baseline> {
    if let Some(old) = change.old {
        return Ok(Baseline::Blob(old));
    }
    let trees = Trees { repo, objects };
    let deleted = changes.deleted(trees)?;
    if deleted.iter().any(|(_, id)| *id == change.new) {
        return Ok(Baseline::Unchanged);
    }
    if let Some(old_tree) = changes.old_tree {
        if trees.contain_blob(old_tree, change.new)? {
            return Ok(Baseline::Unchanged);
        }
    }
    // A rename with edits: the deleted file that shares the most lines, if enough.
    let deleted = changes.deleted(trees)?;
    let Some(content) = content.filter(|_| !deleted.is_empty()) else { return Ok(Baseline::None) };
    let new_lines: HashSet<&[u8]> = content.split(|&b| b == b'\n').collect();
    let mut best: Option<(f64, Oid)> = None;
    for (_, id) in deleted {
        let old = objects.blob(repo, *id).context("reading a deleted file")?;
        let old_lines: Vec<&[u8]> = old.split(|&b| b == b'\n').collect();
        let common = old_lines.iter().filter(|l| new_lines.contains(*l)).count();
        let score = common as f64 / old_lines.len().max(new_lines.len()) as f64;
        if score >= RENAME_SIMILARITY && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, *id));
        }
    }
    Ok(best.map_or(Baseline::None, |(_, id)| Baseline::Blob(id)))
}
