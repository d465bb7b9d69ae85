//! What a matched value is: its escapes decoded, whether it is a placeholder, how random it
//! looks, and the account an access key ID belongs to. The filters of [`super::Rule`]
//! judge values with these.

/// Whether `bytes` hold `len` bytes in a row that are all `member`s (always, for 0).
pub fn has_run(bytes: &[u8], len: usize, member: impl Fn(u8) -> bool) -> bool {
    let mut run = 0;
    len == 0
        || bytes.iter().any(|&b| {
            run = if member(b) { run + 1 } else { 0 };
            run >= len
        })
}

/// Decodes the escapes a credential picks up in transit: `\/` from JSON, and `%2F`, `%2B`,
/// `%3D` from URL encoding. Borrowed unchanged when there is nothing to decode.
pub fn decode_value(raw: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if !raw.iter().any(|&b| b == b'\\' || b == b'%') {
        return raw.into();
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'\\' if raw.get(i + 1) == Some(&b'/') => {
                out.push(b'/');
                i += 2;
            }
            b'%' if i + 2 < raw.len() => {
                let decoded = match (raw[i + 1], raw[i + 2].to_ascii_uppercase()) {
                    (b'2', b'F') => Some(b'/'),
                    (b'2', b'B') => Some(b'+'),
                    (b'3', b'D') => Some(b'='),
                    _ => None,
                };
                match decoded {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out.into()
}

/// Values at least this long are tokens (STS session tokens run to hundreds of characters),
/// not secrets typed by hand.
const LONG_TOKEN: usize = 100;

/// The AWS documentation keys contain `EXAMPLE`; placeholders repeat one character
/// (`AKIA` and sixteen `X`) or count through the alphabet (`ABCDEFGHIJKLMNOP`,
/// `0123456789`). A random 40-character secret has such a run once in 10^11. A run of `/`
/// or `+` in a long token is no placeholder: it is how base64 writes bytes 0xFF (real STS
/// tokens hold `EJr//////////wEa...`, a protobuf varint of a negative number).
pub(crate) fn is_placeholder(value: &[u8]) -> bool {
    let has_example = value.windows(7).any(|w| w.eq_ignore_ascii_case(b"EXAMPLE"));
    let long = value.len() >= LONG_TOKEN;
    let has_repeat = value.windows(6).any(|w| w.iter().all(|&b| b == w[0]) && !(long && matches!(w[0], b'/' | b'+')));
    let has_sequence = value.windows(8).any(|w| {
        w.windows(2).all(|p| p[1] == p[0].wrapping_add(1)) || w.windows(2).all(|p| p[0] == p[1].wrapping_add(1))
    });
    has_example || has_repeat || has_sequence
}

pub(super) fn distinct(bytes: &[u8]) -> usize {
    let mut seen = [false; 256];
    bytes.iter().filter(|&&b| !std::mem::replace(&mut seen[b as usize], true)).count()
}

/// Shannon entropy in bits per character.
pub fn entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts.iter().filter(|&&c| c > 0).map(|&c| c as f64 / n).map(|p| -p * p.log2()).sum()
}

/// The largest AWS account ID: they have 12 digits. [`account_id`] can decode up to 2^40 - 1.
pub const MAX_ACCOUNT_ID: u64 = 999_999_999_999;

/// The 12-digit AWS account that owns an `AKIA`/`ASIA` key ID, decoded offline.
///
/// Base32-decode the 16 characters after the prefix, take the first 6 bytes big-endian,
/// mask `0x7fffffffff80` and shift right 7. Key IDs whose fifth character is `I` or `J`
/// predate this encoding and carry no account.
pub fn account_id(key_id: &[u8]) -> Option<u64> {
    if key_id.len() != 20 || !(key_id.starts_with(b"AKIA") || key_id.starts_with(b"ASIA")) {
        return None;
    }
    if matches!(key_id[4], b'I' | b'J') {
        return None;
    }
    // 10 base32 characters give 50 bits, enough for the first 6 bytes (48 bits).
    let mut bits: u64 = 0;
    for &c in &key_id[4..14] {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        bits = (bits << 5) | v as u64;
    }
    let first6 = bits >> 2;
    Some((first6 & 0x7fff_ffff_ff80) >> 7)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_value_handles_json_and_url_escapes() {
        assert_eq!(&*decode_value(b"ab\\/cd"), b"ab/cd");
        assert_eq!(&*decode_value(b"ab%2Fcd%2bef%3D"), b"ab/cd+ef=");
        assert_eq!(&*decode_value(b"ab%41"), b"ab%41");
        assert_eq!(&*decode_value(b"ab%2"), b"ab%2");
        assert_eq!(&*decode_value(b"plain"), b"plain");
    }

    #[test]
    fn sequences_and_repeats_are_placeholders() {
        assert!(is_placeholder(&[&b"AKIA"[..], b"ABCDEFGHIJKLMNOP"].concat()));
        assert!(is_placeholder(b"abcdefghijklmnopqrstuvwxyz0123456789ABCD"));
        assert!(is_placeholder(b"x9876543210y"));
        assert!(is_placeholder(b"AKIAQQQQQQZ2"));
        assert!(!is_placeholder(&[&b"AKIA"[..], b"Q3EGTKXWZ7BNMLPR"].concat()));
    }

    #[test]
    fn slash_runs_in_long_tokens_are_not_placeholders() {
        let mut fake = crate::fake::Fake::new(13);
        let token = format!("{}EJr//////////wEa{}", fake.chars(b"AQoJb3Jpg2luX", 24), fake.secret().repeat(4));
        assert!(!is_placeholder(token.as_bytes()), "{token}");
        let plus = format!("{}++++++++{}", fake.secret(), fake.secret().repeat(2));
        assert!(!is_placeholder(plus.as_bytes()));
        // Short values, and runs of any other character, still are.
        assert!(is_placeholder(format!("{}//////", fake.chars(b"abcdEFGH", 34)).as_bytes()));
        assert!(is_placeholder(format!("{}xxxxxx{}", fake.secret(), fake.secret().repeat(3)).as_bytes()));
        assert!(is_placeholder(format!("{}000000{}", fake.secret(), fake.secret().repeat(3)).as_bytes()));
    }

    #[test]
    fn entropy_separates_hex_from_base64() {
        // Hex can never exceed 4 bits per character; the secret floor sits above it.
        assert!(entropy(b"0123456789abcdef0123456789abcdef01234567") <= 4.0);
        assert!(entropy(b"") == 0.0);
        assert!(entropy(b"aaaa") == 0.0);
    }

    #[test]
    fn account_id_decodes_from_key_id() {
        // Built from a known account: encode 123456789012 the way AWS does and decode it back.
        let account: u64 = 123_456_789_012;
        let first6 = (account << 7) | 0x8000_0000_0000; // high bit set, low 7 bits zero
        let bits = first6 << 2; // 50 bits: 48 data bits and two zero bits
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let mut key = b"AKIA".to_vec();
        for i in (0..10).rev() {
            key.push(alphabet[((bits >> (i * 5)) & 31) as usize]);
        }
        key.extend_from_slice(b"QRSTUV");
        assert_ne!(key[4], b'I');
        assert_eq!(account_id(&key), Some(account));
        key[4] = b'I';
        assert_eq!(account_id(&key), None, "old-format key IDs have no account");
        assert_eq!(account_id(b"AIDAAAAAAAAAAAAAAAAA"), None);
    }
}
