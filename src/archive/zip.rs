//! Zip, jar, war, whl, apk, docx and friends, including a zip with a launcher script in
//! front (a self-executing Spring Boot jar) and entries the central directory does not list.

use std::io::{Cursor, Read};

use flate2::bufread::DeflateDecoder;
use memchr::memmem;

use super::{Members, Problem, Walk, Walked, describe};

const LOCAL_HEADER: &[u8] = b"PK\x03\x04";
const END_RECORD: &[u8] = b"PK\x05\x06";
const ZIP64_END_RECORD: &[u8] = b"PK\x06\x06";
const ZIP64_LOCATOR: &[u8] = b"PK\x06\x07";
/// Compression methods in PKWARE's APPNOTE (section 4.4.5), and 99 for AES encryption.
const KNOWN_METHODS: &[u16] = &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 16, 18, 19, 20, 93, 94, 95, 96, 97, 98, 99];

/// Whether the end-of-central-directory record is where a zip keeps it: in the last 22
/// bytes plus the longest comment. Searched forwards: only whether it is there matters, and
/// memchr's forward search is vectorised where its reverse one is not (every blob of a
/// history scan is asked).
pub(super) fn has_end_record(bytes: &[u8]) -> bool {
    memmem::find(&bytes[tail_start(bytes)..], END_RECORD).is_some()
}

/// Where the end record may start at the earliest: 22 bytes and the longest comment before
/// the end.
fn tail_start(bytes: &[u8]) -> usize {
    bytes.len().saturating_sub(22 + 0xffff)
}

/// Where the last end-of-central-directory record starts, if there is one where a zip
/// keeps it (see [`has_end_record`]).
fn last_end_record(bytes: &[u8]) -> Option<usize> {
    let tail_start = tail_start(bytes);
    memmem::rfind(&bytes[tail_start..], END_RECORD).map(|at| tail_start + at)
}

/// How many entries the last end-of-central-directory record declares: the zip64 record's
/// count when the classic 16-bit field is saturated. `None` when there is no such record.
fn declared_entries(bytes: &[u8]) -> Option<u64> {
    let end = last_end_record(bytes)?;
    let classic = u64::from(u16::from_le_bytes(bytes.get(end + 10..end + 12)?.try_into().ok()?));
    if classic != 0xffff {
        return Some(classic);
    }
    // The zip64 locator sits just before the end record and points at the zip64 record;
    // in a prefixed zip the offset is off by the prefix, so look backwards for it too.
    let locator = end.checked_sub(20).filter(|&at| bytes[at..].starts_with(ZIP64_LOCATOR));
    let pointed = locator
        .and_then(|at| bytes.get(at + 8..at + 16))
        .and_then(|o| usize::try_from(u64::from_le_bytes(o.try_into().ok()?)).ok())
        .filter(|&at| bytes.get(at..).is_some_and(|b| b.starts_with(ZIP64_END_RECORD)));
    let record = pointed.or_else(|| memmem::rfind(&bytes[..end], ZIP64_END_RECORD))?;
    let total = bytes.get(record + 32..record + 40)?;
    Some(u64::from_le_bytes(total.try_into().ok()?).max(classic))
}

/// Whether a central directory header starts where the last end record says the central
/// directory does (right before it, `size` bytes long). A zip64 archive's is not checked.
fn central_directory_before_end(bytes: &[u8]) -> bool {
    let Some(end) = last_end_record(bytes) else { return false };
    let Some(size) = bytes.get(end + 12..end + 16).map(|s| u32::from_le_bytes(s.try_into().expect("4 bytes"))) else {
        return false;
    };
    size == u32::MAX || end.checked_sub(size as usize).is_some_and(|at| bytes[at..].starts_with(b"PK\x01\x02"))
}

