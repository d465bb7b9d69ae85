//! Archives committed as blobs (a Lambda deployment `.zip`, a `.jar`, a `.whl`, a
//! `.tar.gz`): a line scanner sees compressed bytes, so the members are decompressed in
//! memory and scanned one by one, nested archives too, within bounds that a zip bomb
//! cannot slip past: exceeding one is an error, never a silent pass.

use std::fmt;
use std::io::{Cursor, Read};

use flate2::read::GzDecoder;

/// Bounds on what archive scanning may cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Archives inside archives are opened this deep; deeper ones are scanned as bytes.
    pub max_depth: u32,
    /// Decompressed bytes per top-level archive.
    pub max_archive_bytes: u64,
    /// Decompressed bytes for all archives of one scan (a commit, a push).
    pub max_total_bytes: u64,
    /// Members per archive.
    pub max_members: u64,
    /// Decompressed-to-compressed ratio a member larger than [`RATIO_FLOOR`] may reach.
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 3,
            max_archive_bytes: 256 << 20,
            max_total_bytes: 1 << 30,
            max_members: 10_000,
            max_ratio: 1_000,
        }
    }
}

/// Members smaller than this are never refused for their compression ratio: a small file
/// of repeated bytes compresses well without being a bomb.
pub const RATIO_FLOOR: u64 = 1 << 20;

/// Why an archive could not be scanned completely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A bound was exceeded: which one, and the limit.
    Bound(String),
    /// The archive (or a member) could not be read.
    Unreadable(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Bound(what) => write!(f, "exceeds a bound: {what}"),
            Problem::Unreadable(what) => write!(f, "cannot be read: {what}"),
        }
    }
}

/// The archive formats awsguard opens, recognised by content, whatever the file name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Zip and everything built on it: .jar, .war, .whl, .nupkg, .apk, .docx...
    Zip,
    Gzip,
    Tar,
}

/// The archive format of `bytes`, from its magic numbers.
pub fn format(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        Some(Format::Zip)
    } else if bytes.starts_with(b"\x1f\x8b\x08") {
        Some(Format::Gzip)
    } else if bytes.get(257..262) == Some(b"ustar") {
        Some(Format::Tar)
    } else {
        None
    }
}

/// The decompressed-bytes budget of one scan, shared by all its archives.
#[derive(Debug)]
pub struct Budget {
    pub limits: Limits,
    total_left: u64,
}

impl Budget {
    pub fn new(limits: Limits) -> Budget {
        Budget { limits, total_left: limits.max_total_bytes }
    }
}

/// Calls `visit(member_path, content)` for every file in the archive `bytes`, opening
/// nested archives up to the depth limit. Member paths of nested archives are joined with
/// `!` (`inner.jar!META-INF/app.properties`).
///
/// # Errors
/// The first bound exceeded or unreadable part; `visit`'s own errors pass through as
/// [`Problem::Unreadable`] text.
pub fn for_each_member(
    bytes: &[u8],
    budget: &mut Budget,
    visit: &mut dyn FnMut(&str, &[u8]) -> anyhow::Result<()>,
) -> Result<(), Problem> {
    let mut archive_left = budget.limits.max_archive_bytes;
    walk(bytes, "", 1, budget, &mut archive_left, visit)
}

