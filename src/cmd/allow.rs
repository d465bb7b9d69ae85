//! `awsguard allow`: append a well-formed entry to `.awsguard.toml` and stage it, so the
//! exception is committed, reviewed and kept in history with what it excuses.

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use serde::Serialize;

use super::Outcome;
use crate::cli::{AllowArgs, Args};
use crate::config::{Config, Date, REPO_FILE, Source};
use crate::fsutil;
use crate::plumbing::Worktree;

const HEADER: &str = "\
# awsguard allowlist: deliberate exceptions, committed and reviewed with what they excuse.
# Each [[allow]] entry needs a `reason` and at least one of `fingerprint`, `path`, `pattern`;
# `rules` and `expires` narrow it. See awsguard's README for the format.
";

/// Writes the entries and stages exactly them.
///
/// Everything that could fail is checked before anything is written (the reason, the
/// entries, the index and its lock, symlinks), so a failure leaves no half-done state that
/// re-running would duplicate. The staged `.awsguard.toml` gets the entries appended as a
/// new blob (as `git update-index --cacheinfo`), so unstaged edits of the work-tree file
/// stay unstaged; both files are replaced atomically.
///
/// # Errors
/// A missing or placeholder reason, no selector, an entry that would not validate, a locked
/// or conflicted index, a symlinked `.awsguard.toml`, or a failure to write or stage.
pub fn run(_args: &Args, allow: &AllowArgs) -> Result<Outcome> {
    let reason = check_reason(allow.reason.as_deref())?;
    if allow.fingerprints.is_empty() && allow.path.is_none() && allow.pattern.is_none() {
        bail!("say what to allow: a FINGERPRINT (printed by a blocked commit), --path GLOB or --pattern REGEX");
    }
    let entries = entries_text(allow, reason)?;
    // Everything goes through git, so this works in every repository git can read.
    let worktree = Worktree::locate()
        .context("awsguard allow reads and stages the allowlist through git (nothing was written)")?;
    let lock = PathBuf::from(format!("{}.lock", worktree.index.display()));
    if lock.exists() {
        bail!(
            "{} exists, so another git command is running or one crashed; if none is running, remove \
             that file and run `awsguard allow` again (nothing was written)",
            lock.display()
        );
    }
    let staged = worktree.entries(REPO_FILE).context("reading the index (nothing was written)")?;
    if staged.iter().any(|&(_, _, stage)| stage != 0) {
        bail!("{REPO_FILE} has an unresolved merge conflict: resolve it and `git add` it first (nothing was written)");
    }
    let (staged_text, mode) = match staged.first() {
        Some(&(mode, _, _)) if mode & 0o170000 != 0o100000 => {
            bail!("the staged {REPO_FILE} is not a regular file (mode {mode:o}); refusing to write it")
        }
        Some((mode, id, _)) => (worktree.blob(id).context("reading the staged allowlist")?, *mode),
        None => (HEADER.as_bytes().to_vec(), 0o100644),
    };
    let path = worktree.root().join(REPO_FILE);
    let worktree_text = match fs::symlink_metadata(&path) {
        Ok(meta) if meta.file_type().is_symlink() => bail!(
            "{} is a symbolic link: awsguard writes only a regular file inside the repository; replace the \
             link with the file it points to (nothing was written)",
            path.display()
        ),
        Ok(_) => fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => staged_text.clone(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let new_staged = appended(staged_text, &entries);
    // Never stage a file the hook would then refuse.
    Config::parse(&[Source { name: REPO_FILE.into(), text: new_staged.clone() }], Date::today())
        .context("the new entry would not be valid; nothing was written")?;
    let new_worktree = appended(worktree_text, &entries);
    let blob = worktree.write_blob(&new_staged).context("writing the new allowlist to the object database")?;
    fsutil::write_atomic(&path, &new_worktree)?;
    worktree.stage(mode, &blob, REPO_FILE).with_context(|| {
        format!(
            "the entry was written to {REPO_FILE} but could not be staged; do not run `awsguard allow` again \
             (it would add the entry twice): stage exactly it with \
             `git update-index --add --cacheinfo {mode:o},{blob},{REPO_FILE}`"
        )
    })?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "awsguard: added to {REPO_FILE} and staged (only this, not other edits of the file):\n")?;
    write!(out, "{entries}")?;
    writeln!(out, "\nCommit it with the change it allows; reviewers will see the reason.")?;
    Ok(Outcome::Clean)
}

/// `text` with `entries` appended after a blank line.
fn appended(mut text: Vec<u8>, entries: &str) -> Vec<u8> {
    if !text.is_empty() && !text.ends_with(b"\n") {
        text.push(b'\n');
    }
    text.push(b'\n');
    text.extend_from_slice(entries.as_bytes());
    text
}

/// Placeholders people leave in, or copy from the block message's `--reason "..."`.
const PLACEHOLDERS: &[&str] =
    &["todo", "tbd", "fixme", "reason", "xxx", "n/a", "na", "none", "why", "because", "text", "test", "ok", "fix"];

/// The reason, refused when it says nothing: reviewers read it to judge the exception.
fn check_reason(reason: Option<&str>) -> Result<&str> {
    let Some(reason) = reason.map(str::trim).filter(|r| !r.is_empty()) else {
        bail!("--reason is required: say why this exception is safe (it is committed for reviewers to read)");
    };
    let words: String = reason.chars().filter(|c| c.is_alphanumeric() || *c == '/').collect::<String>().to_lowercase();
    if words.chars().filter(|c| c.is_alphanumeric()).count() < 3 || PLACEHOLDERS.contains(&words.as_str()) {
        bail!(
            "--reason {reason:?} is a placeholder: say why this exception is safe, e.g. --reason \"revoked key \
             quoted in the incident report\" (it is committed for reviewers to read)"
        );
    }
    Ok(reason)
}

/// One `[[allow]]` entry as written to the file.
#[derive(Serialize)]
struct EntryOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    fingerprint: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pattern: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    rules: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<toml::value::Datetime>,
    reason: &'a str,
}

