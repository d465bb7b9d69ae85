//! `awsguard install` / `uninstall`: put the hook where git, or the hook manager in charge,
//! will run it, and check the history already committed.
//!
//! Respects what is there: with husky the hook is a few lines at the top of the user's own
//! `.husky/<hook>` (husky rewrites `.husky/_/` on every `npm install`); with lefthook an entry
//! in its configuration; otherwise `core.hooksPath` or `.git/hooks` holds awsguard's script,
//! and a different hook already there is kept as `<hook>.pre-awsguard` and run first.
//! Every write is atomic, and installing twice changes nothing.

mod files;
mod managers;

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use git2::Repository;

use super::{Outcome, conclude};
use crate::cli::{Args, Hook, InstallArgs};
use crate::commits;
use crate::config::{Config, RepoFile};
use crate::plumbing::ranges::Mirror;
use crate::report::Scope;
use crate::staged::absolute;
use crate::{plumbing, repo};
use files::{chained_path, is_ours, is_symlink, write_atomic};

/// The hook script shipped in `hooks/`: one script for every hook, doing what its file
/// name says.
const SCRIPT: &str = include_str!("../../hooks/pre-commit");

/// The line of the script that records the binary's path.
const RECORDED: &str = "# awsguard:recorded-binary";

fn hook_name(hook: Hook) -> &'static str {
    match hook {
        Hook::PreCommit => "pre-commit",
        Hook::PrePush => "pre-push",
        Hook::CommitMsg => "commit-msg",
    }
}

/// Installs each requested hook, then scans the history already committed.
///
/// # Errors
/// Outside a repository, or when a file cannot be written or a foreign hook cannot be
/// kept safely.
pub fn install(args: &Args, install: &InstallArgs) -> Result<Outcome> {
    let binary = match &install.binary {
        Some(b) => absolute(b)?,
        None => std::env::current_exe().context("locating the awsguard binary")?,
    };
    if install.global {
        let (dir, meaning) = global_hooks_dir(true)?;
        println!("awsguard: {meaning}");
        install_scripts(&dir, &install.hooks, &binary)?;
        return Ok(Outcome::Clean);
    }
    let (repo, dir, top) = locate()?;
    match top.as_deref().map(|top| managers::detect(top, &dir)) {
        Some(managers::Manager::Husky(husky)) => {
            managers::install_husky(&husky, &install.hooks, &dir)?;
            // An older awsguard wrote into husky's own directory, keeping husky's script
            // aside: put husky's scripts back.
            let ours = |h: &Hook| fs::read(dir.join(hook_name(*h))).is_ok_and(|s| is_ours(&s));
            let all = [Hook::PreCommit, Hook::PrePush, Hook::CommitMsg];
            if all.iter().any(ours) {
                uninstall_scripts(&dir, &all)?;
            }
        }
        Some(managers::Manager::Lefthook(config)) => managers::install_lefthook(&config, &install.hooks)?,
        _ => install_scripts(&dir, &install.hooks, &binary)?,
    }
    if let Some(top) = &top {
        managers::advise_pre_commit_framework(top);
    }
    println!("awsguard: the hooks run {}", binary.display());
    existing_history(args, repo)
}

/// The repository (or why libgit2 cannot open it), its hooks directory and its work tree
/// root. A repository only git can read (SHA-256) gets hooks all the same: the hooks read
/// it through git.
fn locate() -> Result<(Result<Repository, repo::Unreadable>, PathBuf, Option<PathBuf>)> {
    match repo::open_repository_any() {
        Ok(repo) => {
            let dir = hooks_dir(&repo)?;
            let top = repo.workdir().map(Path::to_path_buf);
            Ok((Ok(repo), dir, top))
        }
        Err(e) => {
            let unreadable = e.downcast::<repo::Unreadable>()?;
            let location = plumbing::locate()
                .map_err(|e| anyhow::anyhow!("{unreadable}, and git cannot read it either: {e:#}"))?;
            let dir = match plumbing::hooks_path(&location)? {
                Some(path) if path.is_absolute() => path,
                Some(path) => location.root.as_deref().unwrap_or(&location.git_dir).join(path),
                None => location.common_dir.join("hooks"),
            };
            Ok((Err(unreadable), dir, location.root))
        }
    }
}

/// Writes awsguard's script for each hook into `dir`.
fn install_scripts(dir: &Path, hooks: &[Hook], binary: &Path) -> Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let script = with_binary(SCRIPT, binary);
    for &hook in hooks {
        let path = dir.join(hook_name(hook));
        let link = is_symlink(&path);
        let foreign = match fs::read(&path) {
            Ok(existing) if existing == script.as_bytes() => {
                println!("awsguard: {} is already installed and up to date", path.display());
                continue;
            }
            Ok(existing) if is_ours(&existing) && link => {
                // Rewriting it would change the file the link points to (often a tracked one).
                println!(
                    "awsguard: {} is a symbolic link to a copy of awsguard's hook; left it as it is",
                    path.display()
                );
                continue;
            }
            Ok(existing) if is_ours(&existing) => {
                println!("awsguard: updating {}", path.display());
                false
            }
            Ok(_) => true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                println!("awsguard: installing {}", path.display());
                // A dangling symlink is kept aside like any other foreign hook.
                link
            }
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        write_atomic(&path, script.as_bytes(), 0o755, foreign)?;
        if foreign {
            println!("awsguard: kept your existing hook as {}; it runs before awsguard", chained_path(&path).display());
        }
    }
    Ok(())
}