fn walk(
    bytes: &[u8],
    prefix: &str,
    depth: u32,
    budget: &mut Budget,
    archive_left: &mut u64,
    visit: &mut dyn FnMut(&str, &[u8]) -> anyhow::Result<()>,
) -> Result<(), Problem> {
    let mut members = 0u64;
    let mut member = |name: &str, content: Vec<u8>, budget: &mut Budget, archive_left: &mut u64| {
        members += 1;
        if members > budget.limits.max_members {
            return Err(Problem::Bound(format!("more than {} members", budget.limits.max_members)));
        }
        let path = if prefix.is_empty() { name.to_string() } else { format!("{prefix}!{name}") };
        match format(&content) {
            Some(_) if depth < budget.limits.max_depth => walk(&content, &path, depth + 1, budget, archive_left, visit),
            _ => visit(&path, &content).map_err(|e| Problem::Unreadable(format!("{e:#}"))),
        }
    };
    match format(bytes) {
        Some(Format::Zip) => {
            let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
                .map_err(|e| Problem::Unreadable(format!("{}: {e}", describe(prefix, "zip archive"))))?;
            if zip.len() as u64 > budget.limits.max_members {
                return Err(Problem::Bound(format!(
                    "{} has {} members, more than {}",
                    describe(prefix, "the archive"),
                    zip.len(),
                    budget.limits.max_members
                )));
            }
            for i in 0..zip.len() {
                let mut file = zip.by_index(i).map_err(|e| {
                    Problem::Unreadable(format!("member {i} of {}: {e}", describe(prefix, "the archive")))
                })?;
                if file.is_dir() {
                    continue;
                }
                let name = file.name().to_string();
                let (size, compressed) = (file.size(), file.compressed_size());
                if size > RATIO_FLOOR && size / compressed.max(1) > budget.limits.max_ratio {
                    return Err(Problem::Bound(format!(
                        "member {name} expands {}:1 ({size} bytes from {compressed}), more than the {}:1 ratio",
                        size / compressed.max(1),
                        budget.limits.max_ratio
                    )));
                }
                let content = read_bounded(&mut file, &name, budget, archive_left)?;
                member(&name, content, budget, archive_left)?;
            }
            Ok(())
        }
        Some(Format::Gzip) => {
            let mut decoder = GzDecoder::new(bytes);
            let name = decoder
                .header()
                .and_then(|h| h.filename())
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .unwrap_or_else(|| "(gzip content)".to_string());
            let content = read_bounded(&mut decoder, &name, budget, archive_left)?;
            let ratio = content.len() as u64 / (bytes.len() as u64).max(1);
            if content.len() as u64 > RATIO_FLOOR && ratio > budget.limits.max_ratio {
                return Err(Problem::Bound(format!(
                    "{name} expands {ratio}:1, more than the {}:1 ratio",
                    budget.limits.max_ratio
                )));
            }
            // A .tar.gz is one archive: its tar members are not a level deeper.
            if format(&content) == Some(Format::Tar) {
                return walk(&content, prefix, depth, budget, archive_left, visit);
            }
            member(&name, content, budget, archive_left)
        }
        Some(Format::Tar) => {
            let mut tar = tar::Archive::new(bytes);
            let entries =
                tar.entries().map_err(|e| Problem::Unreadable(format!("{}: {e}", describe(prefix, "tar archive"))))?;
            for entry in entries {
                let mut entry =
                    entry.map_err(|e| Problem::Unreadable(format!("{}: {e}", describe(prefix, "tar archive"))))?;
                if !entry.header().entry_type().is_file() {
                    continue;
                }
                let name = entry.path_bytes().into_owned();
                let name = String::from_utf8_lossy(&name).into_owned();
                let content = read_bounded(&mut entry, &name, budget, archive_left)?;
                member(&name, content, budget, archive_left)?;
            }
            Ok(())
        }
        None => Err(Problem::Unreadable("not an archive".into())),
    }
}

fn describe(prefix: &str, what: &str) -> String {
    if prefix.is_empty() { what.to_string() } else { format!("{what} {prefix}") }
}

