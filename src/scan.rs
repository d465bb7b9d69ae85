//! The scanner: find candidates with one Aho-Corasick pass over the whole haystack, then
//! confirm each candidate line with the regexes of the rules whose keywords hit it.
//!
//! This is ripgrep's "candidate, then confirmed" shape: nearly all of the time goes into a
//! vectorised literal search; regexes run only on the few lines that hold a keyword, and
//! line numbers are counted only for confirmed matches.

use std::borrow::Cow;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use memchr::{memchr, memchr_iter, memrchr};
use regex::bytes::Regex;

use crate::rules::{Rule, Ruleset, decode_value};

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

/// Scans haystacks with a ruleset. Build once and reuse: construction builds the automaton.
pub struct Scanner {
    rules: &'static Ruleset,
    prefilter: AhoCorasick,
    /// For each prefilter pattern, the mask of rules it makes candidates for.
    pattern_rules: Vec<u64>,
    /// For each rule, the mask of `near` rules it anchors.
    anchors: Vec<u64>,
}

impl Scanner {
    /// Builds the prefilter over every rule's keywords.
    pub fn new(rules: &'static Ruleset) -> Scanner {
        let mut keywords: Vec<Vec<u8>> = Vec::new();
        let mut pattern_rules: Vec<u64> = Vec::new();
        for (i, rule) in rules.rules.iter().enumerate() {
            for keyword in &rule.keywords {
                let key = keyword.to_ascii_lowercase().into_bytes();
                match keywords.iter().position(|k| *k == key) {
                    Some(p) => pattern_rules[p] |= 1 << i,
                    None => {
                        keywords.push(key);
                        pattern_rules.push(1 << i);
                    }
                }
            }
        }
        let mut anchors = vec![0u64; rules.rules.len()];
        for (i, rule) in rules.rules.iter().enumerate() {
            if let Some((anchor, _)) = rule.near {
                anchors[anchor] |= 1 << i;
            }
        }
        // Standard semantics with overlapping search: a keyword never hides another that
        // overlaps it, so no rule can lose its candidate to a neighbour's keyword.
        let prefilter = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .ascii_case_insensitive(true)
            .build(&keywords)
            .expect("built-in keywords build an automaton");
        Scanner { rules, prefilter, pattern_rules, anchors }
    }

