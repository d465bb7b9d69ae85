//! Tests of [`crate::decode`]: each decoder, the encoded keywords, and that the work done
//! stays proportional to the input however it is nested.

use super::*;
use crate::fake::Fake;
use crate::rules::RULES;

static SCANNER: once_cell::sync::Lazy<Scanner> = once_cell::sync::Lazy::new(|| Scanner::new(&RULES));

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn view(text: &[u8]) -> (Option<Decoded>, Budget) {
    let mut lines = Vec::new();
    SCANNER.candidate_lines(text, &mut lines);
    let mut budget = Budget::for_len(text.len());
    (decoded_view(&SCANNER, text, &lines, &mut budget), budget)
}

fn found(text: &str) -> Vec<(String, Vec<Encoding>)> {
    let mut lines = Vec::new();
    let mut raw = Vec::new();
    SCANNER.scan_with_lines(text.as_bytes(), &mut raw, &mut lines);
    let located = scan_encoded(&SCANNER, text.as_bytes(), &lines, &mut raw).expect("within budget");
    located.into_iter().map(|l| (String::from_utf8(l.value).unwrap(), l.chain)).collect()
}

#[test]
fn base64_decodes_both_alphabets_padded_or_not_and_wrapped() {
    let text = b"any carnal pleasure, with + and / in its encoding?>>";
    let standard = base64::encode(text);
    assert!(standard.contains(&b'+') || standard.contains(&b'/'));
    let url_safe: Vec<u8> = standard
        .iter()
        .map(|&b| {
            if b == b'+' {
                b'-'
            } else if b == b'/' {
                b'_'
            } else {
                b
            }
        })
        .collect();
    let unpadded: Vec<u8> = standard.iter().copied().filter(|&b| b != b'=').collect();
    let wrapped: Vec<u8> = standard.chunks(10).collect::<Vec<_>>().join(&b"\n    "[..]);
    for encoded in [&standard, &url_safe, &unpadded, &wrapped] {
        assert_eq!(base64::decode(encoded, 0), text, "{}", String::from_utf8_lossy(encoded));
    }
}

/// `base64 -w 76` of a credentials file can end in a line of one padded quantum (`OQo=`):
/// it holds the secret's last character, so the run goes on into it.
#[test]
fn a_wrapped_run_continues_into_a_last_line_of_one_padded_quantum() {
    let mut fake = Fake::from_env_or(0x0a0d);
    // A file of 3n+1 bytes ends in `XX==`, of 3n+2 in `XXX=`.
    for rest in [1, 2] {
        let (id, secret) = (fake.key_id("AKIA"), fake.secret());
        let mut file = format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n");
        while file.len() % 3 != rest {
            file.insert(0, '#');
        }
        let encoded = base64::encode(file.as_bytes());
        let (body, last) = encoded.split_at(encoded.len() - 4);
        assert!(last.ends_with(b"="));
        let wrapped = [body, b"\n", last, b"\n"].concat();
        let found = found(std::str::from_utf8(&wrapped).unwrap());
        assert!(found.iter().any(|(v, _)| *v == secret), "{rest}: {found:?}");
    }
}

/// `base64` output pasted into a JSON string: its 76-column lines joined by `\n` (or
/// `\r\n`) escapes, the last line a padded quantum or two; the secret's label is lines
/// into the run, so the run is found backwards over the escapes too.
#[test]
fn a_wrapped_run_continues_over_a_json_strings_escaped_line_breaks() {
    let mut fake = Fake::from_env_or(0x0a0e);
    for (separator, rest) in [("\\n", 1), ("\\r\\n", 2), ("\\n", 0)] {
        let secret = fake.secret();
        let mut file = format!("# {}\naws_secret_access_key = {secret}\n", fake.chars(B64, 200));
        while file.len() % 3 != rest {
            file.insert(0, '#');
        }
        let encoded = base64::encode(file.as_bytes());
        let lines: Vec<&str> = encoded.chunks(76).map(|c| std::str::from_utf8(c).unwrap()).collect();
        let text = format!("{{\"credentials\": \"{}\"}}\n", lines.join(separator));
        let found = found(&text);
        assert_eq!(found, [(secret, vec![Encoding::Base64])], "{separator} {rest}: {text}");
    }
}

