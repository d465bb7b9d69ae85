//! `awsguard scan [PATH...]`: scan files as they are on disk, for CI jobs, containers and
//! editors. Inside a repository, what git ignores is skipped when a directory is walked,
//! and `.awsguard.toml` applies as staged.

use std::cell::RefCell;
use std::collections::HashSet;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result};
use git2::Repository;

use super::{Outcome, conclude};
use crate::archive::Budget;
use crate::cli::Args;
use crate::config::{Config, RepoFile};
use crate::findings::{Checked, Place};
use crate::pass::{check_bytes, check_whole};
use crate::report::Scope;
use crate::rules::RULES;
use crate::scan::Scanner;
use crate::staged;

/// Scans each path (a file, a directory walked recursively, or `-` for stdin).
///
/// # Errors
/// A path that cannot be read, or a malformed allowlist.
pub fn run(args: &Args, paths: &[OsString]) -> Result<Outcome> {
    let repo = Repository::open_from_env().ok().filter(|r| !r.is_bare());
    let index = repo.as_ref().map(staged::open_index).transpose()?;
    let repo_file = match (&repo, &index) {
        (Some(repo), Some(index)) => RepoFile::Staged(repo, index),
        _ => RepoFile::None,
    };
    let config = Config::load(repo_file, args)?;
    let scanner = Scanner::new(&RULES);
    let mut checked = Checked::default();
    let default = [OsString::from(".")];
    let paths = if paths.is_empty() { &default[..] } else { paths };
    let mut files = Vec::new();
    for path in paths {
        if path == "-" {
            let mut content = Vec::new();
            std::io::stdin().lock().read_to_end(&mut content).context("reading stdin")?;
            check_bytes(&scanner, &config, &Place { path: b"<stdin>", view: &content, commit: None }, &mut checked)?;
            continue;
        }
        collect(Path::new(path), &mut files)?;
    }
    let budget = RefCell::new(Budget::new(config.archives.limits));
    let count = files.len() + paths.iter().filter(|p| *p == "-").count();
    for file in files {
        let content = std::fs::read(&file).with_context(|| format!("reading {}", shown(&file)))?;
        let shown = file.strip_prefix("./").unwrap_or(&file);
        let place = Place { path: shown.as_os_str().as_encoded_bytes(), view: &content, commit: None };
        check_whole(&scanner, &config, &budget, &place, &mut checked)?;
    }
    let outcome = conclude(args, &config, &checked, Scope::Files)?;
    if outcome == Outcome::Clean && !args.quiet {
        eprintln!("awsguard: scan: no AWS credentials in {count} file{}", if count == 1 { "" } else { "s" });
    }
    Ok(outcome)
}

/// Adds `path` (or every file below it) to `out`. A directory is walked as git sees it:
/// inside a repository, what git ignores there (`.gitignore` files at every level, those
/// above the walked directory included, `.git/info/exclude` and the global excludes file)
/// is skipped, and `.git` itself; hidden files such as `.env` are scanned, and so are
/// tracked files that an ignore pattern matches (git records them). Below a nested
/// repository, its own rules apply. Outside any repository nothing is ignored. A directory
/// named on the command line is walked even if git ignores it, and then whole: what is
/// named is scanned. Symbolic links found in a walk are not followed (git stores the link,
/// not what it points to), but a path named on the command line is: `scan link.ini` scans
/// the file it names. Each directory's entries are visited in order of their names.
fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", shown(path)))?;
    if !meta.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let ignored = Ignored::below(path);
    walk(path, &mut Vec::new(), ignored.as_ref(), out)
}

/// What git ignores below a directory: paths relative to it, `/`-separated, each directory
/// with a trailing `/`, as `git ls-files --others --ignored --exclude-standard --directory`
/// lists them. Git itself decides: libgit2 does not apply a `!pattern` of one `.gitignore`
/// to a pattern of another (`does_negate_rule` in its `ignore.c`), and would skip a file
/// that git commits.
struct Ignored(HashSet<Vec<u8>>);

impl Ignored {
    /// What git ignores below `dir`; `None` when nothing is to be ignored there: outside a
    /// repository, when git ignores `dir` itself, or when git cannot be run (then said on
    /// standard error: every file is scanned).
    fn below(dir: &Path) -> Option<Ignored> {
        let output = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"])
            // The repository is the one holding `dir`, whatever the caller's environment
            // names.
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_COMMON_DIR")
            .stdin(Stdio::null())
            .output();
        let output = match output {
            Ok(output) => output,
            Err(e) => {
                eprintln!("awsguard: scan: cannot run git ({e}): what git ignores below {} is scanned too", shown(dir));
                return None;
            }
        };
        if !output.status.success() {
            let message = String::from_utf8_lossy(&output.stderr);
            if !message.contains("not a git repository") {
                eprintln!(
                    "awsguard: scan: `git ls-files` failed below {}, so what git ignores there is \
                     scanned too: {}",
                    shown(dir),
                    crate::report::escape(message.trim().as_bytes())
                );
            }
            return None;
        }
        let paths: HashSet<Vec<u8>> =
            output.stdout.split(|&b| b == 0).filter(|p| !p.is_empty()).map(<[u8]>::to_vec).collect();
        // `./`: git ignores the directory itself.
        (!paths.contains(&b"./"[..])).then_some(Ignored(paths))
    }

    fn contains(&self, relative: &[u8], kind: Kind) -> bool {
        match kind {
            Kind::File => self.0.contains(relative),
            Kind::Directory => {
                let mut dir = Vec::with_capacity(relative.len() + 1);
                dir.extend_from_slice(relative);
                dir.push(b'/');
                self.0.contains(&dir)
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Directory,
}

/// Adds the regular files below `dir` that git does not ignore to `out`, depth first, each
/// directory's entries in order of their names. `relative` is `dir`'s path below the
/// directory `ignored` was listed for, `/`-separated, with a trailing `/` unless empty.
fn walk(dir: &Path, relative: &mut Vec<u8>, ignored: Option<&Ignored>, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries = std::fs::read_dir(dir)
        .and_then(|entries| entries.collect::<std::io::Result<Vec<_>>>())
        .with_context(|| format!("reading directory {}", shown(dir)))?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name();
        if name == ".git" {
            continue;
        }
        let path = entry.path();
        // The entry's own type: symbolic links are not followed.
        let kind = match entry.file_type().with_context(|| format!("reading {}", shown(&path)))? {
            t if t.is_dir() => Kind::Directory,
            t if t.is_file() => Kind::File,
            _ => continue,
        };
        let len = relative.len();
        relative.extend_from_slice(name.as_encoded_bytes());
        if !ignored.is_some_and(|ignored| ignored.contains(relative, kind)) {
            match kind {
                Kind::File => out.push(path),
                // A nested repository (a submodule's work tree too) has rules of its own,
                // which git applies below it instead of those around it.
                Kind::Directory if path.join(".git").symlink_metadata().is_ok() => {
                    walk(&path, &mut Vec::new(), Ignored::below(&path).as_ref(), out)?;
                }
                Kind::Directory => {
                    relative.push(b'/');
                    walk(&path, relative, ignored, out)?;
                }
            }
        }
        relative.truncate(len);
    }
    Ok(())
}

/// A path for a message, escaped: a file name may hold newlines or terminal escapes.
fn shown(path: &Path) -> String {
    crate::report::escape(path.as_os_str().as_encoded_bytes())
}
