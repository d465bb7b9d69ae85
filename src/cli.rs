//! Command-line arguments: parsed once into [`Args`], which nothing re-reads afterwards.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Result, bail};
use lexopt::prelude::*;

use crate::report::Format;

mod commands;
pub use commands::{COMMANDS, Spec};

/// The help text: what awsguard does, every command and option, and the exit codes
/// (`src/cli/help.txt`, embedded deflated by build.rs).
pub fn help() -> String {
    crate::unpack(include_bytes!(concat!(env!("OUT_DIR"), "/help.txt.deflate")))
}

/// Which hook to install or uninstall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hook {
    PreCommit,
    PrePush,
    CommitMsg,
}

/// Arguments of `awsguard allow`.
#[derive(Clone, Debug, Default)]
pub struct AllowArgs {
    pub fingerprints: Vec<String>,
    pub reason: Option<String>,
    pub path: Option<String>,
    pub pattern: Option<String>,
    pub rules: Vec<String>,
    pub expires: Option<String>,
}

/// Arguments of `awsguard install` and `uninstall`.
#[derive(Clone, Debug)]
pub struct InstallArgs {
    pub hooks: Vec<Hook>,
    pub global: bool,
    /// The binary the hook should run (install.sh records where it put it).
    pub binary: Option<PathBuf>,
}

/// What to do.
#[derive(Clone, Debug)]
pub enum Command {
    /// With the file names the pre-commit framework passes (`pass_filenames`), if any.
    PreCommit(Vec<OsString>),
    Allow(AllowArgs),
    CheckConfig,
    Install(InstallArgs),
    Uninstall(InstallArgs),
    /// `awsguard pre-push`, with the remote git names (a name or a URL).
    PrePush(Option<String>),
    /// `awsguard pre-receive` (`None`), or the update hook's `REF OLD NEW`.
    PreReceive(Option<[String; 3]>),
    CommitMsg(PathBuf),
    /// `awsguard history`: a range, or every ref (`--all`).
    History {
        range: Option<String>,
        all: bool,
    },
    Scan(Vec<OsString>),
    /// `awsguard rules`, with the rule `--show` names, if any.
    Rules(Option<String>),
    /// The help page, or one command's.
    Help(Option<&'static Spec>),
    Version,
}

impl Command {
    /// The command's name, as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Command::PreCommit(_) => "pre-commit",
            Command::Allow(_) => "allow",
            Command::CheckConfig => "check-config",
            Command::Install(_) => "install",
            Command::Uninstall(_) => "uninstall",
            Command::PrePush(_) => "pre-push",
            Command::PreReceive(None) => "pre-receive",
            Command::PreReceive(Some(_)) => "update",
            Command::CommitMsg(_) => "commit-msg",
            Command::History { .. } => "history",
            Command::Scan(_) => "scan",
            Command::Rules(_) => "rules",
            Command::Help(_) => "help",
            Command::Version => "version",
        }
    }

    /// Whether it runs as a git hook (where `--no-verify` is the way around it).
    pub fn is_hook(&self) -> bool {
        matches!(self, Command::PreCommit(_) | Command::PrePush(_) | Command::PreReceive(_) | Command::CommitMsg(_))
    }
}

/// The help text for `awsguard help [COMMAND]` and `COMMAND --help`.
pub fn help_text(topic: Option<&Spec>) -> String {
    topic.map_or_else(help, commands::help)
}

/// When to print whole secrets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShowSecrets {
    Never,
    OnTerminal,
    Always,
}

/// Parsed arguments.
#[derive(Clone, Debug)]
pub struct Args {
    pub command: Command,
    pub format: Format,
    pub color: bool,
    pub quiet: bool,
    pub show_secrets: bool,
    pub configs: Vec<PathBuf>,
    /// `--archive-limits`, as `(key, value)` pairs, applied over every config file.
    pub archive_limits: Vec<(String, String)>,
}

/// Parses the process's arguments.
///
/// # Errors
/// On an unknown command or option, or a bad option value.
pub fn parse() -> Result<Args> {
    parse_from(std::env::args_os().skip(1))
}

/// What the surroundings decide when options leave it open: colour and `--show-secrets`
/// depend on whether stdout is a terminal and on `NO_COLOR`.
#[derive(Clone, Copy, Debug)]
pub struct Surroundings {
    pub stdout_is_terminal: bool,
    pub no_color: bool,
}

impl Surroundings {
    /// This process's surroundings.
    pub fn of_process() -> Surroundings {
        Surroundings {
            stdout_is_terminal: std::io::stdout().is_terminal(),
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        }
    }
}

/// Parses arguments (without the program name) in this process's surroundings.
///
/// # Errors
/// On an unknown command or option, or a bad option value.
pub fn parse_from(args: impl IntoIterator<Item = OsString>) -> Result<Args> {
    parse_in(args, Surroundings::of_process())
}