/// Visits every member the central directory lists, then every deflated entry it does not
/// list (found by walking local headers: unzip tools may still extract them). `strict` is
/// false for a zip found only by its end record: if it does not parse, it was bytes.
pub(super) fn walk(
    w: &mut Walk<'_, '_>,
    members: &mut Members<'_>,
    bytes: &[u8],
    strict: bool,
) -> Result<Walked, Problem> {
    let prefix = members.prefix;
    // The zip crate builds every listed entry in memory before anything can be counted:
    // three million entries cost gigabytes. The end record says how many there are.
    if let Some(declared) = declared_entries(bytes).filter(|&n| n > w.budget.limits.max_members) {
        if !strict && !central_directory_before_end(bytes) {
            return Ok(Walked::NotArchive); // the end record's signature, in other bytes
        }
        return Err(Problem::Bound(format!(
            "{} has {declared} members, more than {}",
            describe(prefix, "the archive"),
            w.budget.limits.max_members
        )));
    }
    let mut zip = match ::zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(zip) => zip,
        Err(_) if !strict => return Ok(Walked::NotArchive),
        Err(e) => return Err(Problem::Unreadable(format!("{}: {e}", describe(prefix, "zip archive")))),
    };
    if zip.len() as u64 > w.budget.limits.max_members {
        return Err(Problem::Bound(format!(
            "{} has {} members, more than {}",
            describe(prefix, "the archive"),
            zip.len(),
            w.budget.limits.max_members
        )));
    }
    let mut listed = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        let mut file = zip
            .by_index(i)
            .map_err(|e| Problem::Unreadable(format!("member {i} of {}: {e}", describe(prefix, "the archive"))))?;
        let name = file.name().to_string();
        let (size, compressed) = (file.size(), file.compressed_size());
        let start = file.header_start();
        listed.push((start, file.data_start().unwrap_or(start).saturating_add(compressed)));
        w.check_ratio(&name, size, compressed)?;
        let content = w.read(&mut file, &name)?;
        if !content.is_empty() {
            w.member(members, &name, &content)?;
        }
    }
    drop(zip);
    unlisted(w, members, bytes, &listed)?;
    Ok(Walked::Archive)
}

/// Entries whose local header lies outside every listed entry: stored ones are covered by
/// the raw-byte scan; deflated ones are inflated and visited; any other method cannot be
/// read, which fails closed.
fn unlisted(
    w: &mut Walk<'_, '_>,
    members: &mut Members<'_>,
    bytes: &[u8],
    listed: &[(u64, u64)],
) -> Result<(), Problem> {
    for at in memmem::find_iter(bytes, LOCAL_HEADER) {
        let pos = at as u64;
        if listed.iter().any(|&(start, end)| pos >= start && pos < end) {
            continue;
        }
        let Some(header) = bytes.get(at..at + 30) else { continue };
        let u16_at = |i: usize| u16::from_le_bytes([header[i], header[i + 1]]);
        let method = u16_at(8);
        let (name_len, extra_len) = (usize::from(u16_at(26)), usize::from(u16_at(28)));
        let data = at + 30 + name_len + extra_len;
        let Some(rest) = bytes.get(data..) else { continue };
        let name = &bytes[at + 30..at + 30 + name_len];
        // The signature's four bytes also occur in other data (a program that handles zips
        // holds them as a constant): a header with an unknown method or a name no archiver
        // writes is not a header.
        if !KNOWN_METHODS.contains(&method) || name.is_empty() || name.len() > 4096 || name.iter().any(|&b| b < 0x20) {
            continue;
        }
        let name = String::from_utf8_lossy(name).into_owned();
        let name = format!("{name} (not in the central directory)");
        match method {
            0 => {}
            8 => {
                let mut content = Vec::new();
                DeflateDecoder::new(rest)
                    .take(w.allowance())
                    .read_to_end(&mut content)
                    .map_err(|e| Problem::Unreadable(format!("{}: {e}", describe_in(members.prefix, &name))))?;
                w.charge(content.len() as u64)?;
                if !content.is_empty() {
                    w.member(members, &name, &content)?;
                }
            }
            other => {
                return Err(Problem::Unreadable(format!(
                    "{}: compression method {other} is not supported",
                    describe_in(members.prefix, &name)
                )));
            }
        }
    }
    Ok(())
}

fn describe_in(prefix: &str, name: &str) -> String {
    if prefix.is_empty() { format!("entry {name}") } else { format!("entry {name} of {prefix}") }
}
