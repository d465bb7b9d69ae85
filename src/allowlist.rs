//! The allowlist: deliberate, reviewed exceptions, and the decision for each finding
//! (reported, allowed by an inline marker, allowed by an entry, or matched by an expired
//! one). Where the entries come from and how they are parsed is [`crate::config`]'s.

use std::fmt;
use std::path::Path;

use globset::{GlobBuilder, GlobMatcher};
use memchr::memmem;
use regex::bytes::Regex;
use sha2::{Digest, Sha256};

use crate::config::Date;
use crate::rules::Rule;

/// Inline markers: a line holding one is never reported. The last two keep repositories
/// that migrate from detect-secrets/ripsecrets and gitleaks working.
pub const INLINE_MARKERS: [&str; 3] = ["awsguard:allow", "pragma: allowlist secret", "gitleaks:allow"];

/// Hex digits of a fingerprint that `awsguard` prints; entries may use 16 to 64.
pub const FINGERPRINT_HEX: usize = 16;

/// The fingerprint of a secret value: `sha256:` and the first [`FINGERPRINT_HEX`] hex
/// digits of its SHA-256. Stable across moves, edits around it and renames; the file that
/// records it never holds the secret.
pub fn fingerprint(value: &[u8]) -> String {
    let mut hex = full_sha256(value);
    hex.truncate(FINGERPRINT_HEX);
    format!("sha256:{hex}")
}

/// The full lowercase hex SHA-256 of a value.
pub fn full_sha256(value: &[u8]) -> String {
    Sha256::digest(value).iter().map(|b| format!("{b:02x}")).collect()
}

/// Where an entry was written, for messages: `file:line`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub file: String,
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One allowlist entry. Every selector it has must match.
#[derive(Debug)]
pub struct Entry {
    pub origin: Origin,
    pub reason: String,
    pub(crate) fingerprint: Option<String>,
    pub(crate) path: Option<(String, GlobMatcher)>,
    pub(crate) pattern: Option<Regex>,
    pub(crate) rules: Vec<String>,
    pub expires: Option<Date>,
    pub allow_all: bool,
}

impl Entry {
    fn matches(&self, path: &[u8], rule: &Rule, value: &[u8]) -> bool {
        if !self.rules.is_empty() && !self.rules.iter().any(|r| rule.is_named_by(r)) {
            return false;
        }
        if let Some(fp) = &self.fingerprint {
            if !full_sha256(value).starts_with(fp.as_str()) {
                return false;
            }
        }
        if let Some((_, glob)) = &self.path {
            if !glob.is_match(Path::new(&*String::from_utf8_lossy(path))) {
                return false;
            }
        }
        if let Some(pattern) = &self.pattern {
            if !pattern.is_match(value) {
                return false;
            }
        }
        true
    }

    /// A one-line description of what the entry selects, for warnings.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(fp) = &self.fingerprint {
            parts.push(format!("fingerprint sha256:{fp}"));
        }
        if let Some((glob, _)) = &self.path {
            parts.push(format!("path {glob:?}"));
        }
        if let Some(p) = &self.pattern {
            parts.push(format!("pattern {:?}", p.as_str()));
        }
        if !self.rules.is_empty() {
            parts.push(format!("rules {:?}", self.rules));
        }
        parts.join(", ")
    }
}

/// Why a finding is not reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Allowed {
    /// An inline marker on the finding's line.
    Inline,
    /// The entry with this index.
    Entry(usize),
}

/// The outcome of checking one finding.
#[derive(Debug, Default)]
pub struct Decision {
    pub allowed: Option<Allowed>,
    /// Entries that would have allowed the finding but have expired.
    pub expired: Vec<usize>,
}

/// All allowlist entries in force for this run.
#[derive(Debug)]
pub struct Allowlist {
    pub entries: Vec<Entry>,
    /// The day against which `expires` is judged.
    pub(crate) today: Date,
}

impl Default for Allowlist {
    fn default() -> Allowlist {
        Allowlist { entries: Vec::new(), today: Date::today() }
    }
}

