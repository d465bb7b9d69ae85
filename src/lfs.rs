//! Git LFS: a tracked file's blob is a small pointer, and its content lives in
//! `.git/lfs/objects` until `git push` uploads it. A key in such a file leaks all the same,
//! so the content the pointer names is what gets scanned.

use std::path::PathBuf;

use anyhow::{Result, bail};
use git2::Repository;

const POINTER_PREFIX: &[u8] = b"version https://git-lfs.github.com/spec/v1\n";

/// LFS pointer files are tiny; anything larger is content, not a pointer.
const MAX_POINTER_BYTES: usize = 1024;

/// The SHA-256 a Git LFS pointer names, if `blob` is one.
pub fn pointer_oid(blob: &[u8]) -> Option<&str> {
    if blob.len() > MAX_POINTER_BYTES || !blob.starts_with(POINTER_PREFIX) {
        return None;
    }
    let text = std::str::from_utf8(blob).ok()?;
    let oid = text.lines().find_map(|l| l.strip_prefix("oid sha256:"))?;
    (oid.len() == 64 && oid.bytes().all(|b| b.is_ascii_hexdigit())).then_some(oid)
}

/// The content behind an LFS pointer, from the repository's local LFS store. `path` names
/// the file in the error, escaped only then: this runs for every blob.
///
/// # Errors
/// When the blob is a pointer but its content is not stored locally: the commit would
/// ship content awsguard cannot see, so it fails closed.
pub fn content(repo: &Repository, blob: &[u8], path: &[u8]) -> Result<Option<Vec<u8>>> {
    let Some(oid) = pointer_oid(blob) else { return Ok(None) };
    let file: PathBuf = repo.commondir().join("lfs").join("objects").join(&oid[..2]).join(&oid[2..4]).join(oid);
    match std::fs::read(&file) {
        Ok(content) => Ok(Some(content)),
        Err(e) => bail!(
            "{} is a Git LFS pointer, but its content ({}) cannot be read: {e}. \
             Run `git lfs fetch` (or stage the file again with git-lfs installed) so awsguard can scan it",
            crate::report::escape(path),
            file.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_pointers() {
        let oid = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393";
        let pointer = format!("version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize 12345\n");
        assert_eq!(pointer_oid(pointer.as_bytes()), Some(oid));
        assert_eq!(pointer_oid(b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\n"), None);
        assert_eq!(pointer_oid(b"just a file\n"), None);
    }
}
