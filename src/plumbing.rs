//! git itself, where libgit2 cannot read a repository (issue 15): every repository git can
//! read is checked, and only one git cannot read either is refused.
//!
//! - **Refs in reftable** (`extensions.refstorage`): libgit2 reads the objects and the
//!   index but not the refs, so HEAD, revisions and ref lists come from `git rev-parse` and
//!   `git for-each-ref` ([`head`], [`resolve`], [`ref_targets`]).
//! - **A repository libgit2 cannot open** (SHA-256 objects, or a format newer than
//!   libgit2): the pre-commit check lists the staged changes with `git diff-index`, reads
//!   the blobs it needs with one `git cat-file --batch`, and copies them into a temporary
//!   SHA-1 repository ([`staged`]). The pass then runs on that unchanged, so the findings
//!   are those of a SHA-1 repository with the same content.
//! - **Commit ranges there** (`history`, `pre-push`, `pre-receive`/`update`): the same,
//!   commit by commit, with `git rev-list` and `git diff-tree` ([`ranges`]).

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Output, Stdio};

use anyhow::{Context, Result, anyhow, bail};
use git2::build::TreeUpdateBuilder;
use git2::{FileMode, Oid, Repository, Signature};

use crate::changes::{Change, Changes, path_of};
use crate::config::REPO_FILE;
use crate::index_file::IndexFile;
use crate::objects::Objects;
use crate::prescan::may_hold;
use crate::repo::Unreadable;
use crate::report::escape;
use crate::scan::Scanner;
use crate::staged::{Staged, index_path, named_index};

pub mod ranges;

/// Runs a git command to its end.
fn run(cmd: &mut Command) -> Result<Output> {
    cmd.stdin(Stdio::null()).output().context("running git (awsguard reads this repository through git)")
}

/// git's own words when it failed.
fn failure(what: &str, output: &Output) -> anyhow::Error {
    anyhow!("`git {what}` failed: {}", String::from_utf8_lossy(&output.stderr).trim())
}

/// `git` for the repository whose git directory is `git_dir`.
fn git_at(git_dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.env("GIT_DIR", git_dir);
    cmd
}

/// The object `spec` names, as git prints it, or `None` when it names nothing.
fn rev_parse(mut cmd: Command, spec: &str) -> Result<Option<String>> {
    let output = run(cmd.args(["rev-parse", "-q", "--verify", "--end-of-options", spec]))?;
    match output.status.code() {
        Some(0) => Ok(Some(String::from_utf8_lossy(&output.stdout).trim().to_string())),
        Some(1) => Ok(None),
        _ => Err(failure(&format!("rev-parse {spec}"), &output)),
    }
}

/// The commit HEAD points at, or `None` on an unborn branch, read by git.
///
/// # Errors
/// When HEAD names an object that is not a commit, or git fails.
pub fn head(git_dir: &Path) -> Result<Option<Oid>> {
    head_with(|| git_at(git_dir))?.map(|id| Oid::from_str(&id).context("reading HEAD")).transpose()
}

fn head_with(git: impl Fn() -> Command) -> Result<Option<String>> {
    if let Some(id) = rev_parse(git(), "HEAD^{commit}")? {
        return Ok(Some(id));
    }
    // An unborn branch names no object at all; anything else is not a commit.
    if rev_parse(git(), "HEAD")?.is_some() {
        bail!("HEAD does not point at a commit");
    }
    Ok(None)
}

/// The commit `spec` names, resolved by git, or `None` when it names none.
///
/// # Errors
/// When git fails.
pub fn resolve(git_dir: &Path, spec: &str) -> Result<Option<Oid>> {
    let id = rev_parse(git_at(git_dir), &format!("{spec}^{{commit}}"))?;
    id.map(|id| Oid::from_str(&id).with_context(|| format!("resolving {spec:?}"))).transpose()
}

