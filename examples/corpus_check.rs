//! Runs the scanner over peer projects' AWS test vectors and reports every disagreement.
//!
//! The vectors are JSON lines (`text`, `expect`, optional `our_expect`, `source`, `rule`,
//! `kind`, `note`); a record labelled `match` must yield at least one finding and a
//! `no-match` record none, after inline markers (`gitleaks:allow`) are applied as the hook
//! applies them. They are not part of this repository (they hold real-looking
//! keys): pass the directory that has them.
//!
//!     cargo run --example corpus_check -- ../shared/corpus

use std::path::PathBuf;

use awsguard::allowlist::has_inline_marker;
use awsguard::rules::RULES;
use awsguard::scan::Scanner;

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).expect("usage: corpus_check DIR"));
    let scanner = Scanner::new(&RULES);
    let (mut total, mut agree) = (0, 0);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("read corpus dir")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read corpus file");
        for (n, line) in text.lines().enumerate() {
            let record: serde_json::Value = serde_json::from_str(line).expect("corpus line is JSON");
            let label = record.get("our_expect").or(record.get("expect")).and_then(|v| v.as_str()).unwrap_or("");
            let input = record["text"].as_str().unwrap_or("");
            let mut found = Vec::new();
            scanner.scan(input.as_bytes(), &mut found);
            // As the hook does: a line with an inline marker is not reported.
            found.retain(|m| !has_inline_marker(&input.as_bytes()[m.line_start..m.line_end]));
            let matched = !found.is_empty();
            total += 1;
            if matched == (label == "match") {
                agree += 1;
                continue;
            }
            let rules: Vec<&str> = found.iter().map(|m| RULES.rules[m.rule].id.as_str()).collect();
            println!(
                "DISAGREE {}:{} [{} {}] label={label} found={rules:?}\n    text: {:?}\n    note: {}",
                file.file_name().unwrap().to_string_lossy(),
                n + 1,
                record["kind"].as_str().unwrap_or(""),
                record["rule"].as_str().unwrap_or(""),
                awsguard::report::escape(&input.as_bytes()[..input.len().min(160)]),
                record["note"].as_str().unwrap_or("").chars().take(160).collect::<String>(),
            );
        }
    }
    println!("{agree}/{total} records agree with their label");
}
