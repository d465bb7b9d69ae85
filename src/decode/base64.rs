//! Base64: where a run may hide a keyword, and decoding it (standard or URL-safe alphabet,
//! padded or not, wrapped across lines).
//!
//! A keyword inside base64 text is not a substring of it, but its encoding is almost one:
//! at each of the three byte alignments, every base64 character whose six bits all come
//! from the keyword is fixed. Those fixed middles are literals for an Aho-Corasick
//! automaton, so finding candidate runs costs one vectorised pass; only the run around a
//! hit is decoded.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::rules::{Kind, Ruleset, is_placeholder};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Encoded characters decoded on either side of a hit: a whole credentials file is far
/// shorter, and the bound keeps a huge run's cost per hit constant.
pub const REACH: usize = 16 * 1024;

/// Shortest fixed middle worth a literal: shorter ones hit random base64 too often.
const MIN_FRAGMENT: usize = 4;

/// Above this many literals aho-corasick gives up its vectorised (Teddy) search and runs
/// at a tenth of the speed: the encoded keywords are split into automata of this size.
const TEDDY_LIMIT: usize = 64;

/// Most automata searched: each is one more pass over the blob.
const MAX_AUTOMATA: usize = 2;

/// The automata over the encoded keywords of every rule.
pub struct Fragments {
    automata: Vec<AhoCorasick>,
    /// The fewest base64 characters in a row that every literal holds (see [`longest_run`]).
    pub shortest_run: usize,
}

impl Fragments {
    /// Encodes each keyword (case-insensitive ones as written, lower, upper and capitalised:
    /// base64 is case-sensitive) at the three alignments, in both alphabets; then the
    /// key-ID and secret keywords encoded twice (base64 of base64). Key IDs come first, so
    /// if there are too many literals, what is left out is the least telling.
    pub fn new(rules: &Ruleset) -> Fragments {
        let mut ranked: Vec<(u8, Vec<u8>)> = Vec::new();
        // Keywords that only make a line worth a look when a context rule confirms it
        // (`value`, `default`) are ordinary words: their encodings would be noise.
        for rule in rules.rules.iter().filter(|r| r.context_lines == 0) {
            let rank = match rule.kind {
                Kind::AccessKeyId => 0,
                Kind::SecretAccessKey => 1,
                _ => 2,
            };
            // A keyword that is itself a placeholder (`EXAMPLE`, `XXXXXXXX`) marks what is
            // never a credential: its encodings would send decoding after documentation keys.
            for keyword in rule.keywords.iter().filter(|k| !is_placeholder(k.as_bytes())) {
                for form in super::case_forms(keyword, rule.exact_keywords) {
                    let middles = encoded_middles(form.as_bytes());
                    if rank < 2 {
                        for middle in middles.iter().filter(|m| m.len() > MIN_FRAGMENT) {
                            ranked.extend(
                                with_url_safe(encoded_middles(middle), MIN_FRAGMENT + 1).map(|p| (3 + rank, p)),
                            );
                        }
                    }
                    ranked.extend(with_url_safe(middles, MIN_FRAGMENT).map(|p| (rank, p)));
                }
            }
        }
        // gzip's magic bytes encoded (`\x1f\x8b\x08` is `H4sI`): compressed text holds no
        // encoded keyword, so the run is found by its start and inflated (decode::gunzip_text).
        // Base64 of that base64 too (`SDRzSUFB...`): Helm keeps releases so.
        ranked.push((0, b"H4sI".to_vec()));
        ranked.extend(with_url_safe(encoded_middles(b"H4sI"), MIN_FRAGMENT).map(|p| (0, p)));
        ranked.sort_by_key(|(rank, _)| *rank);
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        for (_, p) in ranked {
            if !patterns.contains(&p) && patterns.len() < TEDDY_LIMIT * MAX_AUTOMATA {
                patterns.push(p);
            }
        }
        let shortest_run = patterns.iter().map(|p| longest_run(p)).min().unwrap_or(usize::MAX);
        let automata = patterns
            .chunks(TEDDY_LIMIT)
            .map(|chunk| {
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(chunk)
                    .expect("encoded keywords build an automaton")
            })
            .collect();
        Fragments { automata, shortest_run }
    }

