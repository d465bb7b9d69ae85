//! `awsguard install` / `uninstall`: put the hook script where git will run it.
//!
//! Respects what is there: `core.hooksPath` (husky, lefthook) decides the directory; a
//! different hook already in place is kept, renamed `<hook>.pre-awsguard`, and run first
//! by awsguard's script; uninstall puts it back. Installing twice changes nothing.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use git2::Repository;

use super::Outcome;
use crate::cli::{Hook, InstallArgs};
use crate::repo;

/// The hook script shipped in `hooks/`: one script for every hook, doing what its file
/// name says.
const SCRIPT: &str = include_str!("../../hooks/pre-commit");

/// The line that identifies a script as awsguard's own.
const MARKER: &str = "# awsguard-hook";

/// The line of the script that records the binary's path.
const RECORDED: &str = "# awsguard:recorded-binary";

/// Suffix under which a hook that was already installed is kept.
const CHAINED: &str = ".pre-awsguard";

fn hook_name(hook: Hook) -> &'static str {
    match hook {
        Hook::PreCommit => "pre-commit",
        Hook::PrePush => "pre-push",
        Hook::CommitMsg => "commit-msg",
    }
}

/// Installs each requested hook.
///
/// # Errors
/// Outside a repository, or when a file cannot be written or a foreign hook cannot be
/// kept safely.
pub fn install(args: &InstallArgs) -> Result<Outcome> {
    let dir = if args.global {
        let (dir, meaning) = global_hooks_dir(true)?;
        println!("awsguard: {meaning}");
        dir
    } else {
        hooks_dir(&repo::open_repository()?)?
    };
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let binary = match &args.binary {
        Some(b) => absolute(b)?,
        None => std::env::current_exe().context("locating the awsguard binary")?,
    };
    for &hook in &args.hooks {
        let path = dir.join(hook_name(hook));
        let script = with_binary(SCRIPT, &binary);
        match fs::read(&path) {
            Ok(existing) if existing == script.as_bytes() => {
                println!("awsguard: {} is already installed and up to date", path.display());
                continue;
            }
            Ok(existing) if is_ours(&existing) => {
                println!("awsguard: updating {}", path.display());
            }
            Ok(_) => keep_existing(&path)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if fs::symlink_metadata(&path).is_ok() {
                    // A dangling symlink: keep it aside like any other foreign hook.
                    keep_existing(&path)?;
                }
                println!("awsguard: installing {}", path.display());
            }
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        }
        write_executable(&path, &script)?;
    }
    println!("awsguard: the hook runs {}", binary.display());
    Ok(Outcome::Clean)
}

/// Removes awsguard's hooks and restores any hook they had kept.
///
/// # Errors
/// Outside a repository, or when a file cannot be moved or removed.
pub fn uninstall(args: &InstallArgs) -> Result<Outcome> {
    let dir = if args.global { global_hooks_dir(false)?.0 } else { hooks_dir(&repo::open_repository()?)? };
    for &hook in &args.hooks {
        let path = dir.join(hook_name(hook));
        let kept = chained_path(&path);
        match fs::read(&path) {
            Ok(existing) if is_ours(&existing) => {
                fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
                if fs::symlink_metadata(&kept).is_ok() {
                    fs::rename(&kept, &path).with_context(|| format!("restoring {}", kept.display()))?;
                    println!("awsguard: removed its hook and restored your previous {}", path.display());
                } else {
                    println!("awsguard: removed {}", path.display());
                }
            }
            Ok(_) => println!("awsguard: {} is not awsguard's hook; left it alone", path.display()),
            Err(_) => println!("awsguard: no {} hook installed in {}", hook_name(hook), dir.display()),
        }
    }
    Ok(Outcome::Clean)
}

/// Where git looks for hooks: `core.hooksPath` (relative to the work tree root, as git
/// resolves it for hooks) or the common git directory's `hooks/` (shared by worktrees).
///
/// # Errors
/// When the configuration cannot be read.
pub fn hooks_dir(repo: &Repository) -> Result<PathBuf> {
    let config = repo.config().context("reading git configuration")?;
    match config.get_path("core.hooksPath") {
        Ok(path) if path.is_absolute() => Ok(path),
        Ok(path) => Ok(repo.workdir().unwrap_or_else(|| repo.path()).join(path)),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(repo.commondir().join("hooks")),
        Err(e) => Err(e).context("reading core.hooksPath"),
    }
}

