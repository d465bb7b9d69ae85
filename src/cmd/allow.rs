//! `awsguard allow`: append a well-formed entry to `.awsguard.toml` and stage it, so the
//! exception is committed, reviewed and kept in history with what it excuses.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};

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
    let entry = entry_text(allow, reason);
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

/// The entry as TOML, every string quoted as a TOML basic string.
fn entry_text(allow: &AllowArgs, reason: &str) -> String {
    let mut out = String::from("[[allow]]\n");
    if let Some(fp) = &allow.fingerprint {
        out.push_str(&format!("fingerprint = {}\n", quote(fp)));
    }
    if let Some(path) = &allow.path {
        out.push_str(&format!("path = {}\n", quote(path)));
    }
    if let Some(pattern) = &allow.pattern {
        out.push_str(&format!("pattern = {}\n", quote(pattern)));
    }
    if !allow.rules.is_empty() {
        let rules: Vec<String> = allow.rules.iter().map(|r| quote(r)).collect();
        out.push_str(&format!("rules = [{}]\n", rules.join(", ")));
    }
    if let Some(expires) = &allow.expires {
        // A bare TOML date; validation of the whole file catches a malformed one.
        let safe: String = expires.chars().filter(|c| c.is_ascii_digit() || *c == '-').collect();
        out.push_str(&format!("expires = {safe}\n"));
    }
    out.push_str(&format!("reason = {}\n", quote(reason)));
    out
}

/// `s` as a TOML basic string: quotes and backslashes escaped, and control characters,
/// which TOML forbids raw, as `\uXXXX`.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quoted_strings_read_back_unchanged() {
        let mut tricky: String = (0u8..=0x7f).map(char::from).collect();
        tricky.push_str("\u{85}\u{2028} café \"quoted\" \\path\\ '''");
        for s in ["", "plain", "a\"b", "C:\\dir\\", "line\nbreak\ttab\r", "\u{7f}", &tricky] {
            let text = format!("v = {}\n", quote(s));
            let table: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(table["v"].as_str(), Some(s));
        }
    }
}
