//! The scanner: find candidates with one Aho-Corasick pass over the whole haystack, then
//! confirm each candidate line with the regexes of the rules whose keywords hit it.
//!
//! This is ripgrep's "candidate, then confirmed" shape: nearly all of the time goes into a
//! vectorised literal search; regexes run only on the few lines that hold a keyword, and
//! line numbers are counted only for confirmed matches.

use std::borrow::Cow;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind};
use memchr::{memchr, memchr_iter, memrchr};

use crate::decode::base64::{Fragments, longest_run};
use crate::rules::{Alphabet, Ruleset, decode_value, has_run};
use crate::words::reads_like_words;

/// Bytes on either side of a value that a `near` or `context` window may span, so a
/// minified file's giant line costs a bounded amount per value, never a pass per value.
const WINDOW_BYTES: usize = 4096;

/// A confirmed match of one rule in one haystack. Small and owning nothing, so that even an
/// input packed with credentials costs little memory per match.
#[derive(Clone, Debug)]
pub struct Match {
    /// Index of the rule in the ruleset.
    pub rule: usize,
    /// Byte range of the value as it appears in the haystack (escapes included).
    pub start: usize,
    pub end: usize,
    /// 1-based line number and byte column of `start`.
    pub line: u32,
    pub column: u32,
    /// Byte range of the line holding the value, without its newline.
    pub line_start: usize,
    pub line_end: usize,
}

impl Match {
    /// The value with JSON and URL escapes decoded: what the credential really is.
    pub fn value<'h>(&self, haystack: &'h [u8]) -> Cow<'h, [u8]> {
        decode_value(&haystack[self.start..self.end])
    }
}

/// Scans haystacks with a ruleset. Build once and reuse: construction builds the automata.
pub struct Scanner {
    rules: &'static Ruleset,
    /// Keywords matched case-sensitively (`AKIA`), and those matched ASCII
    /// case-insensitively (`secret`), the latter over a lower-cased copy of each chunk.
    exact: Prefilter,
    folded: Prefilter,
    /// For each rule, the mask of `near` rules it anchors.
    anchors: Vec<u64>,
    /// The rules' keywords as they read inside base64, for [`crate::decode`].
    fragments: Fragments,
    /// Whether a rule's pattern spans lines (`lines`): two candidate lines may then reach
    /// the same value.
    multi_line: bool,
    /// The fewest base64 characters in a row that every keyword and encoded keyword holds.
    shortest_run: usize,
}

/// How much of the haystack is lower-cased at a time for the case-insensitive keywords.
/// An Aho-Corasick automaton built case-insensitively loses its SIMD prefilter and runs at
/// a tenth of the speed; folding a cache-sized chunk and searching it exactly does not.
const FOLD_CHUNK: usize = 64 * 1024;

/// The bit of a keyword mask that stands for `decode_keywords` and hex keywords: the line
/// is decoded, but no rule runs on it for that keyword.
const DECODE_ONLY: u64 = 1 << 63;

/// One Aho-Corasick automaton over keywords, with the mask of rules each one serves.
struct Prefilter {
    automaton: AhoCorasick,
    rules: Vec<u64>,
    /// The longest keyword, for the overlap between folded chunks.
    longest: usize,
    /// The fewest base64 characters in a row that every keyword holds (lower-casing changes
    /// no byte's being one), for [`Scanner::may_hold_keywords`].
    shortest_run: usize,
}

