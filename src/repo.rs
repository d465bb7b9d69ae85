//! Opening the repository the way git does, and the commits a pass needs from it: HEAD
//! (absent on an unborn branch), a merge's other parents, and revisions and refs for the
//! commit ranges.
//!
//! libgit2 reads refs only from files. A repository whose refs git keeps elsewhere
//! (`extensions.refstorage = reftable`) is still opened, its objects and index read by
//! libgit2 as usual, and every ref looked up through git itself ([`plumbing`]). A
//! repository libgit2 cannot open at all (SHA-256 objects) is [`Unreadable`]: the
//! pre-commit check then reads it through git ([`plumbing::staged`]), and so do the commit
//! range commands ([`plumbing::ranges`]).

use std::env;
use std::fmt;
use std::path::PathBuf;
use std::sync::Once;

use anyhow::{Context, Result, bail};
use git2::{ErrorCode, Oid, Repository};

use crate::{objects, plumbing};

/// libgit2 could not open a repository (git may still read it: SHA-256 objects, or any
/// format newer than libgit2). Kept as its own error so the pre-commit check and the commit
/// range commands can fall back to git, and other commands can say why they stop.
#[derive(Debug)]
pub struct Unreadable(pub git2::Error);

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "libgit2 cannot open this repository ({}); a SHA-256 repository, or one in a format newer than \
             libgit2, is read through git itself only by the pre-commit check, `history`, `pre-push` and \
             `pre-receive`/`update`, not by this command",
            self.0.message()
        )
    }
}

impl std::error::Error for Unreadable {}

/// Declares `extensions.refstorage` known to libgit2, once per process (a global setting):
/// without it libgit2 refuses a reftable repository whose objects and index it reads well.
/// Refs of such a repository are then read through git ([`refs_by_git`]).
fn allow_ref_storage() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: the setting is read when a repository is opened; the `Once` makes it
        // happen before the first open, and the later opens (threads' handles) follow it.
        // Should it fail, a reftable repository is refused at open: closed, not open.
        let _ = unsafe { git2::opts::set_extensions(&["refstorage"]) };
    });
}

/// Whether git keeps this repository's refs somewhere libgit2 cannot read them (reftable):
/// then HEAD, revisions and ref lists come from git itself.
pub fn refs_by_git(repo: &Repository) -> bool {
    let storage = repo.config().and_then(|c| c.get_string("extensions.refstorage"));
    storage.is_ok_and(|s| !s.eq_ignore_ascii_case("files"))
}

/// Opens the repository the way git does: `GIT_DIR` if set, otherwise the one containing
/// the current directory.
///
/// # Errors
/// Outside a repository, in a bare repository, or [`Unreadable`] when libgit2 cannot read
/// it (for example a SHA-256 repository).
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
/// Outside a repository, or [`Unreadable`] when libgit2 cannot read it.
pub fn open_repository_any() -> Result<Repository> {
    allow_ref_storage();
    let repo = match Repository::open_from_env() {
        Ok(repo) => repo,
        Err(e) if e.code() == ErrorCode::NotFound => {
            let cwd = env::current_dir().map(|d| d.display().to_string()).unwrap_or_default();
            bail!(
                "not inside a git repository ({cwd}): awsguard scans what `git commit` is about to \
                 record; run it inside a work tree, or use `awsguard scan PATH` for plain files"
            )
        }
        Err(e) => return Err(Unreadable(e).into()),
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
    allow_ref_storage();
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
    if refs_by_git(repo) {
        return plumbing::head(repo.path());
    }
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

/// The commit `spec` names (a ref, an object ID, any revision git understands).
///
/// # Errors
/// When it does not resolve to a commit.
pub fn resolve_commit(repo: &Repository, spec: &str) -> Result<Oid> {
    if refs_by_git(repo) {
        return plumbing::resolve(repo.path(), spec)?.with_context(|| format!("resolving {spec:?}: no such commit"));
    }
    let object = repo.revparse_single(spec).with_context(|| format!("resolving {spec:?}"))?;
    Ok(object.peel_to_commit().with_context(|| format!("resolving {spec:?} to a commit"))?.id())
}

/// The commits the refs matching `glob` point at (every ref when `None`); refs to trees
/// or blobs have no history and are left out.
///
/// # Errors
/// When the refs cannot be listed.
pub fn ref_commits(repo: &Repository, glob: Option<&str>) -> Result<Vec<Oid>> {
    Ok(ref_targets(repo, glob)?.into_iter().filter_map(|id| peel_to_commit(repo, id)).collect())
}

/// The objects the refs matching `glob` (all when `None`) point to, symbolic refs resolved.
///
/// # Errors
/// When the refs cannot be listed.
pub fn ref_targets(repo: &Repository, glob: Option<&str>) -> Result<Vec<Oid>> {
    if refs_by_git(repo) {
        return plumbing::ref_targets(repo.path(), glob);
    }
    let refs = match glob {
        Some(glob) => repo.references_glob(glob),
        None => repo.references(),
    };
    let mut targets = Vec::new();
    for reference in refs.context("listing this repository's refs")? {
        if let Some(id) = reference?.resolve().ok().and_then(|r| r.target()) {
            targets.push(id);
        }
    }
    Ok(targets)
}

/// The commit `id` is or (a tag) points to, if any.
pub fn peel_to_commit(repo: &Repository, id: Oid) -> Option<Oid> {
    Some(repo.find_object(id, None).ok()?.peel_to_commit().ok()?.id())
}