    /// The ruleset this scanner runs.
    pub fn rules(&self) -> &'static Ruleset {
        self.rules
    }

    /// Appends every confirmed match in `haystack` to `out`, sorted by position, with
    /// overlapping matches of later rules removed. Time is linear in the haystack: each
    /// candidate line is confirmed once per rule, and windows around values are bounded.
    pub fn scan(&self, haystack: &[u8], out: &mut Vec<Match>) {
        let first = out.len();
        // Stage 1: candidate lines, each with the mask of rules whose keywords hit it.
        let mut line_start = 0;
        let mut line_end = 0;
        let mut mask = 0u64;
        for hit in self.prefilter.find_overlapping_iter(haystack) {
            let at = hit.start();
            if at < line_end {
                mask |= self.pattern_rules[hit.pattern().as_usize()];
                continue;
            }
            if mask != 0 {
                self.confirm(haystack, line_start, line_end, mask, out);
            }
            line_start = memrchr(b'\n', &haystack[..at]).map_or(0, |i| i + 1);
            line_end = memchr(b'\n', &haystack[at..]).map_or(haystack.len(), |i| at + i);
            mask = self.pattern_rules[hit.pattern().as_usize()];
        }
        if mask != 0 {
            self.confirm(haystack, line_start, line_end, mask, out);
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
        while mask != 0 {
            let rule = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            self.find(rule, haystack, start, end, out);
        }
    }

    /// Finds the matches of one rule in `haystack[start..end]` and keeps those its filters
    /// accept. Iteration resumes after each value, not after the whole match, so a shared
    /// boundary character (`key1,key2`) cannot hide the second value.
    fn find(&self, rule_index: usize, haystack: &[u8], start: usize, end: usize, out: &mut Vec<Match>) {
        let rule = &self.rules.rules[rule_index];
        let regex = rule.regex();
        let slice = &haystack[start..end];
        let mut locs = regex.capture_locations();
        let body_group = body_group(regex);
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

fn body_group(regex: &Regex) -> Option<usize> {
    regex.capture_names().position(|n| n == Some("body"))
}

/// Bytes that can continue a token: base64, and the escapes values may contain.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'%' | b'\\')
}

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
        while ws < we && is_token_byte(haystack[ws]) {
            ws += 1;
        }
    }
    if we < haystack.len() && haystack[we] != b'\n' {
        while we > ws && is_token_byte(haystack[we - 1]) {
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

/// The rule of a match.
pub fn rule_of(scanner: &Scanner, m: &Match) -> &'static Rule {
    &scanner.rules.rules[m.rule]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::Fake;
    use crate::rules::RULES;

    const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    static SCANNER: once_cell::sync::Lazy<Scanner> = once_cell::sync::Lazy::new(|| Scanner::new(&RULES));

    fn scan(text: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        SCANNER.scan(text.as_bytes(), &mut out);
        out.iter()
            .map(|m| (RULES.rules[m.rule].id.clone(), String::from_utf8_lossy(&m.value(text.as_bytes())).into_owned()))
            .collect()
    }

    /// Every example of every rule is found by the whole scanner, as that rule; no negative
    /// example yields a finding of its rule; and the prefilter fires on every example.
    #[test]
    fn every_rule_finds_its_examples_and_none_of_its_negatives() {
        let mut fake = Fake::from_env();
        let mut failures = Vec::new();
        for rule in &RULES.rules {
            assert!(!rule.examples.is_empty(), "{} has no examples", rule.id);
            assert!(!rule.negative_examples.is_empty(), "{} has no negative examples", rule.id);
            for template in &rule.examples {
                if rule.near.is_none() && rule.context_lines == 0 {
                    assert!(!template.contains('\n'), "{}: single-line rule example has a newline", rule.id);
                }
                let text = fake.expand(template);
                let hits = scan(&text);
                if !hits.iter().any(|(id, _)| *id == rule.id) {
                    failures.push(format!("{}: missed example {text:?} (found {hits:?})", rule.id));
                }
                let keywords = match rule.near {
                    Some((anchor, _)) => &RULES.rules[anchor].keywords,
                    None => &rule.keywords,
                };
                let lower = text.to_ascii_lowercase();
                if !keywords.iter().any(|k| lower.contains(&k.to_ascii_lowercase())) {
                    failures.push(format!("{}: no keyword prefilters example {text:?}", rule.id));
                }
            }
            for template in &rule.negative_examples {
                let text = fake.expand(template);
                let hits = scan(&text);
                if hits.iter().any(|(id, _)| *id == rule.id) {
                    failures.push(format!("{}: matched negative example {text:?} ({hits:?})", rule.id));
                }
            }
        }
        assert!(failures.is_empty(), "seed {}:\n{}", fake.seed(), failures.join("\n"));
    }

    #[test]
    fn line_and_column_are_counted_from_one() {
        let mut fake = Fake::new(1);
        let key = fake.key_id("AKIA");
        let text = format!("a\nbb\n  x = {key}\n");
        let scanner = Scanner::new(&RULES);
        let mut out = Vec::new();
        scanner.scan(text.as_bytes(), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].line, out[0].column), (3, 7));
        assert_eq!(&text.as_bytes()[out[0].line_start..out[0].line_end], format!("  x = {key}").as_bytes());
    }

    #[test]
    fn adjacent_keys_sharing_a_boundary_are_both_found() {
        let mut fake = Fake::new(2);
        let (a, b) = (fake.key_id("AKIA"), fake.key_id("ASIA"));
        let found = scan(&format!("{a},{b}"));
        assert_eq!(found.len(), 2, "{found:?}");
    }

    #[test]
    fn hex_hashes_never_match_as_secrets() {
        let mut fake = Fake::new(3);
        for _ in 0..2000 {
            let hex = fake.chars(b"0123456789abcdef", 40);
            let upper = hex.to_ascii_uppercase();
            let id = fake.key_id("AKIA");
            for text in [
                format!("aws_secret_access_key = {hex}"),
                format!("AWS_SECRET_ACCESS_KEY={upper}"),
                format!("{id}\ncommit {hex}"),
                format!("aws_secret_access_key: \"sha512-{}==\"", fake.chars(BASE64, 86)),
            ] {
                let found = scan(&text);
                assert!(found.iter().all(|(rule, _)| rule == "aws.access-key-id"), "{text}: {found:?}");
            }
        }
    }

    #[test]
    fn windows_span_whole_lines_within_the_byte_bound() {
        let text = b"l1\nl2\nl3 value\nl4\nl5\n";
        let at = 9; // "value" on line 3
        let (ws, we) = window(text, at, at + 5, 1, WINDOW_BYTES);
        assert_eq!(&text[ws..we], b"l2\nl3 value\nl4");
        let (ws, we) = window(text, at, at + 5, 0, WINDOW_BYTES);
        assert_eq!(&text[ws..we], b"l3 value");
        let (ws, we) = window(text, at, at + 5, 9, WINDOW_BYTES);
        assert_eq!(&text[ws..we], &text[..]);
        // On a giant line the window is clipped, then shrunk to whole tokens.
        let mut long = vec![b'a'; 10_000];
        long[5_000] = b' ';
        let (ws, we) = token_window(&long, window(&long, 5_001, 5_002, 3, WINDOW_BYTES));
        assert!(ws >= 5_000 - WINDOW_BYTES && we <= 5_002 + WINDOW_BYTES);
        assert!(long[ws..we].iter().all(|&b| b == b' ') || ws == we || long[ws] == b' ');
    }

    #[test]
    fn a_key_at_the_end_of_a_long_line_is_found() {
        let mut fake = Fake::new(4);
        let key = fake.key_id("ASIA");
        let mut text = "x".repeat(5_000_000);
        text.push_str(&format!(" {key}"));
        assert_eq!(scan(&text).len(), 1);
    }
}
