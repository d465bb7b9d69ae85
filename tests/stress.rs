//! Inputs built to make a scanner slow or hungry: long runs of keyword prefixes, millions of
//! near-miss candidates on one line, giant tokens, and lines packed with real-looking keys.
//! Each must finish in linear time; a quadratic scanner would take minutes here, not seconds.
//! No timing is asserted: CI's time limit is the guard.

mod util;

use awsguard::rules::RULES;
use awsguard::scan::Scanner;

const MB: usize = 1 << 20;

fn scan(haystack: &[u8]) -> usize {
    let scanner = Scanner::new(&RULES);
    let mut out = Vec::new();
    scanner.scan(haystack, &mut out);
    out.len()
}

fn repeat_to(unit: &str, size: usize) -> Vec<u8> {
    unit.as_bytes().iter().copied().cycle().take(size).collect()
}

#[test]
fn a_long_run_of_one_keyword_on_one_line() {
    assert_eq!(scan(&repeat_to("AKIA", 64 * MB)), 0);
}

#[test]
fn millions_of_keyword_lines_that_look_like_keys() {
    // Every line is AKIA + 16 base32 letters, but with only three distinct characters.
    assert_eq!(scan(&repeat_to(&format!("{}\n", "AKIA".repeat(5)), 32 * MB)), 0);
}

#[test]
fn millions_of_near_miss_secrets_on_one_line() {
    let unit = "aws_secret_access_key = \"0123456789abcdef0123456789abcdef0123456\", secret, session, ";
    assert_eq!(scan(&repeat_to(unit, 32 * MB)), 0);
}

#[test]
fn a_giant_token_around_a_key_id() {
    let mut fake = util::fake();
    let mut hay = fake.chars(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 16 * MB).into_bytes();
    let key = fake.key_id("AKIA");
    let at = hay.len() / 2;
    hay.splice(at..at, format!(" {key} ").into_bytes());
    assert_eq!(scan(&hay), 1, "the key ID, and no slice of the token as its secret");
}

#[test]
fn a_line_packed_with_keys_and_secrets() {
    let mut fake = util::fake();
    let mut line = String::with_capacity(16 * MB);
    let mut planted = 0;
    while line.len() < 16 * MB {
        line.push_str(&format!("{{\"id\":\"{}\",\"key\":\"{}\"}},", fake.key_id("AKIA"), fake.secret()));
        planted += 2;
    }
    assert_eq!(scan(line.as_bytes()), planted);
}

#[test]
fn many_session_token_labels_with_one_giant_token() {
    let mut fake = util::fake();
    let mut hay = repeat_to("sessionToken security_token ", 8 * MB);
    hay.extend_from_slice(b"\naws_session_token = ");
    hay.extend_from_slice(fake.long_token(32 * MB).as_bytes());
    assert_eq!(scan(&hay), 1);
}
