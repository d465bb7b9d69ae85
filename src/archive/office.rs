//! Office documents (docx, xlsx, pptx, odt...) are zips of XML in which a sentence is split
//! into runs (`<w:r><w:t>AKIA</w:t></w:r><w:r><w:t>...`) wherever the formatting, the
//! spell checker or the revision history changed: the text view joins the runs, so a key
//! split across them is seen whole.

use memchr::memchr;

/// The text of an XML member: tags dropped, runs joined, a line break where a paragraph,
/// a shared string, a table cell or a row ends, entities decoded. `None` for other members.
pub(super) fn text_of(name: &str, content: &[u8]) -> Option<Vec<u8>> {
    if !name.ends_with(".xml") || memchr(b'<', content).is_none() {
        return None;
    }
    let mut out = Vec::with_capacity(content.len() / 2);
    let mut rest = content;
    while let Some(lt) = memchr(b'<', rest) {
        decode_entities(&rest[..lt], &mut out);
        let Some(gt) = memchr(b'>', &rest[lt..]) else {
            rest = &[];
            break;
        };
        let tag = &rest[lt + 1..lt + gt];
        if breaks_line(tag) {
            out.push(b'\n');
        }
        rest = &rest[lt + gt + 1..];
    }
    decode_entities(rest, &mut out);
    Some(out)
}

/// Whether a tag ends a block of text: the end of a paragraph, shared string, cell or row,
/// or a break or tab element.
fn breaks_line(tag: &[u8]) -> bool {
    let closing = tag.first() == Some(&b'/');
    let body = if closing { &tag[1..] } else { tag };
    let end = body.iter().position(|&b| b.is_ascii_whitespace() || b == b'/').unwrap_or(body.len());
    let qualified = &body[..end];
    let local = qualified.rsplit(|&b| b == b':').next().unwrap_or(qualified);
    let empty = tag.last() == Some(&b'/');
    match local {
        b"p" | b"si" | b"tc" | b"tr" | b"row" | b"c" | b"h" | b"table-cell" | b"table-row" => closing,
        b"br" | b"cr" | b"tab" | b"line-break" => empty || !closing,
        _ => false,
    }
}

/// Appends `text` with the five XML entities and numeric character references decoded.
fn decode_entities(text: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'&' {
            if let Some(len) = text[i..].iter().take(12).position(|&b| b == b';') {
                let entity = &text[i + 1..i + len];
                let decoded = match entity {
                    b"amp" => Some('&'),
                    b"lt" => Some('<'),
                    b"gt" => Some('>'),
                    b"quot" => Some('"'),
                    b"apos" => Some('\''),
                    [b'#', b'x' | b'X', hex @ ..] => std::str::from_utf8(hex)
                        .ok()
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .and_then(char::from_u32),
                    [b'#', dec @ ..] => {
                        std::str::from_utf8(dec).ok().and_then(|d| d.parse().ok()).and_then(char::from_u32)
                    }
                    _ => None,
                };
                if let Some(c) = decoded {
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    i += len + 1;
                    continue;
                }
            }
        }
        out.push(text[i]);
        i += 1;
    }
}
