//! Output for machines: JSON (one object with the findings) and SARIF 2.1.0 for code
//! scanning in CI. The same findings and redaction as the text output; repository content
//! that could reorder or rewrite what a viewer shows is written as `\u` escapes.

use std::io::{self, Write};

use super::{Finding, Style, credential_count, is_unsafe, redact, shown_value};

/// JSON text with every unsafe character (which can only sit inside a string: JSON's own
/// syntax is ASCII) written as a `\u` escape: serde_json escapes C0 controls only, not DEL,
/// C1 or bidirectional characters.
fn json_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        // C0 controls outside strings are JSON's own whitespace; serde_json escapes those inside.
        if is_unsafe(c) && u32::from(c) >= 0x7f {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Writes findings as one JSON document.
///
/// # Errors
/// When the output cannot be written.
pub fn write_json(out: &mut dyn Write, findings: &[Finding], style: &Style) -> io::Result<()> {
    let list: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            let mut v = serde_json::json!({
                "path": String::from_utf8_lossy(&f.path),
                "line": f.line,
                "column": f.column,
                "rule": f.rule.id,
                "kind": f.rule.kind.as_str(),
                "description": f.description(),
                "redacted": redact(&f.value),
                "fingerprint": f.fingerprint(),
                "account_id": f.account_shown(style),
                "paired_line": f.paired_line,
                "commit": f.commit,
                "encoding": f.encoding_name(),
            });
            if style.show_secrets {
                v["secret"] = String::from_utf8_lossy(&f.value).into();
            }
            v
        })
        .collect();
    let doc = serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "credentials": credential_count(findings),
        "findings": list,
    });
    out.write_all(json_safe(&serde_json::to_string_pretty(&doc)?).as_bytes())?;
    writeln!(out)
}

/// Help text shown with every rule in SARIF: what to do about a finding.
const SARIF_HELP: &str = "Remove the credential from the commit (edit the file and `git add` it again). \
If it was ever pushed or shared, deactivate and rotate it in IAM. Keep credentials outside the \
repository: environment variables, ~/.aws/credentials, STS or IAM Identity Center. A deliberate \
exception goes in .awsguard.toml with a reason.";

/// A repository path as a SARIF artifact URI: percent-encoded, `/`-separated.
fn uri(path: &[u8]) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Writes findings as a SARIF 2.1.0 log that GitHub code scanning accepts: every rule with
/// its help text, and results with locations and partial fingerprints.
///
/// # Errors
/// When the output cannot be written.
pub fn write_sarif(out: &mut dyn Write, findings: &[Finding], style: &Style) -> io::Result<()> {
    let rules = &crate::rules::RULES.rules;
    let descriptors: Vec<serde_json::Value> = rules
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id,
                "name": r.id.replace(['.', '-'], "_"),
                "shortDescription": { "text": format!("{} in a commit", r.name) },
                "fullDescription": { "text": format!("awsguard found an {} ({}) in content being committed.", r.name, r.kind.as_str()) },
                "help": { "text": SARIF_HELP },
                "defaultConfiguration": { "level": "error" },
                "properties": { "tags": ["security", "secret", "aws"], "security-severity": "9.0", "precision": "high" },
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            let index = rules.iter().position(|r| std::ptr::eq(r, f.rule)).unwrap_or(0);
            let mut message = format!("{} {}: {}", f.rule.name, shown_value(f, style), f.description());
            if let Some(commit) = &f.commit {
                message.push_str(&format!(" (commit {commit})"));
            }
            let mut result = serde_json::json!({
                "ruleId": f.rule.id,
                "ruleIndex": index,
                "level": "error",
                "message": { "text": message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&f.path) },
                        "region": { "startLine": f.line.max(1), "startColumn": f.column.max(1) },
                    }
                }],
                "partialFingerprints": { "awsguardSecret/v1": f.fingerprint() },
            });
            if let Some(commit) = &f.commit {
                result["properties"] = serde_json::json!({ "commit": commit });
            }
            if let Some(encoding) = f.encoding_name() {
                result["properties"]["encoding"] = encoding.into();
            }
            result
        })
        .collect();
    let doc = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "awsguard",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/awsguard/awsguard",
                "rules": descriptors,
            }},
            "results": results,
        }],
    });
    out.write_all(json_safe(&serde_json::to_string_pretty(&doc)?).as_bytes())?;
    writeln!(out)
}
