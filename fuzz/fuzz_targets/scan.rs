//! The scanner over arbitrary bytes: never panics, and every match it reports is well
//! formed: inside the haystack, on the line it names, sorted and not overlapping.
#![no_main]

use std::sync::LazyLock;

use awsguard::rules::RULES;
use awsguard::scan::Scanner;
use libfuzzer_sys::fuzz_target;

static SCANNER: LazyLock<Scanner> = LazyLock::new(|| Scanner::new(&RULES));

fuzz_target!(|data: &[u8]| {
    let mut out = Vec::new();
    SCANNER.scan(data, &mut out);
    let mut previous_end = 0;
    for m in &out {
        assert!(m.start < m.end && m.end <= data.len(), "match outside the haystack");
        assert!(m.start >= previous_end, "overlapping or unsorted matches");
        previous_end = m.end;
        assert!(m.line_start <= m.start && m.end <= m.line_end && m.line_end <= data.len());
        assert!(!data[m.start..m.end].contains(&b'\n'), "a value spans lines");
        let newlines = data[..m.start].iter().filter(|&&b| b == b'\n').count();
        assert_eq!(m.line as usize, newlines + 1, "wrong line number");
        assert_eq!(m.column as usize, m.start - m.line_start + 1, "wrong column");
        let _ = m.value(data);
    }
    if let Some(text) = awsguard::decode::utf16_view(data) {
        SCANNER.scan(&text, &mut Vec::new());
    }
});
