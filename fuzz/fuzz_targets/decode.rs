//! The decoding layer over arbitrary bytes: never panics, fails only with its budget error,
//! and places every decoded match on a line of the haystack that exists, where the raw
//! scan would have put its line.
#![no_main]

use std::sync::LazyLock;

use awsguard::rules::RULES;
use awsguard::scan::Scanner;
use libfuzzer_sys::fuzz_target;

static SCANNER: LazyLock<Scanner> = LazyLock::new(|| Scanner::new(&RULES));

fuzz_target!(|data: &[u8]| {
    let (mut raw, mut lines) = (Vec::new(), Vec::new());
    SCANNER.scan_with_lines(data, &mut raw, &mut lines);
    let Ok(found) = awsguard::decode::scan_encoded(&SCANNER, data, &lines, &mut raw) else { return };
    for f in &found {
        assert!(f.line_start <= f.line_end && f.line_end <= data.len(), "line outside the haystack");
        assert!(f.line >= 1 && f.line <= f.last_line, "lines out of order");
        let newlines = data[..f.line_start].iter().filter(|&&b| b == b'\n').count();
        assert_eq!(f.line as usize, newlines + 1, "wrong line number");
        assert!(!f.chain.is_empty(), "a decoded match names no decoding");
        assert!(!f.value.is_empty(), "an empty value");
    }
});
