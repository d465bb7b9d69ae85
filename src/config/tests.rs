//! Tests of [`crate::config`].

use super::*;
use crate::allowlist::fingerprint;

fn parse(text: &str) -> Result<Config> {
    Config::parse(&[Source { name: ".awsguard.toml".into(), text: text.as_bytes().to_vec() }], Date::today())
}

fn err(text: &str) -> String {
    format!("{:#}", parse(text).unwrap_err())
}

#[test]
fn dates_are_civil() {
    assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
    assert_eq!(Date::from_days(19_782).to_string(), "2024-02-29");
    assert_eq!(Date::from_days(20_819).to_string(), "2027-01-01");
}

#[test]
fn fingerprints_are_sha256_prefixes() {
    let fp = fingerprint(b"abc");
    assert_eq!(fp, "sha256:ba7816bf8f01cfea");
    let list = parse(&format!("[[allow]]\nfingerprint = \"{fp}\"\nreason = \"test\"\n")).unwrap().allowlist;
    let rule = &RULES.rules[0];
    assert!(list.check(b"x", rule, b"abc", b"").allowed.is_some());
    assert!(list.check(b"x", rule, b"abd", b"").allowed.is_none());
}

#[test]
fn malformed_entries_name_file_line_and_column() {
    assert_eq!(
        err("[[allow]]\npath = \"docs/**\"\n"),
        ".awsguard.toml:1:1: entry has no `reason`: every exception must say why it is safe"
    );
    assert!(err("[[allow]]\nreason = \"x\"\npath = \"a[\"\n").starts_with(".awsguard.toml:3:8: invalid path glob"));
    assert!(err("[[allow]]\nreason = \"x\"\npattern = \"(\"\n").starts_with(".awsguard.toml:3:11: invalid regex"));
    assert!(err("[[allow]]\nreason = \"x\"\nfingerprint = \"abc\"\n").starts_with(".awsguard.toml:3:15: fingerprint"));
    assert!(
        err("[[allow]]\nreason = \"x\"\npath = \"a\"\ncolour = 1\n").starts_with(".awsguard.toml:4:1: unknown field")
    );
    assert!(err("[[allow]\n").starts_with(".awsguard.toml:1:"));
    assert!(err("[[allow]]\nreason = \"x\"\nrules = [\"aws.nope\"]\npath = \"a\"\n").contains("unknown rule"));
    assert!(err("[[allow]]\nreason = \"x\"\nexpires = 2027-01-01T10:00:00\npath = \"a\"\n").contains("must be a date"));
    assert!(err("[[allow]]\nreason = \"x\"\n").contains("selects nothing"));
}

#[test]
fn allow_everything_needs_allow_all() {
    assert!(err("[[allow]]\nreason = \"x\"\npath = \"**\"\n").contains("would allow every finding"));
    assert!(err("[[allow]]\nreason = \"x\"\npattern = \".*\"\n").contains("would allow every finding"));
    assert!(err("[[allow]]\nreason = \"x\"\npattern = \".\"\n").contains("would allow every finding"));
    let list = parse("[[allow]]\nreason = \"x\"\npath = \"**\"\nallow_all = true\n").unwrap().allowlist;
    assert_eq!(list.allow_all_entries().count(), 1);
    // A `rules` list does not narrow a path that covers the tree: every key ID is excused.
    assert!(err("[[allow]]\nreason = \"x\"\npath = \"**\"\nrules = [\"aws.access-key-id\"]\n").contains("would allow"));
    parse("[[allow]]\nreason = \"x\"\npath = \"docs/**\"\nrules = [\"aws.access-key-id\"]\n").unwrap();
}

#[test]
fn expired_entries_stop_applying() {
    let list = Config::parse(
        &[Source {
            name: "c".into(),
            text: b"[[allow]]\nreason = \"x\"\npath = \"a\"\nexpires = 2020-01-01\n".to_vec(),
        }],
        Date { year: 2026, month: 1, day: 1 },
    )
    .unwrap()
    .allowlist;
    let d = list.check(b"a", &RULES.rules[0], b"v", b"");
    assert_eq!((d.allowed, d.expired), (None, vec![0]));
}

#[test]
fn archive_settings_override_in_source_order() {
    let sources = [
        Source { name: "user".into(), text: b"[archives]\nmax_depth = 2\nmax_members = 50\n".to_vec() },
        Source {
            name: "repo".into(),
            text: b"[archives]\nmax_depth = 5\nmax_archive_bytes = \"64MiB\"\nunscanned = [\"vendor/*.zip\"]\n"
                .to_vec(),
        },
    ];
    let config = Config::parse(&sources, Date::today()).unwrap();
    assert_eq!(config.archives.limits.max_depth, 5);
    assert_eq!(config.archives.limits.max_members, 50);
    assert_eq!(config.archives.limits.max_archive_bytes, 64 << 20);
    assert_eq!(config.archives.unscanned(b"vendor/sdk.zip").map(|o| o.line), Some(4));
    assert!(config.archives.unscanned(b"dist/app.zip").is_none());
    assert!(err("[archives]\nmax_archive_bytes = \"lots\"\n").starts_with(".awsguard.toml:2:21:"));
    assert!(err("[archives]\nmax_ratio = 0\n").contains("at least 1"));
    assert!(err("[archives]\nmax_dpeth = 1\n").contains("unknown field"));
}

#[test]
fn broad_entries_are_refused_whatever_their_shape() {
    let every_rule: Vec<String> = RULES.rules.iter().map(|r| format!("{:?}", r.id)).collect();
    let broad = [
        "path = \"**\"\nrules = [\"aws\"]".to_string(),
        format!("path = \"**\"\nrules = [{}]", every_rule.join(", ")),
        "path = \"**/*[!a]\"".to_string(),
        "path = \"*\"".to_string(),
        "path = \"*.*\"".to_string(),
        "pattern = \"^A[KS]IA\"".to_string(),
        "pattern = \"[A-Z2-7]{16}\"".to_string(),
        "pattern = \"[A-Za-z0-9/+]{40}\"".to_string(),
        "pattern = \"^IQoJ\"".to_string(),
        "path = \"**/*[!x]\"\npattern = \"^A\"".to_string(),
    ];
    for selector in &broad {
        let text = format!("[[allow]]\nreason = \"x\"\n{selector}\n");
        assert!(err(&text).contains("would allow every finding it covers across most"), "{selector}");
        parse(&format!("{text}allow_all = true\n")).unwrap();
    }
    for narrow in ["path = \"docs/**\"", "path = \"*.md\"", "pattern = \"^ASIA\"", "pattern = \"EXAMPLE$\""] {
        parse(&format!("[[allow]]\nreason = \"x\"\n{narrow}\n")).unwrap();
    }
    assert!(err("[archives]\nunscanned = [\"**\"]\n").contains("covers most archives"));
    assert!(err("[archives]\nunscanned = [\"*.{zip,jar,whl,gz,docx,xz,bz2}\"]\n").contains("covers most archives"));
    parse("[archives]\nunscanned = [\"**\"]\nallow_all = true\n").unwrap();
    parse("[archives]\nunscanned = [\"vendor/*.whl\"]\n").unwrap();
}
