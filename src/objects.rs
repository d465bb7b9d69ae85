//! Blob contents from the object database.
//!
//! A file just staged is a loose object: one zlib stream under `objects/`. Those are read
//! here directly: the file is read (mapped, when large), its header inflated to learn the
//! size, and the whole stream inflated in one call by libdeflate into a buffer of that
//! size. On a 50 MB file that is a third faster than streaming zlib-rs, and twice as fast
//! as libgit2 with the system zlib. Packed blobs are read directly too, by [`pack`](crate::pack),
//! each reader on its own (libgit2 locks a pack for all threads). Objects are looked for
//! where git looks, the push quarantine of a pre-receive hook included. Everything else
//! (`objects/info/alternates`, objects that are not blobs, anything the pack reader does
//! not trust) goes through libgit2, which also words the errors.

use std::fs::File;
use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use flate2::{Decompress, FlushDecompress};
use git2::{Blob, Oid, Repository};
use libdeflater::{DecompressionError, Decompressor};

use crate::pack::{Packed, Packs, SharedPacks};
use crate::tree::Tree;

/// A blob's bytes, read by whichever reader could.
pub enum Content<'r> {
    /// A loose object inflated whole: its header, the blob at `content`, a spare byte.
    Loose {
        object: Buffer,
        content: Range<usize>,
    },
    /// A packed blob, its deltas applied: shared with the reader's cache of bases.
    Packed(Rc<Buffer>),
    Git(Blob<'r>),
    /// A blob too large to hold, written to an unlinked file and mapped: only the pages
    /// read count against memory, and the kernel may drop them again.
    Spilled(memmap2::Mmap),
}

impl std::ops::Deref for Content<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Content::Loose { object, content } => &object[content.clone()],
            Content::Packed(buffer) => buffer,
            Content::Git(blob) => blob.content(),
            Content::Spilled(map) => map,
        }
    }
}

/// Zeroed memory to inflate into. A large object gets its own mapping on huge pages where
/// the system allows them: filling 50 MB then costs a few dozen page faults instead of
/// thirteen thousand, which was a fifth of the time spent reading it.
pub enum Buffer {
    Heap(Vec<u8>),
    Mapped(memmap2::MmapMut),
}

/// From this size on, an object file is mapped rather than read, and a buffer mapped rather
/// than allocated.
const MAP_FROM: usize = 4 << 20;

impl Buffer {
    pub(crate) fn zeroed(len: usize) -> Option<Buffer> {
        if len >= MAP_FROM {
            let map = memmap2::MmapMut::map_anon(len).ok()?;
            // Only advice (and only Linux has it): without huge pages the mapping still
            // works, page by page.
            #[cfg(target_os = "linux")]
            let _ = map.advise(memmap2::Advice::HugePage);
            return Some(Buffer::Mapped(map));
        }
        let mut heap = Vec::new();
        heap.try_reserve_exact(len).ok()?;
        heap.resize(len, 0);
        Some(Buffer::Heap(heap))
    }

    /// `len` bytes written by `fill`, which gets a pointer to them and says whether it wrote
    /// every one. A heap buffer is not zeroed first: for the many small objects a history
    /// scan inflates, zeroing memory only for libdeflate to overwrite it cost 2% of the scan.
    ///
    /// # Safety
    /// When `fill` returns `true`, it has written all `len` bytes after the pointer.
    pub(crate) unsafe fn written(len: usize, fill: impl FnOnce(*mut u8) -> bool) -> Option<Buffer> {
        if len >= MAP_FROM {
            let mut mapped = Buffer::zeroed(len)?;
            return fill(mapped.as_mut_ptr()).then_some(mapped);
        }
        let mut heap = Vec::new();
        heap.try_reserve_exact(len).ok()?;
        if !fill(heap.as_mut_ptr()) {
            return None;
        }
        // SAFETY: the capacity is at least `len`, and `fill` wrote that many bytes.
        unsafe { heap.set_len(len) };
        Some(Buffer::Heap(heap))
    }
}

impl std::ops::Deref for Buffer {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Buffer::Heap(heap) => heap,
            Buffer::Mapped(map) => map,
        }
    }
}

impl std::ops::DerefMut for Buffer {
    fn deref_mut(&mut self) -> &mut [u8] {
        match self {
            Buffer::Heap(heap) => heap,
            Buffer::Mapped(map) => map,
        }
    }
}