#[derive(Serialize)]
struct FileOut<'a> {
    allow: Vec<EntryOut<'a>>,
}

/// The entries as TOML (one per fingerprint, or one without), written by toml's own
/// serializer: every string is quoted and escaped as TOML requires, whatever it holds.
///
/// # Errors
/// An `--expires` that is not a plain date.
fn entries_text(allow: &AllowArgs, reason: &str) -> Result<String> {
    let expires = match &allow.expires {
        None => None,
        Some(text) => Some(
            text.parse::<toml::value::Datetime>()
                .ok()
                .filter(|d| d.date.is_some() && d.time.is_none() && d.offset.is_none())
                .with_context(|| format!("--expires {text:?} is not a date such as 2027-03-01"))?,
        ),
    };
    let fingerprints: Vec<Option<&str>> = if allow.fingerprints.is_empty() {
        vec![None]
    } else {
        allow.fingerprints.iter().map(|f| Some(f.as_str())).collect()
    };
    let allow = fingerprints
        .into_iter()
        .map(|fingerprint| EntryOut {
            fingerprint,
            path: allow.path.as_deref(),
            pattern: allow.pattern.as_deref(),
            rules: &allow.rules,
            expires,
            reason,
        })
        .collect();
    toml::to_string(&FileOut { allow }).context("writing the entry as TOML")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow_path(path: &str) -> AllowArgs {
        AllowArgs { path: Some(path.to_string()), ..AllowArgs::default() }
    }

    #[test]
    fn strings_read_back_unchanged() {
        let mut tricky: String = (0u8..=0x7f).map(char::from).collect();
        tricky.push_str("\u{85}\u{2028} café \"quoted\" \\path\\ '''");
        for s in ["plain", "a\"b", "C:\\dir\\", "line\nbreak\ttab\r", "\u{7f}", &tricky] {
            let text = entries_text(&allow_path(s), s).unwrap();
            let table: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            let entry = &table["allow"].as_array().unwrap()[0];
            assert_eq!(entry["path"].as_str(), Some(s));
            assert_eq!(entry["reason"].as_str(), Some(s));
        }
    }

    #[test]
    fn expires_must_be_a_plain_date() {
        let mut args = allow_path("docs/");
        args.expires = Some("2027-03-01".into());
        assert!(entries_text(&args, "r").unwrap().contains("expires = 2027-03-01\n"));
        for bad in ["2027-03-01x", "2027-03-01T10:00:00", "10:00:00", "soon", ""] {
            args.expires = Some(bad.into());
            assert!(entries_text(&args, "r").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn one_entry_per_fingerprint() {
        let args = AllowArgs { fingerprints: vec!["sha256:aa".into(), "sha256:bb".into()], ..allow_path("a/**") };
        let table: toml::Table = toml::from_str(&entries_text(&args, "fixtures").unwrap()).unwrap();
        let entries = table["allow"].as_array().unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1]["fingerprint"].as_str(), Some("sha256:bb"));
        assert_eq!(entries[1]["path"].as_str(), Some("a/**"));
    }

    #[test]
    fn placeholder_reasons_are_refused() {
        for bad in ["", "  ", "...", "\"...\"", "…", "TODO", "todo:", "Reason", "x", "xx", "N/A", "-", "<why>", "tbd."]
        {
            assert!(check_reason(Some(bad)).is_err(), "{bad:?}");
        }
        assert!(check_reason(None).is_err());
        for good in ["revoked key in the incident report", "test fixture", "fixture", "doc"] {
            assert_eq!(check_reason(Some(good)).unwrap(), good);
        }
    }
}
