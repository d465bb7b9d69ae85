//! The loose object reader over arbitrary bytes: a damaged or lying object must be an
//! error or read whole, never panic, hang or write past its buffer.
#![no_main]

use awsguard::objects::inflate_loose;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((object, content))) = inflate_loose(data, usize::MAX) {
        // The content ends where the header said, with the one spare byte after it unused.
        assert!(content.start <= content.end);
        assert_eq!(content.end + 1, object.len());
        assert_eq!(object[content.end], 0);
        let header = &object[..content.start];
        assert!(header.starts_with(b"blob ") && header.ends_with(b"\0"));
        let size: usize = std::str::from_utf8(&header[5..header.len() - 1]).unwrap().parse().unwrap();
        assert_eq!(size, content.len());
    }
});
