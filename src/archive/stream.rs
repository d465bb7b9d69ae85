//! Single compressed streams: gzip, xz, bzip2. Each may hold several members back to back
//! (`zcat` shows them all) and be followed by other bytes; members are decompressed as one
//! content, and whatever follows is covered by the raw-byte scan of the file.

use std::io::{self, Read, Write};

use super::{Format, Members, Problem, Walk, Walked, describe, format};

/// Decompresses every member of the stream, then visits the content: a tar is walked as
/// part of the same archive (a `.tar.gz` is one archive), anything else is one member.
pub(super) fn walk(
    w: &mut Walk<'_, '_>,
    members: &mut Members<'_>,
    bytes: &[u8],
    kind: Format,
) -> Result<Walked, Problem> {
    let prefix = members.prefix;
    let mut rest = bytes;
    let mut content = Vec::new();
    let mut name = None;
    while format(rest) == Some(kind) {
        let before = rest.len();
        let allowance = w.allowance().saturating_sub(content.len() as u64);
        let result = match kind {
            Format::Gzip => {
                let decoder = flate2::bufread::GzDecoder::new(&mut rest);
                if name.is_none() {
                    name = decoder.header().and_then(|h| h.filename()).map(|n| String::from_utf8_lossy(n).into_owned());
                }
                decoder.take(allowance).read_to_end(&mut content).map(|_| ())
            }
            Format::Bzip2 => {
                bzip2::bufread::BzDecoder::new(&mut rest).take(allowance).read_to_end(&mut content).map(|_| ())
            }
            _ => {
                // lzma-rs refuses bytes after a stream: give it exactly one stream.
                let end = xz_stream_end(rest).unwrap_or(rest.len());
                let (mut stream, after) = rest.split_at(end);
                rest = after;
                let mut out = Bounded { out: &mut content, left: allowance };
                if stream.get(7) == Some(&XZ_CHECK_SHA256) {
                    xz_sha256_blocks(stream, &mut out)
                } else {
                    lzma_rs::xz_decompress(&mut stream, &mut out).map_err(io::Error::other)
                }
            }
        };
        let over = content.len() as u64 >= w.allowance();
        if let Err(e) = result {
            if !over {
                return Err(Problem::Unreadable(format!("{}: {e}", describe(prefix, kind_name(kind)))));
            }
        }
        if over {
            break;
        }
        if rest.len() == before {
            break;
        }
        // xz pads streams with zeros to a multiple of four bytes.
        if kind == Format::Xz {
            rest = &rest[rest.iter().take_while(|&&b| b == 0).count()..];
        }
    }
    w.charge(content.len() as u64)?;
    let size = content.len() as u64;
    w.check_ratio(name.as_deref().unwrap_or(kind_name(kind)), size, bytes.len() as u64)?;
    // A .tar.gz is one archive: its tar members are not a level deeper.
    if format(&content) == Some(Format::Tar) {
        let mut tar = Members { prefix, depth: members.depth, level: members.level, count: 0 };
        if super::tar::walk(w, &mut tar, &content)? == Walked::Archive {
            w.emit(prefix, &content, super::View::Derived)?;
            return Ok(Walked::Archive);
        }
    }
    let name = name.unwrap_or_else(|| format!("({} content)", kind_name(kind)));
    w.member(members, &name, &content)?;
    Ok(Walked::Archive)
}

/// Where the xz stream that starts `bytes` ends: just past the first stream footer (`YZ`
/// magic) whose CRC32 and flags check out against the stream header.
fn xz_stream_end(bytes: &[u8]) -> Option<usize> {
    let flags = bytes.get(6..8)?;
    memchr::memmem::find_iter(bytes.get(12..)?, b"YZ").map(|at| at + 12 + 2).find(|&end| {
        let Some(footer) = end.checked_sub(12).and_then(|start| bytes.get(start..end)) else { return false };
        let mut crc = flate2::Crc::new();
        crc.update(&footer[4..10]);
        footer[8..10] == *flags && crc.sum().to_le_bytes() == footer[..4]
    })
}

/// The check type of an xz stream whose blocks end in a SHA-256 (`xz --check=sha256`),
/// which lzma-rs does not read.
const XZ_CHECK_SHA256: u8 = 0x0a;

/// The blocks of an xz stream with SHA-256 checks, decompressed one by one with lzma-rs's
/// LZMA2 decoder (the only filter chain accepted: a BCJ or delta filter is refused). The
/// checks themselves are skipped: the content is scanned, not verified.
fn xz_sha256_blocks(stream: &[u8], out: &mut impl Write) -> io::Result<()> {
    let bad = |what: &str| io::Error::other(format!("xz: {what}"));
    let mut at = 12;
    loop {
        let size_byte = *stream.get(at).ok_or_else(|| bad("truncated"))?;
        if size_byte == 0 {
            return Ok(()); // the index: no more blocks
        }
        let header =
            stream.get(at..at + (usize::from(size_byte) + 1) * 4).ok_or_else(|| bad("truncated block header"))?;
        let flags = header[1];
        if flags & 0x03 != 0 {
            return Err(bad("a filter chain other than LZMA2 alone is not supported"));
        }
        let mut i = 2;
        let mut varint = || -> io::Result<u64> {
            let mut value = 0u64;
            for shift in (0..63).step_by(7) {
                let b = *header.get(i).ok_or_else(|| bad("malformed block header"))?;
                i += 1;
                value |= u64::from(b & 0x7f) << shift;
                if b & 0x80 == 0 {
                    return Ok(value);
                }
            }
            Err(bad("malformed block header"))
        };
        for present in [flags & 0x40 != 0, flags & 0x80 != 0] {
            if present {
                varint()?;
            }
        }
        if varint()? != 0x21 {
            return Err(bad("a filter other than LZMA2 is not supported"));
        }
        let data = at + header.len();
        let mut input = io::Cursor::new(stream.get(data..).ok_or_else(|| bad("truncated"))?);
        lzma_rs::lzma2_decompress(&mut input, out).map_err(io::Error::other)?;
        let end = data + usize::try_from(input.position()).map_err(|_| bad("too large"))?;
        // Padding to a multiple of four from the block's start, then the 32-byte check.
        at = end + (4 - (end - at) % 4) % 4 + 32;
    }
}

fn kind_name(kind: Format) -> &'static str {
    match kind {
        Format::Gzip => "gzip",
        Format::Bzip2 => "bzip2",
        _ => "xz",
    }
}

/// A writer that refuses bytes past its allowance, so a bomb stops decompressing.
struct Bounded<'a> {
    out: &'a mut Vec<u8>,
    left: u64,
}

impl Write for Bounded<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = (buf.len() as u64).min(self.left) as usize;
        if n == 0 && !buf.is_empty() {
            return Err(io::Error::other("over the decompression bound"));
        }
        self.out.extend_from_slice(&buf[..n]);
        self.left -= n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
