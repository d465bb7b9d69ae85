//! The UTF-16 view of a blob.
//!
//! A UTF-16 file (PowerShell scripts, some Windows
//! exports) interleaves its ASCII with NUL bytes, so no keyword matches; when a cheap look
//! at the first bytes says UTF-16, the blob is also scanned as UTF-8 transcoded from it.

/// How many leading bytes the BOM-less UTF-16 check looks at.
const SNIFF_BYTES: usize = 4096;

/// The blob transcoded from UTF-16 to UTF-8, if it looks like UTF-16: a byte-order mark,
/// or NUL in most odd (LE) or even (BE) positions and almost no other.
pub fn utf16_view(blob: &[u8]) -> Option<Vec<u8>> {
    let (little_endian, body) = match blob {
        [0xFF, 0xFE, rest @ ..] => (true, rest),
        [0xFE, 0xFF, rest @ ..] => (false, rest),
        _ => (sniff(blob)?, blob),
    };
    let units = body.chunks_exact(2).map(|pair| {
        let pair = [pair[0], pair[1]];
        if little_endian { u16::from_le_bytes(pair) } else { u16::from_be_bytes(pair) }
    });
    // A blob too large to transcode is still scanned raw; never abort on allocation.
    let mut out = Vec::new();
    out.try_reserve(body.len() / 2 + 16).ok()?;
    let mut buf = [0u8; 4];
    for c in char::decode_utf16(units) {
        let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
        let bytes = c.encode_utf8(&mut buf).as_bytes();
        out.try_reserve(bytes.len()).ok()?;
        out.extend_from_slice(bytes);
    }
    Some(out)
}

/// Whether a blob starting with `head` would get a UTF-16 view.
pub fn looks_utf16(head: &[u8]) -> bool {
    matches!(head, [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..]) || sniff(head).is_some()
}

/// The same view of another version of a file: raw (`view_index` 0), or transcoded from
/// UTF-16 if it is (1), so that the two versions' lines compare.
pub fn same_view(content: &[u8], view_index: usize) -> std::borrow::Cow<'_, [u8]> {
    match view_index {
        0 => content.into(),
        _ => utf16_view(content).map_or(content.into(), Into::into),
    }
}

/// `Some(true)` for UTF-16LE-looking bytes, `Some(false)` for UTF-16BE, `None` otherwise.
fn sniff(blob: &[u8]) -> Option<bool> {
    let sample = &blob[..blob.len().min(SNIFF_BYTES) & !1];
    let pairs = sample.len() / 2;
    // Mostly NUL in one position or the other: text with no NUL at all (nearly every blob)
    // is ruled out by one vectorised search instead of a count over every pair.
    if pairs < 8 || memchr::memchr(0, sample).is_none() {
        return None;
    }
    let (mut even_nul, mut odd_nul) = (0, 0);
    for pair in sample.chunks_exact(2) {
        even_nul += (pair[0] == 0) as usize;
        odd_nul += (pair[1] == 0) as usize;
    }
    let mostly = |n: usize| n * 10 >= pairs * 7;
    let rarely = |n: usize| n * 20 <= pairs;
    match (mostly(odd_nul) && rarely(even_nul), mostly(even_nul) && rarely(odd_nul)) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, little_endian: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let units = std::iter::once(0xFEFF).filter(|_| bom).chain(text.encode_utf16());
        for u in units {
            out.extend_from_slice(&if little_endian { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        out
    }

    #[test]
    fn decodes_utf16_with_and_without_bom() {
        let text = "$env:AWS_ACCESS_KEY_ID = 'x'\r\nWrite-Host 'done'\r\n";
        for le in [true, false] {
            for bom in [true, false] {
                assert_eq!(utf16_view(&utf16(text, le, bom)).as_deref(), Some(text.as_bytes()), "le={le} bom={bom}");
            }
        }
    }

    #[test]
    fn plain_text_and_binary_are_not_utf16() {
        assert_eq!(utf16_view(b"just ascii text, long enough to sniff"), None);
        assert_eq!(utf16_view(&[0u8; 64]), None);
        assert_eq!(utf16_view(b"ab"), None);
    }
}