/// Whatever precedes a keyword (of a rule that needs no context, and not itself a
/// placeholder), its base64 encoding holds one of its fixed middles.
#[test]
fn every_alignment_of_every_keyword_is_a_fragment_hit() {
    let mut fake = Fake::from_env_or(0xdec0);
    for rule in RULES.rules.iter().filter(|r| r.context_lines == 0) {
        for keyword in rule.keywords.iter().filter(|k| !crate::rules::is_placeholder(k.as_bytes())) {
            for prefix_len in 0..6 {
                let plain = format!("{}{keyword}{}", fake.chars(B64, prefix_len), fake.chars(B64, 3));
                let encoded = base64::encode(plain.as_bytes());
                let mut hits = Vec::new();
                SCANNER.fragment_hits(&encoded, &mut hits);
                assert!(!hits.is_empty(), "{keyword:?} in {plain:?} -> {}", String::from_utf8_lossy(&encoded));
            }
        }
    }
}

#[test]
fn nested_fragments_fit_the_vectorised_search() {
    let mut fake = Fake::from_env_or(0xdec3);
    let id = fake.key_id("AKIA");
    let twice = base64::encode(&base64::encode(format!("{}{id}", fake.chars(B64, 2)).as_bytes()));
    let mut hits = Vec::new();
    SCANNER.fragment_hits(&twice, &mut hits);
    assert!(!hits.is_empty(), "no hit in {}", String::from_utf8_lossy(&twice));
}

#[test]
fn escapes_decode() {
    let cases: &[(&str, Encoding, &str)] = &[
        ("a\\u002Fb\\u002bc\\x2Fd", Encoding::UnicodeEscape, "a/b+c/d"),
        ("\\ud83d\\ude00", Encoding::UnicodeEscape, "\u{1f600}"),
        ("{\\\"k\\\":\\\"a\\\\/b\\\"}", Encoding::JsonEscape, "{\"k\":\"a\\/b\"}"),
        ("a&#x2F;b&#43;c&amp;d&quot;&sol;&lt;", Encoding::Html, "a/b+c&d\"/<"),
        ("a&bogus;b&#;c&", Encoding::Html, "a&bogus;b&#;c&"),
        ("a%2Fb%2bc%3D%zz%4", Encoding::Percent, "a/b+c=%zz%4"),
    ];
    for (input, kind, expected) in cases {
        assert_eq!(String::from_utf8(escapes::decode(input.as_bytes(), *kind)).unwrap(), *expected, "{input}");
    }
}

#[test]
fn quoted_printable_parts_decode_from_their_header_to_their_boundary() {
    let mut fake = Fake::from_env_or(0xdec3);
    let (secret, after) = (fake.secret(), fake.secret());
    // After the boundary, a soft break alone is no escape: the line is not decoded.
    let text = format!(
        "Content-Transfer-Encoding: quoted-printable\r\n\r\naws_secret_acc=\r\ness_key: {}=\r\n{}\r\n--b--\r\n\
         aws_secret_acc=\r\ness_key: {after}\r\n",
        &secret[..10],
        &secret[10..]
    );
    assert_eq!(found(&text), [(secret, vec![Encoding::QuotedPrintable])]);
}

#[test]
fn decoded_values_carry_their_layers() {
    let mut fake = Fake::from_env_or(0xdec1);
    let id = fake.key_id("AKIA");
    let b64 = |s: &str| String::from_utf8(base64::encode(s.as_bytes())).unwrap();
    assert_eq!(found(&format!("x: {}\n", b64(&id))), [(id.clone(), vec![Encoding::Base64])]);
    // base64 of a JSON string with an escaped value: outermost layer first.
    let json = format!("{{\"id\": \"{}\\u0041{}\"}}", &id[..10], &id[11..]);
    let id_with_a = format!("{}A{}", &id[..10], &id[11..]);
    assert_eq!(found(&format!("x: {}\n", b64(&json))), [(id_with_a, vec![Encoding::Base64, Encoding::UnicodeEscape])]);
    // base64 of base64 anywhere; three layers where a label marks the value.
    assert_eq!(found(&format!("x: {}\n", b64(&b64(&id)))), [(id.clone(), vec![Encoding::Base64, Encoding::Base64])]);
    assert_eq!(
        found(&format!("aws_secret: {}\n", b64(&b64(&b64(&id))))),
        [(id.clone(), vec![Encoding::Base64, Encoding::Base64, Encoding::Base64])]
    );
    // Hex, where its keyword's hex is (`AKIA` is `414b4941`) or a label marks it, in either
    // case of digit; and base64 of hex under a label (base64 of a keyword's hex is not an
    // encoded keyword: the literals are kept for base64 and base64 of base64).
    let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
    assert_eq!(found(&format!("x: {}\n", hex(&id))), [(id.clone(), vec![Encoding::Hex])]);
    assert_eq!(found(&format!("x = 0X{}\n", hex(&id).to_uppercase())), [(id.clone(), vec![Encoding::Hex])]);
    let secret = fake.secret();
    let labelled = format!("aws_secret_access_key = {}\n", hex(&secret));
    assert_eq!(found(&labelled), [(secret.clone(), vec![Encoding::Hex])]);
    assert_eq!(
        found(&format!("aws_secret: {}\n", b64(&hex(&id)))),
        [(id.clone(), vec![Encoding::Base64, Encoding::Hex])]
    );
    // A digest under a label is hex of no text: nothing to decode.
    assert!(view(format!("secret_sha256: {}\n", hex(&fake.chars(B64, 32)).replace('4', "c")).as_bytes()).0.is_none());
    // Four layers are one too many.
    assert!(found(&format!("aws_secret: {}\n", b64(&b64(&b64(&b64(&id)))))).is_empty());
    // Plain text holds nothing to decode.
    assert!(view(b"fn main() { println!(\"{}\", 40 % 7); }\n").0.is_none());
}