impl Prefilter {
    fn new(rules: &Ruleset, exact: bool) -> Prefilter {
        let mut keywords: Vec<Vec<u8>> = Vec::new();
        let mut masks: Vec<u64> = Vec::new();
        let by_rule = rules.rules.iter().enumerate().filter(|(_, r)| r.exact_keywords == exact);
        let by_rule = by_rule.flat_map(|(i, r)| r.keywords.iter().map(move |k| (k, 1 << i)));
        // Hex keywords are lower-case hex digits: found case-insensitively, like `0x414B4941`.
        let hex = if exact { Vec::new() } else { crate::decode::hex::keywords(rules) };
        let decoding = rules.decode_keywords.iter().filter(|_| !exact).chain(&hex).map(|k| (k, DECODE_ONLY));
        for (keyword, bit) in by_rule.chain(decoding) {
            let key = if exact { keyword.clone().into_bytes() } else { keyword.to_ascii_lowercase().into_bytes() };
            match keywords.iter().position(|k| *k == key) {
                Some(p) => masks[p] |= bit,
                None => {
                    keywords.push(key);
                    masks.push(bit);
                }
            }
        }
        let longest = keywords.iter().map(Vec::len).max().unwrap_or(0);
        let shortest_run = keywords.iter().map(|k| longest_run(k)).min().unwrap_or(usize::MAX);
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&keywords)
            .expect("built-in keywords build an automaton");
        Prefilter { automaton, rules: masks, longest, shortest_run }
    }

    /// Every keyword hit in `haystack[from..to]`, as (start, rules), in order. Restarting
    /// one byte past each hit's start also finds keywords that overlap it.
    fn hits(&self, haystack: &[u8], from: usize, to: usize, base: usize, out: &mut Vec<(usize, u64)>) {
        // A keyword that starts before `to` may end up to `longest - 1` bytes after it.
        let limit = (to + self.longest.saturating_sub(1)).min(haystack.len());
        let mut pos = from;
        while pos < to {
            let Some(hit) = self.automaton.find(Input::new(haystack).range(pos..limit)) else { break };
            if hit.start() >= to {
                break;
            }
            out.push((base + hit.start(), self.rules[hit.pattern().as_usize()]));
            pos = hit.start() + 1;
        }
    }
}

/// `[u8]::make_ascii_lowercase`, eight bytes at a time: byte by byte (awsguard's code is
/// built for size, so not vectorised) it took a third of the raw scan of a 50 MB line.
fn ascii_lowercase(bytes: &mut [u8]) {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const fn each(b: u8) -> u64 {
        0x0101_0101_0101_0101 * b as u64
    }
    let mut chunks = bytes.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes((&*chunk).try_into().expect("chunks of eight"));
        let low = word & LOW7;
        // High bit of each byte: at least `A`, above `Z`; ASCII only.
        let from_a = low + each(0x80 - b'A');
        let past_z = low + each(0x80 - b'Z' - 1);
        let upper = from_a & !past_z & !word & HIGH;
        chunk.copy_from_slice(&(word | (upper >> 2)).to_le_bytes());
    }
    chunks.into_remainder().make_ascii_lowercase();
}

/// The merged, ordered keyword hits of both prefilters over one haystack, produced a chunk
/// at a time so that memory stays small whatever the haystack's size. Its two buffers are
/// the thread's [`SCRATCH`], given back when it is dropped.
struct Hits<'s, 'h> {
    scanner: &'s Scanner,
    haystack: &'h [u8],
    /// Start of the next chunk to search.
    next_chunk: usize,
    folded: Vec<u8>,
    pending: Vec<(usize, u64)>,
    taken: usize,
}

/// A folded chunk and a list of hits, as [`Hits`] keeps them.
type Buffers = (Vec<u8>, Vec<(usize, u64)>);

thread_local! {
    /// The buffers of the last [`Hits`] on this thread: a history scan searches hundreds of
    /// thousands of blobs (and their decoded views), each once allocating a folded chunk
    /// and a list of hits afresh.
    static SCRATCH: std::cell::Cell<Buffers> = const { std::cell::Cell::new((Vec::new(), Vec::new())) };
}

impl<'s, 'h> Hits<'s, 'h> {
    fn new(scanner: &'s Scanner, haystack: &'h [u8]) -> Hits<'s, 'h> {
        let (mut folded, mut pending) = SCRATCH.take();
        folded.clear();
        pending.clear();
        Hits { scanner, haystack, next_chunk: 0, folded, pending, taken: 0 }
    }
}

impl Drop for Hits<'_, '_> {
    fn drop(&mut self) {
        // A buffer grown for a huge chunk is kept too: at most one chunk's size.
        SCRATCH.set((std::mem::take(&mut self.folded), std::mem::take(&mut self.pending)));
    }
}

impl Iterator for Hits<'_, '_> {
    type Item = (usize, u64);

    fn next(&mut self) -> Option<(usize, u64)> {
        while self.taken == self.pending.len() {
            let start = self.next_chunk;
            if start >= self.haystack.len() {
                return None;
            }
            let end = (start + FOLD_CHUNK).min(self.haystack.len());
            self.next_chunk = end;
            self.pending.clear();
            self.taken = 0;
            let scanner = self.scanner;
            // Exact keywords that start in this chunk (they may end beyond it).
            scanner.exact.hits(self.haystack, start, end, 0, &mut self.pending);
            // Folded keywords: lower-case the chunk plus enough overlap for a keyword that
            // starts at its last byte.
            let overlap_end = (end + scanner.folded.longest.saturating_sub(1)).min(self.haystack.len());
            self.folded.clear();
            self.folded.extend_from_slice(&self.haystack[start..overlap_end]);
            ascii_lowercase(&mut self.folded);
            scanner.folded.hits(&self.folded, 0, end - start, start, &mut self.pending);
            self.pending.sort_unstable_by_key(|&(at, _)| at);
        }
        self.taken += 1;
        Some(self.pending[self.taken - 1])
    }
}

