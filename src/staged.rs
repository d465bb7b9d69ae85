//! What `git commit` is about to record: the index git is using, against HEAD.
//!
//! Traps handled here: git runs the hook with `GIT_INDEX_FILE` naming a temporary index
//! for `commit -a`, `commit <paths>` and `--only` (relative to the work tree root, where
//! hooks run); an unborn branch has no HEAD tree; a split or sparse index, which
//! [`IndexFile`] leaves to git, is listed by git itself.

use std::env;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use std::process::{Command, Stdio};

use anyhow::{Context, Result, anyhow, bail};
use git2::{Oid, Repository};

use crate::changes::{Changes, Trees};
use crate::index_file::{Bytes, CacheTreeMismatch, Checksum, ChecksumMismatch, IndexFile, Unsupported};
use crate::objects::Objects;
use crate::plumbing::Scratch;

/// What a commit records, ready for the pass.
pub struct Staged {
    pub repo: Repository,
    /// The index, or for a repository read through git only the entries the check asks
    /// for (`.awsguard.toml`, the files named on the command line).
    pub index: IndexFile,
    pub changes: Changes,
    /// The other parents of a merge in progress (`MERGE_HEAD`).
    pub merge_heads: Vec<Oid>,
    /// To verify before anything read from the index is acted on.
    pub checksum: IndexChecksum,
    /// The reader of the repository's objects, made once: the walk against HEAD and the
    /// pass share its listing of the object directories, its packs and its caches.
    pub objects: Objects,
    /// When git read the repository: the temporary repository `repo` is, removed when
    /// this is dropped (after `repo`, declared before it).
    pub scratch: Option<Scratch>,
}

impl Staged {
    /// Reads the index and its changes against HEAD in a repository libgit2 opened.
    ///
    /// # Errors
    /// As [`open_index`] and [`staged_changes`], or when `MERGE_HEAD` cannot be read.
    pub fn read(mut repo: Repository) -> Result<Staged> {
        let merge_heads = crate::repo::merge_heads(&mut repo)?;
        let (index, checksum) = read_index(&repo)?;
        let objects = Objects::new(&repo);
        let changes = match staged_changes(&repo, &objects, &index) {
            Ok(changes) => changes,
            Err(e) => {
                // A damaged index explains the failure best, when it is damaged.
                checksum.verify()?;
                return Err(e);
            }
        };
        Ok(Staged { repo, index, changes, merge_heads, checksum, objects, scratch: None })
    }
}

/// The index the commit will be made from: `GIT_INDEX_FILE` when git set it, otherwise the
/// repository's own index file. Its checksum is verified before it returns.
///
/// # Errors
/// As [`read_index`], and when the index's checksum does not match.
pub fn open_index(repo: &Repository) -> Result<IndexFile> {
    let (index, checksum) = read_index(repo)?;
    checksum.verify()?;
    Ok(index)
}

/// The index file's checksum, still being verified: nothing read from the index may be
/// acted on before [`IndexChecksum::verify`].
#[must_use = "a damaged index is only detected by verifying its checksum"]
pub struct IndexChecksum {
    checksum: Checksum,
    path: PathBuf,
}

impl IndexChecksum {
    /// Nothing to verify: git listed the entries.
    pub fn none() -> IndexChecksum {
        IndexChecksum { checksum: Checksum::none(), path: PathBuf::new() }
    }

    /// Waits for the checksum.
    ///
    /// # Errors
    /// When it does not match: the index is damaged, and the message says how to rebuild it.
    pub fn verify(self) -> Result<()> {
        self.checksum.verify().map_err(|e| corrupt(&self.path, &e))
    }
}

