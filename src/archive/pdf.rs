//! PDF: page text and embedded files sit in Flate-compressed streams. Each stream that
//! starts with a zlib header is inflated and scanned as a member; a stream that does not
//! inflate whole is scanned as far as it does (a PDF holds streams of other encodings,
//! images among them, so failing closed on one would block ordinary documents).

use std::io::Read;

use flate2::bufread::ZlibDecoder;
use memchr::memmem;

use super::{Members, Problem, Walk, Walked};

/// Visits every Flate stream; a PDF with none is left to the plain scan.
pub(super) fn walk(w: &mut Walk<'_, '_>, members: &mut Members<'_>, bytes: &[u8]) -> Result<Walked, Problem> {
    let mut streams = 0;
    for at in memmem::find_iter(bytes, b"stream") {
        if bytes[..at].ends_with(b"end") {
            continue;
        }
        let mut start = at + 6;
        if bytes.get(start) == Some(&b'\r') {
            start += 1;
        }
        if bytes.get(start) != Some(&b'\n') {
            continue;
        }
        let data = &bytes[start + 1..];
        let [first, second, ..] = *data else { continue };
        if first & 0x0f != 8 || (u16::from(first) << 8 | u16::from(second)) % 31 != 0 {
            continue;
        }
        let mut decoder = ZlibDecoder::new(data);
        let mut content = Vec::new();
        let _ = (&mut decoder).take(w.allowance()).read_to_end(&mut content);
        w.charge(content.len() as u64)?;
        streams += 1;
        let name = format!("(stream {streams})");
        w.check_ratio(&name, content.len() as u64, decoder.total_in())?;
        if !content.is_empty() {
            w.member(members, &name, &content)?;
        }
    }
    Ok(if streams > 0 { Walked::Archive } else { Walked::NotArchive })
}
