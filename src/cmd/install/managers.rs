//! Hook managers: husky and lefthook own the hooks directory, so awsguard goes into their
//! user-owned files instead; the pre-commit framework gets the entry to add.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::files::{mode_of, write_atomic};
use super::hook_name;
use crate::cli::Hook;

/// The first line of what awsguard adds to a manager's file; the hook name follows it.
const BEGIN: &str = "# awsguard-hook: begin";
/// The last line of it.
const END: &str = "# awsguard-hook: end";

pub enum Manager {
    /// The directory of husky's user-owned hook files (`.husky`).
    Husky(PathBuf),
    /// lefthook's configuration file.
    Lefthook(PathBuf),
    None,
}

/// Which manager runs this repository's hooks: husky when `core.hooksPath` is husky's
/// (`.husky/_` for v9, `.husky` before) or a `.husky` directory exists; lefthook when its
/// configuration file exists.
pub fn detect(top: &Path, hooks_dir: &Path) -> Manager {
    let husky = top.join(".husky");
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if (name(hooks_dir) == "_" && hooks_dir.parent().is_some_and(|p| name(p) == ".husky"))
        || name(hooks_dir) == ".husky"
    {
        let dir = if name(hooks_dir) == "_" { hooks_dir.parent().unwrap_or(hooks_dir) } else { hooks_dir };
        return Manager::Husky(dir.to_path_buf());
    }
    if husky.is_dir() {
        return Manager::Husky(husky);
    }
    for file in ["lefthook.yml", "lefthook.yaml", ".lefthook.yml", ".lefthook.yaml"] {
        if top.join(file).is_file() {
            return Manager::Lefthook(top.join(file));
        }
    }
    Manager::None
}

/// The shell lines for a husky hook file: stop with advice when awsguard is missing, else
/// run it and stop on its status.
fn husky_block(hook: Hook) -> String {
    let run = match hook {
        Hook::PreCommit => "awsguard pre-commit",
        Hook::PrePush => "awsguard pre-push \"$@\"",
        Hook::CommitMsg => "awsguard commit-msg \"$1\"",
    };
    format!(
        "{BEGIN} {name}: added by `awsguard install`; `awsguard uninstall` removes it\n\
         command -v awsguard >/dev/null 2>&1 || {{ echo \"awsguard: not installed, so git is stopped: \
         npm install --save-dev awsguard (or pip install awsguard; see its README)\" >&2; exit 2; }}\n\
         {run} || exit $?\n{END} {name}\n",
        name = hook_name(hook)
    )
}

/// Adds awsguard at the top of each `.husky/<hook>` (after a `#!` line), before the user's
/// commands; husky's own `.husky/_/` is never touched.
pub fn install_husky(husky: &Path, hooks: &[Hook], hooks_dir: &Path) -> Result<()> {
    for &hook in hooks {
        let path = husky.join(hook_name(hook));
        let block = husky_block(hook);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        if text.contains(&block) {
            println!("awsguard: {} already runs awsguard", path.display());
            continue;
        }
        let text = remove_block(&text, hook_name(hook));
        let (head, rest) = match text.strip_prefix("#!") {
            Some(_) => text.split_at(text.find('\n').map_or(text.len(), |n| n + 1)),
            None => ("", text.as_str()),
        };
        let new = format!("{head}{block}{rest}");
        write_atomic(&path, new.as_bytes(), mode_of(&path, 0o755), false)?;
        println!("awsguard: added awsguard at the top of {} (husky runs it before your commands)", path.display());
    }
    let active = hooks_dir.starts_with(husky);
    if !active {
        println!(
            "awsguard: note: husky's hooks are not active in this clone yet (core.hooksPath is not {}): \
             run `npx husky` (or `npm install`, which runs husky's prepare script)",
            husky.join("_").display()
        );
    }
    if find_on_path("awsguard").is_none() {
        println!(
            "awsguard: note: `awsguard` is not on PATH: husky runs it from PATH (node_modules/.bin included), \
             so install it with `npm install --save-dev awsguard` or put it on PATH"
        );
    }
    Ok(())
}

/// The lefthook entry for a hook.
fn lefthook_block(hook: Hook) -> String {
    let (run, stdin) = match hook {
        Hook::PreCommit => ("awsguard pre-commit", ""),
        Hook::PrePush => ("awsguard pre-push", "      use_stdin: true\n"),
        Hook::CommitMsg => ("awsguard commit-msg {1}", ""),
    };
    let name = hook_name(hook);
    format!(
        "{BEGIN} {name}: added by `awsguard install`; `awsguard uninstall` removes it\n\
         {name}:\n  commands:\n    awsguard:\n      run: {run}\n{stdin}{END} {name}\n"
    )
}