/// The objects the refs matching `glob` point at (every ref when `None`), listed by git.
/// A glob ending in `/*` is given as its directory: `for-each-ref` matches `*` within one
/// path component, libgit2 (whose ref globs these are) across them.
///
/// # Errors
/// When git fails.
pub fn ref_targets(git_dir: &Path, glob: Option<&str>) -> Result<Vec<Oid>> {
    let mut cmd = git_at(git_dir);
    cmd.args(["for-each-ref", "--format=%(objectname)"]);
    if let Some(glob) = glob {
        cmd.arg(glob.strip_suffix('*').filter(|g| g.ends_with('/') && !g.contains('*')).unwrap_or(glob));
    }
    let output = run(&mut cmd)?;
    if !output.status.success() {
        return Err(failure("for-each-ref", &output));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines().map(|id| Oid::from_str(id).with_context(|| format!("reading a ref target {id:?}"))).collect()
}

/// A temporary directory, removed with everything in it when dropped.
pub struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch> {
        let base = std::env::temp_dir();
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        for n in 0..64 {
            let path = base.join(format!("awsguard-{}-{}", std::process::id(), stamp.wrapping_add(n)));
            let mut builder = std::fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            match builder.create(&path) {
                Ok(()) => return Ok(Scratch(path)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(e).with_context(|| format!("creating a temporary directory in {}", base.display()));
                }
            }
        }
        bail!("cannot create a temporary directory in {}", base.display())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// git as the hook's git sees the repository: its git directory and work tree pinned, and
/// the index `git commit` named in `GIT_INDEX_FILE`, taken as [`crate::staged::open_index`]
/// takes it (an empty value is no value).
struct Git {
    git_dir: PathBuf,
    /// The work tree root; `None` in a bare repository (commit ranges need none).
    root: Option<PathBuf>,
    index: Option<PathBuf>,
}

impl Git {
    fn command(&self) -> Command {
        let mut cmd = git_at(&self.git_dir);
        if let Some(root) = &self.root {
            cmd.env("GIT_WORK_TREE", root).current_dir(root);
        }
        match &self.index {
            Some(index) => cmd.env("GIT_INDEX_FILE", index),
            None => cmd.env_remove("GIT_INDEX_FILE"),
        };
        cmd
    }

    /// The output of a git command that must succeed.
    fn output(&self, args: &[&str]) -> Result<Vec<u8>> {
        let output = run(self.command().args(args))?;
        if !output.status.success() {
            return Err(failure(&args.join(" "), &output));
        }
        Ok(output.stdout)
    }
}

/// One record of `git ls-files --stage -z`: `<mode> <object> <stage>\t<path>`.
pub(crate) struct Listed<'a> {
    pub path: &'a [u8],
    pub mode: u32,
    pub object: &'a str,
    pub stage: u16,
}

/// The records of `git ls-files --stage -z` output.
///
/// # Errors
/// A record not in that form.
pub(crate) fn listed_entries(out: &[u8]) -> Result<Vec<Listed<'_>>> {
    records(out, "ls-files")
        .map(|(record, fields)| {
            let (mode, object, stage, path) = fields?;
            let stage = stage.parse().map_err(|_| malformed("ls-files", record))?;
            Ok(Listed { path, mode, object, stage })
        })
        .collect()
}

/// A record's fields `<mode> <a> <b>\t<path>`, the mode parsed.
type Fields<'a> = (u32, &'a str, &'a str, &'a [u8]);

/// The `-z` records of `git ls-files --stage` or `git ls-tree` output, each with its
/// fields or the error that it is malformed.
fn records<'a>(out: &'a [u8], command: &'static str) -> impl Iterator<Item = (&'a [u8], Result<Fields<'a>>)> {
    out.split(|&b| b == 0).filter(|r| !r.is_empty()).map(move |record| {
        let fields = || {
            let tab = record.iter().position(|&b| b == b'\t')?;
            let meta = std::str::from_utf8(&record[..tab]).ok()?;
            let [mode, a, b] = meta.split(' ').collect::<Vec<_>>()[..] else { return None };
            Some((u32::from_str_radix(mode, 8).ok()?, a, b, &record[tab + 1..]))
        };
        (record, fields().ok_or_else(|| malformed(command, record)))
    })
}

