//! The scanner: find candidates with one Aho-Corasick pass over the whole haystack, then
//! confirm each candidate line with the regexes of the rules whose keywords hit it.
//!
//! This is ripgrep's "candidate, then confirmed" shape: nearly all of the time goes into a
//! vectorised literal search; regexes run only on the few lines that hold a keyword, and
//! line numbers are counted only for confirmed matches.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use memchr::{memchr, memchr_iter, memrchr};
use regex::bytes::Regex;

use crate::rules::{Rule, Ruleset, decode_value};

/// Bytes of lines either side of an anchor that a `near` or `context` window may span, so a
/// minified file's giant line is not searched once per anchor.
const WINDOW_BYTES: usize = 4096;

/// A confirmed match of one rule in one haystack.
#[derive(Clone, Debug)]
pub struct Match {
    /// Index of the rule in the ruleset.
    pub rule: usize,
    /// Byte range of the value as it appears in the haystack (escapes included).
    pub start: usize,
    pub end: usize,
    /// The value with JSON and URL escapes decoded: what the credential really is.
    pub value: Vec<u8>,
    /// 1-based line number and byte column of `start`.
    pub line: u32,
    pub column: u32,
    /// Byte range of the line holding the value, without its newline.
    pub line_start: usize,
    pub line_end: usize,
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
    /// overlapping matches of later rules removed.
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
        // Stage 2: rules anchored on a confirmed match look at the lines around it.
        let anchored: Vec<(usize, usize, usize)> = out[first..]
            .iter()
            .filter(|m| self.anchors[m.rule] != 0)
            .map(|m| (m.rule, m.line_start, m.line_end))
            .collect();
        let mut last_window = None;
        for (anchor, start, end) in anchored {
            let mut near = self.anchors[anchor];
            while near != 0 {
                let rule = near.trailing_zeros() as usize;
                near &= near - 1;
                let lines = self.rules.rules[rule].near.map_or(0, |(_, n)| n);
                let window = window(haystack, start, end, lines);
                if last_window == Some((rule, window)) {
                    continue;
                }
                last_window = Some((rule, window));
                self.find(rule, haystack, window.0, window.1, out);
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
            if !ends_cleanly(slice, ve) {
                continue;
            }
            let value = decode_value(&slice[vs..ve]);
            let body = match body_group.and_then(|g| locs.get(g)) {
                Some((bs, be)) => decode_value(&slice[bs..be]).into_owned(),
                None => value.to_vec(),
            };
            if !rule.accepts(&value, &body) {
                continue;
            }
            let (abs_start, abs_end) = (start + vs, start + ve);
            if let Some(context) = rule.context() {
                let line_start = memrchr(b'\n', &haystack[..abs_start]).map_or(0, |i| i + 1);
                let line_end = memchr(b'\n', &haystack[abs_start..]).map_or(haystack.len(), |i| abs_start + i);
                let (ws, we) = window(haystack, line_start, line_end, rule.context_lines);
                if !context_matches(context, &haystack[ws..we]) {
                    continue;
                }
            }
            out.push(Match {
                rule: rule_index,
                start: abs_start,
                end: abs_end,
                value: value.into_owned(),
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

fn context_matches(context: &Regex, window: &[u8]) -> bool {
    context.is_match(window)
}

/// A value must not run on into more base64: the regexes cap their repetition, so a
/// longer token would otherwise yield a 40-character slice of itself.
fn ends_cleanly(slice: &[u8], end: usize) -> bool {
    match slice.get(end) {
        None => true,
        Some(&b) => !(b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'='),
    }
}

/// The byte range of the lines within `lines` of the line `start..end`, clipped to
/// [`WINDOW_BYTES`] on either side at line boundaries.
fn window(haystack: &[u8], start: usize, end: usize, lines: usize) -> (usize, usize) {
    let mut ws = start;
    for _ in 0..lines {
        if ws == 0 {
            break;
        }
        let prev = memrchr(b'\n', &haystack[..ws - 1]).map_or(0, |i| i + 1);
        if start - prev > WINDOW_BYTES {
            break;
        }
        ws = prev;
    }
    let mut we = end;
    for _ in 0..lines {
        if we >= haystack.len() {
            break;
        }
        let next = memchr(b'\n', &haystack[we + 1..]).map_or(haystack.len(), |i| we + 1 + i);
        if next - end > WINDOW_BYTES {
            break;
        }
        we = next;
    }
    (ws, we)
}

/// Sorts matches by position and fills in line numbers, columns and line ranges, counting
/// newlines once from one match to the next.
fn finish(haystack: &[u8], matches: &mut [Match]) {
    matches.sort_by_key(|m| (m.start, m.rule));
    let mut line = 1u32;
    let mut counted = 0;
    for m in matches.iter_mut() {
        line += memchr_iter(b'\n', &haystack[counted..m.start]).count() as u32;
        counted = m.start;
        m.line_start = memrchr(b'\n', &haystack[..m.start]).map_or(0, |i| i + 1);
        m.line_end = memchr(b'\n', &haystack[m.start..]).map_or(haystack.len(), |i| m.start + i);
        m.line = line;
        m.column = (m.start - m.line_start + 1) as u32;
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
        out.iter().map(|m| (RULES.rules[m.rule].id.clone(), String::from_utf8_lossy(&m.value).into_owned())).collect()
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
    fn a_key_at_the_end_of_a_long_line_is_found() {
        let mut fake = Fake::new(4);
        let key = fake.key_id("ASIA");
        let mut text = "x".repeat(5_000_000);
        text.push_str(&format!(" {key}"));
        assert_eq!(scan(&text).len(), 1);
    }
}
