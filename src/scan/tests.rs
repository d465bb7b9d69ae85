//! Tests of [`crate::scan`].

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
    let mut fake = Fake::from_env_or(0x7363_616e);
    let mut failures = Vec::new();
    for rule in &RULES.rules {
        assert!(!rule.examples.is_empty(), "{} has no examples", rule.id);
        assert!(!rule.negative_examples.is_empty(), "{} has no negative examples", rule.id);
        for template in &rule.examples {
            if rule.near.is_none() && rule.context_lines == 0 && rule.lines == 1 {
                assert!(!template.contains('\n'), "{}: single-line rule example has a newline", rule.id);
            }
            let text = fake.expand(template);
            let hits = scan(&text);
            if !hits.iter().any(|(id, _)| *id == rule.id) {
                failures.push(format!("{}: missed example {text:?} (found {hits:?})", rule.id));
            }
            let source = match rule.near {
                Some((anchor, _)) => &RULES.rules[anchor],
                None => rule,
            };
            let prefiltered = source.keywords.iter().any(|k| match source.exact_keywords {
                true => text.contains(k.as_str()),
                false => text.to_ascii_lowercase().contains(&k.to_ascii_lowercase()),
            });
            if !prefiltered {
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

/// The prefilter reports one keyword per start position, the leftmost-first one: a
/// keyword of one rule must not be a prefix of another rule's, or that rule could lose
/// its candidate line.
#[test]
fn no_keyword_hides_another_rules_keyword() {
    let mut keywords: Vec<(String, usize)> = Vec::new();
    for (i, rule) in RULES.rules.iter().enumerate() {
        keywords.extend(rule.keywords.iter().map(|k| (k.to_ascii_lowercase(), i)));
    }
    for (a, ra) in &keywords {
        for (b, rb) in &keywords {
            if ra != rb && a != b && b.starts_with(a.as_str()) {
                panic!("keyword {a:?} (rule {ra}) is a prefix of {b:?} (rule {rb})");
            }
        }
    }
}

#[test]
fn overlapping_keywords_of_different_rules_are_all_seen() {
    let mut fake = Fake::new(9);
    let key = fake.key_id("AKIA");
    // "secret" ends where the key begins, with no separator: both rules must run.
    let text = format!("x secretAKIA\naws_secret_access_key = \"{}\" {key}\n", fake.secret());
    let found = scan(&text);
    assert!(found.iter().any(|(r, _)| r == "aws.access-key-id"), "{found:?}");
    assert!(found.iter().any(|(r, _)| r == "aws.secret-access-key"), "{found:?}");
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
fn keywords_across_chunk_boundaries_are_found() {
    let mut fake = Fake::new(5);
    for offset in [FOLD_CHUNK - 10, FOLD_CHUNK - 3, FOLD_CHUNK - 1, FOLD_CHUNK, 2 * FOLD_CHUNK - 2] {
        let secret = fake.secret();
        let key = fake.key_id("ASIA");
        let mut text = " ".repeat(offset);
        text.push_str(&format!("AWS_SECRET_ACCESS_KEY={secret}\n"));
        let mut text2 = " ".repeat(offset);
        text2.push_str(&format!("{key}\n"));
        assert_eq!(scan(&text).len(), 1, "secret label at {offset}");
        assert_eq!(scan(&text2).len(), 1, "key ID at {offset}");
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

#[test]
fn ascii_lowercase_matches_std_for_every_byte_at_every_offset() {
    let all: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
    for skip in 0..9 {
        let mut ours = all[skip..].to_vec();
        super::ascii_lowercase(&mut ours);
        assert_eq!(ours, all[skip..].to_ascii_lowercase());
    }
}
