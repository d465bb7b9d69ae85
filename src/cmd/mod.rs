//! One module per command, and what they share: scanning a push, and reporting.

pub mod allow;
pub mod check_config;
pub mod commit_msg;
pub mod history;
pub mod install;
pub mod pre_commit;
pub mod pre_push;
pub mod pre_receive;
pub mod rules;
pub mod scan_files;

use std::io::{self, Write};

use anyhow::{Context, Result};

use crate::cli::{self, Args, Command};
use crate::commits::{self, Update};
use crate::config::{Config, REPO_FILE, RepoFile};
use crate::findings::Checked;
use crate::plumbing::ranges::Mirror;
use crate::repo;
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
    // Errors quote repository content (paths, member names, TOML keys): whatever a message
    // holds, it reaches the terminal with control and bidirectional characters escaped.
    dispatch(args).map_err(|e| anyhow::anyhow!("{}", report::sanitize(&format!("{e:#}"))))
}

fn dispatch(args: &Args) -> Result<Outcome> {
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
        Command::PreCommit(files) => pre_commit::run(args, files),
        Command::Allow(allow) => allow::run(args, allow),
        Command::CheckConfig => check_config::run(args),
        Command::Install(install) => install::install(args, install),
        Command::Uninstall(install) => install::uninstall(install),
        Command::PrePush(remote) => pre_push::run(args, remote.as_deref()),
        Command::PreReceive(update) => pre_receive::run(args, update.as_ref()),
        Command::CommitMsg(file) => commit_msg::run(args, file),
        Command::History { range, all } => history::run(args, range.as_deref(), *all),
        Command::Scan(paths) => scan_files::run(args, paths),
        Command::Rules(show) => rules::run(show.as_deref()),
        Command::Help(topic) => {
            ignore_broken_pipe(io::stdout().lock().write_all(cli::help_text(*topic).as_bytes()))?;
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

/// Scans what a push of `updates` sends to the remote the pre-commit framework names
/// (`PRE_COMMIT_REMOTE_NAME`), if any: its pre-push stage.
///
/// # Errors
/// A revision that does not resolve, or a commit that cannot be read.
pub fn scan_push(args: &Args, updates: &[Update]) -> Result<Outcome> {
    scan_push_to(args, updates, commits::framework_remote().as_deref())
}

/// Scans what a push of `updates` sends to `remote` (a name or URL; `None`: only the
/// updates' remote objects count as published), with the allowlist committed at the
/// pushed tip: the `pre-push` hook.
///
/// # Errors
/// A revision that does not resolve, or a commit that cannot be read.
pub fn scan_push_to(args: &Args, updates: &[Update], remote: Option<&str>) -> Result<Outcome> {
    let repo = match repo::open_repository_any() {
        Ok(repo) => repo,
        // SHA-256 and other repositories libgit2 cannot open: read through git.
        Err(e) => {
            let mirror = Mirror::open(&e.downcast::<repo::Unreadable>()?)?;
            let Some(range) = mirror.pushed(updates, remote)? else { return Ok(Outcome::Clean) };
            let (config, checked) = mirror.scan(&range, args)?;
            return conclude(args, &config, &checked, Scope::Push);
        }
    };
    let Some(range) = commits::pushed(&repo, updates, remote)? else { return Ok(Outcome::Clean) };
    let config = Config::load(RepoFile::Committed(&repo, range.tip), args)?;
    let checked = commits::scan(&repo, range, &config)?;
    conclude(args, &config, &checked, Scope::Push)
}

/// Prints what a check found, in the chosen format, and the advice that goes with a block.
/// `scope` says what was scanned, which decides the advice.
///
/// # Errors
/// When output cannot be written (other than a closed pipe).
pub fn conclude(args: &Args, config: &Config, checked: &Checked, scope: Scope) -> Result<Outcome> {
    let style = Style { color: args.color, show_secrets: args.show_secrets };
    let mut err = io::stderr().lock();
    for warning in &checked.warnings {
        let _ = writeln!(err, "awsguard: warning: {}", report::sanitize(warning));
    }
    for entry in config.allowlist.allow_all_entries() {
        let _ = writeln!(
            err,
            "awsguard: warning: the allowlist entry at {} allows every finding it covers (allow_all = true): {}",
            report::escape(entry.origin.to_string().as_bytes()),
            report::escape(entry.reason.as_bytes())
        );
    }
    for widened in &config.widened {
        let _ = writeln!(err, "awsguard: notice: this commit's {REPO_FILE} newly allows {}", report::sanitize(widened));
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
