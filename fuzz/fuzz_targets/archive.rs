//! Archive opening over arbitrary bytes (zip with or without a prefix and unlisted local
//! entries, multi-member gzip, xz, bzip2, tar, Office XML text, nested): it must report a
//! problem or visit members within the bounds, never panic or run away.
#![no_main]

use awsguard::archive::{Budget, Limits, View, for_each_member};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_archive_bytes: 4 << 20, max_total_bytes: 8 << 20, max_members: 1000, ..Limits::default() };
    let mut budget = Budget::new(limits);
    let mut seen: u64 = 0;
    let _ = for_each_member(data, &mut budget, &mut |_, content, view| {
        if view == View::Member {
            seen += content.len() as u64;
        }
        Ok(())
    });
    assert!(seen <= limits.max_archive_bytes, "members exceeded the archive budget");
});
