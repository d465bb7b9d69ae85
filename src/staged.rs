//! What `git commit` is about to record: the index git is using, against HEAD.
//!
//! Traps handled here: git runs the hook with `GIT_INDEX_FILE` naming a temporary index
//! for `commit -a`, `commit <paths>` and `--only` (relative to the work tree root, where
//! hooks run); linked worktrees come with `GIT_DIR`; an unborn branch has no HEAD tree; a
//! split or sparse index, which libgit2 cannot read, is listed by git itself.

use std::env;
use std::path::{Path, PathBuf};

use std::process::{Command, Stdio};

use anyhow::{Context, Result, anyhow, bail};
use git2::{ErrorCode, Index, IndexEntry, IndexTime, Oid, Repository};

use crate::changes::Changes;

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
    Ok(repo)
}

/// The index the commit will be made from: `GIT_INDEX_FILE` when git set it, otherwise the
/// repository's own index file.
///
/// The file is always opened by path: libgit2's `open_from_env` takes an empty
/// `GIT_INDEX_FILE` as an empty index, which would pass every commit unscanned.
///
/// # Errors
/// When `GIT_INDEX_FILE` names a missing file, or the index is corrupt or unreadable.
pub fn open_index(repo: &Repository) -> Result<Index> {
    let (path, required) = match env::var_os("GIT_INDEX_FILE").filter(|v| !v.is_empty()) {
        Some(path) => (absolute(Path::new(&path))?, true),
        None => (repo.path().join("index"), false),
    };
    if !path.is_file() {
        if required {
            bail!("GIT_INDEX_FILE names {}, which does not exist", path.display());
        }
        // No index file yet (a fresh repository): nothing is staged.
        return Index::new().context("creating an empty index");
    }
    match Index::open(&path) {
        Ok(index) => Ok(index),
        // libgit2 cannot read every index git writes (a split index, a sparse index): then
        // git itself lists the entries.
        Err(e) if e.message().contains("unsupported mandatory extension") => {
            index_from_git(repo, &path).with_context(|| {
                format!("libgit2 cannot read the index {} ({}), and git could not list it", path.display(), e.message())
            })
        }
        Err(e) => Err(anyhow!(
            "cannot read the index {}: {}. The index is corrupt or truncated: `rm {} && git reset` \
             rebuilds it from HEAD without touching your files; then stage your changes again",
            path.display(),
            e.message(),
            path.display()
        )),
    }
}

/// Builds the index in memory from `git ls-files --stage`, which reads every index format
/// git can write and expands a sparse index's directories into their files.
fn index_from_git(repo: &Repository, path: &Path) -> Result<Index> {
    let workdir = repo.workdir().context("the repository has no work tree")?;
    let output = Command::new("git")
        .arg("-C")
        .arg(workdir)
        .args(["ls-files", "--stage", "-z"])
        .env("GIT_DIR", repo.path())
        .env("GIT_WORK_TREE", workdir)
        .env("GIT_INDEX_FILE", path)
        .stdin(Stdio::null())
        .output()
        .context("running `git ls-files`")?;
    if !output.status.success() {
        bail!("{}", String::from_utf8_lossy(&output.stderr).trim());
    }
    let mut index = Index::new().context("creating an in-memory index")?;
    for record in output.stdout.split(|&b| b == 0).filter(|r| !r.is_empty()) {
        // "<mode> <object> <stage>\t<path>"
        let tab = record.iter().position(|&b| b == b'\t').context("malformed `git ls-files` output")?;
        let meta = std::str::from_utf8(&record[..tab]).context("malformed `git ls-files` output")?;
        let mut fields = meta.split(' ');
        let (Some(mode), Some(id), Some(stage)) = (fields.next(), fields.next(), fields.next()) else {
            bail!("malformed `git ls-files` output: {meta:?}");
        };
        let path = record[tab + 1..].to_vec();
        let stage: u16 = stage.parse().context("malformed stage in `git ls-files` output")?;
        index
            .add(&IndexEntry {
                ctime: IndexTime::new(0, 0),
                mtime: IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode: u32::from_str_radix(mode, 8).context("malformed mode in `git ls-files` output")?,
                uid: 0,
                gid: 0,
                file_size: 0,
                id: Oid::from_str(id).context("malformed object ID in `git ls-files` output")?,
                flags: (stage << 12) | (path.len().min(0xfff) as u16),
                flags_extended: 0,
                path,
            })
            .context("building the index in memory")?;
    }
    Ok(index)
}

fn absolute(path: &Path) -> Result<PathBuf> {
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    Ok(env::current_dir().context("reading the current directory")?.join(path))
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

/// The files the index adds or modifies relative to HEAD (everything, on an unborn branch).
///
/// The index is turned into a tree with libgit2's `write_tree`, which reuses the index's
/// cache-tree for every directory git has not invalidated; the new tree objects go to an
/// in-memory object store, never to disk. Then only differing subtrees are compared.
///
/// # Errors
/// Unresolved conflicts, or objects missing from the object database.
pub fn staged_changes(repo: &Repository, index: &mut Index) -> Result<Changes> {
    if index.has_conflicts() {
        bail!("the index has unresolved merge conflicts: resolve them and `git add` the files, then commit");
    }
    let Some(head) = head_commit(repo)? else {
        return Ok(Changes::all_of_index(index));
    };
    let head_tree = repo.find_commit(head)?.tree().context("reading HEAD's tree")?;
    let odb = repo.odb().context("opening the object database")?;
    let _mempack = odb.add_new_mempack_backend(1000).context("creating an in-memory object store")?;
    let staged = index.write_tree_to(repo).context(
        "building a tree from the index (an index entry may name an object missing from the \
         object database; `git fsck` tells which)",
    )?;
    if staged == head_tree.id() {
        return Ok(Changes::default());
    }
    let staged_tree = repo.find_tree(staged).context("reading the staged tree")?;
    Changes::between(repo, &head_tree, &staged_tree)
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
