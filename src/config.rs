//! Configuration: where the allowlist and the archive bounds come from, and the format of
//! the files that hold them. Sources apply in order: the user's config file, the
//! repository's `.awsguard.toml` (as staged for a commit, as committed at the tip for a push
//! or a history scan), each `--config` file, then `--archive-limits`.
//!
//! It fails closed: any malformed entry is an error naming file, line and column, never a
//! reason to allow everything or nothing. Entries that would allow everything are refused
//! unless they say `allow_all = true`, and then warned about on every run.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use git2::{Oid, Repository};
use globset::GlobMatcher;
use regex::bytes::RegexBuilder;
use serde::Deserialize;
use toml::Spanned;

use crate::allowlist::{Allowlist, Entry, FINGERPRINT_HEX, Origin, compile_glob, glob_is_broad};
use crate::archive::{Limits, parse_size};
use crate::cli::Args;
use crate::index_file::IndexFile;
use crate::objects::Objects;
use crate::rules::RULES;

/// The allowlist file at the repository root.
pub const REPO_FILE: &str = ".awsguard.toml";

/// Everything the configuration files and options decide for a run.
#[derive(Debug, Default)]
pub struct Config {
    pub allowlist: Allowlist,
    pub archives: Archives,
    /// What the staged `.awsguard.toml` newly allows compared with HEAD's, one line each,
    /// for a notice on the commit.
    pub widened: Vec<String>,
}

/// How archives are scanned: bounds, and the archives that may pass unopened.
#[derive(Debug, Default)]
pub struct Archives {
    /// The defaults, overridden by each source in turn (a later source, such as
    /// `--config`, wins).
    pub limits: Limits,
    /// Archives that may pass after a raw-byte scan when they exceed a bound or cannot be
    /// opened, each with where it was listed.
    unscanned: Vec<(String, GlobMatcher, Origin)>,
}

impl Archives {
    /// Where `path` is listed under `[archives] unscanned`, if it is.
    pub fn unscanned(&self, path: &[u8]) -> Option<&Origin> {
        let path = String::from_utf8_lossy(path);
        self.unscanned.iter().find(|(_, glob, _)| glob.is_match(Path::new(&*path))).map(|(_, _, o)| o)
    }
}

/// Which version of the repository's `.awsguard.toml` applies.
pub enum RepoFile<'r> {
    /// None: outside a repository.
    None,
    /// As staged in this index: the version being committed with what it excuses.
    Staged(&'r Repository, &'r IndexFile),
    /// As committed in this commit: the policy a pushed or scanned branch carries.
    Committed(&'r Repository, Option<Oid>),
    /// As git read it from the index, in a repository libgit2 cannot open.
    Read(Option<Vec<u8>>),
}

impl Config {
    /// Parses and validates every source, in order; entries of all sources apply.
    ///
    /// # Errors
    /// The first malformed source, as `file:line:col: what is wrong`.
    pub fn parse(sources: &[Source], today: Date) -> Result<Config> {
        let mut config = Config {
            allowlist: Allowlist { entries: Vec::new(), today },
            archives: Archives::default(),
            widened: Vec::new(),
        };
        for source in sources {
            parse_source(source, &mut config)?;
        }
        Ok(config)
    }

    /// The configuration in force: the user's config file, the repository's file as
    /// `repo_file` says, each `--config` file, then `--archive-limits`.
    ///
    /// # Errors
    /// When a source cannot be read or does not parse.
    pub fn load(repo_file: RepoFile<'_>, args: &Args) -> Result<Config> {
        let mut sources = Vec::new();
        if let Some(path) = user_config_path() {
            sources.extend(read_file_source(&path, false)?);
        }
        let staged_repo = match repo_file {
            RepoFile::Staged(repo, _) => Some(repo),
            _ => None,
        };
        let repo_file = repo_source(repo_file)?;
        let widened = match (staged_repo, &repo_file) {
            (Some(repo), Some(source)) => widen::widened(repo, source, Date::today()),
            _ => Vec::new(),
        };
        sources.extend(repo_file);
        for path in &args.configs {
            sources.extend(read_file_source(path, true)?);
        }
        let mut config = Config::parse(&sources, Date::today())?;
        apply_cli_limits(&mut config.archives.limits, &args.archive_limits)?;
        config.widened = widened;
        Ok(config)
    }
}