/// A record of `git <command>` output that is not in the expected form.
fn malformed(command: &str, record: &[u8]) -> anyhow::Error {
    anyhow!("malformed `git {command}` output: {}", escape(record))
}

/// A work tree and its index as git itself handles them: all that `awsguard allow` needs,
/// so it works in every repository git can read, whatever its object format.
pub struct Worktree {
    git: Git,
    /// The index git uses: `GIT_INDEX_FILE` (from the current directory) or `<git dir>/index`.
    pub index: PathBuf,
}

impl Worktree {
    /// The repository around the current directory.
    ///
    /// # Errors
    /// Outside a repository or in a bare one, or when git fails.
    pub fn locate() -> Result<Worktree> {
        let Location { git_dir, root, .. } = locate()?;
        let root = root.context("the repository has no work tree")?;
        let index = named_index()?.unwrap_or_else(|| git_dir.join("index"));
        Ok(Worktree { git: Git { git_dir, root: Some(root), index: Some(index.clone()) }, index })
    }

    /// The work tree's root.
    pub fn root(&self) -> &Path {
        self.git.root.as_deref().expect("a work tree has a root")
    }

    /// The index entries at exactly `path` (one per stage while a conflict is unresolved), as
    /// `(mode, object, stage)`.
    ///
    /// # Errors
    /// When git cannot read the index.
    pub fn entries(&self, path: &str) -> Result<Vec<(u32, String, u16)>> {
        let listed = self.git.output(&["--literal-pathspecs", "ls-files", "--stage", "-z", "--", path])?;
        Ok(listed_entries(&listed)?
            .into_iter()
            .filter(|e| e.path == path.as_bytes()) // not a file below a directory of that name
            .map(|e| (e.mode, e.object.to_string(), e.stage))
            .collect())
    }

    /// The stage-0 content of `path` in the index, if it has one.
    ///
    /// # Errors
    /// When git cannot read the index or the blob.
    pub fn staged_file(&self, path: &str) -> Result<Option<Vec<u8>>> {
        let entries = self.entries(path)?;
        entries.iter().find(|(_, _, stage)| *stage == 0).map(|(_, id, _)| self.blob(id)).transpose()
    }

    /// A configuration value as git reads it, if set.
    ///
    /// # Errors
    /// When git cannot read the configuration.
    pub fn config(&self, key: &str) -> Result<Option<String>> {
        let output = run(self.git.command().args(["config", "--get", key]))?;
        match output.status.code() {
            Some(0) => Ok(Some(String::from_utf8_lossy(&output.stdout).trim_end_matches('\n').to_string())),
            Some(1) => Ok(None),
            _ => Err(failure(&format!("config --get {key}"), &output)),
        }
    }

    /// The content of the blob `id`.
    ///
    /// # Errors
    /// When git cannot read it.
    pub fn blob(&self, id: &str) -> Result<Vec<u8>> {
        self.git.output(&["cat-file", "blob", id])
    }