/// Reads blobs of one repository.
pub struct Objects {
    /// Where loose objects are looked for first, in git's order: the object directory
    /// (`GIT_OBJECT_DIRECTORY`, the push quarantine during pre-receive, else the
    /// repository's), then `GIT_ALTERNATE_OBJECT_DIRECTORIES`. Whatever is neither there
    /// nor in their packs (`objects/info/alternates`, say) libgit2 reads. Each with the fan-out directories
    /// (`objects/ab/`) it had when the reader was made: a history scan of a packed
    /// repository would otherwise try to open one missing file per blob.
    loose: Vec<(PathBuf, FanOut)>,
    /// The packs of the same directories, read by this reader alone (their read-only
    /// mappings may be shared with other readers).
    packs: Packs,
}

/// Which of the 256 fan-out directories `objects/00/` to `objects/ff/` exist.
struct FanOut([bool; 256]);

impl FanOut {
    fn of(dir: &Path) -> FanOut {
        let mut present = [false; 256];
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let name = entry.file_name();
            if let Some(byte) = name.to_str().filter(|n| n.len() == 2).and_then(|n| u8::from_str_radix(n, 16).ok()) {
                present[usize::from(byte)] = true;
            }
        }
        FanOut(present)
    }

    fn may_hold(&self, id: Oid) -> bool {
        self.0[usize::from(id.as_bytes()[0])]
    }
}

impl Objects {
    /// A reader of the loose objects that exist now (git writes a commit's or a push's
    /// objects before it runs the hook), and, through libgit2, of everything else.
    pub fn new(repo: &Repository) -> Objects {
        let primary = env_path("GIT_OBJECT_DIRECTORY").unwrap_or_else(|| repo.commondir().join("objects"));
        let mut dirs = vec![primary];
        dirs.extend(quarantine_directory());
        dirs.extend(alternate_directories());
        let packs = Packs::new(dirs.clone());
        Objects { loose: dirs.into_iter().map(|dir| (FanOut::of(&dir), dir)).map(|(f, d)| (d, f)).collect(), packs }
    }

    /// A reader like [`Objects::new`] that reads the packs another has opened (see
    /// [`Objects::packs`]): for the threads of one scan, each with its own reader.
    pub fn sharing(repo: &Repository, packs: &SharedPacks) -> Objects {
        let objects = Objects::new(repo);
        Objects { packs: Packs::sharing(packs), ..objects }
    }

    /// The packs this reader reads, opened, for [`Objects::sharing`].
    pub fn packs(&self) -> SharedPacks {
        self.packs.share()
    }

