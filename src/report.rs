//! What awsguard says: findings as `path:line:col: rule: redacted` lines (or JSON, or
//! SARIF), then what to do about them. Only this module writes findings; nothing it writes
//! holds a whole secret unless `--show-secrets` asked for it.

use std::io::{self, Write};

use crate::allowlist::{Origin, fingerprint};
use crate::decode::Encoding;
use crate::rules::{Kind, MAX_ACCOUNT_ID, Rule};

/// One credential found in what is being committed (or pushed, or scanned).
#[derive(Clone, Debug)]
pub struct Finding {
    /// Path from the repository root (or as given to `scan`), as bytes.
    pub path: Vec<u8>,
    pub line: u32,
    pub column: u32,
    pub rule: &'static Rule,
    /// The decoded value: never printed whole by default.
    pub value: Vec<u8>,
    /// The AWS account an `AKIA`/`ASIA` key ID belongs to, decoded offline.
    pub account: Option<u64>,
    /// For a key ID and its secret found together: the line of the other half.
    pub paired_line: Option<u32>,
    /// The commit holding the finding, for history and pre-push scans.
    pub commit: Option<String>,
    /// Allowlist entries that would have let this through but have expired.
    pub expired: Vec<(Origin, String)>,
    /// The layers of encoding the value was found under, outermost first (empty: as is).
    pub encoding: Vec<Encoding>,
}

impl Finding {
    /// What the credential is, in words: the rule's name, refined by the key-ID prefix.
    pub fn description(&self) -> String {
        let base = match (self.rule.kind, self.value.get(..4)) {
            (Kind::AccessKeyId, Some(b"AKIA")) => "long-term IAM user access key ID".to_string(),
            (Kind::AccessKeyId, Some(b"ASIA")) => "temporary (STS) access key ID".to_string(),
            (Kind::AccessKeyId, Some(b"ABIA")) => "AWS STS service bearer token key ID".to_string(),
            (Kind::AccessKeyId, Some(b"ACCA")) => "context-specific credential key ID".to_string(),
            _ => self.rule.name.clone(),
        };
        let mut out = base;
        // A made-up key ID decodes to a 13-digit number about 1 time in 8: no account has it.
        // (A valid account is shown only with the secret: see `account_shown`.)
        if self.account.is_some_and(|account| account > MAX_ACCOUNT_ID) {
            out.push_str(", the key ID encodes no valid AWS account (made up?)");
        }
        if !self.encoding.is_empty() {
            out.push_str(&format!(", {}", self.encoding_described()));
        }
        if let Some(line) = self.paired_line {
            let other = if self.rule.kind == Kind::AccessKeyId { "its secret" } else { "the key ID" };
            out.push_str(&format!(", pairs with {other} on line {line}"));
        }
        out
    }

    /// The AWS account, shown only with the whole secret: it is 40 of the key ID's 80 bits,
    /// and with them, the four characters shown and the 64-bit fingerprint, the rest of the
    /// key ID takes about a second to find. Without it, 60 unknown bits remain.
    fn account_shown(&self, style: &Style) -> Option<String> {
        self.account.filter(|&a| style.show_secrets && a <= MAX_ACCOUNT_ID).map(|a| format!("{a:012}"))
    }

    /// How the value was encoded, in the order it was: "base64-encoded, then \\u-escaped".
    pub fn encoding_described(&self) -> String {
        self.encoding.iter().rev().map(|e| e.described()).collect::<Vec<_>>().join(", then ")
    }

    /// The same for machines: "base64", or "base64, then unicode-escape"; `None` as is.
    pub fn encoding_name(&self) -> Option<String> {
        (!self.encoding.is_empty())
            .then(|| self.encoding.iter().rev().map(|e| e.name()).collect::<Vec<_>>().join(", then "))
    }

    /// The stable fingerprint an allowlist entry names.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.value)
    }
}

/// Output format of findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
}

/// How findings are shown.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
    pub show_secrets: bool,
}

/// `AKIA...WXYZ`: the first and last four characters, enough to recognise a key in IAM,
/// never enough to use it. Short values keep even less.
pub fn redact(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    let chars: Vec<char> = text.chars().collect();
    let keep = if chars.len() >= 16 { 4 } else { chars.len() / 4 };
    let head: String = chars[..keep].iter().collect();
    let tail: String = chars[chars.len() - keep..].iter().collect();
    escape(format!("{head}...{tail}").as_bytes())
}

/// Makes bytes safe to print: control characters (newlines, terminal escapes) and bytes
/// that are not UTF-8 become `\n`, `\x1b`-style escapes, so no path or value can rewrite
/// the terminal or forge a line of output.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\\' => out.push_str("\\\\"),
                c if is_unsafe(c) => push_escaped(&mut out, c),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// `c` as `\xNN` (below U+0100) or `\u{NNNN}`.