    /// Writes `content` to the object database as a blob, unfiltered, and returns its ID.
    ///
    /// # Errors
    /// When git cannot write it.
    pub fn write_blob(&self, content: &[u8]) -> Result<String> {
        let mut child = self
            .git
            .command()
            .args(["hash-object", "-w", "--no-filters", "--stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("running `git hash-object`")?;
        let written = child.stdin.take().context("writing to `git hash-object`")?.write_all(content);
        let output = child.wait_with_output().context("running `git hash-object`")?;
        if !output.status.success() {
            return Err(failure("hash-object -w", &output));
        }
        written.context("writing to `git hash-object`")?;
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    }

    /// Stages the blob `id` at `path` with `mode`, leaving the work tree alone. git writes
    /// the index, so every format it has (split, sparse, version 4, extensions) is kept.
    ///
    /// # Errors
    /// When git cannot update the index.
    pub fn stage(&self, mode: u32, id: &str, path: &str) -> Result<()> {
        self.git.output(&["update-index", "--add", "--cacheinfo", &format!("{mode:o},{id},{path}")]).map(drop)
    }
}

/// One line of `git diff-index --raw -z` or `git diff-tree --raw -z`:
/// `:<old mode> <new mode> <old> <new> <status>`, then the path (two paths, source first,
/// for a rename or copy).
struct Raw {
    old_mode: u32,
    new_mode: u32,
    old: String,
    new: String,
    status: u8,
    path: Vec<u8>,
    /// The path `old` was at, for a rename or copy (`R`, `C`).
    source: Option<Vec<u8>>,
}

/// Parses `git diff-index` or `git diff-tree` output (`--raw -z`; with rename detection, a
/// rename or copy has two paths).
fn parse_raw(out: &[u8]) -> Result<Vec<Raw>> {
    let mut fields = out.split(|&b| b == 0);
    let mut records = Vec::new();
    while let Some(meta) = fields.next().filter(|m| !m.is_empty()) {
        let malformed = || anyhow!("malformed `git diff-index` output: {}", escape(meta));
        let meta = std::str::from_utf8(meta.strip_prefix(b":").ok_or_else(malformed)?).map_err(|_| malformed())?;
        let parts: Vec<&str> = meta.split(' ').collect();
        let [old_mode, new_mode, old, new, status] = parts[..] else { return Err(malformed()) };
        let mode = |m| u32::from_str_radix(m, 8).map_err(|_| malformed());
        let status = *status.as_bytes().first().ok_or_else(malformed)?;
        let mut path = fields.next().ok_or_else(malformed)?.to_vec();
        let mut source = None;
        if matches!(status, b'R' | b'C') {
            source = Some(std::mem::replace(&mut path, fields.next().ok_or_else(malformed)?.to_vec()));
        }
        records.push(Raw {
            old_mode: mode(old_mode)?,
            new_mode: mode(new_mode)?,
            old: old.to_string(),
            new: new.to_string(),
            status,
            path,
            source,
        });
    }
    Ok(records)
}

/// Blobs and symlinks are scanned; submodule commits (gitlinks) are not files.
fn is_scannable(mode: u32) -> bool {
    matches!(mode & 0o170000, 0o100000 | 0o120000)
}

/// One `git cat-file --batch`: objects read by name, one at a time.
struct Batch {
    child: Child,
    input: Option<ChildStdin>,
    output: BufReader<ChildStdout>,
}

impl Batch {
    fn start(git: &Git) -> Result<Batch> {
        let mut child = git
            .command()
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("running `git cat-file --batch`")?;
        let input = child.stdin.take();
        let output = BufReader::new(child.stdout.take().context("reading `git cat-file`")?);
        Ok(Batch { child, input, output })
    }

    /// The blob `name` names (an object ID, or `<commit>:<path>` for fixed paths), or
    /// `None` when there is none.
    fn blob(&mut self, name: &str) -> Result<Option<Vec<u8>>> {
        self.object(name, "blob")
    }

    /// The content of the object `name` names, which must be a `kind` (blob, commit), or
    /// `None` when there is none.
    fn object(&mut self, name: &str, kind: &str) -> Result<Option<Vec<u8>>> {
        let input = self.input.as_mut().context("`git cat-file` is closed")?;
        // Without `--buffer` git flushes each answer: one request, one answer.
        writeln!(input, "{name}").and_then(|()| input.flush()).context("writing to `git cat-file`")?;
        let mut header = Vec::new();
        self.output.read_until(b'\n', &mut header).context("reading from `git cat-file`")?;
        let header = String::from_utf8_lossy(&header);
        let fields: Vec<&str> = header.split_whitespace().collect();
        let size = match fields[..] {
            [_, "missing"] => return Ok(None),
            [_, found, size] if found == kind => size.parse::<usize>().ok(),
            _ => None,
        };
        let size =
            size.with_context(|| format!("`git cat-file` answered {:?} for the {kind} {name}", header.trim()))?;
        let mut content = Vec::new();
        content.try_reserve_exact(size + 1).map_err(|_| anyhow!("{kind} {name} is {size} bytes, too large to read"))?;
        (&mut self.output).take(size as u64 + 1).read_to_end(&mut content).context("reading from `git cat-file`")?;
        if content.pop() != Some(b'\n') || content.len() != size {
            bail!("`git cat-file` ended in the middle of {kind} {name}");
        }
        Ok(Some(content))
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        drop(self.input.take());
        let _ = self.child.wait();
    }
}

/// Copies blobs from the repository git reads into the temporary SHA-1 repository.
struct Copier<'a> {
    batch: Batch,
    repo: &'a Repository,
    copied: HashMap<String, Oid>,
}

impl Copier<'_> {
    /// The temporary ID of the blob `name` names, copied on first use; `None` when missing.
    fn copy(&mut self, name: &str) -> Result<Option<Oid>> {
        if let Some(id) = self.copied.get(name) {
            return Ok(Some(*id));
        }
        let Some(content) = self.batch.blob(name)? else { return Ok(None) };
        self.write(name, &content).map(Some)
    }