impl Allowlist {
    /// Decides whether a finding is reported: not if its line carries an inline marker or a
    /// live entry matches it. Expired matching entries are listed so the report can say so.
    pub fn check(&self, path: &[u8], rule: &Rule, value: &[u8], line: &[u8]) -> Decision {
        let mut decision = Decision::default();
        if has_inline_marker(line) {
            decision.allowed = Some(Allowed::Inline);
            return decision;
        }
        for (i, entry) in self.entries.iter().enumerate() {
            if entry.matches(path, rule, value) {
                if entry.expires.is_some_and(|d| d < self.today) {
                    decision.expired.push(i);
                } else {
                    decision.allowed = Some(Allowed::Entry(i));
                    return decision;
                }
            }
        }
        decision
    }

    /// Entries that say `allow_all = true`, to be warned about on every run.
    pub fn allow_all_entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.allow_all)
    }

    /// Whether an entry's `expires` date has passed.
    pub fn is_expired(&self, entry: &Entry) -> bool {
        entry.expires.is_some_and(|d| d < self.today)
    }
}

/// Whether a line carries one of the [`INLINE_MARKERS`].
pub fn has_inline_marker(line: &[u8]) -> bool {
    INLINE_MARKERS.iter().any(|m| memmem::find(line, m.as_bytes()).is_some())
}

/// A gitignore-style glob: `*` stays within a directory, `**` crosses them, a pattern with
/// no `/` matches at any depth, and a trailing `/` means everything below.
pub(crate) fn compile_glob(glob: &str) -> std::result::Result<GlobMatcher, String> {
    if glob.trim().is_empty() {
        return Err("`path` is empty".into());
    }
    let mut pattern = glob.trim_start_matches('/').to_string();
    if pattern.ends_with('/') {
        pattern.push_str("**");
    }
    if !glob.contains('/') {
        pattern = format!("**/{pattern}");
    }
    GlobBuilder::new(&pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("invalid path glob {glob:?}: {e}"))
}

impl Entry {
    /// Why this entry is broad, if it is: it names no fingerprint, its path (if any) covers
    /// most of a probe tree and its pattern (if any) most key-shaped values of some kind. A
    /// `rules` list does not narrow it: every key ID of the tree is still excused. Such an
    /// entry silences the hook for whoever commits in the repository, so it needs
    /// `allow_all = true`.
    pub(crate) fn broadness(&self) -> Option<String> {
        if self.fingerprint.is_some() {
            return None;
        }
        let path = match &self.path {
            None => None,
            Some((glob, matcher)) => {
                let hits = PROBE_PATHS.iter().filter(|p| matcher.is_match(Path::new(p))).count();
                if hits * 2 <= PROBE_PATHS.len() {
                    return None;
                }
                Some(format!("path {glob:?} matches {hits} of {} probe paths", PROBE_PATHS.len()))
            }
        };
        let pattern = match &self.pattern {
            None => None,
            Some(regex) => {
                let probes = probe_values();
                let (kind, hits, of) = probes
                    .iter()
                    .map(|(kind, values)| {
                        (*kind, values.iter().filter(|v| regex.is_match(v.as_bytes())).count(), values.len())
                    })
                    .max_by_key(|&(_, hits, of)| hits * 100 / of)?;
                if hits * 2 <= of {
                    return None;
                }
                Some(format!("pattern {:?} matches {hits} of {of} probe {kind} values", regex.as_str()))
            }
        };
        Some(match (path, pattern) {
            (Some(p), Some(v)) => format!("{p}, {v}"),
            (Some(p), None) => format!("{p}, no pattern"),
            (None, Some(v)) => format!("{v}, no path"),
            (None, None) => "no path, no pattern".to_string(),
        })
    }
}

/// Whether an `[archives] unscanned` glob covers most archives of a probe tree.
pub(crate) fn glob_is_broad(matcher: &GlobMatcher) -> bool {
    let hits = PROBE_ARCHIVES.iter().filter(|p| matcher.is_match(Path::new(p))).count();
    hits * 2 > PROBE_ARCHIVES.len()
}