impl Scanner {
    /// Builds the prefilters over every rule's keywords.
    pub fn new(rules: &'static Ruleset) -> Scanner {
        let mut anchors = vec![0u64; rules.rules.len()];
        for (i, rule) in rules.rules.iter().enumerate() {
            if let Some((anchor, _)) = rule.near {
                // The anchor's children anchor too: `aws.access-key-id.joined`.
                let name = &rules.rules[anchor].id;
                for (j, _) in rules.rules.iter().enumerate().filter(|(_, r)| r.is_named_by(name)) {
                    anchors[j] |= 1 << i;
                }
            }
        }
        let (exact, folded) = (Prefilter::new(rules, true), Prefilter::new(rules, false));
        let multi_line = rules.rules.iter().any(|r| r.lines > 1);
        let fragments = Fragments::new(rules);
        let shortest_run = exact.shortest_run.min(folded.shortest_run).min(fragments.shortest_run);
        Scanner { rules, exact, folded, anchors, fragments, multi_line, shortest_run }
    }

    /// Whether `haystack` may hold a keyword or an encoded keyword: each holds a run of
    /// base64 characters at least as long as the shortest such run among them all. Most
    /// `\u` escapes decode to a character or two, which then need no search.
    pub fn may_hold_keywords(&self, haystack: &[u8]) -> bool {
        has_run(haystack, self.shortest_run, crate::decode::base64::is_char)
    }

    /// Where the rules' keywords appear base64-encoded in `haystack`.
    pub fn fragment_hits(&self, haystack: &[u8], out: &mut Vec<usize>) {
        self.fragments.hits(haystack, out);
    }

    /// The lines of `haystack` that hold a keyword, as byte ranges without newlines.
    pub fn candidate_lines(&self, haystack: &[u8], out: &mut Vec<(usize, usize)>) {
        let hits = Hits::new(self, haystack);
        let mut line_end = 0;
        for (at, _) in hits {
            if at < line_end && !out.is_empty() {
                continue;
            }
            let line_start = memrchr(b'\n', &haystack[..at]).map_or(0, |i| i + 1);
            line_end = memchr(b'\n', &haystack[at..]).map_or(haystack.len(), |i| at + i);
            out.push((line_start, line_end));
        }
    }