/// [`open_index`] with the checksum left to verify, on a second thread, while the caller
/// goes on with the entries.
///
/// The file is always opened by path: libgit2's `open_from_env` takes an empty
/// `GIT_INDEX_FILE` as an empty index, which would pass every commit unscanned.
///
/// # Errors
/// When `GIT_INDEX_FILE` names a missing file, or the index is corrupt or unreadable.
pub fn read_index(repo: &Repository) -> Result<(IndexFile, IndexChecksum)> {
    let (path, required) = match named_index()? {
        Some(path) => (path, true),
        None => (repo.path().join("index"), false),
    };
    if !path.is_file() {
        if required {
            bail!("GIT_INDEX_FILE names {}, which does not exist", path.display());
        }
        // No index file yet (a fresh repository): nothing is staged.
        return Ok((IndexFile::default(), IndexChecksum::none()));
    }
    let file = std::fs::File::open(&path).with_context(|| format!("cannot read the index {}", path.display()))?;
    // SAFETY: git never writes an index file in place (it writes `index.lock` and renames
    // it over), so the mapped file does not change under us; mapping spares copying and
    // zeroing megabytes in a large repository. Populating it up front costs one call
    // instead of a page fault every few pages in each of the two threads reading it.
    let data = unsafe { memmap2::MmapOptions::new().populate().map(&file) }
        .with_context(|| format!("cannot read the index {}", path.display()))?;
    match IndexFile::read(Arc::new(Bytes::Mapped(data))) {
        Ok((index, checksum)) => Ok((index, IndexChecksum { checksum, path })),
        // A split index, a sparse index or a newer format: git itself lists the entries.
        Err(e) if e.is::<Unsupported>() => {
            index_from_git(repo, &path).map(|index| (index, IndexChecksum::none())).with_context(|| {
                format!("awsguard cannot read the index {} ({e}), and git could not list it", path.display())
            })
        }
        Err(e) if e.is::<CacheTreeMismatch>() => Err(anyhow!("cannot use the index {}: {e:#}", path.display())),
        // awsguard's reader refused it: fail closed either way, but the advice depends on
        // whether git reads it. `git ls-files` is no judge of damage (it lists a truncated
        // index without complaint), only of which side to suspect.
        Err(e) => Err(match index_from_git(repo, &path) {
            Ok(_) if !e.is::<ChecksumMismatch>() => anyhow!(
                "cannot read the index {}: {e:#}. git itself still lists it, so awsguard's reader may be \
                 at fault: please report this (see SECURITY.md) with `git --version`. Do not delete the \
                 index, it holds what you staged; `git status` and `git fsck` show whether it is sound",
                path.display()
            ),
            _ => corrupt(&path, &e),
        }),
    }
}

/// The index at `path` is damaged (`e` says how): what to do about it.
fn corrupt(path: &Path, e: &anyhow::Error) -> anyhow::Error {
    anyhow!(
        "cannot read the index {}: {e:#}. The index is corrupt: `rm {} && git reset` rebuilds it from \
         HEAD (your files are kept, but what you had staged is unstaged: stage it again)",
        path.display(),
        path.display()
    )
}

/// Lists the index with `git ls-files --stage`, which reads every index format git can
/// write and expands a sparse index's directories into their files.
fn index_from_git(repo: &Repository, path: &Path) -> Result<IndexFile> {
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
    let entries = crate::plumbing::listed_entries(&output.stdout)?
        .into_iter()
        .map(|e| {
            Ok((
                e.path.to_vec(),
                e.mode,
                Oid::from_str(e.object).context("malformed object ID in `git ls-files` output")?,
                e.stage,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(IndexFile::from_entries(entries))
}

/// The index git named in `GIT_INDEX_FILE` (for `commit -a`, `commit <paths>`, `--only`),
/// from the current directory; `None` when it is unset or empty: the git directory's own
/// `index` is then the one.
///
/// # Errors
/// When the current directory cannot be read.
pub fn named_index() -> Result<Option<PathBuf>> {
    env::var_os("GIT_INDEX_FILE").filter(|v| !v.is_empty()).map(|path| absolute(Path::new(&path))).transpose()
}

/// `path` from the current directory.
///
/// # Errors
/// When the current directory cannot be read.
pub fn absolute(path: &Path) -> Result<PathBuf> {
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    Ok(env::current_dir().context("reading the current directory")?.join(path))
}

/// The files the index adds or modifies relative to HEAD (everything, on an unborn branch).
///
/// The index's cache-tree names the tree git will write for every directory it has not
/// invalidated; where that equals HEAD's, the directory is skipped unread, as git does.
///
/// # Errors
/// Unresolved conflicts, or tree objects missing from the object database.
pub fn staged_changes(repo: &Repository, objects: &Objects, index: &IndexFile) -> Result<Changes> {
    if let Some(path) = index.conflicts.first() {
        bail!(
            "the index has unresolved merge conflicts (in {} of {} files): resolve them and `git \
             add` the files, then commit",
            crate::report::escape(path),
            index.conflicts.len()
        );
    }
    let Some(head) = crate::repo::head_commit(repo)? else {
        return Changes::first_commit(index);
    };
    let head_tree = repo.find_commit(head).context("reading HEAD")?.tree_id();
    Changes::staged(Trees { repo, objects }, head_tree, index)
}

/// A file name as the index spells it: relative to the work tree root, `/`-separated.
/// The framework passes names relative to the root, where it runs hooks; names given by
/// hand from a subdirectory are relative to it.
///
/// # Errors
/// When the current directory cannot be read, or the name is outside the work tree `root`.
pub fn index_path(root: &Path, file: &Path) -> Result<Vec<u8>> {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let cwd = cwd.canonicalize().unwrap_or(cwd);
    let mut path = PathBuf::from(cwd.strip_prefix(&root).unwrap_or(Path::new("")));
    for part in file.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                path.pop();
            }
            Component::Normal(name) => path.push(name),
            Component::RootDir | Component::Prefix(_) => {
                path = PathBuf::from(file.strip_prefix(&root).with_context(|| {
                    format!("{} is outside the repository's work tree {}", file.display(), root.display())
                })?);
                break;
            }
        }
    }
    Ok(path.iter().map(|p| p.as_encoded_bytes()).collect::<Vec<_>>().join(&b"/"[..]))
}
