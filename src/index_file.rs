//! Git's index file, read directly: the entries the next commit is made of, and the
//! cache-tree that says which directories are unchanged.
//!
//! libgit2 reads the index too, but in a 100k-file repository that costs more than the rest
//! of a small commit's check: it re-hashes the file with collision-detecting SHA-1,
//! validates and hashes every path, and copies every entry. Git itself does none of that on
//! a normal read. This reader parses versions 2 to 4 in one pass and leaves the paths where
//! the mapped file has them (version 4 compresses them, so those are copied out). The
//! trailing checksum is verified with hardware SHA-1 on a second thread while the caller
//! goes on ([`Checksum`]), and that thread then checks the entries' order: on a small
//! commit the hash of the whole file is the longest single step, and nothing else waits for
//! either. An index it does not understand (a mandatory extension such as a split or sparse
//! index, an unknown version) is reported as [`Unsupported`] so the caller can ask git.

use std::io::Write as _;
use std::sync::Arc;
use std::sync::OnceLock;
use std::thread::JoinHandle;

use anyhow::{Context, Result, bail, ensure};
use git2::Oid;
use sha1::{Digest, Sha1};

/// One stage-0 entry that the commit will contain.
#[derive(Clone, Debug)]
pub struct IndexEntry {
    /// Where the path is in [`IndexFile::paths`].
    start: u32,
    len: u32,
    pub mode: u32,
    /// The object ID's bytes, made an [`Oid`] only for the entries a check looks at.
    id: [u8; 20],
}

impl IndexEntry {
    /// The staged blob (or gitlink commit).
    pub fn id(&self) -> Oid {
        Oid::from_bytes(&self.id).expect("20 bytes")
    }
}

/// An index file's bytes: mapped from disk, or in memory (entries git listed, tests).
#[derive(Debug)]
pub enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Default for Bytes {
    fn default() -> Bytes {
        Bytes::Owned(Vec::new())
    }
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(map) => map,
            Bytes::Owned(vec) => vec,
        }
    }
}

/// The index file's checksum and its entries' order, being verified on their own thread.
/// Whatever was read from the index must not be acted on before [`Checksum::verify`] says
/// the file is whole and in git's order.
#[must_use = "a damaged index is only detected by verifying its checksum"]
pub struct Checksum(Option<JoinHandle<Verdict>>);

/// What the verifying thread found: the hash matches; the entries are in order.
type Verdict = (bool, bool);

/// The parsed paths and entries, or `None` when the parse failed (no order to check).
type Entries = Option<(Arc<Bytes>, Arc<Vec<IndexEntry>>)>;

/// Hands the parsed entries to the verifying thread, or `None` when dropped unsent (a
/// failed parse), so that the thread never waits for entries that will not come.
struct Parsed {
    entries: Arc<OnceLock<Entries>>,
    thread: std::thread::Thread,
}

impl Parsed {
    fn send(self, index: &IndexFile) {
        let _ = self.entries.set(Some((Arc::clone(&index.paths), Arc::clone(&index.entries))));
    }
}

impl Drop for Parsed {
    fn drop(&mut self) {
        let _ = self.entries.set(None);
        self.thread.unpark();
    }
}

impl Checksum {
    /// Starts hashing `data`, an index file whole (trailer included), then checking the
    /// order of the entries it is sent. An all-zero trailer means `index.skipHash`: git
    /// wrote no checksum, so there is none to verify.
    fn start(data: Arc<Bytes>) -> (Checksum, Parsed) {
        let entries: Arc<OnceLock<Entries>> = Arc::new(OnceLock::new());
        let parsed = Arc::clone(&entries);
        let thread = std::thread::spawn(move || {
            let (body, trailer) = data.split_at(data.len() - 20);
            let hashed = trailer.iter().all(|&b| b == 0) || Sha1::digest(body)[..] == trailer[..];
            drop(data);
            let entries = loop {
                match parsed.get() {
                    Some(entries) => break entries,
                    None => std::thread::park(),
                }
            };
            (hashed, entries.as_ref().is_none_or(|(paths, entries)| in_order(paths, entries)))
        });
        let parsed = Parsed { entries, thread: thread.thread().clone() };
        (Checksum(Some(thread)), parsed)
    }

