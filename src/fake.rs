//! Fake credentials, generated at run time for tests and benchmarks.
//!
//! This repository must pass its own hook, so no key-shaped literal is ever written into
//! it: tests and the rule examples in `rules/aws.toml` hold templates such as
//! `AKIA{b32:16}`, and this module fills them in with fresh random characters of the right
//! alphabet. Generated values always look real (varied, no `EXAMPLE`, no long runs), so a
//! test that expects a finding never flakes on an unlucky draw.

const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &[u8] = b"0123456789abcdef";
const LOWER36: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Whether the text between braces is a template spec such as `b32:16` (and not, say, JSON).
fn is_template_spec(spec: &str) -> bool {
    spec.is_empty()
        || spec == "uuid"
        || ["b32:", "b64:", "hex:", "alnum:", "lower36:", "rep:"].iter().any(|p| spec.starts_with(p))
}

/// A seeded generator of fake credentials.
pub struct Fake {
    rng: fastrand::Rng,
    seed: u64,
}

impl Fake {
    /// A generator with a fixed seed: the same seed gives the same values.
    pub fn new(seed: u64) -> Fake {
        Fake { rng: fastrand::Rng::with_seed(seed), seed }
    }

    /// A generator seeded from `AWSGUARD_TEST_SEED` if set, otherwise from `default`: every
    /// run draws the same values unless asked for others. The seed is printed, so a failing
    /// test's output says how to replay it.
    ///
    /// # Panics
    /// When `AWSGUARD_TEST_SEED` is set but is not a number: a typo must not silently
    /// replay another seed.
    pub fn from_env_or(default: u64) -> Fake {
        let seed = match std::env::var("AWSGUARD_TEST_SEED") {
            Ok(text) => text.trim().parse().unwrap_or_else(|_| panic!("AWSGUARD_TEST_SEED={text:?} is not a number")),
            Err(_) => default,
        };
        println!("replay with AWSGUARD_TEST_SEED={seed}");
        Fake::new(seed)
    }

    /// The seed this generator started from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// A real-looking access key ID: `prefix` and 16 base32 characters.
    pub fn key_id(&mut self, prefix: &str) -> String {
        format!("{prefix}{}", self.realistic(BASE32, 16))
    }

    /// A real-looking 40-character secret access key.
    pub fn secret(&mut self) -> String {
        self.realistic(BASE64, 40)
    }

    /// A real-looking STS session token (`IQoJb3JpZ2luX2Vj` and 300 more characters).
    pub fn session_token(&mut self) -> String {
        format!("IQoJb3JpZ2luX2Vj{}", self.realistic(BASE64, 300))
    }

    /// A random base64 token of any length that still reads as random to the rules: no
    /// character equals or neighbours the one before it (no runs, no `ABCDEFGH`), and no
    /// `x` (no `EXAMPLE`). Rejection sampling cannot make one of megabytes: a long random
    /// string always holds a run somewhere, and the placeholder filter rightly skips it.
    pub fn long_token(&mut self, n: usize) -> String {
        let alphabet: Vec<u8> = BASE64.iter().copied().filter(|&b| b != b'x' && b != b'X').collect();
        let mut out = String::with_capacity(n);
        let mut prev = 0u8;
        while out.len() < n {
            let b = alphabet[self.rng.usize(..alphabet.len())];
            if b.abs_diff(prev) > 1 {
                out.push(b as char);
                prev = b;
            }
        }
        out
    }