/// Where a `--global` install goes, and what that means for the user's repositories: the
/// global `core.hooksPath` if set (every repository runs it), else the `init.templateDir`
/// hooks (copied into new clones and `git init`s), set up at `~/.git-template` if `create`.
///
/// # Errors
/// When the global configuration cannot be read or written.
fn global_hooks_dir(create: bool) -> Result<(PathBuf, String)> {
    let mut config = git2::Config::open_default().context("reading git's configuration")?;
    if let Ok(path) = config.get_path("core.hooksPath") {
        let meaning = format!(
            "installing into the global core.hooksPath {}: every repository without its own \
             core.hooksPath runs these hooks now (and not its .git/hooks)",
            path.display()
        );
        return Ok((path, meaning));
    }
    let template = match config.get_path("init.templateDir") {
        Ok(path) => path,
        Err(_) if create => {
            let home = std::env::var_os("HOME").filter(|h| !h.is_empty()).context("HOME is not set")?;
            let path = PathBuf::from(home).join(".git-template");
            let mut global = config.open_global().context("opening the global git configuration")?;
            global
                .set_str("init.templateDir", &path.display().to_string())
                .context("setting init.templateDir in the global git configuration")?;
            println!("awsguard: set init.templateDir to {} in your global git configuration", path.display());
            path
        }
        Err(_) => bail!("no global core.hooksPath or init.templateDir is set: nothing to uninstall"),
    };
    let meaning = format!(
        "installing into the hooks template {}: git copies these hooks into every repository \
         you clone or `git init` from now on; an existing repository gets them when you run \
         `git init` in it once (or `awsguard install` there)",
        template.join("hooks").display()
    );
    Ok((template.join("hooks"), meaning))
}

fn is_ours(script: &[u8]) -> bool {
    script.split(|&b| b == b'\n').any(|line| line == MARKER.as_bytes())
}

fn chained_path(hook: &Path) -> PathBuf {
    let mut name = hook.file_name().expect("hook paths have a name").to_os_string();
    name.push(CHAINED);
    hook.with_file_name(name)
}

/// Moves a foreign hook aside so awsguard's script can run it first.
fn keep_existing(path: &Path) -> Result<()> {
    let kept = chained_path(path);
    if fs::symlink_metadata(&kept).is_ok() {
        bail!(
            "{} is not awsguard's hook, and {} already exists: awsguard will not overwrite either. \
             Merge them by hand (or remove one), then run `awsguard install` again",
            path.display(),
            kept.display()
        );
    }
    fs::rename(path, &kept).with_context(|| format!("moving {} aside", path.display()))?;
    println!("awsguard: kept your existing hook as {}; it runs before awsguard", kept.display());
    Ok(())
}

/// The script with the binary's path recorded, single-quoted for sh.
fn with_binary(script: &str, binary: &Path) -> String {
    let quoted = format!("'{}'", binary.display().to_string().replace('\'', "'\\''"));
    script
        .lines()
        .map(
            |line| {
                if line.ends_with(RECORDED) { format!("AWSGUARD_BIN={quoted} {RECORDED}") } else { line.to_string() }
            },
        )
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn absolute(path: &Path) -> Result<PathBuf> {
    if path.is_absolute() {
        Ok(path.to_path_buf())
    } else {
        Ok(std::env::current_dir().context("reading the current directory")?.join(path))
    }
}

fn write_executable(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o755))
            .with_context(|| format!("making {} executable", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_script_is_marked_and_records_a_binary() {
        assert!(is_ours(SCRIPT.as_bytes()));
        let script = with_binary(SCRIPT, Path::new("/opt/it's/awsguard"));
        assert!(script.contains("AWSGUARD_BIN='/opt/it'\\''s/awsguard' # awsguard:recorded-binary"), "{script}");
        assert_eq!(script.matches("AWSGUARD_BIN='/opt").count(), 1);
    }
}