    /// Nothing to verify: the entries did not come from an index file.
    pub fn none() -> Checksum {
        Checksum(None)
    }

    /// Waits for the hash and the order check.
    ///
    /// # Errors
    /// [`ChecksumMismatch`] when the file's bytes do not match its checksum; an error when
    /// its entries are out of order.
    pub fn verify(self) -> Result<()> {
        let (whole, ordered) = self.0.map_or((true, true), |thread| thread.join().unwrap_or((false, false)));
        ensure!(whole, ChecksumMismatch);
        // The walk against HEAD relies on git's order, as git does.
        ensure!(ordered, "its entries are out of order");
        Ok(())
    }
}

/// Whether `entries` are in git's order (bytewise by path, each once).
fn in_order(paths: &[u8], entries: &[IndexEntry]) -> bool {
    let path = |e: &IndexEntry| &paths[e.start as usize..][..e.len as usize];
    entries.windows(2).all(|w| path(&w[0]) < path(&w[1]))
}

/// A directory of the cache-tree: the tree ID git will write for it, when still valid.
#[derive(Debug, Default)]
pub struct CacheTree {
    pub name: Vec<u8>,
    /// `None` when an entry below it changed since the tree was last written.
    pub id: Option<Oid>,
    /// Subdirectories, sorted by name.
    children: Vec<CacheTree>,
}

impl CacheTree {
    /// A directory and its subdirectories, in any order.
    pub fn new(name: Vec<u8>, id: Option<Oid>, mut children: Vec<CacheTree>) -> CacheTree {
        children.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        CacheTree { name, id, children }
    }

    /// The subdirectory called `name`, if the cache-tree knows it.
    pub fn child(&self, name: &[u8]) -> Option<&CacheTree> {
        self.children.binary_search_by(|c| c.name.as_slice().cmp(name)).ok().map(|i| &self.children[i])
    }
}

/// The entries of an index, in git's order (bytewise by path).
#[derive(Debug, Default)]
pub struct IndexFile {
    /// The bytes the entries' paths are in: the index file itself, or paths copied out.
    paths: Arc<Bytes>,
    /// Shared with the thread that checks their order.
    entries: Arc<Vec<IndexEntry>>,
    /// Paths with entries at stages 1 to 3: an unresolved merge conflict.
    pub conflicts: Vec<Vec<u8>>,
    /// The root of the cache-tree extension, when the index has one.
    pub cache_tree: Option<CacheTree>,
}

/// The index uses a feature this reader leaves to git (named in the message).
#[derive(Debug)]
pub struct Unsupported(pub String);

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unsupported {}

/// The file's trailing checksum does not match its bytes: the index is damaged, whatever
/// a reader makes of it (git itself no longer checks the checksum when it reads one).
#[derive(Debug)]
pub struct ChecksumMismatch;

impl std::fmt::Display for ChecksumMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("its checksum does not match its content")
    }
}

impl std::error::Error for ChecksumMismatch {}

/// A valid cache-tree node names a tree other than the one its entries make: the index is
/// damaged (git would commit that tree), and the message says how to rebuild it.
#[derive(Debug)]
pub struct CacheTreeMismatch(String);

impl std::fmt::Display for CacheTreeMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CacheTreeMismatch {}

/// Bits of an entry's flags, from git's `Documentation/gitformat-index.txt`.
const EXTENDED: u16 = 0x4000;
const STAGE: u16 = 0x3000;
const NAME_LENGTH: u16 = 0x0fff;
const INTENT_TO_ADD: u16 = 0x2000;

