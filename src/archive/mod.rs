//! Archives committed as blobs (a Lambda deployment `.zip`, a `.jar`, a `.whl`, a
//! `.tar.gz`): a line scanner sees compressed bytes, so the members are decompressed in
//! memory and scanned one by one, nested archives too, within bounds that a zip bomb
//! cannot slip past: exceeding one is an error, never a silent pass.

use std::fmt;
use std::io::Read;

mod office;
mod pdf;
mod stream;
mod tar;
mod zip;

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

/// The container formats awsguard opens, recognised by content, whatever the file name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Zip and everything built on it: .jar, .war, .whl, .nupkg, .apk, .docx, .xlsx...
    Zip,
    /// A zip with something before it (a self-executing jar's launcher script), found by its
    /// end-of-central-directory record: if it does not parse, it was only bytes.
    PrefixedZip,
    Gzip,
    Xz,
    Bzip2,
    Tar,
    /// A PDF, for its Flate streams.
    Pdf,
}

impl Format {
    /// Whether the format stores its content compressed: one that cannot be read then hides
    /// what it holds, where a tar (stored bytes) is still covered by the raw-byte scan.
    fn compressed(self) -> bool {
        !matches!(self, Format::Tar | Format::PrefixedZip)
    }
}

/// The container format of `bytes`, from its magic numbers.
pub fn format(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        Some(Format::Zip)
    } else if bytes.starts_with(b"\x1f\x8b\x08") {
        Some(Format::Gzip)
    } else if bytes.starts_with(b"\xfd7zXZ\x00") {
        Some(Format::Xz)
    } else if bytes.len() > 10
        && bytes.starts_with(b"BZh")
        && (b'1'..=b'9').contains(&bytes[3])
        && (bytes[4..10] == *b"\x31\x41\x59\x26\x53\x59" || bytes[4..10] == *b"\x17\x72\x45\x38\x50\x90")
    {
        Some(Format::Bzip2)
    } else if bytes.starts_with(b"%PDF-") {
        Some(Format::Pdf)
    } else if bytes.get(257..262) == Some(b"ustar") {
        Some(Format::Tar)
    } else if zip::has_end_record(bytes) {
        Some(Format::PrefixedZip)
    } else {
        None
    }
}

/// Whether the last bytes of a blob (at least 64 KiB of them) hold a zip's end record: the
/// blob may be a zip with something before it, which [`format`] sees only whole.
pub fn ends_like_zip(tail: &[u8]) -> bool {
    zip::has_end_record(tail)
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

/// What a visited buffer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// A member's own content: every match in it is a finding.
    Member,
    /// Another view of bytes already visited (a container's raw bytes, after its members;
    /// the text of an Office document's XML): a match here that a member already showed is
    /// the same credential, reported once.
    Derived,
}

/// How an archive walk ended, when no bound was exceeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Walked {
    /// Members were visited, and the container's raw bytes last.
    Archive,
    /// The bytes only looked like a container that stores its content uncompressed (a
    /// JavaScript file with `ustar` at byte 257): nothing was visited; scan them as bytes.
    NotArchive,
}

/// The visitor: `(member_path, content, view)`.
pub type Visit<'v> = dyn FnMut(&str, &[u8], View) -> anyhow::Result<()> + 'v;

/// Calls `visit` for every file in the archive `bytes`, opening nested archives up to the
/// depth limit, and then for the raw bytes of every container (so a comment, a launcher
/// prefix, a header or text after the end is scanned too). Member paths of nested archives
/// are joined with `!` (`inner.jar!META-INF/app.properties`); a container's raw bytes are
/// visited under its own path (`""` for `bytes` itself).
///
/// # Errors
/// The first bound exceeded or unreadable compressed part; `visit`'s own errors pass
/// through as [`Problem::Unreadable`] text.
pub fn for_each_member(bytes: &[u8], budget: &mut Budget, visit: &mut Visit<'_>) -> Result<Walked, Problem> {
    let mut archive_left = budget.limits.max_archive_bytes;
    let mut walk = Walk { budget, archive_left: &mut archive_left, visit };
    walk.container(bytes, "", 1, 0)
}

/// One top-level archive being walked.
struct Walk<'w, 'v> {
    budget: &'w mut Budget,
    archive_left: &'w mut u64,
    visit: &'w mut Visit<'v>,
}

impl Walk<'_, '_> {
    /// Walks a container at `prefix`, `depth` levels down, then visits its raw bytes.
    fn container(&mut self, bytes: &[u8], prefix: &str, depth: u32, level: u32) -> Result<Walked, Problem> {
        let Some(format) = format(bytes) else { return Ok(Walked::NotArchive) };
        let mut members = Members { prefix, depth, level, count: 0 };
        let walked = match format {
            Format::Zip | Format::PrefixedZip => zip::walk(self, &mut members, bytes, format == Format::Zip)?,
            Format::Gzip | Format::Xz | Format::Bzip2 => stream::walk(self, &mut members, bytes, format)?,
            Format::Tar => tar::walk(self, &mut members, bytes)?,
            Format::Pdf => pdf::walk(self, &mut members, bytes)?,
        };
        if walked == Walked::Archive {
            self.emit(prefix, bytes, View::Derived)?;
        }
        Ok(walked)
    }