fn push_escaped(out: &mut String, c: char) {
    let code = c as u32;
    if code < 0x100 {
        out.push_str(&format!("\\x{code:02x}"));
    } else {
        out.push_str(&format!("\\u{{{code:x}}}"));
    }
}

/// Characters that can rewrite a terminal or reorder what it shows: C0 and C1 controls,
/// DEL, and the zero-width, bidirectional, line-separator and byte-order-mark characters.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// Makes a message that already went through [`escape`] where it quotes repository content
/// safe as a whole: every unsafe character but the newline and the tab is escaped, and a
/// backslash is left as it is, so escaping twice changes nothing.
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            c if is_unsafe(c) => push_escaped(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

fn paint(style: &Style, code: &str, text: &str) -> String {
    if style.color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
}

/// The value as printed: redacted unless `--show-secrets` is in force.
fn shown_value(finding: &Finding, style: &Style) -> String {
    if style.show_secrets { escape(&finding.value) } else { redact(&finding.value) }
}

/// The location prefix: `commit:path` for history, `path` otherwise.
fn location(finding: &Finding) -> String {
    match &finding.commit {
        Some(commit) => format!("{}:{}", &commit[..commit.len().min(12)], escape(&finding.path)),
        None => escape(&finding.path),
    }
}

/// Writes one line per finding: `path:line:col: rule-id: redacted  description`.
///
/// # Errors
/// When the output cannot be written.
pub fn write_text(out: &mut dyn Write, findings: &[Finding], style: &Style) -> io::Result<()> {
    for f in findings {
        writeln!(
            out,
            "{}:{}:{}: {}: {}  {}",
            paint(style, "1", &location(f)),
            f.line,
            f.column,
            paint(style, "31", &f.rule.id),
            paint(style, "33", &shown_value(f, style)),
            match f.account_shown(style) {
                Some(account) => format!("{}, AWS account {account}", f.description()),
                None => f.description(),
            },
        )?;
    }
    Ok(())
}

/// How many credentials the findings are: a key ID and its paired secret count once.
pub fn credential_count(findings: &[Finding]) -> usize {
    findings.iter().filter(|f| !(f.rule.kind != Kind::AccessKeyId && f.paired_line.is_some())).count()
}

/// What was scanned, which decides the advice a block comes with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The staged changes of a commit being made.
    Staged,
    /// The commit message.
    Message,
    /// Commits about to be pushed.
    Push,
    /// Commits already made (`history`).
    History,
    /// Files on disk (`scan`).
    Files,
}

impl Scope {
    fn what(self) -> &'static str {
        match self {
            Scope::Staged => "the staged changes",
            Scope::Message => "the commit message",
            Scope::Push => "the commits being pushed",
            Scope::History => "the scanned history",
            Scope::Files => "the scanned files",
        }
    }

    fn blocked(self) -> &'static str {
        match self {
            Scope::Staged | Scope::Message => "awsguard: commit blocked:",
            Scope::Push => "awsguard: push blocked:",
            Scope::History | Scope::Files => "awsguard: found",
        }
    }
}

/// How many `awsguard allow` lines a block prints before pointing at `--format json`.
const MAX_ALLOW_LINES: usize = 20;

/// What a block needs to say: what was found, how to take the secret out of what git is
/// about to record, that a leaked key must be rotated, what to use instead, and how to
/// allow a deliberate exception.
///
/// # Errors
/// When the output cannot be written.
pub fn write_blocked_help(out: &mut dyn Write, findings: &[Finding], style: &Style, scope: Scope) -> io::Result<()> {
    let credentials = credential_count(findings);
    let noun = if credentials == 1 { "credential" } else { "credentials" };
    writeln!(out)?;
    writeln!(
        out,
        "{} {credentials} AWS {noun} in {} ({} finding{}).",
        paint(style, "1;31", scope.blocked()),
        scope.what(),
        findings.len(),
        if findings.len() == 1 { "" } else { "s" }
    )?;
    for f in findings {
        for (origin, reason) in &f.expired {
            writeln!(
                out,
                "  note: the allowlist entry at {} ({}) matched {} but has expired",
                escape(origin.to_string().as_bytes()),
                escape(reason.as_bytes()),
                location(f)
            )?;
        }
    }
    writeln!(out)?;
    let removal: &[&str] = match scope {
        Scope::Staged => &[
            "  Take the secret out of the commit, not just out of the file:",
            "    edit the file, then `git add <file>`; or unstage a whole file with `git rm --cached <file>`.",
        ],
        Scope::Message => &["  Take the secret out of the commit message and commit again."],
        Scope::Push | Scope::History => &[
            "  Deleting the secret in a new commit is not enough: the commits above still hold it.",
            "    Rewrite them before pushing: `git commit --amend` for the last commit, or",
            "    `git rebase -i <upstream>` and edit each commit named above; then push again.",
        ],
        Scope::Files => &["  Remove the secret from these files before they are committed, built or shipped."],
    };
    for line in removal {
        writeln!(out, "{line}")?;
    }
    writeln!(out, "  A key that was ever pushed, shared or committed elsewhere is compromised:")?;
    writeln!(
        out,
        "    deactivate and rotate it in IAM now (IAM > Users > Security credentials); removing it is not enough."
    )?;
    writeln!(out, "  Keep credentials outside the repository: environment variables or ~/.aws/credentials,")?;
    writeln!(
        out,
        "    short-lived credentials from STS (`aws sts assume-role`, `aws sso login`), IAM Identity Center, or IAM roles."
    )?;
    let mut fingerprints: Vec<(String, &Finding)> = Vec::new();
    for f in findings {
        let fp = f.fingerprint();
        if !fingerprints.iter().any(|(seen, _)| *seen == fp) {
            fingerprints.push((fp, f));
        }
    }
    write_allow_advice(out, &fingerprints, awsguard_command())
}