impl IndexFile {
    /// Parses an index file's bytes and verifies its checksum.
    ///
    /// # Errors
    /// As [`IndexFile::read`], and [`ChecksumMismatch`] for a damaged file.
    pub fn parse(data: &[u8]) -> Result<IndexFile> {
        let (index, checksum) = IndexFile::read(Arc::new(Bytes::Owned(data.to_vec())))?;
        checksum.verify()?;
        Ok(index)
    }

    /// Parses an index file's bytes, its checksum still being verified: the caller must
    /// [`Checksum::verify`] it before acting on anything read.
    ///
    /// # Errors
    /// [`Unsupported`] for an index to be read by git instead; [`ChecksumMismatch`] for a
    /// damaged one that does not parse; any other error means the file is corrupt or
    /// truncated, or this reader is wrong.
    pub fn read(data: Arc<Bytes>) -> Result<(IndexFile, Checksum)> {
        ensure!(data.len() >= 12 + 20, "the file is too short to be an index");
        ensure!(u32::try_from(data.len()).is_ok(), "the file is larger than 4 GiB");
        let (checksum, parsed) = Checksum::start(Arc::clone(&data));
        match parse_body(data) {
            Ok(index) => {
                parsed.send(&index);
                Ok((index, checksum))
            }
            // Damage explains a parse error best: say so when the checksum shows it.
            Err(e) => {
                drop(parsed);
                Err(checksum.verify().err().unwrap_or(e))
            }
        }
    }

    /// Builds an index from entries listed elsewhere (`git ls-files --stage`), in order.
    pub fn from_entries(list: impl IntoIterator<Item = (Vec<u8>, u32, Oid, u16)>) -> IndexFile {
        let mut paths = Vec::new();
        let mut entries = Vec::new();
        let mut index = IndexFile::default();
        for (path, mode, id, stage) in list {
            let start = paths.len();
            paths.extend_from_slice(&path);
            index.push(&mut entries, &paths, start, mode, id.as_bytes(), [stage, 0]);
        }
        index.paths = Arc::new(Bytes::Owned(paths));
        index.entries = Arc::new(entries);
        index
    }

    /// Records the entry whose path is `paths[start..]` in `entries` or, at a stage other
    /// than 0, as a conflict.
    fn push(
        &mut self,
        entries: &mut Vec<IndexEntry>,
        paths: &[u8],
        start: usize,
        mode: u32,
        id: &[u8],
        flags: [u16; 2],
    ) {
        let [stage, extended] = flags;
        let path = &paths[start..];
        if stage != 0 {
            if self.conflicts.last().is_none_or(|p| p != path) {
                self.conflicts.push(path.to_vec());
            }
        } else if extended & INTENT_TO_ADD == 0 {
            // An intent-to-add entry (`git add -N`) is not part of the commit. Offsets fit in
            // 32 bits: [`IndexFile::read`] refuses larger files, and listed paths are smaller.
            let (start, len) = (start as u32, path.len() as u32);
            entries.push(IndexEntry { start, len, mode, id: id.try_into().expect("20 bytes") });
        }
    }

    /// The stage-0 entries, sorted by path.
    pub fn entries(&self) -> &[IndexEntry] {
        &self.entries
    }

    /// The path of an entry of this index.
    pub fn path(&self, entry: &IndexEntry) -> &[u8] {
        &self.paths[entry.start as usize..][..entry.len as usize]
    }

    /// The stage-0 entry at `path`.
    pub fn get(&self, path: &[u8]) -> Option<&IndexEntry> {
        self.entries.binary_search_by(|e| self.path(e).cmp(path)).ok().map(|i| &self.entries[i])
    }
}

