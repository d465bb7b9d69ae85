//! Writes that cannot be torn: a file is replaced whole or not at all, whatever kills the
//! process (SIGKILL, Ctrl-C, power loss), because users trust the files awsguard writes
//! (`.awsguard.toml`, hooks) to hold either what they had or what they asked for.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// Replaces `path` with `bytes` atomically: writes a temporary file in the same directory,
/// fsyncs it, renames it over `path`, then fsyncs the directory. An existing file keeps its
/// permissions. `path` itself must not be a symlink (renaming over it would replace the
/// link, not its target): the caller decides whether to follow it, and to where.
///
/// # Errors
/// `path` is a symlink or a directory, or the directory cannot be written.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let permissions = match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            bail!("{} is a symbolic link; refusing to replace it", path.display())
        }
        Ok(meta) if !meta.is_file() => bail!("{} is not a regular file", path.display()),
        Ok(meta) => Some(meta.permissions()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let (tmp, mut file) = create_temp(dir, path)?;
    let written = (|| -> io::Result<()> {
        if let Some(permissions) = permissions {
            file.set_permissions(permissions)?;
        }
        inject("write", &mut file, bytes)?;
        file.sync_all()?;
        drop(file);
        inject_abort("rename");
        fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing {} (it is unchanged)", path.display()));
    }
    // The rename is durable only once the directory is; a failure here leaves the new file.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// A new file next to `path`, created exclusively so no other writer or planted link is
/// followed; its name starts with a dot and ends in `.tmp` so git status shows it plainly
/// if a crash leaves it behind.
fn create_temp(dir: &Path, path: &Path) -> Result<(PathBuf, File)> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let pid = std::process::id();
    for attempt in 0..100u32 {
        let tmp = dir.join(format!(".{name}.awsguard-{pid}-{attempt}.tmp"));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e).with_context(|| format!("creating a temporary file in {}", dir.display())),
        }
    }
    bail!("cannot create a temporary file in {}: too many left-over .awsguard-*.tmp files", dir.display())
}

/// Writes `bytes`. Debug builds only: `AWSGUARD_INJECT_ABORT=write` aborts half-way
/// through, as a SIGKILL would, for the tests that prove the target is never torn.
fn inject(point: &str, file: &mut File, bytes: &[u8]) -> io::Result<()> {
    if cfg!(debug_assertions) && std::env::var_os("AWSGUARD_INJECT_ABORT").is_some_and(|v| v == point) {
        file.write_all(&bytes[..bytes.len() / 2])?;
        file.sync_all()?;
        std::process::abort();
    }
    file.write_all(bytes)
}

/// Debug builds only: `AWSGUARD_INJECT_ABORT=rename` aborts with the temporary file
/// complete but not yet renamed.
fn inject_abort(point: &str) {
    if cfg!(debug_assertions) && std::env::var_os("AWSGUARD_INJECT_ABORT").is_some_and(|v| v == point) {
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_and_keeps_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.toml");
        write_atomic(&path, b"one\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"one\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
            write_atomic(&path, b"two\n").unwrap();
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
        }
        assert_eq!(fs::read(&path).unwrap(), b"two\n" as &[u8]);
        // Nothing left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_symlink_and_leaves_its_target_alone() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        fs::write(&target, b"keep").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = write_atomic(&link, b"new").unwrap_err();
        assert!(format!("{err:#}").contains("symbolic link"), "{err:#}");
        assert_eq!(fs::read(&target).unwrap(), b"keep");
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d");
        fs::create_dir(&path).unwrap();
        assert!(write_atomic(&path, b"x").is_err());
        assert!(path.is_dir());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
