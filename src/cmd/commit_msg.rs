//! `awsguard commit-msg FILE`: a key pasted into a commit message blocks the commit too.

use std::path::Path;

use anyhow::{Context, Result};

use super::{Outcome, conclude};
use crate::cli::Args;
use crate::config::{Config, REPO_FILE, RepoFile};
use crate::findings::{Checked, Place};
use crate::pass::check_bytes;
use crate::plumbing::Worktree;
use crate::report::Scope;
use crate::rules::RULES;
use crate::scan::Scanner;
use crate::{repo, staged};

/// Scans the message git will record: every line above the scissors line, comment lines
/// included (`git commit -m` keeps them under the default cleanup); the scissors line and
/// below are `git commit -v`'s staged diff, already checked by pre-commit.
///
/// # Errors
/// When the file cannot be read, or the allowlist is malformed.
pub fn run(args: &Args, file: &Path) -> Result<Outcome> {
    let text = std::fs::read(file).with_context(|| format!("reading the commit message {}", file.display()))?;
    let (repo, worktree) = match repo::open_repository() {
        Ok(repo) => (Some(repo), None),
        // SHA-256 and other repositories libgit2 cannot open: git reads what is needed.
        Err(e) if e.is::<repo::Unreadable>() => (None, Some(Worktree::locate()?)),
        Err(_) => (None, None),
    };
    let comment = match (&repo, &worktree) {
        (Some(repo), _) => repo.config().ok().and_then(|c| c.get_string("core.commentChar").ok()),
        (None, Some(worktree)) => worktree.config("core.commentChar")?,
        (None, None) => None,
    };
    let comment = comment.filter(|c| c.len() == 1 && c != "auto").map_or(b'#', |c| c.as_bytes()[0]);
    let message = message_lines(&text, comment);
    let index = repo.as_ref().map(staged::open_index).transpose()?;
    let repo_file = match (&repo, &index, &worktree) {
        (Some(repo), Some(index), _) => RepoFile::Staged(repo, index),
        (_, _, Some(worktree)) => RepoFile::Read(worktree.staged_file(REPO_FILE)?),
        _ => RepoFile::None,
    };
    let config = Config::load(repo_file, args)?;
    let mut checked = Checked::default();
    let name = file.display().to_string();
    let place = Place { path: name.as_bytes(), view: &message, commit: None };
    check_bytes(&Scanner::new(&RULES), &config, &place, &mut checked)?;
    conclude(args, &config, &checked, Scope::Message)
}

/// The message with the scissors line and all below it dropped.
fn message_lines(text: &[u8], comment: u8) -> Vec<u8> {
    let scissors = b" ------------------------ >8 ------------------------";
    let mut out = Vec::with_capacity(text.len());
    for line in text.split_inclusive(|&b| b == b'\n') {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        if body.first() == Some(&comment) && body[1..] == scissors[..] {
            break;
        }
        out.extend_from_slice(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_scanned_and_the_verbose_diff_is_not() {
        let text = b"subject\n\nbody\n# comment\n# ------------------------ >8 ------------------------\ndiff\n";
        assert_eq!(message_lines(text, b'#'), b"subject\n\nbody\n# comment\n");
        assert_eq!(message_lines(b"; c\nx\n", b';'), b"; c\nx\n");
    }
}
