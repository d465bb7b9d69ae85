//! Opening the repository the way git does, and the commits a pass needs from it: HEAD
//! (absent on an unborn branch) and a merge's other parents.

use std::env;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use git2::{ErrorCode, Oid, Repository};

use crate::objects;

/// Opens the repository the way git does: `GIT_DIR` if set, otherwise the one containing
/// the current directory.
///
/// # Errors
/// Outside a repository, in a bare repository, or when libgit2 cannot read it (for
/// example a SHA-256 repository).
pub fn open_repository() -> Result<Repository> {
    let repo = open_repository_any()?;
    if repo.is_bare() {
        bail!(
            "{} is a bare repository: it has no index to scan; use `awsguard pre-push` or \
             `awsguard history` to scan its commits",
            repo.path().display()
        );
    }
    Ok(repo)
}

/// Opens the repository like [`open_repository`], bare repositories included (history
/// and pre-push scans need no work tree).
///
/// # Errors
/// Outside a repository, or when libgit2 cannot read it.
pub fn open_repository_any() -> Result<Repository> {
    let repo = match Repository::open_from_env() {
        Ok(repo) => repo,
        Err(e) if e.code() == ErrorCode::NotFound => {
            let cwd = env::current_dir().map(|d| d.display().to_string()).unwrap_or_default();
            bail!(
                "not inside a git repository ({cwd}): awsguard scans what `git commit` is about to \
                 record; run it inside a work tree, or use `awsguard scan PATH` for plain files"
            )
        }
        Err(e) => {
            return Err(e).context(
                "opening the git repository (a SHA-256 or otherwise unsupported repository \
                 cannot be read by libgit2; scan it with `awsguard scan` instead)",
            );
        }
    };
    // libgit2 ignores GIT_WORK_TREE when core.bare is true; git does not: a dotfiles
    // repository (`git --git-dir=~/.dotfiles --work-tree=~`) is bare with a work tree.
    if repo.is_bare()
        && let Some(tree) = env::var_os("GIT_WORK_TREE").filter(|t| !t.is_empty())
    {
        let tree = env::current_dir().context("reading the current directory")?.join(tree);
        repo.set_workdir(&tree, false).with_context(|| format!("using GIT_WORK_TREE {}", tree.display()))?;
    }
    add_object_directories(&repo)?;
    Ok(repo)
}

/// Another handle on the repository whose git directory is `git_dir`, with the same object
/// directories (push quarantine included), for a thread of its own: a libgit2 repository
/// is not shared between threads.
///
/// # Errors
/// When the repository can no longer be opened.
pub fn reopen(git_dir: &std::path::Path) -> Result<Repository> {
    let again = Repository::open_from_env().ok().filter(|r| r.path() == git_dir);
    let again = match again {
        Some(again) => again,
        None => Repository::open(git_dir).context("opening the git repository again")?,
    };
    add_object_directories(&again)?;
    Ok(again)
}

/// libgit2 reads `GIT_OBJECT_DIRECTORY` and `GIT_ALTERNATE_OBJECT_DIRECTORIES` itself, but
/// splits the latter on every `:` (git quotes such paths) and knows nothing of
/// `GIT_QUARANTINE_PATH`: add what it would miss, so objects a push sends are found.
fn add_object_directories(repo: &Repository) -> Result<()> {
    let quoted = objects::alternate_directories().into_iter().filter(|d| d.to_string_lossy().contains([':', '"']));
    let extra: Vec<PathBuf> = objects::quarantine_directory().into_iter().chain(quoted).collect();
    if extra.is_empty() {
        return Ok(());
    }
    let odb = repo.odb().context("opening the object database")?;
    for dir in extra {
        odb.add_disk_alternate(&dir.to_string_lossy())
            .with_context(|| format!("adding the object directory {} (push quarantine or alternate)", dir.display()))?;
    }
    Ok(())
}

/// HEAD's commit, or `None` on an unborn branch (the first commit).
///
/// # Errors
/// When HEAD exists but cannot be resolved to a commit.
pub fn head_commit(repo: &Repository) -> Result<Option<Oid>> {
    match repo.head() {
        Ok(head) => Ok(Some(head.peel_to_commit().context("resolving HEAD to a commit")?.id())),
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => Ok(None),
        Err(e) => Err(e).context("reading HEAD"),
    }
}

/// The other parents of a merge in progress (`MERGE_HEAD`), empty otherwise.
///
/// # Errors
/// When `MERGE_HEAD` exists but cannot be read.
pub fn merge_heads(repo: &mut Repository) -> Result<Vec<Oid>> {
    let mut heads = Vec::new();
    match repo.mergehead_foreach(|id| {
        heads.push(*id);
        true
    }) {
        Ok(()) => Ok(heads),
        Err(e) if e.code() == ErrorCode::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).context("reading MERGE_HEAD"),
    }
}
