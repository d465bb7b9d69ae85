//! Escapes: backslash (`\u002F`, `\x2F`, JSON's `\"` `\\` `\/`), HTML entities (`&#x2F;`,
//! `&#43;`, `&amp;`) and percent-encoding (`%2F`). A run is only decoded where one of its
//! escapes is; one layer per pass, so `\\/` (doubly escaped JSON) takes two. And the lines
//! of a quoted-printable MIME part (`=3D`, soft line breaks).

use super::Encoding;

/// Bytes that can start an escape.
pub const STARTS: [u8; 3] = [b'\\', b'&', b'%'];

/// The kind of escape starting at `at`, if it is one.
pub fn escape_at(haystack: &[u8], at: usize) -> Option<Encoding> {
    let rest = &haystack[at..];
    match rest.first()? {
        b'\\' => match rest.get(1)? {
            b'u' if hex(rest.get(2..6)?).is_some() => Some(Encoding::UnicodeEscape),
            b'x' if hex(rest.get(2..4)?).is_some() => Some(Encoding::UnicodeEscape),
            // Doubly escaped JSON (`\\\"`, `\\\/`); a single `\"` or `\/` the raw scan reads.
            b'\\' if matches!(rest.get(2..4), Some(b"\\\"" | b"\\/")) => Some(Encoding::JsonEscape),
            _ => None,
        },
        b'&' => html_entity(rest).map(|_| Encoding::Html),
        // `%2F` alone or a run of escapes, not a printf format (`%02x`, `%2d`).
        b'%' => {
            let byte = hex(rest.get(1..3)?)?;
            let run = rest.get(3) == Some(&b'%') && rest.get(4..6).and_then(hex).is_some();
            (run || b"/+=:\",{}&".contains(&(byte as u8))).then_some(Encoding::Percent)
        }
        _ => None,
    }
}

/// The value of hexadecimal digits (at least one, all of them digits, fitting 32 bits). Folded
/// by hand: a history scan asks at every backslash, `%` and `&#x` of every blob, and
/// `str::from_utf8` then `u32::from_str_radix` cost several times as much.
fn hex(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u32, |value, &b| value.checked_mul(16)?.checked_add(char::from(b).to_digit(16)?))
}

/// Named entities that can stand for a character of a credential, its label or its
/// surroundings.
const NAMED: &[(&[u8], char)] = &[
    (b"amp", '&'),
    (b"quot", '"'),
    (b"apos", '\''),
    (b"lt", '<'),
    (b"gt", '>'),
    (b"sol", '/'),
    (b"plus", '+'),
    (b"equals", '='),
    (b"colon", ':'),
    (b"lowbar", '_'),
    (b"UnderBar", '_'),
    (b"hyphen", '-'),
    (b"dash", '-'),
    (b"period", '.'),
    (b"comma", ','),
    (b"num", '#'),
    (b"NewLine", '\n'),
    (b"Tab", '\t'),
    (b"nbsp", ' '),
];

/// The character an HTML entity at the start of `s` stands for, and its length.
fn html_entity(s: &[u8]) -> Option<(char, usize)> {
    let body = s.strip_prefix(b"&")?;
    let semi = body.iter().take(10).position(|&b| b == b';')?;
    let name = &body[..semi];
    let c = if let Some(num) = name.strip_prefix(b"#") {
        let code = match num.first() {
            Some(b'x' | b'X') => hex(&num[1..])?,
            _ if !num.is_empty() && num.iter().all(u8::is_ascii_digit) => {
                std::str::from_utf8(num).ok()?.parse().ok()?
            }
            _ => return None,
        };
        char::from_u32(code)?
    } else {
        NAMED.iter().find(|(n, _)| *n == name)?.1
    };
    Some((c, semi + 2))
}

/// Bytes that end an escaped run: whitespace and quotes (an escaped quote does not).
fn ends_run(haystack: &[u8], i: usize) -> bool {
    match haystack[i] {
        b' ' | b'\t' | b'\n' | b'\r' | b'<' | b'>' | b'`' => true,
        b'"' | b'\'' => i == 0 || haystack[i - 1] != b'\\',
        _ => false,
    }
}

/// The run around an escape at `at`: up to a delimiter, or `reach` bytes either way.
pub fn run_around(haystack: &[u8], at: usize, reach: usize) -> (usize, usize) {
    let lo = at.saturating_sub(reach);
    let hi = (at + reach).min(haystack.len());
    let mut start = at;
    while start > lo && !ends_run(haystack, start - 1) {
        start -= 1;
    }
    let mut end = at + 1;
    while end < hi && !ends_run(haystack, end) {
        end += 1;
    }
    (start, end)
}

/// Decodes every escape of `kind` in `run` (backslash escapes of both kinds together).
pub fn decode(run: &[u8], kind: Encoding) -> Vec<u8> {
    let mut out = Vec::with_capacity(run.len());
    let mut buf = [0u8; 4];
    let mut i = 0;
    while i < run.len() {
        let decoded: Option<(char, usize)> = match (run[i], kind) {
            (b'\\', Encoding::UnicodeEscape | Encoding::JsonEscape) => backslash(run, i),
            (b'&', Encoding::Html) => html_entity(&run[i..]),
            (b'%', Encoding::Percent) => {
                run.get(i + 1..i + 3).and_then(hex).map(|v| (char::from(v as u8), 3)).filter(|(c, _)| c.is_ascii())
            }
            _ => None,
        };
        match decoded {
            Some((c, len)) => {
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i += len;
            }
            None => {
                out.push(run[i]);
                i += 1;
            }
        }
    }
    out
}