fn parse_body(data: Arc<Bytes>) -> Result<IndexFile> {
    let body = &data[..data.len() - 20];
    let mut r = Reader { data: body, pos: 0 };
    let signature = r.take(4)?;
    if signature != b"DIRC" {
        bail!("it does not start with an index signature");
    }
    let version = r.u32()?;
    if !(2..=4).contains(&version) {
        return Err(Unsupported(format!("index version {version}")).into());
    }
    let count = r.u32()? as usize;
    let mut index = IndexFile::default();
    let mut entries = Vec::with_capacity(count.min(body.len() / 62));
    // Version 4 paths are rebuilt here; earlier versions' are used where they are.
    let mut rebuilt: Vec<u8> = Vec::new();
    let mut previous = 0..0;
    for _ in 0..count {
        let start = r.pos;
        // ctime, mtime, dev, ino (stat data for the work tree), mode, uid, gid, size, ID, flags
        let fixed: &[u8; 62] = r.take(62)?.try_into().expect("62 bytes");
        let mode = u32::from_be_bytes([fixed[24], fixed[25], fixed[26], fixed[27]]);
        let id = &fixed[40..60];
        let flags = u16::from_be_bytes([fixed[60], fixed[61]]);
        let extended = if flags & EXTENDED != 0 {
            ensure!(version >= 3, "an extended entry in a version {version} index");
            r.u16()?
        } else {
            0
        };
        let stage = (flags & STAGE) >> 12;
        if version == 4 {
            // The path is the previous one minus `strip` bytes, plus a NUL-terminated suffix.
            let strip = r.varint()?;
            ensure!(strip <= previous.len(), "a path prefix longer than the previous path");
            let here = rebuilt.len();
            rebuilt.extend_from_within(previous.start..previous.end - strip);
            rebuilt.extend_from_slice(r.until_nul()?);
            previous = here..rebuilt.len();
            index.push(&mut entries, &rebuilt, here, mode, id, [stage, extended]);
        } else {
            let length = usize::from(flags & NAME_LENGTH);
            let here = r.pos;
            let path = if length < usize::from(NAME_LENGTH) { r.take(length)? } else { r.until_nul_peek()? };
            index.push(&mut entries, &body[..here + path.len()], here, mode, id, [stage, extended]);
            // Entries are padded with 1 to 8 NULs to a multiple of 8 bytes.
            let end = start + (r.pos - start + 8) / 8 * 8;
            ensure!(end <= body.len(), "an entry runs past the end of the file");
            r.pos = end;
        }
    }
    while r.pos < body.len() {
        let signature = r.take(4)?;
        let size = r.u32()? as usize;
        let data = r.take(size)?;
        match signature {
            b"TREE" => index.cache_tree = Some(parse_cache_tree(data).context("malformed cache-tree extension")?),
            // Extensions whose name does not start with a capital letter must be
            // understood: a split index (`link`), a sparse index (`sdir`), and any to come.
            _ if !signature[0].is_ascii_uppercase() => {
                let name = String::from_utf8_lossy(signature);
                return Err(Unsupported(format!("the mandatory index extension {name:?}")).into());
            }
            _ => {} // optional extensions: resolve-undo, untracked cache, offset tables, ...
        }
    }
    index.paths = if version == 4 { Arc::new(Bytes::Owned(rebuilt)) } else { data };
    index.entries = Arc::new(entries);
    Ok(index)
}

impl IndexFile {
    /// The tree git will write for `entries` (all of them below the directory `dir`),
    /// checking every valid cache-tree node from `node` down against the entries: git
    /// commits a valid node's tree as it stands, so one that names another tree would
    /// commit content no entry holds.
    ///
    /// The walk against HEAD calls this only where it relies on a node that HEAD does not
    /// already have (a node naming HEAD's own tree makes git commit what is already
    /// committed), so an ordinary commit hashes nothing.
    ///
    /// # Errors
    /// [`CacheTreeMismatch`] when a valid node does not match its entries.
    pub fn verify_tree(&self, entries: &[IndexEntry], dir: &[u8], node: Option<&CacheTree>) -> Result<Oid> {
        let prefix = if dir.is_empty() { 0 } else { dir.len() + 1 };
        let mut path = if dir.is_empty() { Vec::new() } else { [dir, b"/"].concat() };
        tree_of(self, entries, prefix, node, &mut path)
    }
}

