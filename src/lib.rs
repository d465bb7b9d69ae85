//! awsguard: a git pre-commit hook that blocks commits adding AWS credentials.
//!
//! The pass, start to finish, one module a stage: [`cli`] parses the arguments;
//! [`config`] loads the allowlist and archive bounds; [`repo`] opens the repository and
//! [`staged`] reads the index ([`index_file`]) and finds the files it changes against HEAD
//! ([`changes`]), or [`commits`] walks a range of commits; [`pass`] then runs, for each
//! changed file, [`prescan`], [`objects`] and [`lfs`] (the blob), [`archive`] (its
//! members), [`decode`] (other views of it), [`scan`] (an Aho-Corasick prefilter over the
//! [`rules`]' keywords, then each rule's regex on candidate lines), [`baseline`] and
//! [`added`] (only the lines the change adds), and [`findings`] (the [`allowlist`]
//! decides); [`report`] prints what is left. [`cmd`] holds one module per command.
//! ARCHITECTURE.md tells why the index and objects are read directly.

pub mod added;
pub mod allowlist;
pub mod archive;
pub mod baseline;
pub mod changes;
pub mod cli;
pub mod cmd;
pub mod commits;
pub mod config;
pub mod decode;
#[cfg(any(test, feature = "testing"))]
pub mod fake;
pub mod findings;
pub mod fsutil;
pub mod index_file;
pub mod lfs;
pub mod objects;
pub mod pack;
pub mod pass;
pub mod plumbing;
pub mod prescan;
pub mod repo;
pub mod report;
pub mod rules;
pub mod scan;
pub mod staged;
pub mod tree;
pub mod windowed;
pub mod words;

pub use cmd::{Outcome, run};

/// Text that build.rs embeds deflated (the rules, the help): its length, then its bytes.
fn unpack(packed: &[u8]) -> String {
    let (len, deflated) = packed.split_at(4);
    let mut text = vec![0; u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize];
    let inflated = libdeflater::Decompressor::new().deflate_decompress(deflated, &mut text);
    assert_eq!(inflated.ok(), Some(text.len()), "embedded text inflates whole");
    String::from_utf8(text).expect("embedded text is UTF-8")
}