/// Reads a member, charging both budgets, and never more than they allow: declared sizes
/// can lie, so the read itself is cut off one byte past the smaller budget.
fn read_bounded(
    reader: &mut dyn Read,
    name: &str,
    budget: &mut Budget,
    archive_left: &mut u64,
) -> Result<Vec<u8>, Problem> {
    let allowed = (*archive_left).min(budget.total_left);
    let mut content = Vec::new();
    reader
        .take(allowed.saturating_add(1))
        .read_to_end(&mut content)
        .map_err(|e| Problem::Unreadable(format!("member {name}: {e}")))?;
    let read = content.len() as u64;
    if read > allowed {
        return Err(Problem::Bound(if allowed == *archive_left {
            format!("more than {} bytes decompressed from one archive", budget.limits.max_archive_bytes)
        } else {
            format!("more than {} bytes decompressed from the archives of one scan", budget.limits.max_total_bytes)
        }));
    }
    *archive_left -= read;
    budget.total_left -= read;
    Ok(content)
}

/// Parses a size such as `256MiB`, `1GiB`, `10KB` or `4096` into bytes.
///
/// # Errors
/// When the text is not a number with an optional unit.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| format!("{text:?} is not a size such as 256MiB"))?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("{text:?}: unknown unit {unit:?} (use KiB, MiB or GiB)")),
    };
    number.checked_mul(scale).ok_or_else(|| format!("{text:?} is too large"))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::fake::zip_of;

    fn members(bytes: &[u8], limits: Limits) -> Result<Vec<(String, Vec<u8>)>, Problem> {
        let mut out = Vec::new();
        for_each_member(bytes, &mut Budget::new(limits), &mut |p, c| {
            out.push((p.to_string(), c.to_vec()));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn zip_members_stored_and_deflated_and_nested() {
        let inner = zip_of(&[("conf/.env", b"KEY=1\n")], zip::CompressionMethod::Deflated);
        let outer = zip_of(
            &[("a.txt", b"hello\n"), ("lib/inner.jar", &inner), ("b.txt", b"stored\n")],
            zip::CompressionMethod::Stored,
        );
        assert_eq!(format(&outer), Some(Format::Zip));
        let got = members(&outer, Limits::default()).unwrap();
        let names: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(names, vec!["a.txt", "lib/inner.jar!conf/.env", "b.txt"]);
        // At depth 1 the inner archive is a member like any other.
        let got = members(&outer, Limits { max_depth: 1, ..Limits::default() }).unwrap();
        assert_eq!(got[1].0, "lib/inner.jar");
    }

    #[test]
    fn bombs_and_corrupt_archives_are_problems() {
        let bomb = zip_of(&[("zeros", &vec![0u8; 50 << 20])], zip::CompressionMethod::Deflated);
        assert!(matches!(members(&bomb, Limits::default()), Err(Problem::Bound(m)) if m.contains("ratio")));
        let big = zip_of(&[("a", &vec![b'a'; 4096]), ("b", &vec![b'b'; 4096])], zip::CompressionMethod::Stored);
        let tight = Limits { max_archive_bytes: 5000, ..Limits::default() };
        assert!(matches!(members(&big, tight), Err(Problem::Bound(m)) if m.contains("5000 bytes")));
        let many = zip_of(&[("a", b"1"), ("b", b"2"), ("c", b"3")], zip::CompressionMethod::Stored);
        assert!(matches!(members(&many, Limits { max_members: 2, ..Limits::default() }), Err(Problem::Bound(_))));
        let mut corrupt = many.clone();
        corrupt.truncate(corrupt.len() - 10);
        assert!(matches!(members(&corrupt, Limits::default()), Err(Problem::Unreadable(_))));
    }

    #[test]
    fn gzip_and_tar_gz() {
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(6);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, "app/config.ini", &b"k = v\n"[..]).unwrap();
        let tar = tar.into_inner().unwrap();
        assert_eq!(format(&tar), Some(Format::Tar));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&tar).unwrap();
        let tgz = gz.finish().unwrap();
        let got = members(&tgz, Limits::default()).unwrap();
        assert_eq!(got, vec![("app/config.ini".to_string(), b"k = v\n".to_vec())]);
    }

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_size("256MiB"), Ok(256 << 20));
        assert_eq!(parse_size("1 GiB"), Ok(1 << 30));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5 parsecs").is_err());
    }
}