/// The repository's `.awsguard.toml`, in the version `repo_file` names.
fn repo_source(repo_file: RepoFile<'_>) -> Result<Option<Source>> {
    let (repo, id) = match repo_file {
        RepoFile::None | RepoFile::Committed(_, None) => return Ok(None),
        RepoFile::Read(text) => return Ok(text.map(|text| Source { name: REPO_FILE.to_string(), text })),
        RepoFile::Staged(repo, index) => match index.get(REPO_FILE.as_bytes()) {
            Some(entry) => (repo, entry.id()),
            None => return Ok(None),
        },
        RepoFile::Committed(repo, Some(tip)) => {
            let tree = repo.find_commit(tip)?.tree()?;
            match tree.get_path(Path::new(REPO_FILE)) {
                Ok(entry) => (repo, entry.id()),
                Err(_) => return Ok(None),
            }
        }
    };
    let blob = Objects::new(repo)
        .blob(repo, id)
        .with_context(|| format!("reading {REPO_FILE} (blob {id}) from the object database"))?;
    Ok(Some(Source { name: REPO_FILE.to_string(), text: blob.to_vec() }))
}

/// Applies `--archive-limits` over what the config files said: the command line wins.
///
/// # Errors
/// An unknown key or a malformed value.
fn apply_cli_limits(limits: &mut Limits, options: &[(String, String)]) -> Result<()> {
    for (key, value) in options {
        let number = || {
            value
                .parse::<u64>()
                .ok()
                .filter(|&n| n > 0)
                .with_context(|| format!("--archive-limits {key}={value}: expected a positive number"))
        };
        let size = || parse_size(value).map_err(|e| anyhow!("--archive-limits {key}: {e}"));
        match key.as_str() {
            "depth" => limits.max_depth = number()?.try_into().context("--archive-limits depth is too large")?,
            "bytes" => limits.max_archive_bytes = size()?,
            "total" => limits.max_total_bytes = size()?,
            "members" => limits.max_members = number()?,
            "ratio" => limits.max_ratio = number()?,
            other => {
                anyhow::bail!("--archive-limits: unknown key {other:?} (keys: depth, bytes, total, members, ratio)")
            }
        }
    }
    Ok(())
}

/// A config file's text and the name to report it by.
pub struct Source {
    pub name: String,
    pub text: Vec<u8>,
}

/// A calendar date, for `expires`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// Today in UTC, from the system clock.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Date::from_days((secs / 86_400) as i64)
    }

    /// The civil date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    pub(crate) fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSyntax {
    #[serde(default)]
    allow: Vec<Spanned<EntrySyntax>>,
    archives: Option<ArchivesSyntax>,
}

/// `[archives]`: bounds on archive scanning, and archives that may pass unopened.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ArchivesSyntax {
    max_depth: Option<Spanned<u32>>,
    max_archive_bytes: Option<Spanned<toml::Value>>,
    max_total_bytes: Option<Spanned<toml::Value>>,
    max_members: Option<Spanned<u64>>,
    max_ratio: Option<Spanned<u64>>,
    unscanned: Option<Vec<Spanned<String>>>,
    /// Lets an `unscanned` glob cover most archives of the tree.
    #[serde(default)]
    allow_all: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntrySyntax {
    reason: Option<Spanned<String>>,
    fingerprint: Option<Spanned<String>>,
    path: Option<Spanned<String>>,
    pattern: Option<Spanned<String>>,
    rules: Option<Spanned<Vec<String>>>,
    expires: Option<Spanned<toml::value::Datetime>>,
    #[serde(default)]
    allow_all: bool,
}

/// `file:line:col` of a byte offset.
fn position(name: &str, text: &str, offset: usize) -> String {
    position_in(name, text.as_bytes(), offset)
}

fn position_in(name: &str, text: &[u8], offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    format!("{name}:{line}:{col}")
}

/// Where each line of a text starts, computed once: the line of every entry is then a
/// binary search, so a file of many entries loads in linear time (counting newlines from
/// the start for each entry made 8,000 entries take seconds).
struct LineStarts(Vec<usize>);