/// The tree git writes for `entries` (all below the directory of `prefix` bytes), checking
/// that every valid cache-tree node on the way names exactly that tree: see
/// [`IndexFile::verify_tree`]. One SHA-1 over every tree below.
fn tree_of(
    index: &IndexFile,
    entries: &[IndexEntry],
    prefix: usize,
    node: Option<&CacheTree>,
    path: &mut Vec<u8>,
) -> Result<Oid> {
    let mut tree = Vec::new();
    let mut rest = entries;
    while let Some(first) = rest.first() {
        let tail = &index.path(first)[prefix..];
        let (name, mode, id, len) = match memchr::memchr(b'/', tail) {
            Some(n) => {
                let len = rest.partition_point(|e| index.path(e)[prefix..].starts_with(&tail[..=n]));
                let name = &tail[..n];
                let child = node.and_then(|c| c.child(name));
                let saved = path.len();
                path.extend_from_slice(name);
                path.push(b'/');
                let id = tree_of(index, &rest[..len], prefix + n + 1, child, path)?;
                path.truncate(saved);
                (name, 0o40000, id, len)
            }
            None => (tail, first.mode, first.id(), 1),
        };
        push_tree_entry(&mut tree, mode, name, id);
        rest = &rest[len..];
    }
    let id = tree_id(&tree);
    check_node(node, id, path)?;
    Ok(id)
}

/// Appends one entry to a tree object's body, in git's format.
pub fn push_tree_entry(tree: &mut Vec<u8>, mode: u32, name: &[u8], id: Oid) {
    write!(tree, "{mode:o} ").expect("writing to a Vec");
    tree.extend_from_slice(name);
    tree.push(0);
    tree.extend_from_slice(id.as_bytes());
}

/// The ID git gives a tree object with this body.
pub fn tree_id(body: &[u8]) -> Oid {
    let mut hasher = Sha1::new();
    hasher.update(format!("tree {}\0", body.len()).as_bytes());
    hasher.update(body);
    Oid::from_bytes(&hasher.finalize()).expect("20 bytes")
}

/// Whether a valid cache-tree node names the tree `id` its entries make.
///
/// # Errors
/// [`CacheTreeMismatch`] when it names another, with the rebuild recipe.
pub fn check_node(node: Option<&CacheTree>, id: Oid, path: &[u8]) -> Result<()> {
    if let Some(claimed) = node.and_then(|n| n.id).filter(|&claimed| claimed != id) {
        return Err(CacheTreeMismatch(format!(
            "its cache-tree extension says the directory {:?} is tree {claimed}, but the entries staged \
             there make tree {id}: git would commit a tree that is not what is staged. Rebuild the \
             cache-tree from the entries, keeping what you staged: `git ls-files -s -z | \
             GIT_INDEX_FILE=.git/index.new git update-index -z --index-info && mv .git/index.new .git/index`",
            String::from_utf8_lossy(if path.is_empty() { b"/" } else { path })
        ))
        .into());
    }
    Ok(())
}

/// The `TREE` extension: directories in pre-order, each `name NUL count SP subtrees LF`,
/// then its tree ID when `count` is not -1.
fn parse_cache_tree(data: &[u8]) -> Result<CacheTree> {
    read_node(&mut Reader { data, pos: 0 }, 0)
}

fn read_node(r: &mut Reader<'_>, depth: usize) -> Result<CacheTree> {
    ensure!(depth < 4096, "nested too deeply");
    let name = r.until_nul()?.to_vec();
    let count = r.ascii_number(b' ')?;
    let subtrees = r.ascii_number(b'\n')?;
    ensure!(subtrees >= 0, "a negative subtree count");
    let id = if count >= 0 { Some(Oid::from_bytes(r.take(20)?)?) } else { None };
    let mut children = Vec::with_capacity(usize::try_from(subtrees)?.min(r.data.len()));
    for _ in 0..subtrees {
        children.push(read_node(r, depth + 1)?);
    }
    let node = CacheTree::new(name, id, children);
    // git keeps the last of two subtrees with one name, a lookup here could find either.
    ensure!(node.children.windows(2).all(|w| w[0].name != w[1].name), "two subtrees with the same name");
    Ok(node)
}

