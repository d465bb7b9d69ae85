//! The allowlist and config parser over arbitrary bytes: it must reject or accept, never
//! panic, and an accepted list must answer queries.
#![no_main]

use awsguard::allowlist::{Allowlist, Date, Source};
use awsguard::rules::RULES;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let source = Source { name: ".awsguard.toml".into(), text: data.to_vec() };
    let today = Date { year: 2026, month: 6, day: 1 };
    if let Ok(list) = Allowlist::parse(&[source], today) {
        for rule in &RULES.rules {
            let _ = list.check(b"docs/example.md", rule, b"value", b"line awsguard");
        }
        let _ = list.unscanned_archive(b"dist/app.zip");
    }
});