    /// The ruleset this scanner runs.
    pub fn rules(&self) -> &'static Ruleset {
        self.rules
    }

    /// Appends every confirmed match in `haystack` to `out`, sorted by position, with
    /// overlapping matches of later rules removed. Time is linear in the haystack: each
    /// candidate line is confirmed once per rule, and windows around values are bounded.
    pub fn scan(&self, haystack: &[u8], out: &mut Vec<Match>) {
        self.scan_with_lines(haystack, out, &mut Vec::new());
    }

    /// [`Scanner::scan`], also appending the candidate lines (those with a keyword) to
    /// `lines`, for the decoding that follows.
    pub fn scan_with_lines(&self, haystack: &[u8], out: &mut Vec<Match>, lines: &mut Vec<(usize, usize)>) {
        self.scan_part(haystack, is_binary(haystack), out, lines);
    }

    /// [`Scanner::scan_with_lines`] over part of a blob whose binary-ness was decided on
    /// its first bytes (a window of a streamed blob).
    pub fn scan_part(&self, haystack: &[u8], binary: bool, out: &mut Vec<Match>, lines: &mut Vec<(usize, usize)>) {
        let first = out.len();
        // Stage 1: candidate lines, each with the mask of rules whose keywords hit it.
        let mut line_start = 0;
        let mut line_end = 0;
        let mut mask = 0u64;
        let hits = Hits::new(self, haystack);
        for (at, rules) in hits {
            if at < line_end {
                mask |= rules;
                continue;
            }
            if mask != 0 {
                self.confirm(haystack, line_start, line_end, mask, out);
                lines.push((line_start, line_end));
            }
            line_start = memrchr(b'\n', &haystack[..at]).map_or(0, |i| i + 1);
            line_end = memchr(b'\n', &haystack[at..]).map_or(haystack.len(), |i| at + i);
            mask = rules;
        }
        if mask != 0 {
            self.confirm(haystack, line_start, line_end, mask, out);
            lines.push((line_start, line_end));
        }
        if self.multi_line && out.len() > first + 1 {
            // A value reached from two candidate lines is one match.
            let mut found = out.split_off(first);
            found.sort_by_key(|m| (m.start, m.rule));
            found.dedup_by_key(|m| (m.start, m.rule));
            out.append(&mut found);
        }
        if binary {
            self.binary_pairs(haystack, out);
        }
        if out.len() == first {
            return;
        }
        // Stage 2: rules anchored on a confirmed match look at the lines around it. Windows
        // of successive anchors are searched as one union, never twice.
        out[first..].sort_by_key(|m| m.start);
        let anchored: Vec<(usize, usize, usize)> =
            out[first..].iter().filter(|m| self.anchors[m.rule] != 0).map(|m| (m.rule, m.start, m.end)).collect();
        let mut searched_until = vec![0usize; self.rules.rules.len()];
        for (anchor, start, end) in anchored {
            let mut near = self.anchors[anchor];
            while near != 0 {
                let rule = near.trailing_zeros() as usize;
                near &= near - 1;
                let lines = self.rules.rules[rule].near.map_or(0, |(_, n)| n);
                let (ws, we) = token_window(haystack, window(haystack, start, end, lines, WINDOW_BYTES));
                let ws = ws.max(searched_until[rule]);
                if ws < we {
                    self.find(rule, haystack, ws, we, out);
                    searched_until[rule] = we;
                }
            }
        }
        finish(haystack, &mut out[first..]);
        // Sorted by (start, rule): of overlapping matches keep the first, so the same value
        // found again by a later rule (paired after labelled) is reported once.
        let mut kept = first;
        let mut kept_end = 0;
        for i in first..out.len() {
            if kept == first || out[i].start >= kept_end {
                kept_end = out[i].end;
                out.swap(kept, i);
                kept += 1;
            }
        }
        out.truncate(kept);
    }

    /// Runs each rule in `mask` over one candidate line.
    fn confirm(&self, haystack: &[u8], start: usize, end: usize, mut mask: u64, out: &mut Vec<Match>) {
        mask &= !DECODE_ONLY;
        while mask != 0 {
            let rule = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            let end = match self.rules.rules[rule].lines {
                1 => end,
                // The lines after the candidate line, within the window's bytes.
                lines => window(haystack, end, end, lines - 1, WINDOW_BYTES).1,
            };
            self.find(rule, haystack, start, end, out);
        }
    }

    /// Finds the matches of one rule in `haystack[start..end]` and keeps those its filters
    /// accept. Iteration resumes after each value, not after the whole match, so a shared
    /// boundary character (`key1,key2`) cannot hide the second value.
    fn find(&self, rule_index: usize, haystack: &[u8], start: usize, end: usize, out: &mut Vec<Match>) {
        let rule = &self.rules.rules[rule_index];
        let slice = &haystack[start..end];
        if !rule.may_match(slice) {
            return;
        }
        let regex = rule.regex();
        let mut locs = regex.capture_locations();
        let (mut body_group, mut words_group) = (None, None);
        for (i, name) in regex.capture_names().enumerate() {
            match name {
                Some("body") => body_group = Some(i),
                Some("words") => words_group = Some(i),
                _ => {}
            }
        }
        let mut at = 0;
        while at <= slice.len() {
            let Some(m) = regex.captures_read_at(&mut locs, slice, at) else { break };
            let Some((vs, ve)) = locs.get(1) else { break };
            at = ve.max(m.start() + 1);
            if rule.whole_token && !ends_cleanly(slice, ve) {
                continue;
            }
            let value = decode_value(&slice[vs..ve]);
            let body = match body_group.and_then(|g| locs.get(g)) {
                Some((bs, be)) => decode_value(&slice[bs..be]),
                None => Cow::Borrowed(&*value),
            };
            if !rule.accepts(&value, &body) {
                continue;
            }
            if words_group.and_then(|g| locs.get(g)).is_some_and(|(ws, we)| reads_like_words(&slice[ws..we])) {
                continue;
            }
            let (abs_start, abs_end) = (start + vs, start + ve);
            if let Some(context) = rule.context() {
                let bytes = rule.context_bytes.unwrap_or(WINDOW_BYTES);
                let (ws, we) = window(haystack, abs_start, abs_end, rule.context_lines, bytes);
                if !context.is_match(&haystack[ws..we]) {
                    continue;
                }
            }
            out.push(Match {
                rule: rule_index,
                start: abs_start,
                end: abs_end,
                line: 0,
                column: 0,
                line_start: 0,
                line_end: 0,
            });
        }
    }
}