impl LineStarts {
    fn new(text: &str) -> LineStarts {
        LineStarts(std::iter::once(0).chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1)).collect())
    }

    /// The 1-based line of a byte offset.
    fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&start| start <= offset)
    }
}

/// Most `pattern` entries all sources may hold together, and the compiled size each may
/// reach: with the lazy DFA's cache bounded too, every regex's memory is bounded, and so
/// their sum (4,500 entries of up to 1 MiB each took 1.24 GiB before these bounds).
pub const MAX_PATTERNS: usize = 256;
const PATTERN_SIZE_LIMIT: usize = 64 << 10;

fn parse_source(source: &Source, config: &mut Config) -> Result<()> {
    let name = &source.name;
    let text = std::str::from_utf8(&source.text).map_err(|e| {
        anyhow!("{}: the file is not valid UTF-8 (TOML must be)", position_in(name, &source.text, e.valid_up_to()))
    })?;
    let file: FileSyntax = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or_else(|| format!("{name}:1:1"), |s| position(name, text, s.start));
        anyhow!("{at}: {}", crate::report::escape(e.message().trim().as_bytes()))
    })?;
    if let Some(archives) = file.archives {
        parse_archives(name, text, archives, &mut config.archives)?;
    }
    let entries = &mut config.allowlist.entries;
    let lines = LineStarts::new(text);
    let mut patterns = entries.iter().filter(|e| e.pattern.is_some()).count();
    for spanned in file.allow {
        let span = spanned.span();
        let syntax = spanned.into_inner();
        let at = |offset: usize| position(name, text, offset);
        let fail = |offset: usize, msg: String| anyhow!("{}: {msg}", at(offset));
        let origin_line = lines.line(span.start);

        let reason = match &syntax.reason {
            Some(r) if !r.get_ref().trim().is_empty() => r.get_ref().trim().to_string(),
            Some(r) => return Err(fail(r.span().start, "`reason` is empty: say why this exception is safe".into())),
            None => {
                return Err(fail(span.start, "entry has no `reason`: every exception must say why it is safe".into()));
            }
        };
        if syntax.fingerprint.is_none() && syntax.path.is_none() && syntax.pattern.is_none() {
            return Err(fail(
                span.start,
                "entry selects nothing: give a `fingerprint`, a `path` or a `pattern`".into(),
            ));
        }
        let fingerprint = match &syntax.fingerprint {
            None => None,
            Some(fp) => {
                let hex = fp.get_ref().strip_prefix("sha256:").unwrap_or("");
                let ok = (FINGERPRINT_HEX..=64).contains(&hex.len())
                    && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
                if !ok {
                    return Err(fail(
                        fp.span().start,
                        format!(
                            "fingerprint {:?} is not `sha256:` followed by {FINGERPRINT_HEX} to 64 lowercase hex \
                             digits (copy it from awsguard's report)",
                            fp.get_ref()
                        ),
                    ));
                }
                Some(hex.to_string())
            }
        };
        let rules = match &syntax.rules {
            None => Vec::new(),
            Some(list) => {
                for id in list.get_ref() {
                    if !RULES.rules.iter().any(|r| r.is_named_by(id)) {
                        let known: Vec<&str> = RULES.rules.iter().map(|r| r.id.as_str()).collect();
                        return Err(fail(
                            list.span().start,
                            format!("unknown rule {id:?}; rules are: {}", known.join(", ")),
                        ));
                    }
                }
                if list.get_ref().is_empty() {
                    return Err(fail(list.span().start, "`rules` is empty: leave it out to mean every rule".into()));
                }
                list.get_ref().clone()
            }
        };
        let path = match &syntax.path {
            None => None,
            Some(glob) => {
                let matcher = compile_glob(glob.get_ref()).map_err(|e| fail(glob.span().start, e))?;
                Some((glob.get_ref().clone(), matcher))
            }
        };
        let pattern = match &syntax.pattern {
            None => None,
            Some(p) => {
                patterns += 1;
                if patterns > MAX_PATTERNS {
                    return Err(fail(
                        p.span().start,
                        format!(
                            "more than {MAX_PATTERNS} `pattern` entries: each regex costs memory on every \
                             commit; allow by `fingerprint` or `path`, or merge patterns (`^(A|B)`)"
                        ),
                    ));
                }
                Some(
                    RegexBuilder::new(p.get_ref())
                        .unicode(false)
                        .size_limit(PATTERN_SIZE_LIMIT)
                        .dfa_size_limit(PATTERN_SIZE_LIMIT)
                        .build()
                        .map_err(|e| fail(p.span().start, format!("invalid regex {:?}: {e}", p.get_ref())))?,
                )
            }
        };
        let expires = match &syntax.expires {
            None => None,
            Some(d) => {
                let date = d
                    .get_ref()
                    .date
                    .filter(|_| d.get_ref().time.is_none())
                    .ok_or_else(|| fail(d.span().start, "`expires` must be a date such as 2027-03-01".into()))?;
                Some(Date { year: i32::from(date.year), month: date.month, day: date.day })
            }
        };
        let entry = Entry {
            origin: Origin { file: name.clone(), line: origin_line },
            reason,
            fingerprint,
            path,
            pattern,
            rules,
            expires,
            allow_all: syntax.allow_all,
        };
        if let Some(why) = entry.broadness().filter(|_| !entry.allow_all) {
            return Err(fail(
                span.start,
                format!(
                    "this entry would allow every finding it covers across most of the repository ({why}); \
                     name what it excuses (a fingerprint, a narrower path or pattern), or add `allow_all = true` \
                     if that is really meant (awsguard will then warn on every commit)"
                ),
            ));
        }
        entries.push(entry);
    }
    Ok(())
}