/// Appends awsguard's entry for each hook to lefthook's configuration, unless the hook
/// already has a section there: then it says what to add, and fails.
pub fn install_lefthook(config: &Path, hooks: &[Hook]) -> Result<()> {
    let mut text = fs::read_to_string(config).with_context(|| format!("reading {}", config.display()))?;
    let mut by_hand = String::new();
    let mut added = false;
    for &hook in hooks {
        let name = hook_name(hook);
        let block = lefthook_block(hook);
        if text.contains(&block) {
            println!("awsguard: {} already runs awsguard at {name}", config.display());
        } else if text.lines().any(|l| l.trim_end() == format!("{name}:")) {
            let entry: String =
                block.lines().skip(4).take_while(|l| !l.starts_with(END)).map(|l| format!("{l}\n")).collect();
            by_hand.push_str(&format!("  under `{name}:` > `commands:`, add:\n    awsguard:\n{entry}"));
        } else {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&block);
            added = true;
            println!("awsguard: added a {name} command to {}", config.display());
        }
    }
    if added {
        write_atomic(config, text.as_bytes(), mode_of(config, 0o644), false)?;
        println!("awsguard: lefthook installs the new hooks on its next run; to do it now: npx lefthook install");
    }
    if !by_hand.is_empty() {
        bail!(
            "{} already configures these hooks, so awsguard did not edit them; add awsguard by hand:\n{by_hand}\
             then run `npx lefthook install` and `awsguard install` again to check",
            config.display()
        );
    }
    Ok(())
}

/// With a `.pre-commit-config.yaml` that does not mention awsguard: the entry to add, so
/// that `pre-commit run` (and pre-commit.ci) run it too.
pub fn advise_pre_commit_framework(top: &Path) {
    let config = top.join(".pre-commit-config.yaml");
    let Ok(text) = fs::read_to_string(&config) else { return };
    if text.contains("awsguard") {
        return;
    }
    println!(
        "awsguard: this repository uses the pre-commit framework: `pre-commit install` keeps awsguard's hook \
         (as pre-commit.legacy) and runs it, but `pre-commit run` and pre-commit.ci only run what \
         {} lists. Add under `repos:`\n\
         \x20 - repo: https://github.com/awsguard/awsguard\n\
         \x20   rev: v{}   # a release tag; `pre-commit autoupdate` moves it\n\
         \x20   hooks:\n\
         \x20     - id: awsguard\n\
         \x20       stages: [pre-commit, pre-push]",
        config.display(),
        env!("CARGO_PKG_VERSION")
    );
}

/// Takes awsguard out of husky's and lefthook's files.
pub fn uninstall(top: &Path, hooks_dir: &Path, hooks: &[Hook]) -> Result<()> {
    match detect(top, hooks_dir) {
        Manager::Husky(husky) => {
            for &hook in hooks {
                let path = husky.join(hook_name(hook));
                let Ok(text) = fs::read_to_string(&path) else { continue };
                let rest = remove_block(&text, hook_name(hook));
                if rest == text {
                    continue;
                }
                let only_shebang = rest.lines().all(|l| l.trim().is_empty() || l.starts_with("#!"));
                if only_shebang {
                    fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
                    println!("awsguard: removed {} (it held only awsguard's lines)", path.display());
                } else {
                    write_atomic(&path, rest.as_bytes(), mode_of(&path, 0o755), false)?;
                    println!("awsguard: removed awsguard's lines from {}", path.display());
                }
            }
        }
        Manager::Lefthook(config) => {
            let text = fs::read_to_string(&config).with_context(|| format!("reading {}", config.display()))?;
            let rest = hooks.iter().fold(text.clone(), |t, &h| remove_block(&t, hook_name(h)));
            if rest != text {
                write_atomic(&config, rest.as_bytes(), mode_of(&config, 0o644), false)?;
                println!("awsguard: removed awsguard's commands from {}", config.display());
            }
        }
        Manager::None => {}
    }
    Ok(())
}

/// `text` without awsguard's block for `name`.
fn remove_block(text: &str, name: &str) -> String {
    let begin = format!("{BEGIN} {name}:");
    let end = format!("{END} {name}");
    let mut out = String::new();
    let mut inside = false;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end();
        if !inside && bare.starts_with(&begin) {
            inside = true;
        } else if inside && bare == end {
            inside = false;
        } else if !inside {
            out.push_str(line);
        }
    }
    out
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_go_in_and_come_out_whole() {
        let user = "#!/usr/bin/env sh\nnpm test\n";
        let with = format!("#!/usr/bin/env sh\n{}npm test\n", husky_block(Hook::PreCommit));
        assert_eq!(remove_block(&with, "pre-commit"), user);
        assert_eq!(remove_block(&with, "pre-push"), with);
        let yml = format!("pre-push:\n  commands: {{}}\n{}", lefthook_block(Hook::CommitMsg));
        assert_eq!(remove_block(&yml, "commit-msg"), "pre-push:\n  commands: {}\n");
    }
}