/// Whether a blob is binary, as git decides: a NUL in its first 8000 bytes.
pub fn is_binary(haystack: &[u8]) -> bool {
    memchr(0, &haystack[..haystack.len().min(8000)]).is_some()
}

fn is_base32(b: u8) -> bool {
    b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)
}

fn is_base64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

impl Scanner {
    /// Binary containers store strings back to back (a SQLite row, a `.pyc`, a Go string
    /// table), so a key ID runs into its neighbours and no word boundary isolates it. In a
    /// binary blob:
    /// - a key ID directly followed or preceded by 40 secret-shaped characters, or followed
    ///   by them after a marshalled string's one-byte type and length (`.pyc`: `z(`), is a
    ///   pair, if each passes its rule's filters;
    /// - a key ID glued to the text before it (a SQLite row `aws_access_key_idAKIA...`) or
    ///   after it (a `.pyc` type byte, the next string of a Go table) is a key ID, if the
    ///   characters on either side cannot continue it;
    /// - a secret glued to the name before it (`aws_secret_access_keyW3x...`) is a secret.
    fn binary_pairs(&self, haystack: &[u8], out: &mut Vec<Match>) {
        let rule_of = |id: &str| self.rules.rules.iter().position(|r| r.id == id);
        let (Some(id_rule), Some(secret_rule), Some(labelled_rule)) =
            (rule_of("aws.access-key-id"), rule_of("aws.secret-access-key.paired"), rule_of("aws.secret-access-key"))
        else {
            return;
        };
        let (id, secret) = (&self.rules.rules[id_rule], &self.rules.rules[secret_rule]);
        let at = |rule, start, end| Match { rule, start, end, line: 0, column: 0, line_start: 0, line_end: 0 };
        // `IA` is in AKIA, ASIA and ABIA; `CCA` in ACCA.
        let starts = memchr::memmem::find_iter(haystack, b"IA")
            .filter_map(|i| i.checked_sub(2))
            .chain(memchr::memmem::find_iter(haystack, b"CCA").filter_map(|i| i.checked_sub(1)));
        for start in starts {
            let Some(key) = haystack.get(start..start + 20) else { continue };
            if !KEY_PREFIXES.iter().any(|p| key.starts_with(p)) || !key[4..].iter().all(|&b| is_base32(b)) {
                continue;
            }
            let secret_after = |skip: usize| {
                haystack
                    .get(start + 20 + skip..start + 60 + skip)
                    .filter(|s| s.iter().all(|&b| is_base64(b)) && secret.accepts(s, s))
                    .map(|_| start + 20 + skip)
            };
            // After the key ID: the secret, or a type byte and a length byte, then it.
            let tagged = haystack.get(start + 20..start + 22).is_some_and(|t| !is_base64(t[1]));
            let secret_at = secret_after(0).or_else(|| tagged.then(|| secret_after(2)).flatten()).or_else(|| {
                start
                    .checked_sub(40)
                    .map(|s| &haystack[s..start])
                    .filter(|s| s.iter().all(|&b| is_base64(b)) && secret.accepts(s, s))
                    .map(|_| start - 40)
            });
            // Strings stored back to back end somewhere: a pair with base64 running on for
            // `DEEP` characters on both sides is a slice of encoded data (an embedded
            // base64 blob), where a key-shaped run turns up by chance.
            let secret_at = secret_at.filter(|&s| {
                let (from, to) = (s.min(start), s.max(start) + if s > start { 40 } else { 20 });
                let before = haystack[..from].iter().rev().take(DEEP).take_while(|&&b| is_base64(b)).count();
                let after = haystack[to..].iter().take(DEEP).take_while(|&&b| is_base64(b)).count();
                before < DEEP || after < DEEP
            });
            // Alone, the key ID must start and end where its characters do: after a byte
            // that is no base32, and before one, or before one type byte and a byte that is
            // no letter or digit.
            let alone = (start == 0 || !is_base32(haystack[start - 1]))
                && haystack.get(start + 20).is_none_or(|&b| !is_base32(b) || tagged);
            if (secret_at.is_none() && !alone) || !id.accepts(key, key) {
                continue;
            }
            out.push(at(id_rule, start, start + 20));
            if let Some(s) = secret_at {
                out.push(at(secret_rule, s, s + 40));
            }
        }
        let labelled = &self.rules.rules[labelled_rule];
        for label in [&b"ecret_access_key"[..], b"ecretAccessKey", b"ECRET_ACCESS_KEY", b"ecretaccesskey"] {
            for i in memchr::memmem::find_iter(haystack, label) {
                let from = i + label.len();
                let Some(value) = haystack.get(from..from + 40) else { continue };
                if value.iter().all(|&b| is_base64(b))
                    && haystack.get(from + 40).is_none_or(|&b| !is_base64(b) && b != b'=')
                    && labelled.accepts(value, value)
                {
                    out.push(at(labelled_rule, from, from + 40));
                }
            }
        }
    }
}

