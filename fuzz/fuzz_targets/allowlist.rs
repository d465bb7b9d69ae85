//! The allowlist and config parser over arbitrary bytes: it must reject or accept, never
//! panic, and an accepted list must answer queries.
#![no_main]

use awsguard::config::{Config, Date, Source};
use awsguard::rules::RULES;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let source = Source { name: ".awsguard.toml".into(), text: data.to_vec() };
    let today = Date { year: 2026, month: 6, day: 1 };
    if let Ok(config) = Config::parse(&[source], today) {
        for rule in &RULES.rules {
            let _ = config.allowlist.check(b"docs/example.md", rule, b"value", b"line awsguard");
        }
        let _ = config.archives.unscanned(b"dist/app.zip");
    }
});