/// A made-up repository: many top-level directories, depths, extensions and last letters,
/// dotfiles and archive members, so that no ordinary glob covers more than half of it.
const PROBE_PATHS: [&str; 48] = [
    "a",
    "README.md",
    ".env",
    ".github/workflows/ci.yml",
    "Makefile",
    "Dockerfile",
    "src/main.rs",
    "src/lib/util.py",
    "src/app/config.ts",
    "lib/index.js",
    "lib/aws/client.go",
    "app/settings.py",
    "app/models/user.rb",
    "cmd/server/main.go",
    "deep/nested/dir/config.yaml",
    "deploy/terraform/main.tf",
    "deploy/k8s/secret.yaml",
    "docs/guide/setup.md",
    "docs/api.rst",
    "config/application.properties",
    "config/credentials.json",
    "scripts/deploy.sh",
    "scripts/release.ps1",
    "tests/fixtures/keys.txt",
    "test/unit/test_auth.py",
    "spec/aws_spec.rb",
    "web/public/index.html",
    "web/src/App.vue",
    "ios/App/Info.plist",
    "android/app/build.gradle",
    "data/export.csv",
    "data/dump.sql",
    "notebooks/analysis.ipynb",
    "infra/cdk/stack.java",
    "infra/cloudformation/template.json",
    "tools/gen.c",
    "tools/gen.h",
    "vendor/sdk/aws.cs",
    "examples/quickstart.kt",
    "examples/lambda/handler.js",
    "charts/app/values.yaml",
    "ansible/group_vars/all",
    "home/.aws/credentials",
    "home/.aws/config",
    "dist/lambda.zip!.env",
    "dist/app.jar!BOOT-INF/classes/application.yml",
    "release/pkg.tar.gz!etc/app.conf",
    "LICENSE",
];

/// Archive paths, for `[archives] unscanned` globs.
const PROBE_ARCHIVES: [&str; 8] = [
    "dist/lambda.zip",
    "build/libs/app.jar",
    "vendor/sdk.whl",
    "release/pkg.tar.gz",
    "layers/python.zip",
    "docs/manual.docx",
    "backups/db.sql.xz",
    "tools/cli.tar.bz2",
];

/// Values shaped like each credential an entry could excuse, 16 of each kind, key IDs half
/// long-term and half temporary. Drawn from a fixed sequence, so the check is deterministic
/// and the source holds no key-shaped literal.
fn probe_values() -> Vec<(&'static str, Vec<String>)> {
    const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const LOWER36: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let draw = |alphabet: &[u8], n: usize, seed: usize| -> String {
        (0..n).map(|i| alphabet[(i * (seed * 2 + 7) + i * i + seed * 13) % alphabet.len()] as char).collect()
    };
    let many = |make: &dyn Fn(usize) -> String| (0..16).map(make).collect::<Vec<String>>();
    vec![
        ("key ID", many(&|k| format!("{}{}", if k % 2 == 0 { "AKIA" } else { "ASIA" }, draw(BASE32, 16, k)))),
        ("secret", many(&|k| draw(BASE64, 40, k))),
        ("session token", many(&|k| format!("IQoJb3JpZ2luX2Vj{}", draw(BASE64, 300, k)))),
        ("AppSync key", many(&|k| format!("da2-{}", draw(LOWER36, 26, k)))),
        ("Bedrock key", many(&|k| format!("ABSK{}", draw(BASE64, 100, k)))),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_are_gitignore_style() {
        let m = compile_glob("docs/examples/**").unwrap();
        assert!(m.is_match("docs/examples/a/b.md"));
        assert!(!m.is_match("src/docs/examples/a.md"));
        let m = compile_glob("*.md").unwrap();
        assert!(m.is_match("README.md") && m.is_match("a/b/c.md"));
        let m = compile_glob("fixtures/").unwrap();
        assert!(m.is_match("fixtures/x/y"));
        let m = compile_glob("src/*.rs").unwrap();
        assert!(m.is_match("src/a.rs") && !m.is_match("src/x/a.rs"));
    }

    #[test]
    fn inline_markers() {
        for line in ["x = 1 # awsguard:allow", "// gitleaks:allow", "/* pragma: allowlist secret */"] {
            assert!(has_inline_marker(line.as_bytes()), "{line}");
        }
        assert!(!has_inline_marker(b"x = 1 # awsguard"));
    }
}
