//! Hook files: recognising awsguard's own, and replacing one atomically.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// The line that identifies a script as awsguard's own.
const MARKER: &str = "# awsguard-hook";

/// Suffix under which a hook that was already installed is kept.
pub const CHAINED: &str = ".pre-awsguard";

pub fn is_ours(script: &[u8]) -> bool {
    script.split(|&b| b == b'\n').any(|line| line == MARKER.as_bytes())
}

pub fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

pub fn chained_path(hook: &Path) -> PathBuf {
    let mut name = hook.file_name().expect("hook paths have a name").to_os_string();
    name.push(CHAINED);
    hook.with_file_name(name)
}

/// Replaces `path` with `content` atomically: a temporary file in the same directory,
/// synced, then renamed over it, so a hook running meanwhile sees the old file or the new
/// one and a symbolic link is replaced, never written through. With `keep`, what was at
/// `path` is kept as `<path>.pre-awsguard` (linked there first, so that nothing is ever
/// moved aside without the new hook in place).
///
/// # Errors
/// When a file cannot be written, or `keep` finds a kept hook already there.
pub fn write_atomic(path: &Path, content: &[u8], mode: u32, keep: bool) -> Result<()> {
    let kept = chained_path(path);
    if keep && fs::symlink_metadata(&kept).is_ok() {
        bail!(
            "{} is not awsguard's hook, and {} already exists: awsguard will not overwrite either. \
             Merge them by hand (or remove one), then run `awsguard install` again",
            path.display(),
            kept.display()
        );
    }
    let dir = path.parent().context("a hook path has a directory")?;
    let name = path.file_name().context("a hook path has a name")?.to_string_lossy();
    let temp = dir.join(format!(".{name}.awsguard-{}.tmp", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let mut file = fs::OpenOptions::new().write(true).create_new(true).open(&temp)?;
        file.write_all(content)?;
        set_mode(&file, mode)?;
        file.sync_all()
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(e).with_context(|| format!("writing {}", temp.display()));
    }
    if keep {
        // A second name for the user's hook, then the new one over the first: the user's
        // hook is never missing, and never moved aside for a hook that is not in place.
        if let Err(e) = fs::hard_link(path, &kept).or_else(|_| copy_link_or_file(path, &kept)) {
            let _ = fs::remove_file(&temp);
            return Err(e).with_context(|| format!("keeping {} as {}", path.display(), kept.display()));
        }
    }
    if let Err(e) = fs::rename(&temp, path) {
        let _ = fs::remove_file(&temp);
        if keep {
            let _ = fs::remove_file(&kept);
        }
        return Err(e).with_context(|| format!("replacing {}", path.display()));
    }
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Where hard links are not possible: a copy of a symbolic link as a link, of a file as a
/// file with its permissions.
fn copy_link_or_file(from: &Path, to: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    if is_symlink(from) {
        return std::os::unix::fs::symlink(fs::read_link(from)?, to);
    }
    fs::copy(from, to).map(|_| ())
}

#[cfg(unix)]
fn set_mode(file: &fs::File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &fs::File, _: u32) -> std::io::Result<()> {
    Ok(())
}

/// The permission bits of an existing file, or `default`.
pub fn mode_of(path: &Path, default: u32) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).map(|m| m.permissions().mode() & 0o7777).unwrap_or(default)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        default
    }
}