/// Parses arguments (without the program name) in the given surroundings.
///
/// # Errors
/// On an unknown command or option, or a bad option value.
pub fn parse_in(args: impl IntoIterator<Item = OsString>, surroundings: Surroundings) -> Result<Args> {
    let mut parser = lexopt::Parser::from_args(args);
    let mut command: Option<Command> = None;
    let mut format = Format::Text;
    let mut color = None;
    let mut quiet = false;
    let mut show = ShowSecrets::Never;
    let mut configs = Vec::new();
    let mut archive_limits = Vec::new();
    let mut allow = AllowArgs::default();
    let mut hooks = Vec::new();
    let mut global = false;
    let mut binary = None;
    let mut show_rule = None;
    let mut all_refs = false;
    let mut hook_args = Vec::new();
    let mut help = false;
    // The long options given, checked against the command's own once it is known.
    let mut seen: Vec<String> = Vec::new();
    while let Some(arg) = parser.next()? {
        match &arg {
            Short('q') => seen.push("quiet".into()),
            Long(name) if !matches!(*name, "help" | "version" | "colour") => seen.push(name.to_string()),
            Long("colour") => seen.push("color".into()),
            _ => {}
        }
        match arg {
            Short('h') | Long("help") => help = true,
            Short('V') | Long("version") => command = Some(Command::Version),
            Short('q') | Long("quiet") => quiet = true,
            Long("format") => {
                format = match parser.value()?.string()?.as_str() {
                    "text" => Format::Text,
                    "json" => Format::Json,
                    "sarif" => Format::Sarif,
                    other => bail!("--format {other:?}: expected text, json or sarif"),
                }
            }
            Long("color") | Long("colour") => {
                color = match parser.value()?.string()?.as_str() {
                    "auto" => None,
                    "always" => Some(true),
                    "never" => Some(false),
                    other => bail!("--color {other:?}: expected auto, always or never"),
                }
            }
            Long("show-secrets") => {
                show = match parser.optional_value() {
                    None => ShowSecrets::OnTerminal,
                    Some(v) if v == "always" => ShowSecrets::Always,
                    Some(v) => bail!("--show-secrets={}: the only value is `always`", v.to_string_lossy()),
                }
            }
            Long("config") => configs.push(PathBuf::from(parser.value()?)),
            Long("archive-limits") => {
                for pair in parser.value()?.string()?.split(',').filter(|p| !p.is_empty()) {
                    let (key, value) = pair.split_once('=').ok_or_else(|| {
                        anyhow::anyhow!(
                            "--archive-limits: {pair:?} is not KEY=VALUE (keys: depth, bytes, total, members, ratio)"
                        )
                    })?;
                    archive_limits.push((key.trim().to_string(), value.trim().to_string()));
                }
            }
            Long("reason") => allow.reason = Some(parser.value()?.string()?),
            Long("path") => allow.path = Some(parser.value()?.string()?),
            Long("pattern") => allow.pattern = Some(parser.value()?.string()?),
            Long("rule") => allow.rules.push(parser.value()?.string()?),
            Long("expires") => allow.expires = Some(parser.value()?.string()?),
            Long("hook") => {
                let name = parser.value()?.string()?;
                match name.as_str() {
                    "pre-commit" => hooks.push(Hook::PreCommit),
                    "pre-push" => hooks.push(Hook::PrePush),
                    "commit-msg" => hooks.push(Hook::CommitMsg),
                    "all" => hooks.extend(ALL_HOOKS),
                    other => bail!("--hook {other:?}: expected pre-commit, pre-push, commit-msg or all"),
                }
            }
            Long("global") => global = true,
            Long("binary") => binary = Some(PathBuf::from(parser.value()?)),
            Long("show") => show_rule = Some(parser.value()?.string()?),
            Long("all") => all_refs = true,
            Value(value) if command.is_none() => {
                let value = value.string()?;
                command = Some(match value.as_str() {
                    "pre-commit" => Command::PreCommit(Vec::new()),
                    "allow" => Command::Allow(AllowArgs::default()),
                    "check-config" => Command::CheckConfig,
                    "install" => Command::Install(InstallArgs { hooks: vec![], global: false, binary: None }),
                    "uninstall" => Command::Uninstall(InstallArgs { hooks: vec![], global: false, binary: None }),
                    "rules" => Command::Rules(None),
                    "pre-push" => Command::PrePush(None),
                    "pre-receive" => Command::PreReceive(None),
                    "update" => Command::PreReceive(Some(Default::default())),
                    "commit-msg" => Command::CommitMsg(PathBuf::new()),
                    "history" => Command::History { range: None, all: false },
                    "scan" => Command::Scan(Vec::new()),
                    "help" => Command::Help(None),
                    "version" => Command::Version,
                    other => bail!(
                        "unknown command {other:?}{} (commands: {})",
                        commands::suggest(other, COMMANDS.iter().map(|c| c.name)),
                        COMMANDS.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
                    ),
                });
            }
            Value(value) if matches!(command, Some(Command::Help(None))) => {
                let name = value.string()?;
                let spec = commands::find(&name).ok_or_else(|| {
                    anyhow::anyhow!(
                        "no command {name:?} to describe{}",
                        commands::suggest(&name, COMMANDS.iter().map(|c| c.name))
                    )
                })?;
                command = Some(Command::Help(Some(spec)));
            }
            Value(value) if matches!(command, Some(Command::Allow(_))) => {
                allow.fingerprints.push(value.string()?);
            }
            // git passes the remote's name and URL to pre-push; the refs come on stdin.
            Value(value) if matches!(command, Some(Command::PrePush(None))) => {
                command = Some(Command::PrePush(Some(value.string()?)));
            }
            Value(_) if matches!(command, Some(Command::PrePush(_))) => {}
            Value(value) if matches!(command, Some(Command::PreReceive(Some(_)))) && hook_args.len() < 3 => {
                hook_args.push(value.string()?);
            }
            Value(value) if matches!(command, Some(Command::CommitMsg(ref p)) if p.as_os_str().is_empty()) => {
                command = Some(Command::CommitMsg(PathBuf::from(value)));
            }
            Value(value) if matches!(command, Some(Command::History { range: None, .. })) => {
                command = Some(Command::History { range: Some(value.string()?), all: false });
            }
            Value(value) if matches!(command, Some(Command::Scan(_) | Command::PreCommit(_))) => {
                if let Some(Command::Scan(paths) | Command::PreCommit(paths)) = &mut command {
                    paths.push(value);
                }
            }
            Long(name) => bail!("unknown option --{name}{}", commands::suggest(name, commands::all_options())),
            Value(value) => bail!(
                "unexpected argument {:?} for `awsguard {}`",
                value.to_string_lossy(),
                command.as_ref().map_or("pre-commit", Command::name)
            ),
            _ => return Err(arg.unexpected().into()),
        }
    }
    if help {
        let topic = command.as_ref().filter(|c| !matches!(c, Command::Help(_))).and_then(|c| commands::find(c.name()));
        return Ok(help_args(topic));
    }
    let command = command.unwrap_or(Command::PreCommit(Vec::new()));
    let spec = commands::find(command.name()).expect("every command has a spec");
    if let Some(option) = seen.iter().find(|o| !spec.options.contains(&o.as_str())) {
        let owners: Vec<String> = COMMANDS
            .iter()
            .filter(|c| c.options.contains(&option.as_str()))
            .map(|c| format!("`awsguard {}`", c.name))
            .collect();
        let owners =
            if owners.is_empty() { String::new() } else { format!(": it is an option of {}", owners.join(", ")) };
        bail!("`awsguard {}` does not take --{option}{owners} (see `awsguard help {}`)", spec.name, spec.name);
    }
    let command = match command {
        Command::Rules(_) => Command::Rules(show_rule),
        Command::Allow(_) => Command::Allow(allow),
        Command::Install(_) => Command::Install(InstallArgs {
            hooks: default_hooks(hooks, &[Hook::PreCommit, Hook::PrePush]),
            global,
            binary,
        }),
        Command::Uninstall(_) => {
            Command::Uninstall(InstallArgs { hooks: default_hooks(hooks, &ALL_HOOKS), global, binary })
        }
        Command::History { range: Some(range), .. } if all_refs => {
            bail!("history takes a RANGE or --all, not both ({range:?} given with --all)")
        }
        Command::History { range, .. } => Command::History { range, all: all_refs },
        Command::PreReceive(Some(_)) => match <[String; 3]>::try_from(hook_args) {
            Ok(update) => Command::PreReceive(Some(update)),
            Err(_) => bail!("update needs the three arguments git passes to the update hook: REF OLD NEW"),
        },
        Command::CommitMsg(path) if path.as_os_str().is_empty() => {
            bail!("commit-msg needs the message file git passes to the hook (awsguard commit-msg FILE)")
        }
        other => other,
    };
    let Surroundings { stdout_is_terminal, no_color } = surroundings;
    Ok(Args {
        command,
        format,
        color: color.unwrap_or(stdout_is_terminal && !no_color && format == Format::Text),
        quiet,
        show_secrets: match show {
            ShowSecrets::Never => false,
            ShowSecrets::OnTerminal => stdout_is_terminal,
            ShowSecrets::Always => true,
        },
        configs,
        archive_limits,
    })
}

/// What `--help` asks for: a help page and nothing else.
fn help_args(topic: Option<&'static Spec>) -> Args {
    Args {
        command: Command::Help(topic),
        format: Format::Text,
        color: false,
        quiet: false,
        show_secrets: false,
        configs: Vec::new(),
        archive_limits: Vec::new(),
    }
}

/// Every hook awsguard installs: what `uninstall` removes unless `--hook` names some.
const ALL_HOOKS: [Hook; 3] = [Hook::PreCommit, Hook::PrePush, Hook::CommitMsg];

/// `--hook` values without repeats, or `default`: pre-commit and pre-push for `install`.
fn default_hooks(hooks: Vec<Hook>, default: &[Hook]) -> Vec<Hook> {
    if hooks.is_empty() {
        return default.to_vec();
    }
    let mut unique = Vec::new();
    for hook in hooks {
        if !unique.contains(&hook) {
            unique.push(hook);
        }
    }
    unique
}

#[cfg(test)]
mod tests;
