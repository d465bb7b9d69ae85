//! One module per command, and what they share: loading the allowlists and reporting.

pub mod allow;
pub mod check_config;
pub mod commit_msg;
pub mod history;
pub mod install;
pub mod pre_commit;
pub mod pre_push;
pub mod rules;
pub mod scan_files;

use std::io::{self, Write};

use anyhow::{Context, Result};
use git2::Repository;

use crate::allowlist::{self, Allowlist, Date, Source};
use crate::check::Checked;
use crate::cli::{Args, Command, HELP};
use crate::index_file::IndexFile;
use crate::objects::Objects;
use crate::report::{self, Format, Scope, Style};

/// How a run ended, when it did not fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to report: exit 0.
    Clean,
    /// Credentials found: exit 1, the commit (or push) is blocked.
    Blocked,
}

/// Runs the command the arguments name.
///
/// # Errors
/// Any failure; the caller exits 2, which blocks the commit.
pub fn run(args: &Args) -> Result<Outcome> {
    // libgit2 re-hashes every object it reads with collision-detecting SHA-1; git itself
    // does not, and for a large commit it is most of the cost. Corrupt objects are still
    // caught where it matters: an index entry whose object is missing fails the read.
    git2::opts::strict_hash_verification(false);
    // Fault injection for the tests of the panic hook; debug builds only.
    #[cfg(debug_assertions)]
    if std::env::var_os("AWSGUARD_INJECT_PANIC").is_some() {
        panic!("injected by AWSGUARD_INJECT_PANIC");
    }
    match &args.command {
        Command::PreCommit => pre_commit::run(args),
        Command::Allow(allow) => allow::run(args, allow),
        Command::CheckConfig => check_config::run(args),
        Command::Install(install) => install::install(install),
        Command::Uninstall(install) => install::uninstall(install),
        Command::PrePush => pre_push::run(args),
        Command::CommitMsg(file) => commit_msg::run(args, file),
        Command::History(range) => history::run(args, range.as_deref()),
        Command::Scan(paths) => scan_files::run(args, paths),
        Command::Rules(show) => rules::run(show.as_deref()),
        Command::Help => {
            ignore_broken_pipe(io::stdout().lock().write_all(HELP.as_bytes()))?;
            Ok(Outcome::Clean)
        }
        Command::Version => {
            ignore_broken_pipe(writeln!(io::stdout().lock(), "awsguard {}", env!("CARGO_PKG_VERSION")))?;
            Ok(Outcome::Clean)
        }
    }
}

/// A closed pipe (`awsguard ... | head`) is not an error; the outcome stands.
fn ignore_broken_pipe(result: io::Result<()>) -> Result<()> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing output"),
    }
}

/// The allowlist sources in force: the user's config file, the repository's
/// `.awsguard.toml` as staged in `index`, and each `--config` file, in that order. All
/// their entries apply; a malformed one is an error.
///
/// # Errors
/// When a source cannot be read or does not parse.
pub fn load_allowlist(repo: Option<(&Repository, &IndexFile)>, args: &Args) -> Result<Allowlist> {
    let repo_source = match repo {
        Some((repo, index)) => staged_allowlist(repo, index)?,
        None => None,
    };
    with_cli_limits(Allowlist::parse(&allowlist_sources(repo_source, args)?, Date::today())?, args)
}

/// Applies `--archive-limits` over what the config files said: the command line wins.
///
/// # Errors
/// An unknown key or a malformed value.
pub fn with_cli_limits(mut allowlist: Allowlist, args: &Args) -> Result<Allowlist> {
    let limits = &mut allowlist.archive_limits;
    for (key, value) in &args.archive_limits {
        let number = || {
            value
                .parse::<u64>()
                .ok()
                .filter(|&n| n > 0)
                .with_context(|| format!("--archive-limits {key}={value}: expected a positive number"))
        };
        let size = || crate::archive::parse_size(value).map_err(|e| anyhow::anyhow!("--archive-limits {key}: {e}"));
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
    Ok(allowlist)
}

/// The user's config file, then the repository's allowlist (as the caller read it), then
/// each `--config` file.
///
/// # Errors
/// When a file exists but cannot be read, or a `--config` file is missing.
pub fn allowlist_sources(repo_source: Option<Source>, args: &Args) -> Result<Vec<Source>> {
    let mut sources = Vec::new();
    if let Some(path) = allowlist::user_config_path() {
        sources.extend(allowlist::read_file_source(&path, false)?);
    }
    sources.extend(repo_source);
    for path in &args.configs {
        sources.extend(allowlist::read_file_source(path, true)?);
    }
    Ok(sources)
}

/// `.awsguard.toml` as it is in the index: the version being committed.
pub fn staged_allowlist(repo: &Repository, index: &IndexFile) -> Result<Option<Source>> {
    let Some(entry) = index.get(allowlist::REPO_FILE.as_bytes()) else { return Ok(None) };
    let blob = Objects::new(repo).blob(repo, entry.id).with_context(|| {
        format!("reading the staged {} (blob {}) from the object database", allowlist::REPO_FILE, entry.id)
    })?;
    Ok(Some(Source { name: allowlist::REPO_FILE.to_string(), text: blob.to_vec() }))
}

/// Prints what a check found, in the chosen format, and the advice that goes with a block.
/// `scope` says what was scanned, which decides the advice.
///
/// # Errors
/// When output cannot be written (other than a closed pipe).
pub fn conclude(args: &Args, allowlist: &Allowlist, checked: &Checked, scope: Scope) -> Result<Outcome> {
    let style = Style { color: args.color, show_secrets: args.show_secrets };
    let mut err = io::stderr().lock();
    for warning in &checked.warnings {
        let _ = writeln!(err, "awsguard: warning: {warning}");
    }
    for entry in allowlist.allow_all_entries() {
        let _ = writeln!(
            err,
            "awsguard: warning: the allowlist entry at {} allows every finding it covers (allow_all = true): {}",
            entry.origin, entry.reason
        );
    }
    let findings = &checked.findings;
    let mut out = io::stdout().lock();
    let written = match args.format {
        Format::Text => report::write_text(&mut out, findings, &style),
        Format::Json => report::write_json(&mut out, findings, &style),
        Format::Sarif => report::write_sarif(&mut out, findings, &style),
    };
    ignore_broken_pipe(written.and_then(|()| out.flush()))?;
    if findings.is_empty() {
        return Ok(Outcome::Clean);
    }
    if !args.quiet {
        let _ = report::write_blocked_help(&mut err, findings, &style, scope);
    }
    Ok(Outcome::Blocked)
}