    /// Start offsets of every encoded keyword in `haystack`, in order.
    pub fn hits(&self, haystack: &[u8], out: &mut Vec<usize>) {
        let first = out.len();
        for automaton in &self.automata {
            out.extend(automaton.find_iter(haystack).map(|m| m.start()));
        }
        if self.automata.len() > 1 {
            out[first..].sort_unstable();
            out.dedup();
        }
    }
}

/// The middles and their URL-safe forms, of at least `min` characters.
fn with_url_safe(middles: Vec<Vec<u8>>, min: usize) -> impl Iterator<Item = Vec<u8>> {
    let mut patterns = Vec::new();
    add(&mut patterns, middles, min);
    patterns.into_iter()
}

/// Adds the middles (and their URL-safe forms) of at least `min` characters.
fn add(patterns: &mut Vec<Vec<u8>>, middles: Vec<Vec<u8>>, min: usize) {
    for fragment in middles {
        let url_safe: Vec<u8> = fragment
            .iter()
            .map(|&b| match b {
                b'+' => b'-',
                b'/' => b'_',
                b => b,
            })
            .collect();
        for p in [fragment, url_safe] {
            if p.len() >= min && !patterns.contains(&p) {
                patterns.push(p);
            }
        }
    }
}

/// The fixed middles of `keyword`'s base64 encoding at byte alignments 0, 1 and 2.
fn encoded_middles(keyword: &[u8]) -> Vec<Vec<u8>> {
    (0..3)
        .map(|align| {
            let mut plain = vec![0u8; align];
            plain.extend_from_slice(keyword);
            let encoded = encode(&plain);
            // The first character all of whose bits come from the keyword, and the end of
            // the last one.
            let first = [0, 2, 3][align];
            let last = plain.len() * 4 / 3;
            encoded[first..last.max(first)].to_vec()
        })
        .collect()
}

/// Standard padded base64 (for building fragments and for tests).
pub fn encode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]);
            } else {
                out.push(b'=');
            }
        }
    }
    out
}

/// Marks a byte that is no base64 character in [`VALUES`].
const NOT_BASE64: u8 = 0xff;