/// Base64 characters on each side of a key ID and secret in a binary blob beyond which
/// they are taken for a slice of encoded data (see `binary_pairs`).
const DEEP: usize = 64;

/// The prefixes of access key IDs that are credentials.
const KEY_PREFIXES: [&[u8]; 4] = [b"AKIA", b"ASIA", b"ABIA", b"ACCA"];

/// A value must not run on into more base64: the regexes cap their repetition, so a
/// longer token would otherwise yield a 40-character slice of itself.
fn ends_cleanly(slice: &[u8], end: usize) -> bool {
    match slice.get(end) {
        None => true,
        Some(&b) => !(b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'='),
    }
}

/// The byte range from `lines` lines before `start`'s line to `lines` lines after `end`'s,
/// clipped to `bytes` on either side.
fn window(haystack: &[u8], start: usize, end: usize, lines: usize, bytes: usize) -> (usize, usize) {
    let lo = start.saturating_sub(bytes);
    let hi = (end + bytes).min(haystack.len());
    let mut ws = memrchr(b'\n', &haystack[lo..start]).map_or(lo, |i| lo + i + 1);
    for _ in 0..lines {
        if ws <= lo {
            break;
        }
        // `ws - 1` holds a newline: look for the one before it.
        ws = memrchr(b'\n', &haystack[lo..ws - 1]).map_or(lo, |i| lo + i + 1);
    }
    let mut we = memchr(b'\n', &haystack[end..hi]).map_or(hi, |i| end + i);
    for _ in 0..lines {
        if we >= hi {
            break;
        }
        // `we` holds a newline: look for the one after it.
        we = memchr(b'\n', &haystack[we + 1..hi]).map_or(hi, |i| we + 1 + i);
    }
    (ws, we)
}

/// Shrinks a window that was clipped inside a line to whole tokens, so that its edges can
/// never make the middle of a long token look like a value of its own.
fn token_window(haystack: &[u8], (mut ws, mut we): (usize, usize)) -> (usize, usize) {
    if ws > 0 && haystack[ws - 1] != b'\n' {
        // Bytes that can continue a token: base64, and the escapes values may contain.
        while ws < we && Alphabet::Base64.contains(haystack[ws]) {
            ws += 1;
        }
    }
    if we < haystack.len() && haystack[we] != b'\n' {
        while we > ws && Alphabet::Base64.contains(haystack[we - 1]) {
            we -= 1;
        }
    }
    (ws, we)
}

/// Sorts matches by position and fills in line numbers, columns and line ranges in one
/// forward pass: newlines are counted once, and a line's end is found once per line.
fn finish(haystack: &[u8], matches: &mut [Match]) {
    matches.sort_by_key(|m| (m.start, m.rule));
    let mut line = 1u32;
    let mut counted = 0;
    let mut line_start = 0;
    let mut line_end = 0;
    for m in matches.iter_mut() {
        let segment = &haystack[counted..m.start];
        if let Some(last) = memrchr(b'\n', segment) {
            line += memchr_iter(b'\n', segment).count() as u32;
            line_start = counted + last + 1;
        }
        counted = m.start;
        if m.start >= line_end {
            line_end = memchr(b'\n', &haystack[m.start..]).map_or(haystack.len(), |i| m.start + i);
        }
        m.line = line;
        m.line_start = line_start;
        m.line_end = line_end;
        m.column = (m.start - line_start + 1) as u32;
    }
}

#[cfg(test)]
mod tests;