/// How the user runs `awsguard` by name: `awsguard`, or `npx awsguard` when the one on the
/// hook's PATH is an npm package's (husky and npm scripts put `node_modules/.bin` on PATH,
/// the user's shell does not); `None` when it cannot be run by name (the pre-commit
/// framework installed it in its own environment, or a hook names the binary by path).
fn awsguard_command() -> Option<&'static str> {
    let name = format!("awsguard{}", std::env::consts::EXE_SUFFIX);
    let path = std::env::var_os("PATH")?;
    let dir = std::env::split_paths(&path).find(|dir| dir.join(&name).is_file())?;
    Some(command_in(&dir))
}

/// The command that runs the `awsguard` found in `dir`.
fn command_in(dir: &std::path::Path) -> &'static str {
    if dir.ends_with("node_modules/.bin") { "npx awsguard" } else { "awsguard" }
}

/// How to allow each fingerprint on purpose: the `awsguard allow` command when it can be run
/// by name (`command`), otherwise the `.awsguard.toml` entries to paste (with an empty
/// reason, which the hook refuses until one is written).
fn write_allow_advice(
    out: &mut dyn Write,
    fingerprints: &[(String, &Finding)],
    command: Option<&str>,
) -> io::Result<()> {
    let shown = &fingerprints[..fingerprints.len().min(MAX_ALLOW_LINES)];
    if let Some(awsguard) = command {
        writeln!(
            out,
            "  If a finding is a deliberate exception (revoked key in a write-up, test fixture), allow it on purpose:"
        )?;
        for (fp, f) in shown {
            writeln!(out, "    {awsguard} allow {fp} --reason \"...\"    # {}:{}", location(f), f.line)?;
        }
        if shown.len() > 1 {
            let all: Vec<&str> = shown.iter().map(|(fp, _)| fp.as_str()).collect();
            writeln!(out, "    (several at once: {awsguard} allow {} --reason \"...\")", all.join(" "))?;
        }
    } else {
        writeln!(
            out,
            "  If a finding is a deliberate exception (revoked key in a write-up, test fixture), add its entry to"
        )?;
        writeln!(out, "  .awsguard.toml with a reason, then `git add .awsguard.toml` and commit again:")?;
        for (fp, f) in shown {
            writeln!(out, "    [[allow]]    # {}:{}", location(f), f.line)?;
            writeln!(out, "    fingerprint = \"{fp}\"")?;
            writeln!(out, "    reason = \"\"    # say why this is safe: reviewers read it")?;
        }
    }
    if fingerprints.len() > MAX_ALLOW_LINES {
        writeln!(
            out,
            "    ... and {} more (`--format json` lists every fingerprint)",
            fingerprints.len() - MAX_ALLOW_LINES
        )?;
    }
    Ok(())
}

mod machine;

pub use machine::{write_json, write_sarif};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_npm_install_is_run_with_npx() {
        assert_eq!(command_in(std::path::Path::new("/p/app/node_modules/.bin")), "npx awsguard");
        assert_eq!(command_in(std::path::Path::new("/home/u/.local/bin")), "awsguard");
        assert_eq!(command_in(std::path::Path::new("/p/node_modules/awsguard/bin")), "awsguard");
    }

    #[test]
    fn redaction_keeps_four_and_four() {
        assert_eq!(redact(b"ABCDEFGHIJKLMNOPQRST"), "ABCD...QRST");
        assert_eq!(redact(b"abcdefgh"), "ab...gh");
        assert_eq!(redact(b""), "...");
    }

    #[test]
    fn escaping_neutralises_control_and_invalid_bytes() {
        assert_eq!(escape(b"a\nb"), "a\\nb");
        assert_eq!(escape(b"\x1b[2Jx"), "\\x1b[2Jx");
        assert_eq!(escape(b"caf\xc3\xa9 \xff"), "caf\u{e9} \\xff");
        assert_eq!(escape("a\u{202e}b".as_bytes()), "a\\u{202e}b");
    }
}