/// A backslash escape at `i`: `\uXXXX` (with a surrogate pair), `\xHH`, or one character.
fn backslash(run: &[u8], i: usize) -> Option<(char, usize)> {
    let next = *run.get(i + 1)?;
    match next {
        b'u' => {
            let unit = hex(run.get(i + 2..i + 6)?)?;
            if (0xD800..0xDC00).contains(&unit) && run.get(i + 6..i + 8) == Some(b"\\u") {
                let low = hex(run.get(i + 8..i + 12)?)?;
                let code = 0x10000 + ((unit - 0xD800) << 10) + (low.checked_sub(0xDC00)?);
                return Some((char::from_u32(code)?, 12));
            }
            Some((char::from_u32(unit)?, 6))
        }
        b'x' => Some((char::from(hex(run.get(i + 2..i + 4)?)? as u8), 4)),
        b'n' => Some(('\n', 2)),
        b'r' => Some(('\r', 2)),
        b't' => Some(('\t', 2)),
        b'\\' | b'"' | b'/' | b'\'' => Some((char::from(next), 2)),
        _ => None,
    }
}

/// Whether a line names the quoted-printable transfer encoding (its MIME part's header).
/// The header ends with the name (a quote or comma after it in JSON): only the end is
/// looked at, since candidate lines are many and the test runs on each.
pub fn names_quoted_printable(line: &[u8]) -> bool {
    let name = b"quoted-printable";
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b' ' | b'\t' | b'\r' | b'"' | b'\'' | b',' | b';') {
        end -= 1;
    }
    end >= name.len() && line[end - name.len()..end].eq_ignore_ascii_case(name)
}

/// Decodes the quoted-printable part whose header line ends at `from`, up to its MIME
/// boundary (a line starting `--`) or the end: `each` gets every logical line (physical
/// lines joined by soft breaks, `=` at a line's end) that decoding changes, as its range
/// and text, so a finding is reported on the lines it came from. Returns where the part
/// ends. Linear: every byte is looked at once, and the text is charged to `budget`.
pub fn quoted_printable_part(bytes: &[u8], from: usize, budget: &mut super::Budget, each: &mut Each<'_>) -> usize {
    let mut at = (from + 1).min(bytes.len());
    // A boundary line starts `--`; `-- ` is a signature's delimiter, not one.
    let boundary = |at: usize| bytes[at..].starts_with(b"--") && !bytes[at..].starts_with(b"-- ");
    while at < bytes.len() && !boundary(at) {
        let end = logical_line_end(bytes, at);
        if memchr::memchr(b'=', &bytes[at..end]).is_some() && !decode_logical_line(bytes, at..end, budget, each) {
            return bytes.len();
        }
        at = end + 1;
    }
    at.min(bytes.len())
}

/// What gets each decoded logical line: its range in the bytes and its text.
pub type Each<'a> = dyn FnMut(std::ops::Range<usize>, Vec<u8>) + 'a;

/// Where the logical line starting at `at` ends: physical lines joined by soft breaks.
fn logical_line_end(bytes: &[u8], at: usize) -> usize {
    let line_end = |at: usize| memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i);
    let soft = |end: usize| bytes[..end].strip_suffix(b"\r").unwrap_or(&bytes[..end]).ends_with(b"=");
    let mut end = line_end(at);
    while end < bytes.len() && soft(end) {
        end = line_end(end + 1);
    }
    end
}

/// Decodes one logical line and hands it to `each` if decoding changed it; false when the
/// budget ran out.
fn decode_logical_line(
    bytes: &[u8],
    range: std::ops::Range<usize>,
    budget: &mut super::Budget,
    each: &mut Each<'_>,
) -> bool {
    let run = &bytes[range.clone()];
    let text = decode_quoted_printable(run);
    if !budget.charge(text.len()) {
        return false;
    }
    if text != run {
        each(range, text);
    }
    true
}

/// `=XX` as its byte, `=` and a line break as nothing; anything else as it is.
fn decode_quoted_printable(run: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(run.len());
    let mut i = 0;
    while i < run.len() {
        if run[i] == b'=' {
            let rest = &run[i + 1..];
            let newline = match rest {
                [b'\r', b'\n', ..] => 2,
                [b'\n', ..] => 1,
                _ => 0,
            };
            if newline > 0 {
                i += 1 + newline;
                continue;
            }
            if let Some(v) = rest.get(..2).and_then(hex) {
                out.push(v as u8);
                i += 3;
                continue;
            }
        }
        out.push(run[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::hex;

    #[test]
    fn hex_reads_as_from_str_radix_does() {
        for digits in ["0", "41", "0041", "DC00", "dBfF", "ffffffff", "000000001", "100000000", "", "+1", "g1", "4 1"] {
            let expected = (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| u32::from_str_radix(digits, 16).ok())
                .flatten();
            assert_eq!(hex(digits.as_bytes()), expected, "{digits:?}");
        }
    }
}