    /// The blob `id`.
    ///
    /// # Errors
    /// When the object is missing, damaged, not a blob, or too large to hold in memory;
    /// the kind is kept so the message can say what to do.
    pub fn blob<'r>(&self, repo: &'r Repository, id: Oid) -> Result<Content<'r>, ReadError> {
        Ok(self.blob_within(repo, id, usize::MAX)?.expect("no blob is larger than usize::MAX"))
    }

    /// The blob `id` if it is at most `limit` bytes; `None` if it is larger: read it with
    /// [`Objects::stream`] instead. A loose or packed object's size comes free with its
    /// header; only one left to libgit2 costs a lookup of its own.
    ///
    /// # Errors
    /// As [`Objects::blob`].
    pub fn blob_within<'r>(
        &self,
        repo: &'r Repository,
        id: Oid,
        limit: usize,
    ) -> Result<Option<Content<'r>>, ReadError> {
        for (dir, fan_out) in &self.loose {
            if !fan_out.may_hold(id) {
                continue;
            }
            // A damaged loose object is reported here: libgit2 can loop forever on one.
            match read_loose_blob(dir, id, limit)? {
                Loose::Read(object, content) => return Ok(Some(Content::Loose { object, content })),
                Loose::Larger => return Ok(None),
                Loose::NotHere => {}
            }
        }
        match self.packs.blob(id.as_bytes(), limit) {
            Packed::Read(blob) => return Ok(Some(Content::Packed(blob))),
            Packed::Larger => return Ok(None),
            Packed::NotHere => {}
        }
        let git_error = |e: git2::Error| match (e.class(), e.code()) {
            (git2::ErrorClass::NoMemory, _) => ReadError::OutOfMemory {
                size: repo.odb().and_then(|odb| odb.read_header(id)).ok().map(|(size, _)| size),
            },
            (_, git2::ErrorCode::NotFound) => ReadError::Missing(e),
            _ => ReadError::Git(e),
        };
        if limit < usize::MAX {
            let (size, kind) = repo.odb().and_then(|odb| odb.read_header(id)).map_err(git_error)?;
            if kind == git2::ObjectType::Blob && size > limit {
                return Ok(None);
            }
        }
        repo.find_blob(id).map(|blob| Some(Content::Git(blob))).map_err(git_error)
    }

    /// The tree `id`: from the packs, else (a loose tree, an alternate's) through libgit2,
    /// which also words the errors.
    ///
    /// # Errors
    /// When the object is missing, damaged or not a tree.
    pub fn tree(&self, repo: &Repository, id: Oid) -> anyhow::Result<Tree> {
        if let Some(bytes) = self.packs.tree(id.as_bytes()) {
            return Ok(Tree::checked(bytes));
        }
        let odb = repo.odb()?;
        let object = odb.read(id)?;
        if object.kind() != git2::ObjectType::Tree {
            anyhow::bail!("the object is a {}, not a tree", object.kind().str());
        }
        Tree::parse(id, Rc::new(Buffer::Heap(object.data().to_vec())))
    }

    /// The blob `id` as a stream, for one too large to hold in memory: a loose object is
    /// inflated as it is read; anything else comes from `git cat-file blob`, which streams
    /// a packed blob where libgit2 would read it whole. The stream fails (an I/O error)
    /// when the object is damaged, or ends before or after the size it declares.
    ///
    /// # Errors
    /// When the object cannot be opened or git cannot be started.
    pub fn stream(&self, repo: &Repository, id: Oid) -> Result<Box<dyn Read>, ReadError> {
        for (dir, fan_out) in &self.loose {
            if !fan_out.may_hold(id) {
                continue;
            }
            let hex = id.to_string();
            let path = dir.join(&hex[..2]).join(&hex[2..]);
            let Ok(file) = File::open(&path) else { continue };
            let mut inflated = flate2::read::ZlibDecoder::new(std::io::BufReader::with_capacity(1 << 16, file));
            let damaged = |what: String| ReadError::Damaged { path: path.clone(), what };
            let mut head = Vec::with_capacity(32);
            let mut byte = [0u8];
            while head.len() < 32 {
                match inflated.read(&mut byte) {
                    Ok(1) if byte[0] == 0 => break,
                    Ok(1) => head.push(byte[0]),
                    Ok(_) => return Err(damaged("no header".into())),
                    Err(e) => return Err(damaged(e.to_string())),
                }
            }
            let size =
                blob_size(&head).map_err(|what| damaged(what.into()))?.ok_or_else(|| damaged("not a blob".into()))?;
            return Ok(Box::new(Exact { inner: inflated, left: size as u64, child: None }));
        }
        let (size, _) = repo.odb().and_then(|odb| odb.read_header(id)).map_err(|e| match e.code() {
            git2::ErrorCode::NotFound => ReadError::Missing(e),
            _ => ReadError::Git(e),
        })?;
        // git maps up to 1 GiB windows of a pack by default: small windows keep its
        // resident memory to a few dozen MiB whatever the blob's size.
        let mut child = std::process::Command::new("git")
            .args(["-c", "core.packedGitWindowSize=16m", "-c", "core.packedGitLimit=64m", "--git-dir"])
            .arg(repo.path())
            .args(["cat-file", "blob", &id.to_string()])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|source| ReadError::Io { path: PathBuf::from("git cat-file"), source })?;
        let stdout = child.stdout.take().expect("piped above");
        Ok(Box::new(Exact { inner: stdout, left: size as u64, child: Some(child) }))
    }
}