    fn write(&mut self, name: &str, content: &[u8]) -> Result<Oid> {
        let id = self.repo.blob(content).context("writing to the temporary repository")?;
        self.copied.insert(name.to_string(), id);
        Ok(id)
    }

    /// [`Copier::copy`] of an object the repository must have.
    fn copy_existing(&mut self, id: &str, path: &[u8]) -> Result<Oid> {
        self.copy(id)?
            .with_context(|| format!("reading {} (blob {id}): git cannot find it; `git fsck` tells more", escape(path)))
    }

    /// A tree (and a commit of it, whose ID is returned) holding `files` as `(path, blob,
    /// mode)`: a stand-in for a commit of the real repository, holding just what the
    /// pass will ask of it.
    fn commit(&self, files: &[(Vec<u8>, Oid, u32)], message: &str) -> Result<Oid> {
        let empty = self.repo.treebuilder(None)?.write()?;
        let mut update = TreeUpdateBuilder::new();
        for (path, id, mode) in files {
            let mode = match mode & 0o170000 {
                0o120000 => FileMode::Link,
                _ if mode & 0o111 != 0 => FileMode::BlobExecutable,
                _ => FileMode::Blob,
            };
            update.upsert(path_of(path).as_ref(), *id, mode);
        }
        let tree = update.create_updated(self.repo, &self.repo.find_tree(empty)?)?;
        let tree = self.repo.find_tree(tree)?;
        let who = Signature::new("awsguard", "awsguard@localhost", &git2::Time::new(0, 0))?;
        Ok(self.repo.commit(None, &who, &who, message, &tree, &[])?)
    }
}

/// The `(mode, blob)` of every file in the commit `id`, by path (`git ls-tree -r`).
fn files_of(git: &Git, id: &str) -> Result<HashMap<Vec<u8>, (u32, String)>> {
    let out = git.output(&["ls-tree", "-r", "-z", "--full-tree", id])?;
    let mut files = HashMap::new();
    for (_, fields) in records(&out, "ls-tree") {
        // "<mode> <type> <object>\t<path>"
        let (mode, _, object, path) = fields?;
        files.insert(path.to_vec(), (mode, object.to_string()));
    }
    Ok(files)
}