/// A value the raw scan found is reported once, not again for what its base64 holds: a
/// Bedrock short-term key encodes a presigned URL with an STS key ID and token in it.
#[test]
fn encoded_parts_of_a_found_value_are_not_reported_again() {
    let mut fake = Fake::from_env_or(0xdec4);
    let url = format!(
        "bedrock.amazonaws.com/?Action=CallWithBearerToken&X-Amz-Credential={}%2F20250101%2Fus-east-1%2Fbedrock%2Faws4_request&X-Amz-Security-Token={}&Version=1",
        fake.key_id("ASIA"),
        fake.session_token()
    );
    let key = format!("bedrock-api-key-{}", String::from_utf8(base64::encode(url.as_bytes())).unwrap());
    let text = format!("AWS_BEARER_TOKEN_BEDROCK={key}\n");
    let mut raw = Vec::new();
    SCANNER.scan_with_lines(text.as_bytes(), &mut raw, &mut Vec::new());
    assert_eq!(raw.len(), 1, "the raw scan finds the Bedrock key");
    assert_eq!(found(&text), []);
    // Without the raw finding, its parts would be found.
    let mut lines = Vec::new();
    SCANNER.candidate_lines(text.as_bytes(), &mut lines);
    assert!(!scan_encoded(&SCANNER, text.as_bytes(), &lines, &mut Vec::new()).unwrap().is_empty());
}

/// A haystack of `n` bytes of base64 whose plain text is nothing but keywords (every run
/// is a candidate), optionally encoded `layers` times.
fn packed(n: usize, layers: usize) -> Vec<u8> {
    let mut fake = Fake::from_env_or(0xdec2);
    let mut plain = Vec::new();
    while plain.len() < n {
        plain.extend_from_slice(format!("aws_secret_access_key={} AKIA ", fake.chars(B64, 40)).as_bytes());
    }
    for _ in 0..layers {
        plain = base64::encode(&plain);
    }
    plain.truncate(n);
    plain
}

/// Decoding work (bytes decoded) grows linearly with the input, for one long base64 line
/// and for nested base64 alike: a quarter of the input costs a quarter of the work.
#[test]
fn decoding_work_is_linear_in_the_input() {
    for layers in [1, 2] {
        let small = packed(256 << 10, layers);
        let large = packed(1 << 20, layers);
        let (d_small, b_small) = view(&small);
        let (d_large, b_large) = view(&large);
        assert!(d_small.is_some() && d_large.is_some(), "layers {layers}: nothing decoded");
        assert!(!b_large.exceeded(), "layers {layers}: budget exceeded");
        assert!(b_small.used > small.len() / 2, "layers {layers}: only {} bytes decoded", b_small.used);
        assert!(
            b_large.used <= 4 * large.len(),
            "layers {layers}: {} bytes decoded from {}",
            b_large.used,
            large.len()
        );
        let ratio = b_large.used as f64 / b_small.used as f64;
        assert!((3.0..=5.0).contains(&ratio), "layers {layers}: work grew {ratio:.2}x for 4x the input");
    }
}

