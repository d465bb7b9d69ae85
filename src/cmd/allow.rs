//! `awsguard allow`: append a well-formed entry to `.awsguard.toml` and stage it, so the
//! exception is committed, reviewed and kept in history with what it excuses.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Serialize;

use super::Outcome;
use crate::cli::{AllowArgs, Args};
use crate::config::{Config, Date, REPO_FILE, Source};
use crate::repo;

const HEADER: &str = "\
# awsguard allowlist: deliberate exceptions, committed and reviewed with what they excuse.
# Each [[allow]] entry needs a `reason` and at least one of `fingerprint`, `path`, `pattern`;
# `rules` and `expires` narrow it. See awsguard's README for the format.
";

/// Writes the entry and stages the file.
///
/// # Errors
/// Missing reason or selector, an entry that would not validate, or a failure to write or
/// stage the file.
pub fn run(_args: &Args, allow: &AllowArgs) -> Result<Outcome> {
    let Some(reason) = allow.reason.as_deref().filter(|r| !r.trim().is_empty()) else {
        bail!("--reason is required: say why this exception is safe (it is committed for reviewers to read)");
    };
    if allow.fingerprint.is_none() && allow.path.is_none() && allow.pattern.is_none() {
        bail!("say what to allow: a FINGERPRINT (printed by a blocked commit), --path GLOB or --pattern REGEX");
    }
    let entry = entry_text(allow, reason)?;
    let repo = repo::open_repository()?;
    let workdir = repo.workdir().context("the repository has no work tree")?;
    let path = workdir.join(REPO_FILE);
    let existing = match fs::read(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => HEADER.as_bytes().to_vec(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let mut text = existing;
    if !text.is_empty() && !text.ends_with(b"\n") {
        text.push(b'\n');
    }
    text.push(b'\n');
    text.extend_from_slice(entry.as_bytes());
    // Never write a file the hook would then refuse.
    Config::parse(&[Source { name: REPO_FILE.into(), text: text.clone() }], Date::today())
        .context("the new entry would not be valid; nothing was written")?;
    fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
    let mut index = repo.index().context("opening the index")?;
    index.add_path(Path::new(REPO_FILE)).context("staging .awsguard.toml")?;
    index.write().with_context(|| {
        format!(
            "writing the index: {} exists, so another git command is running or one crashed; \
             if none is running, remove that file and run `awsguard allow` again",
            repo.path().join("index.lock").display()
        )
    })?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "awsguard: added this entry to {} and staged it:\n", REPO_FILE)?;
    write!(out, "{entry}")?;
    writeln!(out, "\nCommit it with the change it allows; reviewers will see the reason.")?;
    Ok(Outcome::Clean)
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
    allow: [EntryOut<'a>; 1],
}

/// The entry as TOML, written by toml's own serializer: every string is quoted and
/// escaped as TOML requires, whatever it holds.
///
/// # Errors
/// An `--expires` that is not a plain date.
fn entry_text(allow: &AllowArgs, reason: &str) -> Result<String> {
    let expires = match &allow.expires {
        None => None,
        Some(text) => Some(
            text.parse::<toml::value::Datetime>()
                .ok()
                .filter(|d| d.date.is_some() && d.time.is_none() && d.offset.is_none())
                .with_context(|| format!("--expires {text:?} is not a date such as 2027-03-01"))?,
        ),
    };
    let entry = EntryOut {
        fingerprint: allow.fingerprint.as_deref(),
        path: allow.path.as_deref(),
        pattern: allow.pattern.as_deref(),
        rules: &allow.rules,
        expires,
        reason,
    };
    toml::to_string(&FileOut { allow: [entry] }).context("writing the entry as TOML")
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
            let text = entry_text(&allow_path(s), s).unwrap();
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
        assert!(entry_text(&args, "r").unwrap().contains("expires = 2027-03-01\n"));
        for bad in ["2027-03-01x", "2027-03-01T10:00:00", "10:00:00", "soon", ""] {
            args.expires = Some(bad.into());
            assert!(entry_text(&args, "r").is_err(), "{bad:?}");
        }
    }
}
