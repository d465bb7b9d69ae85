//! The ground truth of a generated file: what was planted where, and which lines are
//! near-misses.

use crate::data::{Cat, Family, Ty};
use crate::layouts::Encoding;

/// What a planted value is: one per value generator of families.toml.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    KeyId,
    Secret,
    Token,
    Bedrock,
    Mws,
    AppSync,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::KeyId => "key ID",
            Kind::Secret => "secret",
            Kind::Token => "session token",
            Kind::Bedrock => "Bedrock key",
            Kind::Mws => "MWS token",
            Kind::AppSync => "AppSync key",
        }
    }
}

/// A credential put in a file: the ground truth.
#[derive(Clone, Debug)]
pub struct Plant {
    pub family: Family,
    pub kind: Kind,
    /// The value as awsguard should report it (decoded).
    pub value: String,
    /// The value as written in the file (escaped or encoded).
    pub appears: String,
    /// The value's shape, for reports: `AKIA{b32:16}`, `{b64:40}`...
    pub shape: String,
    /// The template the line came from, for grouping misses.
    pub form: String,
    /// 1-based line in the file.
    pub line: usize,
}

/// A near-miss line put in a file.
#[derive(Clone, Debug)]
pub struct Near {
    pub cat: Cat,
    /// The line's template, as written in the data.
    pub template: String,
    /// The line as written in the file.
    pub text: String,
    pub line: usize,
    /// Lines of one near-miss snippet share a block number.
    pub block: usize,
    /// Byte column and length of the text in its line (minified bundles hold many).
    pub col: usize,
    pub len: usize,
}

/// One generated file and its ground truth.
pub struct GenFile {
    pub ty: Ty,
    pub path: String,
    /// The family planted in it, `None` for a credential-free file.
    pub family: Option<Family>,
    pub encoding: Encoding,
    /// The text (LF line ends, before encoding).
    pub text: String,
    pub plants: Vec<Plant>,
    pub nears: Vec<Near>,
}