/// Inputs built to make decoding work hard stay within the budget, whole: one giant escape
/// run, entities that decode to more entities, a line packed with encoded keywords, three
/// layers of base64.
#[test]
fn adversarial_inputs_stay_within_the_budget() {
    const MB: usize = 1 << 20;
    let repeat = |unit: &str| unit.repeat(MB / unit.len()).into_bytes();
    let b64 = |s: &[u8]| base64::encode(s);
    let inputs: Vec<(&str, Vec<u8>)> = vec![
        ("unicode escapes", repeat("\\u0041")),
        ("nested entities", repeat("&amp;amp;amp;#x2F;")),
        ("percent", repeat("%41%4B%49%41")),
        ("json escapes", repeat("\\\\\\\"")),
        ("encoded keywords", b64(&repeat("aws_secret_access_key=AKIA "))),
        ("three layers", b64(&b64(&b64(&repeat("secret AKIA "))))),
        ("labelled tokens", repeat("secret: QUJDREVGR0hJSktMTU5PUFFSU1RVVldY\n")),
        ("encoded commands", repeat("pwsh -e QUJDREVGR0hJSktMTU5PUFFSU1RVVldY\n")),
        ("quoted-printable", repeat("Content-Transfer-Encoding: quoted-printable\n=3D=\n=2F\n")),
        ("hex keywords", repeat("414b4941414b4941414b4941414b4941\n")),
        (
            "escaped line breaks",
            b64(&repeat("aws_secret_access_key=AKIA ")).chunks(76).collect::<Vec<_>>().join(&b"\\n"[..]),
        ),
        ("hex labelled", repeat("secret 736563726574736563726574\n")),
    ];
    for (name, input) in inputs {
        let mut lines = Vec::new();
        SCANNER.scan_with_lines(&input, &mut Vec::new(), &mut lines);
        let (_, budget) = view(&input);
        assert!(!budget.exceeded(), "{name}: budget exceeded");
        assert!(budget.used <= 4 * input.len(), "{name}: {} bytes decoded from {}", budget.used, input.len());
        assert!(scan_encoded(&SCANNER, &input, &lines, &mut Vec::new()).is_ok(), "{name}");
    }
}

#[test]
fn next_token_finds_the_long_tokens_a_byte_by_byte_walk_finds() {
    // Every token (characters, then padding) of a line, the plain way.
    fn walk(line: &[u8]) -> Vec<(usize, usize)> {
        let (mut out, mut i) = (Vec::new(), 0);
        while i < line.len() {
            if !base64::is_char(line[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < line.len() && base64::is_char(line[i]) {
                i += 1;
            }
            while i < line.len() && line[i] == b'=' {
                i += 1;
            }
            if i - start >= MIN_TOKEN {
                out.push((start, i));
            }
        }
        out
    }
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n) as usize
    };
    for _ in 0..3000 {
        let mut line = Vec::new();
        while line.len() < 300 {
            // Runs of one kind of byte, of lengths around MIN_TOKEN.
            let byte = b"aZ0+-_=. \\"[next(10)];
            let len = 1 + next(2 * MIN_TOKEN as u64);
            line.extend(std::iter::repeat_n(byte, len));
        }
        let mut tokens = Vec::new();
        let mut from = 0;
        while let Some((start, end)) = next_token(&line, from) {
            tokens.push((start, end));
            from = end;
        }
        assert_eq!(tokens, walk(&line), "{}", String::from_utf8_lossy(&line));
    }
}

/// gzip inside base64 (cloud-init `gz+b64`, Terraform `base64gzip`, Helm releases, which
/// are base64 of base64 of gzip): the run is found by its start (`H4sI`), inflated, and
/// named in the chain.
#[test]
fn gzip_inside_base64_is_inflated() {
    use std::io::Write;
    let mut fake = Fake::from_env_or(0x6a1b);
    let (id, secret) = (fake.key_id("AKIA"), fake.secret());
    let text = format!("{{\"aws\": {{\"accessKeyId\": \"{id}\", \"secretAccessKey\": \"{secret}\"}}}}");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    let once = String::from_utf8(base64::encode(&gz.finish().unwrap())).unwrap();
    assert!(once.starts_with("H4sI"));
    let twice = String::from_utf8(base64::encode(once.as_bytes())).unwrap();
    let cloud_init = found(&format!("write_files:\n  - encoding: gz+b64\n    content: {once}\n"));
    let gzipped = [Encoding::Base64, Encoding::Gzip];
    assert!(cloud_init.iter().any(|(v, chain)| *v == secret && *chain == gzipped), "{cloud_init:?}");
    assert!(cloud_init.iter().any(|(v, _)| *v == id), "{cloud_init:?}");
    let helm = found(&format!("data:\n  release: {twice}\n"));
    assert!(helm.iter().any(|(v, chain)| *v == secret && chain.contains(&Encoding::Gzip)), "{helm:?}");
}

/// A gzip bomb inside base64 costs at most a bounded multiple of its size, and a gzip
/// stream of random bytes is not text: both pass, neither exhausts the budget.
#[test]
fn gzip_inside_base64_is_bounded() {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![b'a'; 64 << 20]).unwrap();
    let bomb = String::from_utf8(base64::encode(&gz.finish().unwrap())).unwrap();
    let text = format!("payload: {bomb}\n");
    let (_, budget) = view(text.as_bytes());
    assert!(!budget.exceeded() && budget.used < 2 << 20, "{budget:?}");
    assert!(found(&text).is_empty());
}
