//! Everything awsguard prints that comes from repository content (allowlist reasons, TOML
//! keys, archive member names, file names) reaches the terminal with control, C1, DEL and
//! bidirectional characters escaped, in every output format: a committed file cannot
//! rewrite the screen, erase a warning or reorder what a reviewer reads.

mod util;

use awsguard::fake::zip_of;
use util::{Run, TestRepo, fake};
use zip::CompressionMethod::Deflated;

/// Erase the line above, clear the screen, a C1 control, DEL and the bidi overrides.
const HOSTILE: &str = "\x1b[1A\x1b[2K\x1b[2J\u{9b}2J\x7f\u{202e}\u{2066}\u{200f}";
const RAW: [&str; 8] = ["\x1b", "\u{9b}", "\x7f", "\u{202e}", "\u{2066}", "\u{200f}", "\u{202a}", "\u{2069}"];

/// [`HOSTILE`] as a TOML basic string holds it: TOML allows no raw control characters.
fn toml_hostile() -> String {
    HOSTILE.chars().map(|c| if c.is_ascii_graphic() { c.to_string() } else { format!("\\u{:04x}", c as u32) }).collect()
}

#[track_caller]
fn assert_escaped(run: &Run) {
    let all = run.all();
    for raw in RAW {
        assert!(!all.contains(raw), "output holds a raw {raw:?}\n{all}");
    }
}

#[test]
fn an_allowlist_reason_cannot_erase_the_allow_all_warning() {
    let repo = TestRepo::with_hook();
    repo.stage(
        ".awsguard.toml",
        format!("[[allow]]\npath = \"**\"\nallow_all = true\nreason = \"sandbox{}\"\n", toml_hostile()),
    );
    repo.stage("a.txt", format!("{}\n", fake().key_id("AKIA")));
    let run = repo.assert_commits(&[]);
    run.assert_contains("allows every finding it covers (allow_all = true): sandbox\\x1b[1A\\x1b[2K");
    run.assert_contains("\\u{202e}").assert_contains("\\x9b2J").assert_contains("\\x7f");
    assert_escaped(&run);
    // The notice of what the commit newly allows quotes the reason too.
    run.assert_contains("newly allows");
}

#[test]
fn an_expired_entry_reason_is_escaped_in_the_block_advice() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    repo.stage(
        ".awsguard.toml",
        format!("[[allow]]\npath = \"a.txt\"\nexpires = 2020-01-01\nreason = \"old{}\"\n", toml_hostile()),
    );
    repo.stage("a.txt", format!("{key}\n"));
    let run = repo.assert_blocked(&[], "a.txt:1:1:", &key);
    run.assert_contains("has expired").assert_contains("old\\x1b[1A");
    assert_escaped(&run);
    assert_escaped(repo.awsguard(&["check-config"]).assert_code(0));
}

#[test]
fn a_toml_key_name_in_an_error_is_escaped() {
    let repo = TestRepo::with_hook();
    repo.stage(".awsguard.toml", "[[allow]]\nreason = \"x\"\npath = \"a\"\n\"\\u001b[2J\\u202e\\u009b\" = 1\n");
    repo.stage("a.txt", "clean\n");
    let run = repo.awsguard(&[]);
    run.assert_code(2).assert_contains(".awsguard.toml:4:1: unknown field");
    assert_escaped(&run);
    assert_escaped(&repo.commit(&[]));
    assert_eq!(repo.head(), None);
}

#[test]
fn archive_member_names_are_escaped_in_findings_and_errors() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    let name = format!("conf/{HOSTILE}.env");
    repo.stage("dist/app.zip", zip_of(&[(&name, format!("{key}\n").as_bytes())], Deflated));
    let run = repo.assert_blocked(&[], "dist/app.zip!conf/\\x1b[1A\\x1b[2K", &key);
    assert_escaped(&run);
    for format in ["json", "sarif"] {
        let run = repo.awsguard(&["--format", format]);
        run.assert_code(1);
        assert_escaped(&run);
        if format == "json" {
            run.assert_contains("\\u001b[1A")
                .assert_contains("\\u202e")
                .assert_contains("\\u009b")
                .assert_contains("\\u007f");
        }
    }
    // A member name quoted in an error: a nested archive past the depth bound.
    let mut nested = zip_of(&[("x.txt", b"x\n")], Deflated);
    for _ in 0..3 {
        nested = zip_of(&[(&format!("{HOSTILE}.zip"), &nested)], Deflated);
    }
    repo.stage("dist/app.zip", nested);
    let run = repo.awsguard(&[]);
    run.assert_code(2).assert_contains("nested more than 3 deep");
    assert_escaped(&run);
}

#[test]
fn file_names_are_escaped_in_every_format_and_in_scan_errors() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    let name = format!("docs/{HOSTILE}.txt");
    repo.stage(&name, format!("{key}\n"));
    assert_escaped(&repo.assert_blocked(&[], "docs/\\x1b[1A\\x1b[2K", &key));
    let json = repo.awsguard(&["--format", "json"]);
    json.assert_code(1).assert_contains("docs/\\u001b[1A\\u001b[2K");
    assert_escaped(&json);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout()).expect("the escaped output is JSON");
    assert_eq!(doc["findings"][0]["path"].as_str(), Some(name.as_str()), "the escapes decode to the real name");
    let sarif = repo.awsguard(&["--format", "sarif"]);
    sarif.assert_code(1);
    assert_escaped(&sarif);
    let scan = repo.awsguard(&["scan", &name]);
    scan.assert_code(1).assert_contains("docs/\\x1b[1A");
    assert_escaped(&scan);
    let missing = repo.awsguard(&["scan", &format!("missing{HOSTILE}")]);
    missing.assert_code(2).assert_contains("missing\\x1b[1A");
    assert_escaped(&missing);
}

#[cfg(unix)]
#[test]
fn a_file_name_with_a_newline_in_a_scan_error_stays_on_one_line() {
    let repo = TestRepo::new();
    let name = "bad\nname\u{1b}[2J.ini";
    std::os::unix::fs::symlink("nowhere", repo.root.join(name)).unwrap();
    let run = repo.awsguard(&["scan", name]);
    run.assert_code(2).assert_contains("bad\\nname\\x1b[2J.ini").assert_lacks("\u{1b}[2J");
    assert!(!run.stderr().contains("bad\nname"), "{}", run.stderr());
}