/// Git LFS content is read from the repository's own store, which the temporary
/// repository links to (elsewhere an LFS pointer's content is not found: fail closed).
#[cfg(unix)]
fn link_lfs_store(common_dir: &Path, scratch: &Path) -> Result<()> {
    let store = common_dir.join("lfs");
    if store.is_dir() {
        std::os::unix::fs::symlink(&store, scratch.join("lfs")).context("linking the Git LFS store")?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn link_lfs_store(_: &Path, _: &Path) -> Result<()> {
    Ok(())
}

/// Where git finds a repository.
pub struct Location {
    pub git_dir: PathBuf,
    /// Shared by linked worktrees: hooks and LFS content live there.
    pub common_dir: PathBuf,
    /// The work tree root; `None` in a bare repository.
    pub root: Option<PathBuf>,
}

/// Where git finds the repository, from the current directory and environment as git does.
///
/// # Errors
/// When git cannot read it (the message is git's).
pub fn locate() -> Result<Location> {
    let args = ["rev-parse", "--path-format=absolute", "--git-dir", "--git-common-dir", "--is-bare-repository"];
    let bare = run(Command::new("git").args(args))?;
    let lines: Vec<&[u8]> = bare.stdout.split(|&b| b == b'\n').collect();
    let [git_dir, common, is_bare, ..] = lines[..] else { return Err(failure("rev-parse", &bare)) };
    if !bare.status.success() {
        return Err(failure("rev-parse", &bare));
    }
    let root = if is_bare == b"true" {
        None
    } else {
        let top = run(Command::new("git").args(["rev-parse", "--show-toplevel"]))?;
        if !top.status.success() {
            return Err(failure("rev-parse --show-toplevel", &top));
        }
        Some(path_of(top.stdout.strip_suffix(b"\n").unwrap_or(&top.stdout)).into_owned())
    };
    Ok(Location { git_dir: path_of(git_dir).into_owned(), common_dir: path_of(common).into_owned(), root })
}

/// `core.hooksPath` as git reads it (`~` expanded), if set.
///
/// # Errors
/// When git cannot read the configuration.
pub fn hooks_path(location: &Location) -> Result<Option<PathBuf>> {
    let output = run(git_at(&location.git_dir).args(["config", "--path", "--get", "core.hooksPath"]))?;
    match output.status.code() {
        Some(0) => Ok(Some(path_of(output.stdout.strip_suffix(b"\n").unwrap_or(&output.stdout)).into_owned())),
        Some(1) => Ok(None),
        _ => Err(failure("config core.hooksPath", &output)),
    }
}

/// What `git commit` is about to record in a repository libgit2 cannot open, read through
/// git and copied into a temporary SHA-1 repository, with the work tree as its own.
///
/// - **Changes** are `git diff-index --cached` against HEAD (the empty tree on an unborn
///   branch), without git's rename detection: deleted files are handed to the pass, which
///   detects renames its own way. An added file that is an exact copy of one of HEAD's
///   files adds nothing and is left out (the pass checks that against HEAD's tree, which is
///   not copied).
/// - **Blobs**: a file that cannot hold a finding ([`may_hold`]) is copied as the empty
///   blob: the pass finds nothing in either. Only the files that may hold one are copied
///   whole, with the version they replace or the deleted files they may be renamed from.
/// - **Merges**: each `MERGE_HEAD` becomes a commit holding its versions of those files:
///   the lines a merged branch already had are not reported, as in a SHA-1 repository.
/// - **`.awsguard.toml`** as staged goes into `index`, and HEAD's version into the
///   temporary HEAD, so the allowlist and its widening notice are the same.
/// - **`files`** (the pre-commit framework's names): their staged entries go into `index`.
///
/// # Errors
/// When git cannot read the repository either (the message gives both reasons), when the
/// index has conflicts, or when an object cannot be read.
pub fn staged(unreadable: &Unreadable, scanner: &Scanner, files: &[OsString]) -> Result<Staged> {
    let Location { git_dir, common_dir, root } = locate().map_err(|e| {
        anyhow!(
            "cannot read the git repository: libgit2 cannot open it ({}), and git cannot either: {e:#}",
            unreadable.0.message()
        )
    })?;
    let Some(root) = root else {
        bail!("{} is a bare repository: it has no index to scan", git_dir.display());
    };
    let index = named_index()?;
    if let Some(path) = index.as_ref().filter(|path| !path.is_file()) {
        bail!("GIT_INDEX_FILE names {}, which does not exist", path.display());
    }
    let git = Git { git_dir: git_dir.clone(), root: Some(root.clone()), index };

    let scratch = Scratch::new()?;
    let repo = Repository::init_bare(&scratch.0).context("creating a temporary repository")?;
    repo.set_workdir(&root, false).context("using the work tree")?;
    link_lfs_store(&common_dir, &scratch.0)?;

    let head = head_with(|| git.command())?;
    let base = match &head {
        Some(head) => head.clone(),
        None => String::from_utf8_lossy(&git.output(&["hash-object", "-t", "tree", "--stdin"])?).trim().to_string(),
    };
    let raw =
        parse_raw(&git.output(&["diff-index", "--cached", "--raw", "-z", "--no-abbrev", "--no-renames", &base])?)?;
    let conflicts: Vec<&Raw> = raw.iter().filter(|r| r.status == b'U').collect();
    if let Some(first) = conflicts.first() {
        bail!(
            "the index has unresolved merge conflicts (in {} of {} files): resolve them and `git add` the \
             files, then commit",
            escape(&first.path),
            conflicts.len()
        );
    }

    let mut copier = Copier { batch: Batch::start(&git)?, repo: &repo, copied: HashMap::new() };
    let merge_head = std::fs::read(git_dir.join("MERGE_HEAD")).unwrap_or_default();
    let merge_heads: Vec<String> = String::from_utf8_lossy(&merge_head).split_whitespace().map(String::from).collect();
    let missing = |r: &Raw| {
        format!(
            "reading {} (blob {}): the index names an object git cannot find; `git fsck` tells more",
            escape(&r.path),
            r.new
        )
    };
    let Copied { changes, deleted: deleted_blobs, merge_commits: merge_heads } =
        copy_changes(&git, &mut copier, scanner, &raw, head.as_deref(), &merge_heads, &missing)?;

    // The allowlist as staged, and as HEAD has it (for the notice of what a commit widens).
    let mut entries = Vec::new();
    if let Some(id) = copier.copy(&format!(":{REPO_FILE}"))? {
        entries.push((REPO_FILE.as_bytes().to_vec(), 0o100644, id, 0));
    }
    if let Some(head) = &head
        && let Some(id) = copier.copy(&format!("{head}:{REPO_FILE}"))?
    {
        let commit = copier.commit(&[(REPO_FILE.as_bytes().to_vec(), id, 0o100644)], "HEAD")?;
        repo.set_head_detached(commit).context("writing the temporary repository's HEAD")?;
    }
    if !files.is_empty() {
        named_entries(&git, &mut copier, &root, files, &changes, &mut entries)?;
    }
    drop(copier);
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    // Made now: a reader lists the loose objects that exist when it is made.
    let objects = Objects::new(&repo);
    Ok(Staged {
        repo,
        index: IndexFile::from_entries(entries),
        changes: Changes::listed(changes, deleted_blobs),
        merge_heads,
        checksum: crate::staged::IndexChecksum::none(),
        objects,
        scratch: Some(scratch),
    })
}

/// Every file the index has, named from the work tree's root (absolute): for
/// [`staged`] to copy them all.
///
/// # Errors
/// When git cannot read the repository or its index.
pub fn every_staged_file() -> Result<Vec<OsString>> {
    let root = locate()?.root.context("the repository has no work tree")?;
    let listed = run(Command::new("git").current_dir(&root).args(["ls-files", "-z"]))?;
    if !listed.status.success() {
        return Err(failure("ls-files", &listed));
    }
    let paths = listed.stdout.split(|&b| b == 0).filter(|p| !p.is_empty());
    Ok(paths.map(|p| root.join(path_of(p)).into_os_string()).collect())
}

/// What the pass needs of one diff, copied into the temporary repository.
struct Copied {
    /// The changed files; a modified or renamed one with the version it replaces.
    changes: Vec<Change>,
    /// Deleted files a new one may be a rename of (the pass compares them).
    deleted: Vec<(Vec<u8>, Oid)>,
    /// Each of a merge's other parents, as a commit of its versions of the changed files.
    merge_commits: Vec<Oid>,
}

/// Copies what the pass needs of the diff `raw` (against `base`, the parent or HEAD; none
/// for a first commit) into the temporary repository. A file that cannot hold a finding is
/// copied as the empty blob; an exact copy of a file `base` holds adds nothing and is
/// dropped. `others` are a merge's other parents. `missing` words the error for a blob git
/// cannot find.
fn copy_changes(
    git: &Git,
    copier: &mut Copier<'_>,
    scanner: &Scanner,
    raw: &[Raw],
    base: Option<&str>,
    others: &[String],
    missing: &dyn Fn(&Raw) -> String,
) -> Result<Copied> {
    let empty = copier.write("", b"")?;
    let (mut matches, mut lines) = (Vec::new(), Vec::new());
    // Each changed file, with its record when it may hold a finding.
    let mut listed: Vec<(Change, Option<&Raw>)> = Vec::new();
    let mut deleted = Vec::new();
    for r in raw {
        let (old_scannable, new_scannable) = (is_scannable(r.old_mode), is_scannable(r.new_mode));
        if r.old == r.new || !(old_scannable || new_scannable) {
            continue; // an exact rename or a mode change adds nothing; submodules are not files
        }
        if !new_scannable {
            deleted.push(r);
            continue;
        }
        let content = copier.batch.blob(&r.new)?.with_context(|| missing(r))?;
        let suspect = may_hold(scanner, &content, &mut matches, &mut lines);
        let new = if suspect { copier.write(&r.new, &content)? } else { empty };
        listed.push((Change { path: r.path.clone(), old: None, new }, suspect.then_some(r)));
    }
    // A modified or renamed file is compared with the version it replaces.
    for (change, r) in &mut listed {
        if let Some(r) = r.filter(|r| is_scannable(r.old_mode)) {
            change.old = Some(copier.copy_existing(&r.old, r.source.as_deref().unwrap_or(&r.path))?);
        }
    }
    let is_added = |(change, r): &(Change, Option<&Raw>)| r.is_some() && change.old.is_none();
    // An exact copy of a file the base has adds nothing, whatever it holds.
    if let Some(base) = base.filter(|_| listed.iter().any(is_added)) {
        let held: HashSet<String> =
            files_of(git, base)?.into_values().filter(|(mode, _)| is_scannable(*mode)).map(|(_, id)| id).collect();
        listed.retain(|entry| !(is_added(entry) && entry.1.is_some_and(|r| held.contains(&r.new))));
    }
    // A new file may be a renamed deleted one git did not pair: the pass compares them.
    let mut deleted_blobs = Vec::new();
    if listed.iter().any(is_added) {
        for r in deleted.iter().filter(|r| is_scannable(r.old_mode)) {
            deleted_blobs.push((r.path.clone(), copier.copy_existing(&r.old, &r.path)?));
        }
    }
    let mut merge_commits = Vec::new();
    for other in others {
        let theirs = files_of(git, other).with_context(|| format!("reading the merged commit {other}"))?;
        let mut files = Vec::new();
        for r in listed.iter().filter_map(|(_, r)| *r) {
            if let Some((mode, blob)) = theirs.get(&r.path).filter(|(mode, _)| is_scannable(*mode)) {
                files.push((r.path.clone(), copier.copy_existing(blob, &r.path)?, *mode));
            }
        }
        merge_commits.push(copier.commit(&files, other)?);
    }
    let changes = listed.into_iter().map(|(change, _)| change).collect();
    Ok(Copied { changes, deleted: deleted_blobs, merge_commits })
}

/// Adds to `entries` the staged entry of each named file without a staged change, for the
/// framework's `--all-files` and `--files` runs, which scan those whole.
fn named_entries(
    git: &Git,
    copier: &mut Copier<'_>,
    root: &Path,
    files: &[OsString],
    changes: &[Change],
    entries: &mut Vec<(Vec<u8>, u32, Oid, u16)>,
) -> Result<()> {
    let named: HashSet<Vec<u8>> = files.iter().map(|f| index_path(root, Path::new(f))).collect::<Result<_>>()?;
    let out = git.output(&["ls-files", "--stage", "-z"])?;
    for Listed { path, mode, object, stage } in listed_entries(&out)? {
        if stage != 0 || !named.contains(path) || path == REPO_FILE.as_bytes() || changes.iter().any(|c| c.path == path)
        {
            continue;
        }
        let id = if is_scannable(mode) { copier.copy_existing(object, path)? } else { Oid::ZERO_SHA1 };
        entries.push((path.to_vec(), mode, id, 0));
    }
    Ok(())
}