/// Out of line: building the error (`anyhow`'s `context`) is a call at opt-level z, which
/// the entry loop made for every field.
#[cold]
fn end_of_file() -> anyhow::Error {
    anyhow::anyhow!("unexpected end of file")
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    #[inline(always)] // the entry loop's every field: at opt-level z it would be a call
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        match self.data.get(self.pos..).and_then(|rest| rest.get(..n)) {
            Some(bytes) => {
                self.pos += n;
                Ok(bytes)
            }
            None => Err(end_of_file()),
        }
    }

    #[inline(always)] // the entry loop's every field: at opt-level z it would be a call
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }

    #[inline(always)] // the entry loop's every field: at opt-level z it would be a call
    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.take(2)?.try_into().expect("2 bytes")))
    }

    /// The bytes up to a NUL, which is consumed.
    fn until_nul(&mut self) -> Result<&'a [u8]> {
        let bytes = self.until_nul_peek()?;
        self.pos += 1;
        Ok(bytes)
    }

    /// The bytes up to a NUL, which is left in place.
    fn until_nul_peek(&mut self) -> Result<&'a [u8]> {
        let rest = &self.data[self.pos..];
        let n = memchr::memchr(0, rest).context("a path with no terminating NUL")?;
        self.pos += n;
        Ok(&rest[..n])
    }

    /// Git's offset varint: 7 bits a byte, most significant first, each continuation
    /// adding one so that every value has a single encoding.
    fn varint(&mut self) -> Result<usize> {
        let mut byte = self.take(1)?[0];
        let mut value = usize::from(byte & 0x7f);
        while byte & 0x80 != 0 {
            byte = self.take(1)?[0];
            value = value
                .checked_add(1)
                .and_then(|v| v.checked_mul(128))
                .map(|v| v | usize::from(byte & 0x7f))
                .context("a varint overflows")?;
        }
        Ok(value)
    }

    /// A decimal number (possibly negative) ended by `end`, which is consumed.
    fn ascii_number(&mut self, end: u8) -> Result<i64> {
        let rest = &self.data[self.pos..];
        let n = memchr::memchr(end, rest).context("an unterminated number")?;
        let text = std::str::from_utf8(&rest[..n]).ok().context("a malformed number")?;
        let value = text.parse().ok().context("a malformed number")?;
        self.pos += n + 1;
        Ok(value)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::process::Command;

    /// git with none of the caller's environment: no `GIT_DIR` or `GIT_INDEX_FILE` from an
    /// enclosing hook, no user configuration (signing, default branch, line endings).
    pub(crate) fn git_command(dir: &std::path::Path) -> Command {
        let mut cmd = Command::new("git");
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"])
            .arg("-C")
            .arg(dir)
            .stdin(std::process::Stdio::null());
        cmd
    }

    fn git(dir: &std::path::Path, args: &[&str]) {
        let status = git_command(dir).args(args).status().unwrap();
        assert!(status.success(), "git {args:?}");
    }

    /// An index written by git, read here and by `git ls-files --stage`, must agree.
    fn agrees_with_git(version: &str, configure: &[&[&str]]) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q"]);
        for args in configure {
            git(root, args);
        }
        for path in ["a.txt", "b/c.txt", "b/d/e.txt", "b.txt", "b-c.txt", "z"] {
            let file = root.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, path).unwrap();
        }
        git(root, &["add", "-A"]);
        // A path too long for the entry's 12-bit length field, which no file system allows.
        let blob = git_command(root).args(["rev-parse", ":a.txt"]).output().unwrap().stdout;
        let blob = String::from_utf8(blob).unwrap();
        git(root, &["update-index", "--add", "--cacheinfo", &format!("100644,{},{}", blob.trim(), "y".repeat(5000))]);
        git(root, &["update-index", "--index-version", version]);
        git(root, &["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"]);
        std::fs::write(root.join("new.txt"), "new").unwrap();
        git(root, &["add", "-N", "new.txt"]);
        std::fs::write(root.join("b/c.txt"), "changed").unwrap();
        git(root, &["add", "b/c.txt"]);

        let data = std::fs::read(root.join(".git/index")).unwrap();
        let index = IndexFile::parse(&data).unwrap();
        let ours: Vec<String> = index
            .entries()
            .iter()
            .map(|e| format!("{:o} {} 0\t{}", e.mode, e.id(), String::from_utf8_lossy(index.path(e))))
            .collect();
        let out = git_command(root).args(["ls-files", "--stage"]).output().unwrap();
        let theirs: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter(|l| !l.ends_with("new.txt"))
            .map(String::from)
            .collect();
        assert_eq!(ours, theirs);

        // The cache-tree: the root and b/ were invalidated by the change to b/c.txt, b/d/ not.
        let tree = index.cache_tree.as_ref().expect("git writes a cache-tree on commit");
        assert_eq!(tree.id, None);
        let b = tree.child(b"b").unwrap();
        assert_eq!(b.id, None);
        let head_d = git_command(root).args(["rev-parse", "HEAD:b/d"]).output().unwrap();
        let head_d = Oid::from_str(String::from_utf8(head_d.stdout).unwrap().trim()).unwrap();
        assert_eq!(b.child(b"d").unwrap().id, Some(head_d));
    }

    #[test]
    fn versions_2_3_and_4_agree_with_git() {
        agrees_with_git("2", &[]);
        agrees_with_git("3", &[]);
        agrees_with_git("4", &[]);
        agrees_with_git("2", &[&["config", "index.skipHash", "true"]]);
    }

    #[test]
    fn damage_is_an_error_and_mandatory_extensions_are_unsupported() {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q"]);
        std::fs::write(dir.path().join("a"), "a").unwrap();
        git(dir.path(), &["add", "a"]);
        let data = std::fs::read(dir.path().join(".git/index")).unwrap();
        assert!(IndexFile::parse(&data).is_ok());
        for cut in 0..data.len() {
            assert!(IndexFile::parse(&data[..cut]).is_err(), "truncated at {cut}");
        }
        let mut flipped = data.clone();
        flipped[20] ^= 1;
        assert!(IndexFile::parse(&flipped).is_err());

        // Two entries swapped: out of git's order.
        let two = {
            std::fs::write(dir.path().join("b"), "b").unwrap();
            git(dir.path(), &["add", "b"]);
            git(dir.path(), &["update-index", "--index-version", "2"]);
            std::fs::read(dir.path().join(".git/index")).unwrap()
        };
        let mut swapped = two[..two.len() - 20].to_vec();
        // Version 2: the header is 12 bytes, a path starts 62 bytes into its entry, and an
        // entry with a one-byte path takes 64 bytes.
        assert_eq!((swapped[12 + 62], swapped[12 + 64 + 62]), (b'a', b'b'));
        swapped.swap(12 + 62, 12 + 64 + 62);
        swapped.extend_from_slice(&[0; 20]);
        let e = IndexFile::parse(&swapped).unwrap_err();
        assert!(e.to_string().contains("out of order"), "{e}");

        let mut linked = data[..data.len() - 20].to_vec();
        linked.extend_from_slice(b"link\0\0\0\0");
        let sum = Sha1::digest(&linked);
        linked.extend_from_slice(&sum);
        let e = IndexFile::parse(&linked).unwrap_err();
        assert!(e.downcast_ref::<Unsupported>().is_some(), "{e}");
    }
}