/// Removes everything `install` added (every hook unless `--hook` names some) and restores
/// any hook it had kept.
///
/// # Errors
/// Outside a repository, or when a file cannot be moved or removed.
pub fn uninstall(install: &InstallArgs) -> Result<Outcome> {
    if install.global {
        let (dir, _) = global_hooks_dir(false)?;
        uninstall_scripts(&dir, &install.hooks)?;
        remove_own_template(&dir)?;
        return Ok(Outcome::Clean);
    }
    let (_, dir, top) = locate()?;
    if let Some(top) = &top {
        managers::uninstall(top, &dir, &install.hooks)?;
    }
    uninstall_scripts(&dir, &install.hooks)?;
    Ok(Outcome::Clean)
}

fn uninstall_scripts(dir: &Path, hooks: &[Hook]) -> Result<()> {
    let mut removed = 0;
    for &hook in hooks {
        let path = dir.join(hook_name(hook));
        let kept = chained_path(&path);
        match fs::read(&path) {
            Ok(existing) if is_ours(&existing) => {
                fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
                removed += 1;
                if fs::symlink_metadata(&kept).is_ok() {
                    fs::rename(&kept, &path).with_context(|| format!("restoring {}", kept.display()))?;
                    println!("awsguard: removed its hook and restored your previous {}", path.display());
                } else {
                    println!("awsguard: removed {}", path.display());
                }
            }
            Ok(_) => println!("awsguard: {} is not awsguard's hook; left it alone", path.display()),
            Err(_) => {}
        }
    }
    if removed == 0 {
        println!("awsguard: no awsguard hook was installed in {}", dir.display());
    }
    Ok(())
}

/// Scans the history already committed: the hook only stops new credentials, and a key
/// committed before it was installed is still pushed with that history. A repository
/// libgit2 cannot open (SHA-256) is read through git, as `awsguard history` reads it.
fn existing_history(args: &Args, repo: Result<Repository, repo::Unreadable>) -> Result<Outcome> {
    let announce = || println!("awsguard: scanning the history already committed (once, as `awsguard history` does)");
    let (config, checked) = match repo {
        Ok(repo) => {
            if repo::head_commit(&repo)?.is_none() {
                return Ok(Outcome::Clean);
            }
            announce();
            let range = commits::history(&repo, "HEAD")?;
            let config = Config::load(RepoFile::Committed(&repo, range.tip), args)?;
            let checked = commits::scan(&repo, range, &config)?;
            (config, checked)
        }
        Err(unreadable) => {
            let mirror = Mirror::open(&unreadable)?;
            if mirror.head()?.is_none() {
                return Ok(Outcome::Clean);
            }
            announce();
            mirror.scan(&mirror.history("HEAD")?, args)?
        }
    };
    if checked.findings.is_empty() {
        println!("awsguard: the history of HEAD holds no AWS credential");
        return Ok(Outcome::Clean);
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "\nawsguard: WARNING: AWS credentials are ALREADY COMMITTED in this repository's history.\n\
         \x20 The hooks are installed and stop new ones, but these commits (listed below: commit, path, line)\n\
         \x20 still hold them. ROTATE THESE KEYS NOW in IAM, whether or not you have pushed: assume they leaked.\n\
         \x20 Then rewrite the history before pushing it (the pre-push hook blocks it until then), e.g. with\n\
         \x20 git filter-repo (https://github.com/newren/git-filter-repo):\n\
         \x20   git filter-repo --sensitive-data-removal --replace-text <file listing each secret>\n\
         \x20 and, where it was already pushed, force-push and ask collaborators to re-clone.\n"
    );
    drop(err);
    conclude(args, &config, &checked, Scope::History)
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

/// The template directory awsguard sets up for `install --global` when none is set.
fn default_template() -> Result<PathBuf> {
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty()).context("HOME is not set")?;
    Ok(PathBuf::from(home).join(".git-template"))
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
            let path = default_template()?;
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

/// After `uninstall --global`: the template `install --global` created (`~/.git-template`,
/// left empty) is removed, and `init.templateDir` unset. Any other template is the user's.
fn remove_own_template(hooks: &Path) -> Result<()> {
    let template = default_template()?;
    if hooks != template.join("hooks") {
        return Ok(());
    }
    let empty = |dir: &Path| fs::read_dir(dir).map(|mut d| d.next().is_none()).unwrap_or(false);
    if empty(hooks) {
        fs::remove_dir(hooks).with_context(|| format!("removing {}", hooks.display()))?;
    }
    if !empty(&template) {
        println!("awsguard: kept {}: it holds files of yours", template.display());
        return Ok(());
    }
    fs::remove_dir(&template).with_context(|| format!("removing {}", template.display()))?;
    let mut config = git2::Config::open_default().context("reading git's configuration")?;
    let mut global = config.open_global().context("opening the global git configuration")?;
    global.remove("init.templateDir").context("unsetting init.templateDir in the global git configuration")?;
    println!("awsguard: removed the hooks template {} and unset init.templateDir", template.display());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_script_is_marked_and_records_a_binary() {
        assert!(is_ours(SCRIPT.as_bytes()));
        let script = with_binary(SCRIPT, Path::new("/opt/it's/awsguard"));
        assert!(script.contains("AWSGUARD_BIN='/opt/it'\\''s/awsguard' # awsguard:recorded-binary"), "{script}");
        assert_eq!(script.matches("AWSGUARD_BIN='/opt").count(), 1);
        assert!(script.contains(files::CHAINED));
    }
}