fn parse_archives(name: &str, text: &str, syntax: ArchivesSyntax, archives: &mut Archives) -> Result<()> {
    let fail = |offset: usize, msg: String| anyhow!("{}: {msg}", position(name, text, offset));
    let size = |value: &Spanned<toml::Value>| -> Result<u64> {
        match value.get_ref() {
            toml::Value::Integer(n) if *n > 0 => Ok(*n as u64),
            toml::Value::String(s) => parse_size(s).map_err(|e| fail(value.span().start, e)),
            _ => Err(fail(
                value.span().start,
                "expected a size: a positive number of bytes, or a string such as \"256MiB\"".into(),
            )),
        }
    };
    let limits = &mut archives.limits;
    if let Some(v) = &syntax.max_depth {
        limits.max_depth = *v.get_ref();
    }
    if let Some(v) = &syntax.max_archive_bytes {
        limits.max_archive_bytes = size(v)?;
    }
    if let Some(v) = &syntax.max_total_bytes {
        limits.max_total_bytes = size(v)?;
    }
    for (field, target) in [(&syntax.max_members, &mut limits.max_members), (&syntax.max_ratio, &mut limits.max_ratio)]
    {
        if let Some(v) = field {
            if *v.get_ref() == 0 {
                return Err(fail(v.span().start, "must be at least 1".into()));
            }
            *target = *v.get_ref();
        }
    }
    for glob in syntax.unscanned.iter().flatten() {
        let matcher = compile_glob(glob.get_ref()).map_err(|e| fail(glob.span().start, e))?;
        if !syntax.allow_all && glob_is_broad(&matcher) {
            return Err(fail(
                glob.span().start,
                format!(
                    "unscanned {:?} covers most archives of the repository: name the archives that may pass \
                     unopened, or add `allow_all = true` under [archives] if that is really meant",
                    glob.get_ref()
                ),
            ));
        }
        let line = text[..glob.span().start].bytes().filter(|&b| b == b'\n').count() + 1;
        archives.unscanned.push((glob.get_ref().clone(), matcher, Origin { file: name.to_string(), line }));
    }
    Ok(())
}

/// The user-level config file: `$XDG_CONFIG_HOME/awsguard/config.toml`, else
/// `~/.config/awsguard/config.toml`.
pub fn user_config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("awsguard").join("config.toml"))
}

/// Reads a config file from disk; a missing optional file is `None`.
///
/// # Errors
/// When the file exists but cannot be read (permissions, a directory).
pub fn read_file_source(path: &Path, required: bool) -> Result<Option<Source>> {
    match std::fs::read(path) {
        Ok(text) => Ok(Some(Source { name: path.display().to_string(), text })),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading the allowlist {}", path.display())),
    }
}

#[cfg(test)]
mod tests;
mod widen;
