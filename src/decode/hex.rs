//! Hex: text written as pairs of hexadecimal digits, as `xxd -p`, Python's `bytes.hex()`,
//! Node's `Buffer.toString('hex')` and Go's `hex.EncodeToString` leave it (gitleaks decodes
//! it too). Each byte is two fixed digits, so a keyword's hex is a plain literal: the
//! scanner's prefilter finds it like a word ([`keywords`]), and the hex token on its line
//! is decoded ([`decode`]) where base64 tokens are.

use crate::rules::{Kind, Ruleset, is_placeholder};

/// Fewest digits worth decoding: eight bytes of text, as [`super::is_text`] asks.
const MIN_DIGITS: usize = 16;

/// The hex of each key-ID and secret keyword (case-insensitive ones lower, upper and
/// capitalised, as [`super::base64::Fragments`] encodes them), lower-cased for the
/// case-insensitive prefilter: `414b4941` is `AKIA` in either case of its digits.
pub fn keywords(rules: &Ruleset) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let rules = rules.rules.iter().filter(|r| r.context_lines == 0);
    for rule in rules.filter(|r| matches!(r.kind, Kind::AccessKeyId | Kind::SecretAccessKey)) {
        for keyword in rule.keywords.iter().filter(|k| !is_placeholder(k.as_bytes())) {
            for form in super::case_forms(keyword, rule.exact_keywords) {
                let hex: String = form.bytes().map(|b| format!("{b:02x}")).collect();
                if !out.contains(&hex) {
                    out.push(hex);
                }
            }
        }
    }
    out
}

/// The hex digits of a token (a `0x` prefix and base64 padding left out), if it is all hex
/// and long enough to hold text; as a range within it.
pub fn digits(token: &[u8]) -> Option<std::ops::Range<usize>> {
    let start = if token.starts_with(b"0x") || token.starts_with(b"0X") { 2 } else { 0 };
    let end = token.len() - token.iter().rev().take_while(|&&b| b == b'=').count();
    let digits = token.get(start..end)?;
    (digits.len() >= MIN_DIGITS && digits.iter().all(u8::is_ascii_hexdigit)).then_some(start..end)
}

/// Decodes hex digits into bytes, from the first digit or the second, whichever reads more
/// as text: a token cut from a longer run (`id=` then the hex of `AKIA...`) may start mid-byte.
pub fn decode(digits: &[u8]) -> Vec<u8> {
    let at = |skip: usize| -> Vec<u8> {
        digits[skip..].chunks_exact(2).map(|pair| (value(pair[0]) << 4) | value(pair[1])).collect()
    };
    let (even, odd) = (at(0), at(1));
    if super::printable(&odd) > super::printable(&even) { odd } else { even }
}

fn value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        _ => (digit | 0x20) - b'a' + 10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_either_case_and_either_alignment() {
        let text = b"aws_access_key_id = value";
        let lower: String = text.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(decode(lower.as_bytes()), text);
        assert_eq!(decode(lower.to_ascii_uppercase().as_bytes()), text);
        assert_eq!(decode(format!("7{lower}").as_bytes()), text);
    }

    #[test]
    fn digits_are_whole_tokens_of_hex() {
        assert_eq!(digits(b"0x6177735f7365637265745f6b6579"), Some(2..30));
        assert_eq!(digits(b"6177735f7365637265745f6b6579=="), Some(0..28));
        assert_eq!(digits(b"6177735f736563726574"), Some(0..20));
        assert_eq!(digits(b"6177735f7365637265745g"), None);
        assert_eq!(digits(b"6177735f7365"), None);
    }

    #[test]
    fn keywords_are_the_hex_of_key_id_prefixes_and_secret_labels() {
        let keywords = keywords(&crate::rules::RULES);
        for word in ["AKIA", "ASIA", "secret", "SECRET", "Secret"] {
            let hex: String = word.bytes().map(|b| format!("{b:02x}")).collect();
            assert!(keywords.contains(&hex), "{word} as {hex}");
        }
        assert!(keywords.iter().all(|k| *k == k.to_ascii_lowercase()));
    }
}