    /// `n` random characters of `alphabet`, with no further guarantee.
    pub fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n).map(|_| alphabet[self.rng.usize(..alphabet.len())] as char).collect()
    }

    /// Expands a template: `{b32:N}`, `{b64:N}`, `{hex:N}`, `{alnum:N}`, `{lower36:N}`,
    /// `{uuid}`, `{rep:C:N}` and `{}` (nothing). Other text, other braces included (JSON
    /// examples), is copied.
    ///
    /// # Panics
    /// On a malformed placeholder: templates are test data, and a typo must fail loudly.
    pub fn expand(&mut self, template: &str) -> String {
        let mut out = String::with_capacity(template.len() * 2);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let spec = rest[open + 1..].split('}').next().filter(|_| rest[open..].contains('}'));
            match spec.filter(|s| is_template_spec(s)) {
                Some(spec) => {
                    out.push_str(&self.placeholder(spec, template));
                    rest = &rest[open + spec.len() + 2..];
                }
                None => {
                    out.push('{');
                    rest = &rest[open + 1..];
                }
            }
        }
        out.push_str(rest);
        out
    }

    fn placeholder(&mut self, spec: &str, template: &str) -> String {
        let mut parts = spec.split(':');
        let name = parts.next().unwrap_or("");
        let mut number = || -> usize {
            parts.next().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("bad {{{spec}}} in {template:?}"))
        };
        match name {
            "" => String::new(),
            "b32" => self.realistic(BASE32, number()),
            "b64" => self.realistic(BASE64, number()),
            "alnum" => self.realistic(ALNUM, number()),
            "hex" => self.realistic(HEX, number()),
            "lower36" => self.realistic(LOWER36, number()),
            "uuid" => format!(
                "{}-{}-{}-{}-{}",
                self.realistic(HEX, 8),
                self.realistic(HEX, 4),
                self.realistic(HEX, 4),
                self.realistic(HEX, 4),
                self.realistic(HEX, 12)
            ),
            "rep" => {
                let c = spec.split(':').nth(1).unwrap_or_else(|| panic!("bad {{{spec}}}"));
                let n: usize =
                    spec.split(':').nth(2).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("bad {{{spec}}}"));
                c.repeat(n)
            }
            _ => panic!("unknown placeholder {{{spec}}} in {template:?}"),
        }
    }

    /// Random characters that look like a real credential: varied (at least half distinct,
    /// up to the alphabet's size), every class of the alphabet present once long enough,
    /// no `EXAMPLE` and no run of equal characters.
    fn realistic(&mut self, alphabet: &[u8], n: usize) -> String {
        loop {
            let s = self.chars(alphabet, n);
            let b = s.as_bytes();
            let mut seen = [false; 256];
            let distinct = b.iter().filter(|&&c| !std::mem::replace(&mut seen[c as usize], true)).count();
            let classes_ok = n < 16
                || [u8::is_ascii_uppercase, u8::is_ascii_lowercase, u8::is_ascii_digit]
                    .iter()
                    .all(|class| !alphabet.iter().any(class) || b.iter().any(class));
            let varied = distinct * 2 >= n.min(alphabet.len());
            let example = b.windows(7).any(|w| w.eq_ignore_ascii_case(b"EXAMPLE"));
            let run = b.windows(4).any(|w| w.iter().all(|&c| c == w[0]));
            let wordy = crate::words::reads_like_words(b);
            // The secret rules' entropy floor (4.1 bits) rejects about 5 in a million
            // random 40-character secrets; generated ones stay clear of it.
            let rich = n < 40 || alphabet.len() < 62 || crate::rules::entropy(b) >= 4.3;
            if classes_ok && varied && !example && !run && !wordy && rich {
                return s;
            }
        }
    }
}

/// A zip archive of `files`, each stored with `method`: archives for tests are built at run
/// time, so the repository holds no binary fixture with a key inside.
pub fn zip_of(files: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
    use std::io::Write;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, content) in files {
        out.start_file(*name, options).expect("writing to memory");
        out.write_all(content).expect("writing to memory");
    }
    out.finish().expect("writing to memory").into_inner()
}

/// One line of text as a mail client writes it in quoted-printable: `=`, `/` and `+` as
/// `=3D`, `=2F`, `=2B`, and split every `width` characters by a soft break (`=`, then
/// `newline`), never inside an escape; no line break after the last piece.
pub fn quoted_printable_line(line: &str, width: usize, newline: &str) -> String {
    let escaped: String = line
        .chars()
        .map(|c| match c {
            '=' | '/' | '+' => format!("={:02X}", c as u32),
            c => c.to_string(),
        })
        .collect();
    let mut out = String::new();
    let mut rest = escaped.as_str();
    while rest.len() > width {
        let mut cut = width;
        while rest[..cut].rfind('=').is_some_and(|i| i + 3 > cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push('=');
        out.push_str(newline);
        rest = &rest[cut..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_expand_to_the_right_alphabet_and_length() {
        let mut fake = Fake::new(7);
        let id = fake.expand("AKIA{b32:16}");
        assert_eq!(id.len(), 20);
        assert!(id[4..].bytes().all(|b| BASE32.contains(&b)));
        assert_eq!(fake.expand("x{}y"), "xy");
        assert_eq!(fake.expand("{rep:X:3}"), "XXX");
        let uuid = fake.expand("{uuid}");
        assert_eq!(uuid.len(), 36);
        assert_eq!(fake.expand("{b64:40}").len(), 40);
        assert_eq!(fake.expand("{\"a\": {}1}"), "{\"a\": 1}");
    }

    #[test]
    fn long_tokens_never_read_as_placeholders() {
        let token = Fake::new(7).long_token(1 << 20);
        let b = token.as_bytes();
        assert_eq!(b.len(), 1 << 20);
        assert!(b.iter().all(|c| BASE64.contains(c)));
        assert!(!b.windows(2).any(|w| w[0].abs_diff(w[1]) <= 1), "no runs, no sequences");
        assert!(!b.windows(7).any(|w| w.eq_ignore_ascii_case(b"EXAMPLE")));
        assert!(crate::rules::entropy(b) > 5.5);
    }

    #[test]
    fn same_seed_same_values() {
        assert_eq!(Fake::new(3).secret(), Fake::new(3).secret());
        assert_ne!(Fake::new(3).secret(), Fake::new(4).secret());
    }

    #[test]
    #[should_panic(expected = "bad {b32:x}")]
    fn malformed_placeholders_fail_loudly() {
        Fake::new(1).expand("AKIA{b32:x}");
    }
}