impl Objects {
    /// The blob `id` through [`Objects::stream`], written to a file that is unlinked at once
    /// (in the git directory, else the temporary directory) and mapped: an archive too
    /// large to hold is opened where it lies, its central directory and members paged in
    /// as they are read.
    ///
    /// # Errors
    /// When the blob cannot be read or no file can be written.
    pub fn spill<'r>(&self, repo: &'r Repository, id: Oid) -> Result<Content<'r>, ReadError> {
        let mut stream = self.stream(repo, id)?;
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ReadError::Io { path, source }
        };
        let name = format!(".awsguard-{}-{id}.tmp", std::process::id());
        let (mut file, path) = [repo.path().to_path_buf(), std::env::temp_dir()]
            .into_iter()
            .map(|dir| dir.join(&name))
            .find_map(|path| {
                let file = std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&path).ok()?;
                Some((file, path))
            })
            .ok_or_else(|| ReadError::Io {
                path: repo.path().join(&name),
                source: std::io::Error::other("no directory to write a large blob to"),
            })?;
        // Unlinked while open, it vanishes with the process whatever happens; where a
        // system refuses that, it goes once copied and mapped.
        let unlinked = std::fs::remove_file(&path).is_ok();
        let copied = std::io::copy(&mut stream, &mut file).map_err(io(&path));
        // SAFETY: the file is private to this process (created new, unlinked) and is not
        // written again once mapped.
        let map = copied.and_then(|_| unsafe { memmap2::Mmap::map(&file) }.map_err(io(&path)));
        if !unlinked {
            let _ = std::fs::remove_file(&path);
        }
        Ok(Content::Spilled(map?))
    }
}

/// A non-empty environment variable as a path.
fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// The push quarantine (`GIT_QUARANTINE_PATH`) when it is not already the object directory:
/// git names it in both during pre-receive, but a server wrapper may pass on only one.
pub fn quarantine_directory() -> Option<PathBuf> {
    env_path("GIT_QUARANTINE_PATH").filter(|q| env_path("GIT_OBJECT_DIRECTORY").as_ref() != Some(q))
}

/// `GIT_ALTERNATE_OBJECT_DIRECTORIES`, split as git splits it: on `:`, an entry that starts
/// with `"` being C-quoted (git quotes paths holding `:` or `"`).
pub fn alternate_directories() -> Vec<PathBuf> {
    let Some(list) = std::env::var_os("GIT_ALTERNATE_OBJECT_DIRECTORIES") else { return Vec::new() };
    parse_alternates(&list.to_string_lossy())
}

fn parse_alternates(list: &str) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    let mut rest = list;
    while !rest.is_empty() {
        let (entry, after) = match rest.strip_prefix('"') {
            Some(quoted) => {
                let mut entry = String::new();
                let mut chars = quoted.char_indices();
                let mut end = quoted.len();
                while let Some((i, c)) = chars.next() {
                    match c {
                        '"' => {
                            end = i + 1;
                            break;
                        }
                        '\\' => match chars.next().map(|(_, c)| c) {
                            Some('n') => entry.push('\n'),
                            Some('t') => entry.push('\t'),
                            Some(c) => entry.push(c),
                            None => {}
                        },
                        c => entry.push(c),
                    }
                }
                let after = &quoted[end..];
                (entry, after.split_once(':').map_or("", |(_, a)| a))
            }
            None => match rest.split_once(':') {
                Some((entry, after)) => (entry.to_string(), after),
                None => (rest.to_string(), ""),
            },
        };
        if !entry.is_empty() {
            dirs.push(PathBuf::from(entry));
        }
        rest = after;
    }
    dirs
}

/// Why a blob could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// No such object (or not a blob), as libgit2 says.
    Missing(git2::Error),
    /// A loose object whose bytes are wrong: what is wrong with it.
    Damaged { path: PathBuf, what: String },
    /// The object's size, where known, which cannot be allocated.
    OutOfMemory { size: Option<usize> },
    /// The object file could not be read.
    Io { path: PathBuf, source: std::io::Error },
    /// Any other libgit2 failure.
    Git(git2::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Missing(e) | ReadError::Git(e) => write!(f, "{}", e.message()),
            ReadError::Damaged { path, what } => write!(f, "the loose object {} is damaged ({what})", path.display()),
            ReadError::OutOfMemory { size: Some(size) } => write!(f, "{size} bytes do not fit in memory"),
            ReadError::OutOfMemory { size: None } => write!(f, "the object does not fit in memory"),
            ReadError::Io { path, source } => write!(f, "reading {}: {source}", path.display()),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Missing(e) | ReadError::Git(e) => Some(e),
            ReadError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// A stream that must yield exactly `left` more bytes, then end; with `child`, the git
/// process writing it, which must then exit successfully.
struct Exact<R> {
    inner: R,
    left: u64,
    child: Option<std::process::Child>,
}

impl<R: Read> Read for Exact<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::io::{Error, ErrorKind};
        if buf.is_empty() {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        if n == 0 {
            if self.left > 0 {
                return Err(Error::new(ErrorKind::UnexpectedEof, "the blob is shorter than its header says"));
            }
            if let Some(mut child) = self.child.take() {
                let status = child.wait()?;
                if !status.success() {
                    return Err(Error::other(format!("`git cat-file blob` failed ({status})")));
                }
            }
            return Ok(0);
        }
        self.left =
            self.left.checked_sub(n as u64).ok_or_else(|| Error::other("the blob is longer than its header says"))?;
        Ok(n)
    }
}