    /// A member: a nested container is walked (a level deeper, unless it is a tar, which
    /// stores its members as they are), anything else visited.
    fn member(&mut self, members: &mut Members<'_>, name: &str, content: &[u8]) -> Result<(), Problem> {
        members.count += 1;
        if members.count > self.budget.limits.max_members {
            return Err(Problem::Bound(format!(
                "{} has more than {} members",
                describe(members.prefix, "the archive"),
                self.budget.limits.max_members
            )));
        }
        let path = join(members.prefix, name);
        if members.level >= MAX_LEVELS && format(content).is_some() {
            return Err(Problem::Bound(format!("{path} is a container nested more than {MAX_LEVELS} deep")));
        }
        match format(content) {
            Some(Format::Tar) => {
                if self.container(content, &path, members.depth, members.level + 1)? == Walked::NotArchive {
                    self.emit(&path, content, View::Member)?;
                }
            }
            Some(f) if members.depth >= self.budget.limits.max_depth && f.compressed() => {
                return Err(Problem::Bound(format!(
                    "{path} is an archive nested more than {} deep",
                    self.budget.limits.max_depth
                )));
            }
            Some(_) => {
                if self.container(content, &path, members.depth + 1, members.level + 1)? == Walked::NotArchive {
                    self.emit(&path, content, View::Member)?;
                }
            }
            None => {
                self.emit(&path, content, View::Member)?;
                if let Some(text) = office::text_of(name, content) {
                    self.emit(&path, &text, View::Derived)?;
                }
            }
        }
        Ok(())
    }

    fn emit(&mut self, path: &str, content: &[u8], view: View) -> Result<(), Problem> {
        (self.visit)(path, content, view).map_err(|e| Problem::Unreadable(format!("{e:#}")))
    }

    /// Reads a member, charging both budgets, and never more than they allow: declared
    /// sizes can lie, so the read itself is cut off one byte past the smaller budget.
    fn read(&mut self, reader: &mut dyn Read, name: &str) -> Result<Vec<u8>, Problem> {
        let allowed = (*self.archive_left).min(self.budget.total_left);
        let mut content = Vec::new();
        reader
            .take(allowed.saturating_add(1))
            .read_to_end(&mut content)
            .map_err(|e| Problem::Unreadable(format!("member {name}: {e}")))?;
        self.charge(content.len() as u64)?;
        Ok(content)
    }

    /// Charges `read` decompressed bytes to both budgets.
    fn charge(&mut self, read: u64) -> Result<(), Problem> {
        let allowed = (*self.archive_left).min(self.budget.total_left);
        if read > allowed {
            return Err(Problem::Bound(if allowed == *self.archive_left {
                format!("more than {} bytes decompressed from one archive", self.budget.limits.max_archive_bytes)
            } else {
                format!(
                    "more than {} bytes decompressed from the archives of one scan",
                    self.budget.limits.max_total_bytes
                )
            }));
        }
        *self.archive_left -= read;
        self.budget.total_left -= read;
        Ok(())
    }

    /// What may still be decompressed, plus one byte to detect going over.
    fn allowance(&self) -> u64 {
        (*self.archive_left).min(self.budget.total_left).saturating_add(1)
    }

    /// Refuses a member that expands more than the ratio bound.
    fn check_ratio(&self, name: &str, size: u64, compressed: u64) -> Result<(), Problem> {
        let ratio = size / compressed.max(1);
        if size > RATIO_FLOOR && ratio > self.budget.limits.max_ratio {
            return Err(Problem::Bound(format!(
                "member {name} expands {ratio}:1 ({size} bytes from {compressed}), more than the {}:1 ratio",
                self.budget.limits.max_ratio
            )));
        }
        Ok(())
    }
}

/// The members of one container as they are visited.
struct Members<'p> {
    prefix: &'p str,
    /// Archives opened above, for `max_depth` (a tar does not count).
    depth: u32,
    /// Containers of any kind opened above, tars included.
    level: u32,
    count: u64,
}

/// Containers within containers of any kind (tar in tar in tar...): a hard bound on
/// recursion that `max_depth` does not give, since a tar is not an archive level.
const MAX_LEVELS: u32 = 32;

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() { name.to_string() } else { format!("{prefix}!{name}") }
}

fn describe(prefix: &str, what: &str) -> String {
    if prefix.is_empty() { what.to_string() } else { format!("{what} {prefix}") }
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
mod tests;
