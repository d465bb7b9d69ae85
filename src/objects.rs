//! Blob contents from the object database.
//!
//! A file just staged is a loose object: one zlib stream under `objects/`. Those are read
//! here directly, inflated with zlib-rs straight into a buffer of the size the header
//! declares, which is about twice as fast as libgit2 with the system zlib on a large file.
//! Everything else (packed objects, alternates, objects that are not blobs) goes through
//! libgit2, which also words the errors.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::{Decompress, FlushDecompress, Status};
use git2::{Blob, Oid, Repository};

/// A blob's bytes, read by whichever reader could.
pub enum Content<'r> {
    Loose(Vec<u8>),
    Git(Blob<'r>),
}

impl std::ops::Deref for Content<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Content::Loose(bytes) => bytes,
            Content::Git(blob) => blob.content(),
        }
    }
}

/// Reads blobs of one repository.
pub struct Objects {
    /// The loose object directory, unless git was told to look elsewhere.
    loose: Option<PathBuf>,
}

impl Objects {
    pub fn new(repo: &Repository) -> Objects {
        // `GIT_OBJECT_DIRECTORY` and `GIT_ALTERNATE_OBJECT_DIRECTORIES` move or extend the
        // database in ways only libgit2 follows.
        let redirected = ["GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|v| !v.is_empty()));
        Objects { loose: (!redirected).then(|| repo.commondir().join("objects")) }
    }

    /// The blob `id`.
    ///
    /// # Errors
    /// When the object is missing, damaged, or not a blob.
    pub fn blob<'r>(&self, repo: &'r Repository, id: Oid) -> Result<Content<'r>, git2::Error> {
        if let Some(dir) = &self.loose {
            // A damaged loose object is reported here: libgit2 can loop forever on one.
            if let Some(bytes) = read_loose_blob(dir, id).map_err(|e| git2::Error::from_str(&e))? {
                return Ok(Content::Loose(bytes));
            }
        }
        repo.find_blob(id).map(Content::Git)
    }
}

/// The content of the loose blob `id`; `None` when there is no such loose object or it is
/// not a blob.
fn read_loose_blob(objects: &Path, id: Oid) -> Result<Option<Vec<u8>>, String> {
    let hex = id.to_string();
    let path = objects.join(&hex[..2]).join(&hex[2..]);
    let mut compressed = Vec::new();
    match File::open(&path) {
        Ok(mut file) => file.read_to_end(&mut compressed).map_err(|e| format!("reading {}: {e}", path.display()))?,
        Err(_) => return Ok(None),
    };
    let damaged = |what: &str| format!("the loose object {} is damaged ({what})", path.display());
    let mut inflate = Decompress::new(true);
    // The header, "blob <size>\0", fits in 32 bytes.
    let mut head = Vec::with_capacity(32);
    inflate.decompress_vec(&compressed, &mut head, FlushDecompress::None).map_err(|e| damaged(&e.to_string()))?;
    let nul = memchr::memchr(0, &head).ok_or_else(|| damaged("no header"))?;
    let Some(size) = head[..nul].strip_prefix(b"blob ") else { return Ok(None) };
    let size: usize =
        std::str::from_utf8(size).ok().and_then(|s| s.parse().ok()).ok_or_else(|| damaged("a malformed header"))?;
    // One spare byte, so that content longer than declared is seen, not cut off.
    let mut out = Vec::new();
    out.try_reserve_exact(size.saturating_add(1)).map_err(|_| format!("{size} bytes do not fit in memory"))?;
    out.extend_from_slice(&head[nul + 1..]);
    loop {
        let consumed = usize::try_from(inflate.total_in()).unwrap_or(usize::MAX).min(compressed.len());
        let before = (consumed, out.len());
        let status = inflate
            .decompress_vec(&compressed[consumed..], &mut out, FlushDecompress::Finish)
            .map_err(|e| damaged(&e.to_string()))?;
        match status {
            Status::StreamEnd => break,
            _ if out.len() > size => return Err(damaged("longer than its header says")),
            _ if (usize::try_from(inflate.total_in()).unwrap_or(usize::MAX), out.len()) == before => {
                return Err(damaged("truncated"));
            }
            _ => {}
        }
    }
    if out.len() != size {
        return Err(damaged("shorter than its header says"));
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_blobs_read_like_libgit2_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let objects = Objects::new(&repo);
        let mut rng = fastrand::Rng::with_seed(1);
        for len in [0, 1, 31, 32, 100, 70_000, 3_000_000] {
            let content: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
            let id = repo.blob(&content).unwrap();
            let read = objects.blob(&repo, id).unwrap();
            assert!(matches!(read, Content::Loose(_)), "{len} bytes read directly");
            assert_eq!(&*read, &content[..]);
        }
        // Not a blob, missing, or damaged: libgit2 decides.
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
        let err = objects.blob(&repo, id).err().expect("a damaged object is an error");
        assert!(err.message().contains("is damaged"), "{err}");
    }
}