impl<R> Drop for Exact<R> {
    fn drop(&mut self) {
        // A stream abandoned before its end (the pass chose to read the blob whole).
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// What [`read_loose_blob`] found.
enum Loose {
    /// The object inflated, and where in it the blob is.
    Read(Buffer, Range<usize>),
    /// A blob larger than the limit: not read.
    Larger,
    /// No such loose object, or not a blob.
    NotHere,
}

/// The loose object `id` inflated if it is a blob of at most `limit` bytes.
fn read_loose_blob(objects: &Path, id: Oid, limit: usize) -> Result<Loose, ReadError> {
    let hex = id.to_string();
    let path = objects.join(&hex[..2]).join(&hex[2..]);
    let Ok(file) = File::open(&path) else { return Ok(Loose::NotHere) };
    let read_error = |source: std::io::Error| ReadError::Io { path: path.clone(), source };
    let len = file.metadata().map_err(read_error)?.len();
    let (mut read, map);
    let compressed: &[u8] = if len < MAP_FROM as u64 {
        // Mapping costs more than copying a small file, above all with other threads running.
        read = Vec::new();
        (&file).read_to_end(&mut read).map_err(read_error)?;
        &read
    } else {
        // SAFETY: git writes a loose object to a temporary file and renames it into place,
        // and never writes it again, so the mapped file does not change under us. Mapping
        // spares copying (and zeroing a buffer for) megabytes of compressed bytes.
        map = unsafe { memmap2::Mmap::map(&file) }.map_err(read_error)?;
        &map
    };
    match inflate_loose(compressed, limit) {
        Ok(Some((object, content))) => Ok(Loose::Read(object, content)),
        Ok(None) => Ok(Loose::NotHere),
        Err(Unreadable::Larger) => Ok(Loose::Larger),
        Err(Unreadable::Damaged(what)) => Err(ReadError::Damaged { path: path.clone(), what }),
        Err(Unreadable::TooLarge(size)) => Err(ReadError::OutOfMemory { size: Some(size) }),
    }
}

/// Why a loose object cannot be read.
#[derive(Debug)]
pub enum Unreadable {
    /// What is wrong with it.
    Damaged(String),
    /// The size its header declares, which cannot be allocated.
    TooLarge(usize),
    /// Larger than the limit asked for: not inflated.
    Larger,
}

/// The size a loose object's header (`<type> <size>`, without its NUL) declares; `None`
/// for an object that is not a blob.
fn blob_size(header: &[u8]) -> Result<Option<usize>, &'static str> {
    let Some(size) = header.strip_prefix(b"blob ") else { return Ok(None) };
    std::str::from_utf8(size).ok().and_then(|s| s.parse().ok()).map(Some).ok_or("a malformed header")
}

/// A loose object's bytes (a zlib stream of `<type> <size>\0<content>`) inflated, and where
/// in them the content is; `None` when the object is not a blob.
///
/// # Errors
/// When the stream is damaged, its size disagrees with its header, or the size is too large
/// to allocate.
pub fn inflate_loose(compressed: &[u8], limit: usize) -> Result<Option<(Buffer, Range<usize>)>, Unreadable> {
    let damaged = |what: &str| Unreadable::Damaged(what.to_string());
    if compressed.is_empty() {
        return Err(damaged("empty"));
    }
    // The header, "blob <size>\0", fits in 32 bytes.
    let mut head = Vec::with_capacity(32);
    Decompress::new(true)
        .decompress_vec(compressed, &mut head, FlushDecompress::None)
        .map_err(|e| damaged(&e.to_string()))?;
    let nul = memchr::memchr(0, &head).ok_or_else(|| damaged("no header"))?;
    let Some(size) = blob_size(&head[..nul]).map_err(damaged)? else { return Ok(None) };
    if size > limit {
        return Err(Unreadable::Larger);
    }
    let whole = (nul + 1).checked_add(size).ok_or(Unreadable::TooLarge(size))?;
    // One spare byte, so that content longer than declared is seen, not cut off.
    let mut object = whole.checked_add(1).and_then(Buffer::zeroed).ok_or(Unreadable::TooLarge(size))?;
    match Decompressor::new().zlib_decompress(compressed, &mut object) {
        Ok(n) if n == whole => Ok(Some((object, nul + 1..whole))),
        Ok(n) if n > whole => Err(damaged("longer than its header says")),
        Ok(_) => Err(damaged("shorter than its header says")),
        Err(DecompressionError::InsufficientSpace) => Err(damaged("longer than its header says")),
        Err(DecompressionError::BadData) => Err(damaged("truncated or corrupt")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_blobs_read_like_libgit2_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let mut rng = fastrand::Rng::with_seed(1);
        for len in [0, 1, 31, 32, 100, 70_000, MAP_FROM - 20, MAP_FROM + 1000] {
            let content: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
            let id = repo.blob(&content).unwrap();
            // A reader sees the loose objects that existed when it was made.
            let objects = Objects::new(&repo);
            let read = objects.blob(&repo, id).unwrap();
            assert!(matches!(read, Content::Loose { .. }), "{len} bytes read directly");
            assert_eq!(&*read, &content[..]);
        }
        // Not a blob or missing: libgit2 decides. Damaged: reported here.
        let objects = Objects::new(&repo);
        let tree = repo.treebuilder(None).unwrap().write().unwrap();
        assert!(objects.blob(&repo, tree).is_err());
        let missing = Oid::from_str("0123456789012345678901234567890123456789").unwrap();
        assert!(objects.blob(&repo, missing).is_err());
        let id = repo.blob(b"some content that will be damaged").unwrap();
        let hex = id.to_string();
        let path = dir.path().join(".git/objects").join(&hex[..2]).join(&hex[2..]);
        let mut bytes = std::fs::read(&path).unwrap();
        let n = bytes.len();
        bytes[n - 6] ^= 0xff;
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, &bytes).unwrap();
        let objects = Objects::new(&repo);
        let err = objects.blob(&repo, id).err().expect("a damaged object is an error");
        assert!(err.to_string().contains("is damaged"), "{err}");
    }

    #[test]
    fn alternates_split_and_unquote_as_git_does() {
        let dirs = parse_alternates("/a/objects:\"/b:c/\\\"q\\\"/objects\"::/d");
        assert_eq!(dirs, [PathBuf::from("/a/objects"), PathBuf::from("/b:c/\"q\"/objects"), PathBuf::from("/d")]);
        assert!(parse_alternates("").is_empty());
    }

    #[test]
    fn a_header_that_lies_about_the_size_is_damage() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let id = Oid::from_str("0123456789012345678901234567890123456789").unwrap();
        let path = dir.path().join(".git/objects/01/23456789012345678901234567890123456789");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let objects = Objects::new(&repo);
        for (raw, says) in [
            (&b"blob 5\0hello world"[..], Some("longer than its header says")),
            (b"blob 50\0hello world", Some("shorter than its header says")),
            (b"blob x\0hello world", Some("a malformed header")),
            (b"blob 11hello world", Some("no header")),
            (b"blob 11\0hello world", None),
        ] {
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            std::io::Write::write_all(&mut z, raw).unwrap();
            std::fs::write(&path, z.finish().unwrap()).unwrap();
            let read = objects.blob(&repo, id);
            match says {
                Some(says) => {
                    let err = read.err().expect("a lying header is an error");
                    assert!(err.to_string().contains(says), "{err}");
                }
                None => assert_eq!(&*read.unwrap(), b"hello world"),
            }
        }
        std::fs::write(&path, b"").unwrap();
        assert!(objects.blob(&repo, id).err().unwrap().to_string().contains("empty"));
    }
}
