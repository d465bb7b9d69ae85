//! awsguard: a git pre-commit hook that blocks commits adding AWS credentials.
//!
//! The pass, start to finish: [`staged`] reads the index ([`index_file`]) and finds the
//! files it changes against HEAD ([`changes`]); [`check`] reads each new blob
//! ([`objects`]) and scans it with the [`scan::Scanner`] (an Aho-Corasick prefilter over
//! the [`rules`]' keywords, then each rule's regex on candidate lines), keeps matches on
//! lines the commit adds ([`added`]), and applies the [`allowlist`]; [`report`] prints what
//! is left. [`cmd`] holds one module per command.

pub mod added;
pub mod allowlist;
pub mod archive;
pub mod changes;
pub mod check;
pub mod cli;
pub mod cmd;
pub mod encoding;
#[doc(hidden)]
pub mod fake;
pub mod index_file;
pub mod lfs;
pub mod objects;
pub mod report;
pub mod rules;
pub mod scan;
pub mod staged;
pub mod words;

pub use cmd::{Outcome, run};