/// The six-bit value of each byte as a base64 character of either alphabet, or
/// [`NOT_BASE64`]: a table, because the tokenizing loops over a labelled line (which in
/// minified code is megabytes long) ask for every byte.
static VALUES: [u8; 256] = {
    let mut values = [NOT_BASE64; 256];
    let mut i = 0;
    while i < 64 {
        values[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    values[b'-' as usize] = 62;
    values[b'_' as usize] = 63;
    values
};

/// The six-bit value of a base64 character of either alphabet.
#[inline]
fn value(b: u8) -> Option<u32> {
    let v = VALUES[usize::from(b)];
    (v != NOT_BASE64).then_some(u32::from(v))
}

#[inline]
pub fn is_char(b: u8) -> bool {
    VALUES[usize::from(b)] != NOT_BASE64
}

/// The longest run of base64 characters (of either alphabet) in `bytes`: bytes with none
/// as long as a literal's own longest run cannot hold that literal.
pub fn longest_run(bytes: &[u8]) -> usize {
    bytes.split(|&b| !is_char(b)).map(<[u8]>::len).max().unwrap_or(0)
}

/// Decodes base64 characters, skipping line breaks and indentation (and a JSON string's
/// `\n` and `\r`); padding ends it. `skip` characters are dropped first (to try another
/// alignment of a clipped run).
pub fn decode(encoded: &[u8], skip: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(encoded.len() * 3 / 4);
    let (mut acc, mut bits, mut skipped) = (0u32, 0u32, 0);
    let mut escaped = false;
    for &b in encoded {
        if std::mem::take(&mut escaped) && matches!(b, b'n' | b'r') {
            continue;
        }
        let Some(v) = value(b) else {
            if b == b'=' {
                break;
            }
            escaped = b == b'\\';
            continue;
        };
        if skipped < skip {
            skipped += 1;
            continue;
        }
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// Whether a line (without its newline) is nothing but indentation and base64: a
/// continuation of a wrapped run. A padded last line may be a single quantum (`OQo=`,
/// `Cg==`): it holds the last bytes of the run, often the end of a value.
fn is_wrapped_line(line: &[u8]) -> bool {
    let line = line.trim_ascii();
    let body = line.strip_suffix(b"==").or_else(|| line.strip_suffix(b"=")).unwrap_or(line);
    let quantum = body.len() < line.len() && line.len() == 4;
    (body.len() >= 4 || quantum && body.len() >= 2) && body.iter().all(|&b| is_char(b))
}

/// The length of a JSON string's escaped line break at the start of `rest` (`\n`, `\r\n`):
/// `base64` output wraps at 76 columns, and pasted into a JSON string its lines are joined
/// by these.
fn escaped_break(rest: &[u8]) -> usize {
    match rest {
        [b'\\', b'n', ..] => 2,
        [b'\\', b'r', b'\\', b'n', ..] => 4,
        _ => 0,
    }
}

/// Whether a run continues after an escaped line break: a quantum of characters, or a
/// last padded one (`ago=`, `Cg==`).
fn continues(rest: &[u8]) -> bool {
    let chars = rest.iter().take(4).take_while(|&&b| is_char(b)).count();
    chars == 4 || chars >= 2 && rest[chars..].iter().take(4 - chars).all(|&b| b == b'=') && rest.len() >= 4
}

/// The run of base64 around `at`: characters of either alphabet, continued over line
/// breaks into lines that hold nothing else (PEM, `base64 -w 76`, YAML block scalars) and
/// over a JSON string's `\n` into more characters, with its trailing padding, and at most
/// [`REACH`] bytes on either side, never before `from` (where the previous run ended). The
/// third value says whether the start was clipped (its alignment is then unknown).
pub fn run_around(haystack: &[u8], at: usize, from: usize) -> (usize, usize, bool) {
    let lo = at.saturating_sub(REACH).max(from);
    let hi = (at + REACH).min(haystack.len());
    let mut start = at;
    loop {
        while start > lo && is_char(haystack[start - 1]) {
            start -= 1;
        }
        // An escaped line break (its `n` was taken for a character) between characters.
        if start > lo + 1 && haystack[start - 1] == b'\\' && continues(&haystack[start..]) {
            let at = if start > lo + 3 && &haystack[start - 3..start - 1] == b"\\r" { start - 3 } else { start - 1 };
            if at > lo && is_char(haystack[at - 1]) && haystack[start] == b'n' {
                start = at;
                continue;
            }
        }
        // A line break with a whole base64 line before it continues the run.
        let before = &haystack[lo..start];
        let indent = before.iter().rev().take_while(|&&b| b == b' ' || b == b'\t').count();
        let Some(&b'\n') = before.iter().rev().nth(indent) else { break };
        let line_end = start - indent - 1;
        let line_end = if line_end > lo && haystack[line_end - 1] == b'\r' { line_end - 1 } else { line_end };
        let line_start = memchr::memrchr(b'\n', &haystack[lo..line_end]).map_or(lo, |i| lo + i + 1);
        if !is_wrapped_line(&haystack[line_start..line_end]) || haystack[line_end - 1] == b'=' {
            break;
        }
        start = line_end;
    }
    let mut end = at;
    loop {
        while end < hi && is_char(haystack[end]) {
            end += 1;
        }
        let pad = haystack[end..hi].iter().take_while(|&&b| b == b'=').count();
        if pad > 0 {
            end += pad;
            break;
        }
        let rest = &haystack[end..hi];
        let escaped = escaped_break(rest);
        if escaped > 0 && continues(&rest[escaped..]) {
            end += escaped;
            continue;
        }
        let cr = usize::from(rest.first() == Some(&b'\r'));
        if rest.get(cr) != Some(&b'\n') {
            break;
        }
        let next = end + cr + 1;
        let next_end = memchr::memchr(b'\n', &haystack[next..hi]).map_or(hi, |i| next + i);
        if !is_wrapped_line(&haystack[next..next_end]) {
            break;
        }
        end = next + haystack[next..next_end].iter().take_while(|b| b.is_ascii_whitespace()).count();
    }
    (start, end, start == lo && lo > 0 && is_char(haystack[lo - 1]))
}
