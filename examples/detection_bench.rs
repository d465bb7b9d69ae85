//! Detection benchmark: awsguard's recall per credential family and its false-alarm rate on
//! credential-free files.
//!
//! ```sh
//! cargo build --release
//! cargo run --release --example detection_bench -- --seed 1 --files 4000 --out results.md
//! ```
//!
//! It generates realistic files of 31 types (source code in a dozen languages, dotenv, INI,
//! YAML, JSON, TOML, XML, Terraform, properties, Markdown, Jupyter notebooks, PowerShell and
//! `.reg` files in UTF-16, IAM console CSV exports, Dockerfiles, Makefiles, minified bundles
//! with very long lines, HTML, SQL, lock files...). Some files get planted credentials whose
//! family, file, line and value the generator records; the others hold no credential but
//! are full of near-misses: AWS documentation keys, placeholders, variable references, ARNs,
//! account and IAM unique IDs, prefix-bearing words, hashes, UUIDs, base64 blobs and
//! random strings. The files are staged in temporary git repositories with the git CLI, the
//! real awsguard binary runs there as the pre-commit hook would (`--format json`), and its
//! findings are matched against the ground truth by fingerprint.
//!
//! Every value is drawn at run time from `awsguard::fake::Fake` with the given seed: the
//! same seed gives the same files. This file holds no key-shaped literal: fixed prefixes are
//! assembled from pieces or computed (the base64 of the bytes they encode).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use awsguard::allowlist::fingerprint;
use awsguard::fake::Fake;
use serde::Deserialize;

const USAGE: &str = "\
detection_bench: awsguard's recall per credential family and false alarms on generated files

USAGE:
    cargo build --release
    cargo run --release --example detection_bench -- [OPTIONS]

OPTIONS:
    --seed N          seed of the generator (default 1): the same seed gives the same files
    --files N         how many files to generate (default 4000)
    --out PATH        also write the Markdown report to PATH
    --keep DIR        build the repositories in DIR (created, must not exist) and keep them,
                      with truth.tsv (path, line, family, fingerprint of each planted value)
    --awsguard PATH   the binary to measure (default: target/release/awsguard of this crate)
    --batch N         files per git repository (default 250)
    --values MODE     real (default): values shaped like the ones AWS issues (uniform
                      random secrets and tokens, key IDs that encode an account ID);
                      fake: awsguard::fake's filtered values (no vowel-heavy or repetitive
                      draws), as the unit tests use
    -h, --help        print this help
";

/// How credential values are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Values {
    /// Shaped like the values AWS issues: uniform random secrets and tokens, key IDs
    /// that encode an account ID.
    Real,
    /// Through `Fake::key_id`, `Fake::secret` and `Fake::session_token`.
    Fake,
}

struct Opts {
    seed: u64,
    files: usize,
    out: Option<PathBuf>,
    keep: Option<PathBuf>,
    awsguard: PathBuf,
    batch: usize,
    values: Values,
}

fn parse_args() -> Result<Opts> {
    use lexopt::prelude::*;
    let mut opts = Opts {
        seed: 1,
        files: 4000,
        out: None,
        keep: None,
        awsguard: Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("release").join("awsguard"),
        batch: 250,
        values: Values::Real,
    };
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("seed") => opts.seed = parser.value()?.parse()?,
            Long("files") => opts.files = parser.value()?.parse()?,
            Long("out") => opts.out = Some(parser.value()?.into()),
            Long("keep") => opts.keep = Some(parser.value()?.into()),
            Long("awsguard") => opts.awsguard = parser.value()?.into(),
            Long("batch") => opts.batch = parser.value()?.parse::<usize>()?.max(1),
            Long("values") => {
                opts.values = match parser.value()?.string()?.as_str() {
                    "real" => Values::Real,
                    "fake" => Values::Fake,
                    other => bail!("--values {other}: expected real or fake"),
                }
            }
            Short('h') | Long("help") => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            _ => return Err(arg.unexpected().into()),
        }
    }
    if opts.files < 40 {
        bail!("--files {}: at least 40 files are needed to cover every family and file type", opts.files);
    }
    Ok(opts)
}

// ---------------------------------------------------------------------------------------
// Randomness and values
// ---------------------------------------------------------------------------------------

const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &[u8] = b"0123456789abcdef";
const HEX_UPPER: &[u8] = b"0123456789ABCDEF";
const LOWER36: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
const DIGITS: &[u8] = b"0123456789";
const DNA: &[u8] = b"ACGT";

const WORDS: &[&str] = &[
    "user",
    "order",
    "invoice",
    "report",
    "upload",
    "image",
    "billing",
    "cache",
    "queue",
    "event",
    "payment",
    "customer",
    "profile",
    "backup",
    "export",
    "import",
    "metrics",
    "audit",
    "sync",
    "notify",
    "search",
    "asset",
    "catalog",
    "ledger",
    "shipment",
    "tenant",
    "account",
    "archive",
    "render",
    "thumbnail",
    "webhook",
    "worker",
    "pipeline",
    "deploy",
    "ingest",
    "media",
    "document",
    "inventory",
    "pricing",
    "review",
    "message",
    "feed",
];
const COMPANIES: &[&str] = &["acme", "globex", "initech", "umbrella", "hooli", "vandelay", "stark", "wayne", "tyrell"];
const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
];
const FIRST_NAMES: &[&str] = &["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"];

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Percent-encodes what a query string must: `/`, `+`, `=`.
fn percent_encode(value: &str, lower: bool) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match (c, lower) {
            ('/', false) => out.push_str("%2F"),
            ('/', true) => out.push_str("%2f"),
            ('+', false) => out.push_str("%2B"),
            ('+', true) => out.push_str("%2b"),
            ('=', false) => out.push_str("%3D"),
            ('=', true) => out.push_str("%3d"),
            (c, _) => out.push(c),
        }
    }
    out
}

/// Expands `{token}`s in a template with `resolve`; any other brace (code, JSON) is copied.
fn expand_with(template: &str, resolve: &mut dyn FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| resolve(&after[..close]).map(|v| (v, close)));
        match value {
            Some((v, close)) => {
                out.push_str(&v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The first bytes of an STS token and the range of its random length.
type TokenHead = (&'static [u8], usize, usize);

/// The seeded source of every random choice and value.
struct G {
    rng: fastrand::Rng,
    fake: Fake,
    values: Values,
}

impl G {
    fn new(seed: u64, values: Values) -> G {
        G { rng: fastrand::Rng::with_seed(seed ^ 0x5eed_5eed_0bad_cafe), fake: Fake::new(seed), values }
    }

    fn below(&mut self, n: usize) -> usize {
        self.rng.usize(..n)
    }

    fn range(&mut self, lo: usize, hi: usize) -> usize {
        self.rng.usize(lo..=hi)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.f64() < p
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    fn weighted<T: Copy>(&mut self, items: &[(u32, T)]) -> T {
        let total: u32 = items.iter().map(|(w, _)| w).sum();
        let mut r = self.rng.u32(..total);
        for &(w, t) in items {
            if r < w {
                return t;
            }
            r -= w;
        }
        items[items.len() - 1].1
    }

    /// `n` characters drawn uniformly from `alphabet`.
    fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
        self.fake.chars(alphabet, n)
    }

    fn word(&mut self) -> &'static str {
        self.pick(WORDS)
    }

    fn snake(&mut self) -> String {
        let (a, b) = (self.word(), self.word());
        if a == b { a.to_string() } else { format!("{a}_{b}") }
    }

    fn pascal(&mut self) -> String {
        self.snake().split('_').map(capitalise).collect()
    }

    fn camel(&mut self) -> String {
        let p = self.pascal();
        let mut c = p.chars();
        c.next().map(|f| f.to_ascii_lowercase().to_string() + c.as_str()).unwrap_or_default()
    }

    fn short_ident(&mut self) -> String {
        let n = self.range(1, 2);
        self.chars(LOWER, n)
    }

    fn uuid(&mut self) -> String {
        format!(
            "{}-{}-4{}-{}{}-{}",
            self.chars(HEX, 8),
            self.chars(HEX, 4),
            self.chars(HEX, 3),
            self.pick(&["8", "9", "a", "b"]),
            self.chars(HEX, 3),
            self.chars(HEX, 12)
        )
    }

    /// Fills a filler or near-miss template. `{}` means nothing only in near-miss templates
    /// (it splits literals there); in code it is an empty block and stays.
    fn fill(&mut self, template: &str, empty_braces: bool) -> String {
        expand_with(template, &mut |spec| self.token(spec, empty_braces))
    }

    fn token(&mut self, spec: &str, empty_braces: bool) -> Option<String> {
        if spec.is_empty() {
            return empty_braces.then(String::new);
        }
        if spec.len() > 24 || spec.contains([' ', '"', '\'', '{', '\n', '(', ',', '.', '$']) {
            return None;
        }
        let (name, arg) = spec.split_once(':').unwrap_or((spec, ""));
        let n = arg.parse::<usize>().ok();
        Some(match name {
            "b32" => self.chars(B32, n?),
            "b64" => self.chars(B64, n?),
            "b64url" => self.chars(B64URL, n?),
            "alnum" => self.chars(ALNUM, n?),
            "hex" => self.chars(HEX, n?),
            "HEX" => self.chars(HEX_UPPER, n?),
            "lower36" => self.chars(LOWER36, n?),
            "digits" => self.chars(DIGITS, n?),
            "dna" => self.chars(DNA, n?),
            "rep" => {
                let (c, k) = arg.split_once(':')?;
                c.repeat(k.parse().ok()?)
            }
            "uuid" => self.uuid(),
            "name" => self.snake(),
            "Name" => self.pascal(),
            "camel" => self.camel(),
            "NAME" => self.snake().to_uppercase(),
            "word" => self.word().to_string(),
            "Word" => capitalise(self.word()),
            "x" => self.short_ident(),
            "n" => self.range(2, 99).to_string(),
            "port" => self.range(1025, 9999).to_string(),
            "region" => self.pick(REGIONS).to_string(),
            "account" => format!("{}{}", self.range(1, 9), self.chars(DIGITS, 11)),
            "bucket" => {
                format!("{}-{}-{}", self.pick(COMPANIES), self.word(), self.pick(&["prod", "dev", "data", "logs"]))
            }
            "host" => format!("{}.{}.example.com", self.word(), self.pick(COMPANIES)),
            "ver" => format!("{}.{}.{}", self.range(0, 4), self.range(0, 30), self.range(0, 20)),
            "date" => format!("2025-{:02}-{:02}", self.range(1, 12), self.range(1, 28)),
            "time" => format!("{:02}:{:02}:{:02}", self.range(0, 23), self.range(0, 59), self.range(0, 59)),
            "user" => self.pick(FIRST_NAMES).to_string(),
            "section" => {
                self.pick(&["aws", "s3", "storage", "uploads", "backup", "deploy", "cloud", "default"]).to_string()
            }
            "profile" => self.pick(&["default", "prod", "staging", "deploy", "ci", "dev"]).to_string(),
            _ => return None,
        })
    }

    // -- credential values --------------------------------------------------------------

    /// A key ID as AWS issues them. Current `AKIA`/`ASIA` IDs encode the account: the
    /// first ten characters hold a set high bit, the 40-bit account ID and random bits
    /// (what `awsguard::rules::account_id` decodes), so the fifth character is Q-Z or 2-7;
    /// legacy ones start with I or J. The rest is random, and `ABIA`/`ACCA` are uniform.
    fn key_id(&mut self, prefix: &str) -> String {
        if self.values == Values::Fake {
            return self.fake.key_id(prefix);
        }
        let body = match prefix {
            "AKIA" | "ASIA" if self.chance(0.85) => {
                let account = self.rng.u64(1..1_000_000_000_000);
                let first48 = (1 << 47) | (account << 7) | self.rng.u64(0..128);
                let bits = (first48 << 2) | self.rng.u64(0..4);
                let head: String = (0..10).rev().map(|i| B32[((bits >> (i * 5)) & 31) as usize] as char).collect();
                head + &self.chars(B32, 6)
            }
            "AKIA" | "ASIA" => format!("{}{}", self.pick(&["I", "J"]), self.chars(B32, 15)),
            _ => self.chars(B32, 16),
        };
        format!("{prefix}{body}")
    }

    fn secret(&mut self) -> String {
        match self.values {
            Values::Real => self.chars(B64, 40),
            Values::Fake => self.fake.secret(),
        }
    }

    /// An STS session token: the base64 of the bytes every STS token starts with, then
    /// random base64, padded. Returns the token and its shape.
    fn session_token(&mut self) -> (String, String) {
        if self.values == Values::Fake {
            let t = self.fake.session_token();
            let shape = format!("{}{{b64:{}}}", &t[..16], t.len() - 16);
            return (t, shape);
        }
        // (first bytes, random length range): "origin_ec" tokens (current), "er/aws" (2016-2020),
        // "aws" (oldest).
        let heads: &[(u32, TokenHead)] = &[
            (6, (b"\x21\n\torigin_ec", 400, 1300)),
            (2, (b"\x20\x6a\torigin_ec", 400, 1300)),
            (2, (b"\x17\n\x06er/aws", 300, 600)),
            (1, (b"\x15\n\x06er/aws", 300, 600)),
            (1, (b"\x01\n\x03aws", 250, 400)),
        ];
        let (head, lo, hi) = self.weighted(heads);
        let prefix = base64(head);
        let n = self.range(lo, hi);
        let mut token = format!("{prefix}{}", self.chars(B64, n));
        let shape_len = token.len() - prefix.len();
        match token.len() % 4 {
            2 => token.push_str("=="),
            3 => token.push('='),
            _ => {}
        }
        let pad = "=".repeat(token.len() - prefix.len() - shape_len);
        (token, format!("{prefix}{{b64:{shape_len}}}{pad}"))
    }

    /// A Bedrock long-term API key: "ABSK" and the base64 of "BedrockAPIKey-...".
    fn bedrock_long_term(&mut self) -> String {
        let secret_len = self.range(40, 60);
        let inner = format!(
            "BedrockAPIKey-{}-at-{}{}:{}",
            self.chars(LOWER36, 4),
            self.range(1, 9),
            self.chars(DIGITS, 11),
            self.chars(B64, secret_len)
        );
        format!("{}{}", ["AB", "SK"].concat(), base64(inner.as_bytes()))
    }

    /// A Bedrock short-term API key: "bedrock-api-key-" and the base64 of a presigned
    /// `CallWithBearerToken` URL with a session token in it.
    fn bedrock_short_term(&mut self) -> String {
        let (token, _) = self.session_token();
        let date = format!("2025{:02}{:02}", self.range(1, 12), self.range(1, 28));
        let region = self.pick(REGIONS);
        let url = format!(
            "{}.amazonaws.com/?Action=CallWithBearerToken&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={}%2F{date}%2F{region}%2Fbedrock%2Faws4_request&X-Amz-Date={date}T{:02}{:02}{:02}Z&X-Amz-Expires=43200&X-Amz-Security-Token={}&X-Amz-Signature={}&X-Amz-SignedHeaders=host&Version=1",
            "bedrock",
            self.key_id("ASIA"),
            self.range(0, 23),
            self.range(0, 59),
            self.range(0, 59),
            percent_encode(&token, false),
            self.chars(HEX, 64)
        );
        format!("{}{}", ["bedrock", "api", "key-"].join("-"), base64(url.as_bytes()))
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// What is measured
// ---------------------------------------------------------------------------------------

/// A credential family, measured on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Family {
    KeyId,
    SecretLabelled,
    SecretPaired,
    SessionLabelled,
    SessionPrefix,
    BedrockLong,
    BedrockShort,
    Mws,
    AppSync,
    JsonEscaped,
    UrlEncoded,
    Utf16,
    Notebook,
    Minified,
}

const FAMILIES: [Family; 14] = [
    Family::KeyId,
    Family::SecretLabelled,
    Family::SecretPaired,
    Family::SessionLabelled,
    Family::SessionPrefix,
    Family::BedrockLong,
    Family::BedrockShort,
    Family::Mws,
    Family::AppSync,
    Family::JsonEscaped,
    Family::UrlEncoded,
    Family::Utf16,
    Family::Notebook,
    Family::Minified,
];

impl Family {
    fn name(self) -> &'static str {
        match self {
            Family::KeyId => "access key ID (AKIA/ASIA/ABIA/ACCA)",
            Family::SecretLabelled => "secret access key, labelled",
            Family::SecretPaired => "secret access key, unlabelled next to a key ID",
            Family::SessionLabelled => "session token, labelled",
            Family::SessionPrefix => "session token, unlabelled (STS prefix)",
            Family::BedrockLong => "Bedrock API key, long-term (ABSK...)",
            Family::BedrockShort => "Bedrock API key, short-term",
            Family::Mws => "MWS auth token",
            Family::AppSync => "AppSync API key",
            Family::JsonEscaped => "JSON `\\/`-escaped secret",
            Family::UrlEncoded => "URL-encoded secret (`%2F`, `%2B`)",
            Family::Utf16 => "UTF-16 files (LE/BE, with/without BOM)",
            Family::Notebook => "Jupyter notebook JSON strings",
            Family::Minified => "end of very long minified lines",
        }
    }

    fn encoded(self) -> bool {
        matches!(self, Family::JsonEscaped | Family::UrlEncoded | Family::Utf16 | Family::Notebook | Family::Minified)
    }

    fn target(self) -> f64 {
        if self.encoded() { 90.0 } else { 99.5 }
    }
}

/// What a planted value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Kind {
    KeyId,
    Secret,
    Token,
    Bedrock,
    Mws,
    AppSync,
}

impl Kind {
    fn name(self) -> &'static str {
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

/// A near-miss category: what a credential-free line looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Cat {
    DocExample,
    Placeholder,
    VarRef,
    Arn,
    AccountId,
    IamUniqueId,
    PrefixWord,
    HexSha,
    SriHash,
    Uuid,
    Base64Blob,
    Random40,
    WebSession,
    ScannerPattern,
    OtherSecretNearAws,
}

const CATS: [Cat; 15] = [
    Cat::DocExample,
    Cat::Placeholder,
    Cat::VarRef,
    Cat::Arn,
    Cat::AccountId,
    Cat::IamUniqueId,
    Cat::PrefixWord,
    Cat::HexSha,
    Cat::SriHash,
    Cat::Uuid,
    Cat::Base64Blob,
    Cat::Random40,
    Cat::WebSession,
    Cat::ScannerPattern,
    Cat::OtherSecretNearAws,
];

impl Cat {
    fn name(self) -> &'static str {
        match self {
            Cat::DocExample => "AWS documentation example keys",
            Cat::Placeholder => "placeholders",
            Cat::VarRef => "variable references",
            Cat::Arn => "ARNs",
            Cat::AccountId => "12-digit account IDs",
            Cat::IamUniqueId => "IAM unique IDs (AIDA, AROA, ...)",
            Cat::PrefixWord => "words starting with a key prefix",
            Cat::HexSha => "hex SHA-1/SHA-256 near AWS words",
            Cat::SriHash => "sha512-/sha384- integrity hashes",
            Cat::Uuid => "UUIDs (request IDs, external IDs)",
            Cat::Base64Blob => "base64 blobs (data URIs, PEM, SSH keys)",
            Cat::Random40 => "random 40-char strings, non-secret names",
            Cat::WebSession => "web session tokens/JWTs (non-AWS)",
            Cat::ScannerPattern => "key-ID regexes and prefix checks",
            Cat::OtherSecretNearAws => "non-AWS 40-char secret near AWS settings",
        }
    }
}

// ---------------------------------------------------------------------------------------
// The builder: planted values and near-misses become markers, rendered at the end
// ---------------------------------------------------------------------------------------

const PLANT_OPEN: char = '\u{27EA}';
const PLANT_CLOSE: char = '\u{27EB}';
const NEAR_OPEN: char = '\u{27E6}';
const NEAR_CLOSE: char = '\u{27E7}';

/// A credential put in a file: the ground truth.
#[derive(Clone, Debug)]
struct Plant {
    family: Family,
    kind: Kind,
    /// The value as awsguard should report it (decoded).
    value: String,
    /// The value as written in the file (escaped or encoded).
    appears: String,
    /// The value's shape, for reports: `AKIA{b32:16}`, `{b64:40}`...
    shape: String,
    /// The template the line came from, for grouping misses.
    form: String,
    /// 1-based line in the file.
    line: usize,
}

/// A near-miss line put in a file.
#[derive(Clone, Debug)]
struct Near {
    cat: Cat,
    /// The line's template, as written in this benchmark.
    template: String,
    /// The line as written in the file.
    text: String,
    line: usize,
    /// Lines of one near-miss snippet share a block number.
    block: usize,
    /// Byte column and length of the text in its line (minified bundles hold many).
    col: usize,
    len: usize,
}

struct B<'g> {
    g: &'g mut G,
    plants: Vec<Plant>,
    nears: Vec<Near>,
    /// For UTF-16 files, notebooks and minified bundles: every value counts there.
    carrier: Option<Family>,
    /// The template being instantiated, recorded in each plant.
    form: String,
    /// Near-miss lines go inside JSON strings (notebook cells) and must be escaped.
    json_strings: bool,
    /// Number of the near-miss snippet being written.
    block: usize,
}

impl<'g> B<'g> {
    fn new(g: &'g mut G, carrier: Option<Family>) -> B<'g> {
        B { g, plants: Vec::new(), nears: Vec::new(), carrier, form: String::new(), json_strings: false, block: 0 }
    }

    fn put(&mut self, family: Family, kind: Kind, value: String, appears: String, shape: String) -> String {
        let family = self.carrier.unwrap_or(family);
        self.plants.push(Plant { family, kind, value, appears, shape, form: self.form.clone(), line: 0 });
        format!("{PLANT_OPEN}{}{PLANT_CLOSE}", self.plants.len() - 1)
    }

    fn id(&mut self, prefix: Option<&str>) -> String {
        let prefix = prefix.unwrap_or_else(|| self.g.weighted(&[(12, "AKIA"), (6, "ASIA"), (1, "ABIA"), (1, "ACCA")]));
        let v = self.g.key_id(prefix);
        self.put(Family::KeyId, Kind::KeyId, v.clone(), v, format!("{prefix}{{b32:16}}"))
    }

    fn secret(&mut self, family: Family) -> String {
        let mut v = self.g.secret();
        match family {
            Family::JsonEscaped => {
                while !v.contains('/') {
                    v = self.g.secret();
                }
                let appears = v.replace('/', "\\/");
                self.put(family, Kind::Secret, v, appears, "{b64:40, / as \\/}".into())
            }
            Family::UrlEncoded => {
                while !v.contains(['/', '+']) {
                    v = self.g.secret();
                }
                let lower = self.g.chance(0.2);
                let appears = percent_encode(&v, lower);
                self.put(family, Kind::Secret, v, appears, "{b64:40, %-encoded}".into())
            }
            _ => self.put(family, Kind::Secret, v.clone(), v, "{b64:40}".into()),
        }
    }

    fn token(&mut self, family: Family) -> String {
        let (t, shape) = self.g.session_token();
        self.put(family, Kind::Token, t.clone(), t, shape)
    }

    /// Expands a snippet template: credential tokens become planted values, the others
    /// (`{region}`, `{name}`...) are filled in.
    fn inst(&mut self, template: &str) -> String {
        self.form = template.to_string();
        expand_with(template, &mut |spec| self.cred_token(spec))
    }

    /// Expands the lines of one snippet; every value records the whole snippet as its form.
    fn inst_lines(&mut self, templates: &[String]) -> Vec<String> {
        self.form = templates.join("\n");
        templates.iter().map(|t| expand_with(t, &mut |spec| self.cred_token(spec))).collect()
    }

    fn cred_token(&mut self, spec: &str) -> Option<String> {
        Some(match spec {
            "" => String::new(),
            "ID" => self.id(None),
            "IDK" => self.id(Some("AKIA")),
            "IDA" => self.id(Some("ASIA")),
            "S" => self.secret(Family::SecretPaired),
            "SL" => self.secret(Family::SecretLabelled),
            "SJ" => self.secret(Family::JsonEscaped),
            "SU" => self.secret(Family::UrlEncoded),
            "T" => self.token(Family::SessionPrefix),
            "TL" => self.token(Family::SessionLabelled),
            "BRK" => {
                let v = self.g.bedrock_long_term();
                let shape = format!("ABSK{{b64:{}}}", v.len() - 4);
                self.put(Family::BedrockLong, Kind::Bedrock, v.clone(), v, shape)
            }
            "BRKST" => {
                let v = self.g.bedrock_short_term();
                let shape = format!("bedrock-api-key-{{base64 of a presigned URL, {} chars}}", v.len() - 16);
                self.put(Family::BedrockShort, Kind::Bedrock, v.clone(), v, shape)
            }
            "MWS" => {
                let v = format!("amzn.mws.{}", self.g.uuid());
                self.put(Family::Mws, Kind::Mws, v.clone(), v, "amzn.mws.{uuid}".into())
            }
            "APPSYNC" => {
                let v = format!("da2-{}", self.g.chars(LOWER36, 26));
                self.put(Family::AppSync, Kind::AppSync, v.clone(), v, "da2-{lower36:26}".into())
            }
            _ => return self.g.token(spec, false),
        })
    }

    /// Registers a near-miss line: the template is filled now, and the marker stands for it.
    fn near(&mut self, cat: Cat, template: &str) -> String {
        let text = self.g.fill(template, true);
        self.nears.push(Near { cat, template: template.to_string(), text, line: 0, block: self.block, col: 0, len: 0 });
        format!("{NEAR_OPEN}{}{NEAR_CLOSE}", self.nears.len() - 1)
    }

    fn fill(&mut self, template: &str) -> String {
        self.g.fill(template, false)
    }
}

/// Replaces the markers of a composed file with the values, and records on which line each
/// value and near-miss ended up.
fn render(b: &mut B, composed: &str) -> String {
    let mut out = String::with_capacity(composed.len() + 4096);
    for (i, line) in composed.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let line_start = out.len();
        let mut rest = line;
        while let Some(pos) = rest.find([PLANT_OPEN, NEAR_OPEN]) {
            out.push_str(&rest[..pos]);
            let open = rest[pos..].chars().next().unwrap_or(PLANT_OPEN);
            let close = if open == PLANT_OPEN { PLANT_CLOSE } else { NEAR_CLOSE };
            let body = &rest[pos + open.len_utf8()..];
            let end = body.find(close).expect("markers are closed");
            let index: usize = body[..end].parse().expect("marker holds an index");
            if open == PLANT_OPEN {
                let plant = &mut b.plants[index];
                plant.line = i + 1;
                out.push_str(&plant.appears);
            } else {
                let near = &mut b.nears[index];
                near.line = i + 1;
                near.col = out.len() - line_start;
                if b.json_strings {
                    let quoted = serde_json::to_string(&near.text).expect("a string serialises");
                    out.push_str(&quoted[1..quoted.len() - 1]);
                } else {
                    out.push_str(&near.text);
                }
                near.len = out.len() - line_start - near.col;
            }
            rest = &body[end + close.len_utf8()..];
        }
        out.push_str(rest);
    }
    out
}

// ---------------------------------------------------------------------------------------
// File types, label spellings, assignment syntaxes
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Ty {
    Py,
    Js,
    Ts,
    Go,
    Java,
    Kt,
    Cs,
    Rb,
    Php,
    Rs,
    C,
    Sh,
    Env,
    Ini,
    Yaml,
    Json,
    Toml,
    Xml,
    Tf,
    Props,
    Md,
    Ipynb,
    Ps1,
    Csv,
    Docker,
    Make,
    MinJs,
    Html,
    Sql,
    Txt,
    Reg,
    Lock,
}

const TYPES: [Ty; 32] = [
    Ty::Py,
    Ty::Js,
    Ty::Ts,
    Ty::Go,
    Ty::Java,
    Ty::Kt,
    Ty::Cs,
    Ty::Rb,
    Ty::Php,
    Ty::Rs,
    Ty::C,
    Ty::Sh,
    Ty::Env,
    Ty::Ini,
    Ty::Yaml,
    Ty::Json,
    Ty::Toml,
    Ty::Xml,
    Ty::Tf,
    Ty::Props,
    Ty::Md,
    Ty::Ipynb,
    Ty::Ps1,
    Ty::Csv,
    Ty::Docker,
    Ty::Make,
    Ty::MinJs,
    Ty::Html,
    Ty::Sql,
    Ty::Txt,
    Ty::Reg,
    Ty::Lock,
];

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Py => ".py",
            Ty::Js => ".js",
            Ty::Ts => ".ts",
            Ty::Go => ".go",
            Ty::Java => ".java",
            Ty::Kt => ".kt",
            Ty::Cs => ".cs",
            Ty::Rb => ".rb",
            Ty::Php => ".php",
            Ty::Rs => ".rs",
            Ty::C => ".c",
            Ty::Sh => ".sh",
            Ty::Env => ".env",
            Ty::Ini => ".ini/credentials",
            Ty::Yaml => ".yaml",
            Ty::Json => ".json",
            Ty::Toml => ".toml",
            Ty::Xml => ".xml/.config",
            Ty::Tf => ".tf/.tfvars",
            Ty::Props => ".properties",
            Ty::Md => ".md",
            Ty::Ipynb => ".ipynb",
            Ty::Ps1 => ".ps1",
            Ty::Csv => ".csv",
            Ty::Docker => "Dockerfile",
            Ty::Make => "Makefile",
            Ty::MinJs => ".min.js",
            Ty::Html => ".html",
            Ty::Sql => ".sql",
            Ty::Txt => ".txt/.log",
            Ty::Reg => ".reg (UTF-16)",
            Ty::Lock => "package-lock.json/yarn.lock",
        }
    }

    fn paths(self) -> &'static [&'static str] {
        match self {
            Ty::Py => &[
                "app/{name}.py",
                "src/{name}/settings.py",
                "scripts/{name}.py",
                "lambda/handler.py",
                "tests/test_{name}.py",
            ],
            Ty::Js => &["src/{camel}.js", "lib/{name}.js", "config/{word}.js", "scripts/deploy.js", "server.js"],
            Ty::Ts => &["src/{camel}.ts", "src/config/aws.ts", "lib/{camel}Service.ts", "cdk/lib/{word}-stack.ts"],
            Ty::Go => &["cmd/{word}/main.go", "internal/{word}/client.go", "pkg/storage/s3.go"],
            Ty::Java => &["src/main/java/com/acme/{word}/{Name}.java"],
            Ty::Kt => &["app/src/main/java/com/acme/{word}/{Name}.kt"],
            Ty::Cs => &["src/{Name}/{Name}Service.cs", "{Name}/Program.cs"],
            Ty::Rb => &["config/initializers/aws.rb", "lib/{name}.rb", "app/services/{name}_service.rb"],
            Ty::Php => &["config/filesystems.php", "src/{Name}.php", "config/services.php"],
            Ty::Rs => &["src/{name}.rs", "src/bin/{name}.rs"],
            Ty::C => &["src/{name}.c", "{word}/config.c"],
            Ty::Sh => &["scripts/{name}.sh", "deploy.sh", "bin/setup-{word}.sh"],
            Ty::Env => &[".env", ".env.local", ".env.production", "docker/.env", "config/{word}.env"],
            Ty::Ini => &[".aws/credentials", ".aws/config", "config/{name}.ini", "setup.cfg", "credentials"],
            Ty::Yaml => &[
                ".github/workflows/{word}.yml",
                "k8s/{word}-deployment.yaml",
                "docker-compose.yml",
                "serverless.yml",
                "config/{name}.yaml",
            ],
            Ty::Json => &["config/{name}.json", "appsettings.json", "{word}.json", "cloudformation/{word}-params.json"],
            Ty::Toml => &["config/{name}.toml", "Settings.toml", "{word}.toml"],
            Ty::Xml => &["src/main/resources/{name}.xml", "App.config", "Web.config", "conf/core-site.xml"],
            Ty::Tf => &["main.tf", "infra/{word}.tf", "terraform/providers.tf", "terraform.tfvars"],
            Ty::Props => {
                &["src/main/resources/application.properties", "config/{name}.properties", "gradle.properties"]
            }
            Ty::Md => &["README.md", "docs/{name}.md", "NOTES.md", "docs/setup-{word}.md"],
            Ty::Ipynb => &["notebooks/{name}.ipynb", "{name}.ipynb", "analysis/{word}-exploration.ipynb"],
            Ty::Ps1 => &["scripts/{Name}.ps1", "deploy.ps1", "Setup-{Name}.ps1"],
            Ty::Csv => &["data/{name}.csv", "exports/{word}-report.csv"],
            Ty::Docker => &["Dockerfile", "docker/{word}/Dockerfile", "Dockerfile.dev"],
            Ty::Make => &["Makefile", "{word}/Makefile"],
            Ty::MinJs => &["dist/{name}.min.js", "public/js/app.{hex:8}.min.js", "static/bundle.min.js"],
            Ty::Html => &["public/index.html", "templates/{name}.html", "docs/{word}.html"],
            Ty::Sql => &["db/migrations/{digits:4}_{name}.sql", "sql/{name}.sql", "seed.sql"],
            Ty::Txt => &["notes/{name}.txt", "{word}.txt", "logs/{name}.log"],
            Ty::Reg => &["env/{word}.reg", "setup/{Name}.reg"],
            Ty::Lock => &["package-lock.json", "yarn.lock", "web/package-lock.json"],
        }
    }

    fn comment(self) -> Option<(&'static str, &'static str)> {
        Some(match self {
            Ty::Py
            | Ty::Rb
            | Ty::Sh
            | Ty::Env
            | Ty::Yaml
            | Ty::Toml
            | Ty::Tf
            | Ty::Props
            | Ty::Docker
            | Ty::Make
            | Ty::Ps1 => ("# ", ""),
            Ty::Js | Ty::Ts | Ty::Go | Ty::Kt | Ty::Php | Ty::Rs | Ty::C => ("// ", ""),
            Ty::Java => ("    // ", ""),
            Ty::Cs => ("        // ", ""),
            Ty::Ini | Ty::Reg => ("; ", ""),
            Ty::Xml | Ty::Html | Ty::Md => ("<!-- ", " -->"),
            Ty::Sql => ("-- ", ""),
            Ty::Txt => ("", ""),
            Ty::Json | Ty::Ipynb | Ty::Csv | Ty::MinJs | Ty::Lock => return None,
        })
    }

    /// Label styles this type uses, weighted.
    fn styles(self) -> &'static [(u32, Style)] {
        use Style::*;
        match self {
            Ty::Py => &[(4, Upper), (4, Snake), (1, Camel)],
            Ty::Js | Ty::Ts | Ty::Html | Ty::MinJs => &[(5, Camel), (3, Upper), (1, Snake), (1, Pascal)],
            Ty::Go => &[(3, Pascal), (3, Camel), (1, Upper)],
            Ty::Java | Ty::Kt => &[(3, Upper), (4, Camel), (1, Dotted)],
            Ty::Cs => &[(4, Pascal), (2, Camel), (1, Upper)],
            Ty::Rb => &[(4, Snake), (2, Upper)],
            Ty::Php => &[(3, Snake), (2, Upper), (1, Camel)],
            Ty::Rs | Ty::C => &[(3, Upper), (2, Snake)],
            Ty::Sh | Ty::Env | Ty::Docker | Ty::Make | Ty::Reg => &[(1, Upper)],
            Ty::Ps1 => &[(4, Upper), (1, Pascal)],
            Ty::Ini | Ty::Tf => &[(1, Snake)],
            Ty::Yaml => &[(4, Snake), (2, Upper), (2, Camel), (1, Kebab)],
            Ty::Json | Ty::Ipynb | Ty::Lock => &[(3, Camel), (3, Pascal), (2, Snake), (1, Upper)],
            Ty::Toml => &[(4, Snake), (1, Kebab)],
            Ty::Xml => &[(3, Pascal), (2, Camel), (2, Dotted)],
            Ty::Props => &[(4, Dotted), (1, Snake), (1, Camel)],
            Ty::Md | Ty::Txt => &[(3, Words), (2, Upper), (2, Snake)],
            Ty::Sql => &[(2, Snake), (1, Upper)],
            Ty::Csv => &[(1, Words)],
        }
    }

    /// Single-line assignments: `{L}` the label, `{V}` the value; a leading `!` means the
    /// label must be an identifier.
    fn line_forms(self) -> &'static [&'static str] {
        match self {
            Ty::Py | Ty::Ipynb => &[
                "!{L} = \"{V}\"",
                "!{L} = '{V}'",
                "!{L}: str = \"{V}\"",
                "os.environ[\"{L}\"] = \"{V}\"",
                "os.environ.setdefault(\"{L}\", \"{V}\")",
            ],
            Ty::Js => {
                &["!const {L} = \"{V}\";", "!let {L} = '{V}';", "!process.env.{L} = \"{V}\";", "!var {L} = \"{V}\";"]
            }
            Ty::Ts => &["!const {L}: string = \"{V}\";", "!export const {L} = '{V}';", "!process.env.{L} = \"{V}\";"],
            Ty::Go => &["!const {L} = \"{V}\"", "!var {L} = \"{V}\"", "!var {L} string = \"{V}\""],
            Ty::Java => &[
                "!    private static final String {L} = \"{V}\";",
                "!    static String {L} = \"{V}\";",
                "!    public static final String {L} = \"{V}\";",
            ],
            Ty::Kt => &["!val {L} = \"{V}\"", "!const val {L} = \"{V}\"", "!private val {L}: String = \"{V}\""],
            Ty::Cs => &[
                "!        private const string {L} = \"{V}\";",
                "!        public static string {L} = \"{V}\";",
                "!        private readonly string {L} = \"{V}\";",
            ],
            Ty::Rb => &["!{L} = '{V}'", "!{L} = \"{V}\"", "ENV['{L}'] = '{V}'", "!config.{L} = '{V}'"],
            Ty::Php => &["!${L} = '{V}';", "define('{L}', '{V}');", "putenv('{L}={V}');", "!${L} = \"{V}\";"],
            Ty::Rs => {
                &["!const {L}: &str = \"{V}\";", "!static {L}: &str = \"{V}\";", "!pub const {L}: &str = \"{V}\";"]
            }
            Ty::C => &["!#define {L} \"{V}\"", "!static const char *{L} = \"{V}\";", "!const char {L}[] = \"{V}\";"],
            Ty::Sh => &["!export {L}=\"{V}\"", "!export {L}={V}", "!{L}='{V}'", "!{L}=\"{V}\""],
            Ty::Env => &["!{L}={V}", "!{L}=\"{V}\"", "!export {L}={V}", "!{L}='{V}'"],
            Ty::Yaml => &["{L}: {V}", "{L}: \"{V}\"", "{L}: '{V}'"],
            Ty::Json | Ty::Lock => &["\"{L}\": \"{V}\""],
            Ty::Toml => &["{L} = \"{V}\"", "{L} = '{V}'"],
            Ty::Xml => &[
                "  <{L}>{V}</{L}>",
                "  <add key=\"{L}\" value=\"{V}\" />",
                "  <property name=\"{L}\" value=\"{V}\"/>",
                "  <entry key=\"{L}\">{V}</entry>",
            ],
            Ty::Props => &["{L}={V}", "{L} = {V}", "{L}: {V}"],
            Ty::Md => &["- **{L}**: `{V}`", "{L}: `{V}`", "* {L} = {V}"],
            Ty::Docker => &["!ENV {L}={V}", "!ENV {L} {V}", "!ARG {L}={V}", "!ENV {L}=\"{V}\""],
            Ty::Make => &["!{L} ?= {V}", "!{L} := {V}", "!export {L} = {V}", "!{L} = {V}"],
            Ty::Html => &[
                "<meta name=\"{L}\" content=\"{V}\">",
                "<input type=\"hidden\" name=\"{L}\" value=\"{V}\">",
                "!<script>window.{L} = \"{V}\";</script>",
            ],
            Ty::Sql => &[
                "INSERT INTO app_settings (name, value) VALUES ('{L}', '{V}');",
                "!SET @{L} = '{V}';",
                "UPDATE app_settings SET value = '{V}' WHERE name = '{L}';",
            ],
            Ty::Ps1 => &[
                "!$env:{L} = \"{V}\"",
                "!$env:{L}='{V}'",
                "[Environment]::SetEnvironmentVariable(\"{L}\", \"{V}\", \"User\")",
                "!${L} = \"{V}\"",
            ],
            Ty::Txt => &["{L}: {V}", "{L} = {V}", "{L}:  {V}"],
            Ty::Reg => &["\"{L}\"=\"{V}\""],
            Ty::MinJs => &["!{L}:\"{V}\""],
            Ty::Ini | Ty::Tf | Ty::Csv => &[],
        }
    }

    /// Groups of assignments: opening line(s), one entry per value, closing line(s), and a
    /// label style the group imposes.
    fn group_forms(self) -> &'static [(&'static str, &'static str, &'static str, Option<Style>)] {
        use Style::*;
        match self {
            Ty::Py | Ty::Ipynb => &[
                ("{NAME}_CONFIG = {", "    \"{L}\": \"{V}\",", "}", None),
                ("{name} = dict(", "!    {L}=\"{V}\",", ")", Some(Snake)),
            ],
            Ty::Js => &[
                ("const {camel}Config = {", "!  {L}: \"{V}\",", "};", Some(Camel)),
                ("AWS.config.update({", "!  {L}: '{V}',", "});", Some(Camel)),
                ("module.exports = {", "  \"{L}\": \"{V}\",", "};", None),
            ],
            Ty::Ts => &[
                ("export const {camel}Config: Record<string, string> = {", "!  {L}: \"{V}\",", "};", Some(Camel)),
                ("const env = {", "!  {L}: '{V}',", "} as const;", None),
            ],
            Ty::Go => &[
                ("var {camel}Config = Config{", "!\t{L}: \"{V}\",", "}", Some(Pascal)),
                ("func init() {", "\tos.Setenv(\"{L}\", \"{V}\")", "}", Some(Upper)),
                ("func {camel}() {", "!\t{L} := \"{V}\"\n\t_ = {L}", "}", Some(Camel)),
            ],
            Ty::Java => &[
                ("    static {", "        System.setProperty(\"{L}\", \"{V}\");", "    }", None),
                ("    void {camel}(Properties props) {", "        props.setProperty(\"{L}\", \"{V}\");", "    }", None),
            ],
            Ty::Kt => &[("val {camel}Config = mapOf(", "    \"{L}\" to \"{V}\",", ")", None)],
            Ty::Cs => &[
                (
                    "        private static readonly Dictionary<string, string> {Name}Settings = new()\n        {",
                    "            { \"{L}\", \"{V}\" },",
                    "        };",
                    None,
                ),
                (
                    "        public void Configure{Name}()\n        {",
                    "            Environment.SetEnvironmentVariable(\"{L}\", \"{V}\");",
                    "        }",
                    Some(Upper),
                ),
                (
                    "        private static readonly AwsSettings {Name} = new AwsSettings\n        {",
                    "!            {L} = \"{V}\",",
                    "        };",
                    Some(Pascal),
                ),
            ],
            Ty::Rb => &[
                ("{NAME} = {", "!  {L}: '{V}',", "}.freeze", Some(Snake)),
                ("Aws.config.update(", "!  {L}: '{V}',", ")", Some(Snake)),
                ("{NAME} = {", "  '{L}' => '{V}',", "}", None),
            ],
            Ty::Php => &[
                ("return [", "    '{L}' => '{V}',", "];", None),
                ("$config = array(", "    '{L}' => '{V}',", ");", None),
            ],
            Ty::Rs => &[
                ("fn {name}() {", "    std::env::set_var(\"{L}\", \"{V}\");", "}", Some(Upper)),
                (
                    "fn {name}() -> Settings {\n    Settings {",
                    "!        {L}: \"{V}\".to_string(),",
                    "    }\n}",
                    Some(Snake),
                ),
            ],
            Ty::C => &[
                ("static const struct settings {name} = {", "!    .{L} = \"{V}\",", "};", Some(Snake)),
                ("void {name}(void)\n{", "    setenv(\"{L}\", \"{V}\", 1);", "}", Some(Upper)),
            ],
            Ty::Sh => &[
                ("cat > \"$HOME/.aws/credentials\" <<EOF\n[{profile}]", "{L} = {V}", "EOF", Some(Snake)),
                ("docker run --rm \\", "!  -e {L}={V} \\", "  {name}:latest", Some(Upper)),
            ],
            Ty::Ini => &[("[{profile}]", "{L} = {V}", "", None), ("[{section}]", "{L}={V}", "", None)],
            Ty::Yaml => &[
                ("{section}:", "  {L}: {V}", "", None),
                ("{section}:", "  {L}: \"{V}\"", "", None),
                ("env:", "  {L}: {V}", "", Some(Upper)),
                (
                    "services:\n  {word}:\n    image: {word}:latest\n    environment:",
                    "      - {L}={V}",
                    "",
                    Some(Upper),
                ),
                (
                    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {word}-aws\ntype: Opaque\nstringData:",
                    "  {L}: \"{V}\"",
                    "",
                    Some(Upper),
                ),
            ],
            Ty::Json | Ty::Lock => &[("\"{section}\": {", "  \"{L}\": \"{V}\"", "}", None)],
            Ty::Toml => &[("[{section}]", "{L} = \"{V}\"", "", None)],
            Ty::Xml => &[
                ("  <{section}>", "    <{L}>{V}</{L}>", "  </{section}>", None),
                ("  <appSettings>", "    <add key=\"{L}\" value=\"{V}\" />", "  </appSettings>", None),
            ],
            Ty::Tf => &[("locals {", "  {L} = \"{V}\"", "}", None), ("", "{L} = \"{V}\"", "", None)],
            Ty::Md => &[
                ("```ini\n[{profile}]", "{L} = {V}", "```", Some(Snake)),
                ("```sh", "!export {L}={V}", "```", Some(Upper)),
                ("```yaml\n{section}:", "  {L}: {V}", "```", Some(Snake)),
            ],
            Ty::Docker => &[("ENV APP_ENV=production \\", "!    {L}={V} \\", "    LOG_LEVEL=info", Some(Upper))],
            Ty::Html => &[("<script>\n  AWS.config.update({", "!    {L}: \"{V}\",", "  });\n</script>", Some(Camel))],
            Ty::MinJs => &[("{x}.config.update({", "!{L}:\"{V}\",", "region:\"{region}\"})", Some(Camel))],
            _ => &[],
        }
    }
}

/// How a label is spelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    Upper,
    Snake,
    Camel,
    Pascal,
    Dotted,
    Kebab,
    Words,
}

/// What a label names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lk {
    Id,
    Secret,
    SecretGeneric,
    Token,
    TokenGeneric,
    TokenPlain,
    Region,
    Bedrock,
    Mws,
    AppSync,
    Arn,
    Account,
    UniqueId,
    Generic40,
    OtherSecret,
    Sha,
    Uuid,
    Url,
    Blob,
}

fn labels(lk: Lk, st: Style) -> &'static [&'static str] {
    use Style::*;
    match (lk, st) {
        (Lk::Id, Upper) => {
            &["AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_KEY_ID", "S3_ACCESS_KEY_ID"]
        }
        (Lk::Id, Snake) => &["aws_access_key_id", "aws_access_key_id", "access_key_id", "aws_access_key", "access_key"],
        (Lk::Id, Camel) => &["accessKeyId", "awsAccessKeyId", "accessKey", "awsAccessKey"],
        (Lk::Id, Pascal) => &["AccessKeyId", "AwsAccessKeyId", "AWSAccessKeyId", "AccessKey"],
        (Lk::Id, Dotted) => {
            &["aws.accessKeyId", "aws.access-key-id", "cloud.aws.credentials.access-key", "aws.access.key.id"]
        }
        (Lk::Id, Kebab) => &["aws-access-key-id", "access-key"],
        (Lk::Id, Words) => &["Access key ID", "AWS Access Key ID", "access key"],
        (Lk::Secret, Upper) => &[
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SECRET_KEY",
            "AWS_SECRET",
            "SECRET_ACCESS_KEY",
            "AWS_S3_SECRET_ACCESS_KEY",
        ],
        (Lk::Secret, Snake) => {
            &["aws_secret_access_key", "aws_secret_access_key", "aws_secret_key", "aws_secret", "secret_access_key"]
        }
        (Lk::Secret, Camel) => &["secretAccessKey", "awsSecretAccessKey", "awsSecretKey", "awsSecret"],
        (Lk::Secret, Pascal) => &["SecretAccessKey", "AwsSecretAccessKey", "AWSSecretKey", "AWSSecretAccessKey"],
        (Lk::Secret, Dotted) => &["aws.secretKey", "aws.secret-key", "aws.secretAccessKey", "aws.secret.access.key"],
        (Lk::Secret, Kebab) => &["aws-secret-access-key", "aws-secret-key"],
        (Lk::Secret, Words) => &["Secret access key", "AWS Secret Access Key", "aws secret key"],
        (Lk::SecretGeneric, Upper) => &["SECRET_KEY", "S3_SECRET_KEY", "SECRET"],
        (Lk::SecretGeneric, Snake) => &["secret_key", "s3_secret_key", "secret"],
        (Lk::SecretGeneric, Camel) => &["secretKey", "secret"],
        (Lk::SecretGeneric, Pascal) => &["SecretKey", "Secret"],
        (Lk::SecretGeneric, Dotted) => &["cloud.aws.credentials.secret-key", "fs.s3a.secret.key", "s3.secret.key"],
        (Lk::SecretGeneric, Kebab) => &["secret-key"],
        (Lk::SecretGeneric, Words) => &["secret key", "Secret"],
        (Lk::Token, Upper) => &["AWS_SESSION_TOKEN", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"],
        (Lk::Token, Snake) => &["aws_session_token", "aws_session_token", "aws_security_token"],
        (Lk::Token, Camel) => &["awsSessionToken"],
        (Lk::Token, Pascal) => &["AwsSessionToken", "AWSSessionToken"],
        (Lk::Token, Dotted) => &["aws.sessionToken", "aws.session-token"],
        (Lk::Token, Kebab) => &["aws-session-token"],
        (Lk::Token, Words) => &["AWS session token"],
        (Lk::TokenGeneric, Upper) => &["SESSION_TOKEN", "SECURITY_TOKEN"],
        (Lk::TokenGeneric, Snake) => &["session_token", "security_token"],
        (Lk::TokenGeneric, Camel) => &["sessionToken"],
        (Lk::TokenGeneric, Pascal) => &["SessionToken"],
        (Lk::TokenGeneric, Dotted) => &["cloud.aws.credentials.session-token", "s3.session.token"],
        (Lk::TokenGeneric, Kebab) => &["session-token"],
        (Lk::TokenGeneric, Words) => &["Session token"],
        (Lk::TokenPlain, Upper) => &["TOKEN", "STS_TOKEN", "AWS_TOKEN"],
        (Lk::TokenPlain, Snake) => &["token", "sts_token", "creds_token"],
        (Lk::TokenPlain, Camel) => &["token", "stsToken"],
        (Lk::TokenPlain, Pascal) => &["Token", "StsToken"],
        (Lk::TokenPlain, Dotted) => &["sts.token"],
        (Lk::TokenPlain, Kebab) => &["sts-token"],
        (Lk::TokenPlain, Words) => &["Token"],
        (Lk::Region, Upper) => &["AWS_REGION", "AWS_DEFAULT_REGION"],
        (Lk::Region, Snake) => &["region", "aws_region", "region_name"],
        (Lk::Region, Camel | Kebab) => &["region"],
        (Lk::Region, Pascal) => &["Region"],
        (Lk::Region, Dotted) => &["aws.region", "cloud.aws.region.static"],
        (Lk::Region, Words) => &["Region"],
        (Lk::Bedrock, Upper) => &["AWS_BEARER_TOKEN_BEDROCK", "AWS_BEARER_TOKEN_BEDROCK", "BEDROCK_API_KEY"],
        (Lk::Bedrock, Snake) => &["bedrock_api_key", "api_key"],
        (Lk::Bedrock, Camel) => &["bedrockApiKey", "apiKey"],
        (Lk::Bedrock, Pascal) => &["BedrockApiKey", "ApiKey"],
        (Lk::Bedrock, Dotted) => &["bedrock.api-key", "spring.ai.bedrock.api-key"],
        (Lk::Bedrock, Kebab) => &["bedrock-api-key"],
        (Lk::Bedrock, Words) => &["Bedrock API key", "API key"],
        (Lk::Mws, Upper) => &["MWS_AUTH_TOKEN"],
        (Lk::Mws, Snake) => &["mws_auth_token", "auth_token"],
        (Lk::Mws, Camel) => &["mwsAuthToken"],
        (Lk::Mws, Pascal) => &["MWSAuthToken"],
        (Lk::Mws, Dotted) => &["mws.auth-token", "amazon.mws.authToken"],
        (Lk::Mws, Kebab) => &["mws-auth-token"],
        (Lk::Mws, Words) => &["MWS Auth Token", "MWS Authorisation Token"],
        (Lk::AppSync, Upper) => &["APPSYNC_API_KEY", "GRAPHQL_API_KEY"],
        (Lk::AppSync, Snake) => &["appsync_api_key", "api_key"],
        (Lk::AppSync, Camel) => &["aws_appsync_apiKey", "apiKey"],
        (Lk::AppSync, Pascal) => &["ApiKey", "AppSyncApiKey"],
        (Lk::AppSync, Dotted) => &["appsync.api-key"],
        (Lk::AppSync, Kebab) => &["x-api-key"],
        (Lk::AppSync, Words) => &["AppSync API key", "API key"],
        (Lk::Arn, Upper) => &["ROLE_ARN", "AWS_ROLE_ARN", "SECRET_ARN", "TOPIC_ARN"],
        (Lk::Arn, Snake) => &["role_arn", "secret_arn", "aws_secret_arn", "kms_key_arn"],
        (Lk::Arn, Camel) => &["roleArn", "secretArn", "topicArn"],
        (Lk::Arn, Pascal) => &["RoleArn", "SecretArn", "TopicArn", "SecretId"],
        (Lk::Arn, Dotted) => &["aws.role-arn", "aws.secretsmanager.secret-arn"],
        (Lk::Arn, Kebab) => &["role-arn", "role-to-assume"],
        (Lk::Arn, Words) => &["Role ARN", "Secret ARN"],
        (Lk::Account, Upper) => &["AWS_ACCOUNT_ID", "ACCOUNT_ID"],
        (Lk::Account, Snake) => &["aws_account_id", "account_id"],
        (Lk::Account, Camel) => &["accountId", "awsAccountId"],
        (Lk::Account, Pascal) => &["AccountId", "Account"],
        (Lk::Account, Dotted) => &["aws.account-id"],
        (Lk::Account, Kebab) => &["account-id"],
        (Lk::Account, Words) => &["AWS account", "Account ID"],
        (Lk::UniqueId, Upper) => &["IAM_USER_ID", "ROLE_ID"],
        (Lk::UniqueId, Snake) => &["user_id", "role_id", "principal_id"],
        (Lk::UniqueId, Camel) => &["userId", "roleId", "principalId"],
        (Lk::UniqueId, Pascal) => &["UserId", "RoleId", "PrincipalId", "GroupId", "PolicyId"],
        (Lk::UniqueId, Dotted) => &["aws.principal-id"],
        (Lk::UniqueId, Kebab) => &["principal-id"],
        (Lk::UniqueId, Words) => &["User ID", "Role ID"],
        (Lk::Generic40, Upper) => &["API_KEY", "BUILD_ID", "CHECKSUM", "CACHE_KEY"],
        (Lk::Generic40, Snake) => &["api_key", "csrf_token", "checksum", "nonce", "etag"],
        (Lk::Generic40, Camel) => &["apiKey", "csrfToken", "checksum", "nonce"],
        (Lk::Generic40, Pascal) => &["ApiKey", "Checksum", "Nonce", "ETag"],
        (Lk::Generic40, Dotted) => &["api.key", "cache.key"],
        (Lk::Generic40, Kebab) => &["api-key", "cache-key"],
        (Lk::Generic40, Words) => &["API key", "Checksum"],
        (Lk::OtherSecret, Upper) => &["JWT_SECRET", "SESSION_SECRET", "WEBHOOK_SECRET", "CLIENT_SECRET", "APP_SECRET"],
        (Lk::OtherSecret, Snake) => &["jwt_secret", "session_secret", "webhook_secret", "client_secret"],
        (Lk::OtherSecret, Camel) => &["jwtSecret", "clientSecret", "webhookSecret"],
        (Lk::OtherSecret, Pascal) => &["JwtSecret", "ClientSecret"],
        (Lk::OtherSecret, Dotted) => &["jwt.secret", "oauth.client-secret", "app.webhook.secret"],
        (Lk::OtherSecret, Kebab) => &["webhook-secret", "client-secret"],
        (Lk::OtherSecret, Words) => &["Client secret", "Webhook secret"],
        (Lk::Sha, Upper) => &["GIT_SHA", "COMMIT_SHA", "SDK_REVISION"],
        (Lk::Sha, Snake) => &["commit", "sha", "revision", "git_sha"],
        (Lk::Sha, Camel) => &["gitHead", "commitSha", "revision"],
        (Lk::Sha, Pascal) => &["Commit", "Revision"],
        (Lk::Sha, Dotted) => &["git.commit.id", "build.revision"],
        (Lk::Sha, Kebab) => &["commit-sha"],
        (Lk::Sha, Words) => &["Commit", "Revision"],
        (Lk::Uuid, Upper) => &["EXTERNAL_ID", "REQUEST_ID", "KMS_KEY_ID"],
        (Lk::Uuid, Snake) => &["external_id", "request_id", "client_token", "kms_key_id"],
        (Lk::Uuid, Camel) => &["externalId", "requestId", "clientToken"],
        (Lk::Uuid, Pascal) => &["ExternalId", "RequestId", "KmsKeyId"],
        (Lk::Uuid, Dotted) => &["aws.sts.external-id"],
        (Lk::Uuid, Kebab) => &["external-id"],
        (Lk::Uuid, Words) => &["External ID", "Request ID"],
        (Lk::Url, Upper) => &["UPLOAD_URL", "SYNC_ENDPOINT", "CONNECTION_URI"],
        (Lk::Url, Snake) => &["upload_url", "endpoint", "connection_uri"],
        (Lk::Url, Camel) => &["uploadUrl", "endpoint", "syncUrl"],
        (Lk::Url, Pascal) => &["UploadUrl", "Endpoint"],
        (Lk::Url, Dotted) => &["app.upload-url", "sync.endpoint"],
        (Lk::Url, Kebab) => &["upload-url"],
        (Lk::Url, Words) => &["Upload URL", "Endpoint"],
        (Lk::Blob, Upper) => &["LOGO_DATA_URI", "SSH_PUBLIC_KEY", "INTEGRITY"],
        (Lk::Blob, Snake) => &["logo", "ssh_public_key", "integrity", "icon"],
        (Lk::Blob, Camel) => &["logoDataUri", "publicKey", "integrity"],
        (Lk::Blob, Pascal) => &["Logo", "PublicKey", "Integrity"],
        (Lk::Blob, Dotted) => &["app.logo", "deploy.ssh-key"],
        (Lk::Blob, Kebab) => &["logo", "ssh-key"],
        (Lk::Blob, Words) => &["Public key", "Logo"],
    }
}

fn is_ident(label: &str) -> bool {
    label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn label(g: &mut G, lk: Lk, style: Style, ident: bool) -> String {
    for st in [style, Style::Snake, Style::Upper, Style::Camel] {
        let list: Vec<&str> = labels(lk, st).iter().copied().filter(|l| !ident || is_ident(l)).collect();
        if !list.is_empty() {
            return g.pick(&list).to_string();
        }
    }
    "value".to_string()
}

fn form_parts(form: &str) -> (&str, bool) {
    match form.strip_prefix('!') {
        Some(rest) => (rest, true),
        None => (form, false),
    }
}

/// Labelled assignments of `items` (label kind, value template) in the syntax of `ty`, as
/// templates: credential tokens (`{SL}`) or near-miss values stay to be expanded.
fn labelled(g: &mut G, ty: Ty, items: &[(Lk, &str)]) -> Vec<String> {
    let style = g.weighted(ty.styles());
    let lines = ty.line_forms();
    let groups = ty.group_forms();
    let json = matches!(ty, Ty::Json | Ty::Lock);
    let use_group = lines.is_empty() || (!groups.is_empty() && g.chance(if items.len() > 1 { 0.5 } else { 0.25 }));
    let mut out = Vec::new();
    if use_group {
        let (open, entry, close, forced) = g.pick(groups);
        let style = forced.unwrap_or(style);
        if !open.is_empty() {
            out.push(open.to_string());
        }
        let (form, ident) = form_parts(entry);
        for (i, (lk, value)) in items.iter().enumerate() {
            let l = label(g, *lk, style, ident);
            let mut line = form.replace("{L}", &l).replace("{V}", value);
            if json && i + 1 < items.len() {
                line.push(',');
            }
            out.push(line);
        }
        if !close.is_empty() {
            out.push(close.to_string());
        }
    } else {
        let same = g.pick(lines);
        for (i, (lk, value)) in items.iter().enumerate() {
            let chosen = if g.chance(0.7) { same } else { g.pick(lines) };
            let (form, ident) = form_parts(chosen);
            let l = label(g, *lk, style, ident);
            let mut line = form.replace("{L}", &l).replace("{V}", value);
            if json && i + 1 < items.len() {
                line.push(',');
            }
            out.push(line);
        }
    }
    out
}

/// A comment line in `ty`'s syntax, or a labelled note where the type has no comments.
fn comment(ty: Ty, text: &str) -> Vec<String> {
    match (ty.comment(), ty) {
        (Some((open, close)), _) => vec![format!("{open}{text}{close}")],
        (None, Ty::Ipynb) => vec![format!("# {text}")],
        (None, Ty::MinJs) => vec![format!("/* {text} */")],
        (None, Ty::Csv) => vec![format!("note,\"{text}\"")],
        (None, _) => vec![format!("\"description\": \"{}\"", text.replace('"', "'"))],
    }
}

// ---------------------------------------------------------------------------------------
// Surrounding content: headers, filler chunks, footers
// ---------------------------------------------------------------------------------------

fn header(ty: Ty) -> &'static str {
    match ty {
        Ty::Py => {
            "#!/usr/bin/env python3\n\"\"\"{Name} helpers for the {word} service.\"\"\"\nimport json\nimport logging\nimport os\n\nimport boto3\n\nlogger = logging.getLogger(__name__)\n"
        }
        Ty::Js => {
            "'use strict';\n\nconst path = require('path');\nconst { S3Client, GetObjectCommand } = require('@aws-sdk/client-s3');\n"
        }
        Ty::Ts => {
            "import { S3Client, PutObjectCommand } from \"@aws-sdk/client-s3\";\nimport type { Handler } from \"aws-lambda\";\n\ninterface {Name}Options {\n  bucket: string;\n  prefix?: string;\n}\n"
        }
        Ty::Go => {
            "package {word}\n\nimport (\n\t\"context\"\n\t\"fmt\"\n\t\"os\"\n\n\t\"github.com/aws/aws-sdk-go-v2/config\"\n\t\"github.com/aws/aws-sdk-go-v2/service/s3\"\n)\n"
        }
        Ty::Java => {
            "package com.acme.{word};\n\nimport java.util.Properties;\nimport software.amazon.awssdk.services.s3.S3Client;\n\npublic class {Name} {\n"
        }
        Ty::Kt => {
            "package com.acme.{word}\n\nimport aws.sdk.kotlin.services.s3.S3Client\nimport kotlinx.coroutines.runBlocking\n"
        }
        Ty::Cs => {
            "using System;\nusing System.Collections.Generic;\nusing Amazon.S3;\nusing Amazon.Runtime;\n\nnamespace Acme.{Name}\n{\n    public class {Name}Service\n    {"
        }
        Ty::Rb => "# frozen_string_literal: true\n\nrequire 'aws-sdk-s3'\nrequire 'logger'\n",
        Ty::Php => "<?php\n\nnamespace App\\{Name};\n\nuse Aws\\S3\\S3Client;\n",
        Ty::Rs => "use std::collections::HashMap;\nuse std::time::Duration;\n\nuse aws_sdk_s3::Client;\n",
        Ty::C => "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n#include \"{name}.h\"\n",
        Ty::Sh => {
            "#!/usr/bin/env bash\n# {Word} deployment helper.\nset -euo pipefail\n\nREGION=\"${AWS_REGION:-{region}}\"\nBUCKET=\"{bucket}\"\n"
        }
        Ty::Env => "# {Word} service environment\nNODE_ENV=production\nPORT={port}\n",
        Ty::Ini => "",
        Ty::Yaml => "# {Word} configuration\nversion: \"3.8\"\n",
        Ty::Toml => "# {Word} settings\ntitle = \"{name}\"\n",
        Ty::Tf => {
            "terraform {\n  required_providers {\n    aws = {\n      source  = \"hashicorp/aws\"\n      version = \"~> 5.0\"\n    }\n  }\n}\n"
        }
        Ty::Props => "# {Word} application properties\nspring.application.name={name}\nserver.port={port}\n",
        Ty::Md => {
            "# {Name}\n\nThis service moves {word} data between the {word} API and S3. It runs on ECS in {region}.\n"
        }
        Ty::Ps1 => {
            "#Requires -Modules AWS.Tools.S3\n<#\n.SYNOPSIS\n    Deploys the {word} package.\n#>\nparam(\n    [string]$Bucket = \"{bucket}\",\n    [string]$Region = \"{region}\"\n)\n$ErrorActionPreference = \"Stop\"\n"
        }
        Ty::Docker => {
            "FROM python:3.12-slim\n\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\n"
        }
        Ty::Make => ".PHONY: build test deploy\n\nAPP := {name}\nREGION ?= {region}\n",
        Ty::Sql => "-- Migration: {name}\nBEGIN;\n",
        Ty::Txt => "{Word} notes ({date})\n",
        Ty::Reg => "Windows Registry Editor Version 5.00\n\n[HKEY_CURRENT_USER\\Environment]",
        Ty::Xml | Ty::Html | Ty::Json | Ty::Ipynb | Ty::Csv | Ty::MinJs | Ty::Lock => "",
    }
}

fn footer(ty: Ty) -> &'static str {
    match ty {
        Ty::Py => "if __name__ == \"__main__\":\n    main()\n",
        Ty::Java => "}\n",
        Ty::Cs => "    }\n}\n",
        Ty::Sh => "main \"$@\"\n",
        Ty::Docker => "EXPOSE 8080\nCMD [\"python\", \"-m\", \"app\"]\n",
        Ty::Sql => "COMMIT;\n",
        _ => "",
    }
}

fn fillers(ty: Ty) -> &'static [&'static str] {
    match ty {
        Ty::Py | Ty::Ipynb => &[
            "def {name}(items, limit={n}):\n    \"\"\"Return the {word} entries of the given {word}.\"\"\"\n    result = []\n    for item in items:\n        if item.get(\"{word}\") and len(result) < limit:\n            result.append(item)\n    return result\n",
            "class {Name}:\n    def __init__(self, bucket, timeout={n}):\n        self.bucket = bucket\n        self.timeout = timeout\n\n    def __repr__(self):\n        return f\"{Name}(bucket={self.bucket!r})\"\n",
            "def upload_{name}(path, key):\n    s3 = boto3.client(\"s3\", region_name=os.environ.get(\"AWS_REGION\", \"{region}\"))\n    s3.upload_file(path, \"{bucket}\", key)\n    logger.info(\"uploaded %s to s3://{bucket}/%s\", path, key)\n",
            "def get_{name}_secret():\n    client = boto3.client(\"secretsmanager\")\n    response = client.get_secret_value(SecretId=\"prod/{word}\")\n    return json.loads(response[\"SecretString\"])\n",
            "session = boto3.Session(\n    aws_access_key_id=os.environ[\"AWS_ACCESS_KEY_ID\"],\n    aws_secret_access_key=os.environ[\"AWS_SECRET_ACCESS_KEY\"],\n    aws_session_token=os.environ.get(\"AWS_SESSION_TOKEN\"),\n)\n",
            "# TODO({user}): retry on throttling\nMAX_{NAME} = {n}\nDEFAULT_{NAME} = \"{word}\"\n",
            "def handler(event, context):\n    records = event.get(\"Records\", [])\n    logger.info(\"processing %d records\", len(records))\n    return {\"statusCode\": 200, \"body\": json.dumps({\"count\": len(records)})}\n",
        ],
        Ty::Js => &[
            "function {camel}(items, {camel}) {\n  return items.filter((item) => item.enabled).slice(0, {n});\n}\n",
            "const s3 = new S3Client({ region: process.env.AWS_REGION || '{region}' });\n",
            "async function read{Name}(key) {\n  const out = await s3.send(new GetObjectCommand({ Bucket: '{bucket}', Key: key }));\n  return out.Body.transformToString();\n}\n",
            "module.exports.{camel} = {\n  timeoutMs: {n}000,\n  retries: {n},\n  bucket: '{bucket}',\n};\n",
            "// {word} handler: see docs/{word}.md\napp.get('/api/{word}', async (req, res) => {\n  const data = await read{Name}(req.query.id);\n  res.json({ ok: true, data });\n});\n",
        ],
        Ty::Ts => &[
            "export function {camel}(items: string[], limit = {n}): string[] {\n  return items.filter((s) => s.length > 0).slice(0, limit);\n}\n",
            "const client = new S3Client({ region: process.env.AWS_REGION ?? \"{region}\" });\n",
            "export const handler: Handler = async (event) => {\n  await client.send(new PutObjectCommand({ Bucket: \"{bucket}\", Key: event.key, Body: event.body }));\n  return { statusCode: 200 };\n};\n",
            "export class {Name} {\n  constructor(private readonly options: {Name}Options) {}\n\n  key(id: string): string {\n    return `${this.options.prefix ?? \"{word}\"}/${id}.json`;\n  }\n}\n",
        ],
        Ty::Go => &[
            "func {camel}(ctx context.Context, ids []string) ([]string, error) {\n\tout := make([]string, 0, len(ids))\n\tfor _, id := range ids {\n\t\tout = append(out, fmt.Sprintf(\"{word}/%s\", id))\n\t}\n\treturn out, nil\n}\n",
            "func newS3Client(ctx context.Context) (*s3.Client, error) {\n\tcfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(os.Getenv(\"AWS_REGION\")))\n\tif err != nil {\n\t\treturn nil, fmt.Errorf(\"load aws config: %w\", err)\n\t}\n\treturn s3.NewFromConfig(cfg), nil\n}\n",
            "// {Name} holds the {word} settings.\ntype {Name} struct {\n\tBucket  string\n\tPrefix  string\n\tRetries int\n}\n",
            "const default{Name}Timeout = {n}\n",
        ],
        Ty::Java => &[
            "    public static List<String> {camel}(List<String> items) {\n        return items.stream().filter(s -> !s.isEmpty()).limit({n}).toList();\n    }\n",
            "    private final S3Client s3 = S3Client.builder().region(Region.of(System.getenv(\"AWS_REGION\"))).build();\n",
            "    @Override\n    public String toString() {\n        return \"{Name}{bucket=\" + bucket + \"}\";\n    }\n",
            "    private static final int MAX_{NAME} = {n};\n",
        ],
        Ty::Kt => &[
            "fun {camel}(items: List<String>): List<String> =\n    items.filter { it.isNotBlank() }.take({n})\n",
            "suspend fun list{Name}(bucket: String = \"{bucket}\") {\n    S3Client.fromEnvironment { region = \"{region}\" }.use { s3 ->\n        println(s3.listObjectsV2 { this.bucket = bucket }.contents?.size)\n    }\n}\n",
            "data class {Name}(val id: String, val count: Int = {n})\n",
        ],
        Ty::Cs => &[
            "        public IEnumerable<string> {Name}(IEnumerable<string> items)\n        {\n            foreach (var item in items)\n            {\n                if (!string.IsNullOrEmpty(item)) yield return item;\n            }\n        }\n",
            "        private readonly IAmazonS3 _s3 = new AmazonS3Client(Amazon.RegionEndpoint.GetBySystemName(\"{region}\"));\n",
            "        private const int Max{Name} = {n};\n",
        ],
        Ty::Rb => &[
            "def {name}(items)\n  items.select { |i| i[:{word}] }.first({n})\nend\n",
            "S3 = Aws::S3::Client.new(region: ENV.fetch('AWS_REGION', '{region}'))\n",
            "class {Name}\n  attr_reader :bucket\n\n  def initialize(bucket = '{bucket}')\n    @bucket = bucket\n  end\nend\n",
        ],
        Ty::Php => &[
            "function {camel}(array $items): array\n{\n    return array_slice(array_filter($items), 0, {n});\n}\n",
            "$s3 = new S3Client([\n    'version' => 'latest',\n    'region' => getenv('AWS_REGION') ?: '{region}',\n]);\n",
            "final class {Name}\n{\n    public function __construct(private string $bucket = '{bucket}') {}\n}\n",
        ],
        Ty::Rs => &[
            "fn {name}(items: &[String]) -> Vec<&String> {\n    items.iter().filter(|s| !s.is_empty()).take({n}).collect()\n}\n",
            "async fn client() -> Client {\n    let config = aws_config::load_from_env().await;\n    Client::new(&config)\n}\n",
            "const TIMEOUT: Duration = Duration::from_secs({n});\n",
            "#[derive(Debug, Clone)]\nstruct {Name} {\n    bucket: String,\n    retries: u32,\n}\n",
        ],
        Ty::C => &[
            "static int {name}(const char *path)\n{\n    FILE *f = fopen(path, \"r\");\n    if (!f)\n        return -1;\n    fclose(f);\n    return {n};\n}\n",
            "#define MAX_{NAME} {n}\n",
            "struct {name} {\n    const char *bucket;\n    int retries;\n};\n",
        ],
        Ty::Sh => &[
            "log() {\n  printf '%s %s\\n' \"$(date -u +%FT%TZ)\" \"$*\" >&2\n}\n",
            "upload() {\n  aws s3 cp \"$1\" \"s3://${BUCKET}/{word}/$(basename \"$1\")\" --region \"$REGION\"\n}\n",
            "if [[ -z \"${AWS_PROFILE:-}\" ]]; then\n  echo \"AWS_PROFILE is not set, using the default profile\" >&2\nfi\n",
            "main() {\n  log \"building {word}\"\n  make build\n  upload dist/{name}.zip\n}\n",
        ],
        Ty::Env => &[
            "DATABASE_URL=postgres://{word}:{word}@db:5432/{name}\nREDIS_URL=redis://cache:6379/0\n",
            "LOG_LEVEL=info\nFEATURE_{NAME}=true\n",
            "AWS_REGION={region}\nS3_BUCKET={bucket}\n",
        ],
        Ty::Ini => &[
            "[{section}]\nregion = {region}\noutput = json\n",
            "[profile {profile}]\nregion = {region}\nrole_arn = arn:aws:iam::{account}:role/{Name}\nsource_profile = default\n",
            "[metadata]\nname = {name}\nversion = {ver}\n",
        ],
        Ty::Yaml => &[
            "logging:\n  level: info\n  format: json\n",
            "{word}:\n  enabled: true\n  replicas: {n}\n  bucket: {bucket}\n",
            "jobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: make deploy\n",
            "provider:\n  name: aws\n  runtime: python3.12\n  region: {region}\n",
        ],
        Ty::Json | Ty::Lock => &[
            "\"name\": \"{name}\"",
            "\"version\": \"{ver}\"",
            "\"logging\": {\n  \"level\": \"info\",\n  \"format\": \"json\"\n}",
            "\"region\": \"{region}\"",
            "\"bucket\": \"{bucket}\"",
            "\"retries\": {n}",
            "\"features\": [\"{word}\", \"{word}\", \"{word}\"]",
        ],
        Ty::Toml => &[
            "[server]\nhost = \"0.0.0.0\"\nport = {port}\n",
            "[{word}]\nenabled = true\nretries = {n}\n",
            "[storage]\nbucket = \"{bucket}\"\nregion = \"{region}\"\n",
        ],
        Ty::Xml => &[
            "  <logging level=\"info\" format=\"json\" />",
            "  <{word}>\n    <enabled>true</enabled>\n    <retries>{n}</retries>\n  </{word}>",
            "  <property>\n    <name>fs.s3a.endpoint</name>\n    <value>s3.{region}.amazonaws.com</value>\n  </property>",
        ],
        Ty::Tf => &[
            "resource \"aws_s3_bucket\" \"{name}\" {\n  bucket = \"{bucket}\"\n\n  tags = {\n    Team = \"{word}\"\n  }\n}\n",
            "variable \"region\" {\n  type    = string\n  default = \"{region}\"\n}\n",
            "output \"{name}_arn\" {\n  value = aws_s3_bucket.{name}.arn\n}\n",
        ],
        Ty::Props => &[
            "logging.level.root=INFO\nlogging.level.com.acme={word}\n",
            "app.{word}.enabled=true\napp.{word}.retries={n}\n",
            "cloud.aws.region.static={region}\ncloud.aws.stack.auto=false\n",
        ],
        Ty::Md => &[
            "## Usage\n\nRun `make {word}` and then open http://localhost:{port}/.\n",
            "## Configuration\n\nThe service reads its AWS credentials from the environment or the instance role.\n",
            "```sh\naws s3 ls s3://{bucket}/{word}/ --region {region}\n```\n",
            "| Option | Default | Meaning |\n| --- | --- | --- |\n| `retries` | {n} | attempts before giving up |\n",
        ],
        Ty::Ps1 => &[
            "function Get-{Name} {\n    param([string]$Name)\n    Get-S3Object -BucketName $Bucket -KeyPrefix $Name -Region $Region\n}\n",
            "Write-Host \"Deploying {word} to $Bucket\"\n",
            "if (-not $env:AWS_PROFILE) {\n    Write-Warning \"AWS_PROFILE is not set\"\n}\n",
        ],
        Ty::Docker => &[
            "COPY . .\nRUN python -m compileall -q /app\n",
            "ENV PYTHONUNBUFFERED=1 \\\n    APP_PORT={port}\n",
            "RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n",
        ],
        Ty::Make => &[
            "build:\n\tgo build -o bin/$(APP) ./cmd/$(APP)\n",
            "test:\n\tgo test ./...\n",
            "deploy: build\n\taws s3 cp bin/$(APP) s3://{bucket}/releases/ --region $(REGION)\n",
        ],
        Ty::Html => &[
            "  <main>\n    <h1>{Name}</h1>\n    <p>Upload your {word} files below.</p>\n  </main>",
            "  <form id=\"upload\" action=\"/api/{word}\" method=\"post\">\n    <input type=\"file\" name=\"file\">\n    <button type=\"submit\">Upload</button>\n  </form>",
            "  <footer>&copy; 2025 {Word} Inc.</footer>",
        ],
        Ty::Sql => &[
            "CREATE TABLE IF NOT EXISTS {name} (\n    id BIGSERIAL PRIMARY KEY,\n    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),\n    payload JSONB\n);\n",
            "CREATE INDEX IF NOT EXISTS {name}_created_idx ON {name} (created_at);\n",
            "INSERT INTO app_settings (name, value) VALUES ('{name}', '{n}');\n",
        ],
        Ty::Txt => &[
            "{date} {time} INFO  starting {word} worker, region={region}\n{date} {time} INFO  connected to s3://{bucket}\n",
            "- ask {user} about the {word} migration\n- rotate keys every 90 days\n",
            "Bucket: {bucket}\nRegion: {region}\n",
        ],
        Ty::Reg => &[
            "\"AWS_DEFAULT_REGION\"=\"{region}\"",
            "\"AWS_PROFILE\"=\"{profile}\"",
            "\"{NAME}_HOME\"=\"C:\\\\{Word}\"",
        ],
        Ty::Csv | Ty::MinJs => &[],
    }
}

// ---------------------------------------------------------------------------------------
// Credential snippets. Tokens: {ID} any key ID, {IDK} AKIA, {IDA} ASIA; {SL} a secret
// counted as labelled, {S} as unlabelled (paired), {SJ} JSON-escaped, {SU} URL-encoded;
// {TL} a session token counted as labelled, {T} as unlabelled; {BRK} {BRKST} {MWS}
// {APPSYNC}.
// ---------------------------------------------------------------------------------------

/// Which types carry each plain family, weighted.
fn types_for(fam: Family) -> &'static [Ty] {
    use Ty::*;
    match fam {
        Family::KeyId => &[
            Py, Js, Ts, Go, Java, Kt, Cs, Rb, Php, Rs, C, Sh, Env, Ini, Yaml, Json, Toml, Xml, Tf, Props, Md, Ps1,
            Docker, Make, Html, Sql, Txt,
        ],
        Family::SecretLabelled => &[
            Py, Js, Ts, Go, Java, Kt, Cs, Rb, Php, Rs, C, Sh, Env, Ini, Yaml, Json, Toml, Xml, Tf, Props, Md, Ps1,
            Docker, Make, Html, Sql, Txt,
        ],
        Family::SecretPaired => &[
            Py, Js, Ts, Go, Java, Kt, Cs, Rb, Php, Rs, C, Sh, Env, Ini, Yaml, Json, Toml, Xml, Tf, Props, Md, Ps1, Csv,
            Csv, Csv, Docker, Make, Html, Sql, Txt,
        ],
        Family::SessionLabelled => {
            &[Py, Js, Ts, Go, Sh, Env, Ini, Yaml, Json, Json, Xml, Md, Docker, Ps1, Txt, Toml, Props]
        }
        Family::SessionPrefix => &[Py, Js, Ts, Go, Java, Kt, Cs, Rs, Tf, Json, Sh, Yaml, Md, Txt, Env],
        Family::BedrockLong | Family::BedrockShort => {
            &[Py, Js, Ts, Sh, Env, Yaml, Json, Md, Docker, Toml, Go, Ps1, Txt, Java, Props]
        }
        Family::Mws => &[Php, Py, Rb, Json, Yaml, Env, Props, Java, Cs, Xml, Ini, Txt],
        Family::AppSync => &[Js, Js, Ts, Ts, Json, Env, Yaml, Html, Py, Md, Kt],
        Family::JsonEscaped => &[Json, Json, Json, Json, Js, Php, Html, Txt],
        Family::UrlEncoded => &[Py, Js, Sh, Env, Yaml, Md, Props, Txt, Json, Docker, Ini, Toml, Xml, Html],
        Family::Utf16 | Family::Notebook | Family::Minified => &[],
    }
}

/// The lines of one snippet of `fam` in `ty`, values planted.
fn family_block(b: &mut B, ty: Ty, fam: Family) -> Vec<String> {
    let templates = match fam {
        Family::KeyId => key_id_templates(b.g, ty),
        Family::SecretLabelled => secret_templates(b.g, ty),
        Family::SecretPaired => paired_templates(b.g, ty),
        Family::SessionLabelled => session_templates(b.g, ty),
        Family::SessionPrefix => prefix_templates(b.g, ty),
        Family::BedrockLong => simple_templates(b.g, ty, Lk::Bedrock, "{BRK}"),
        Family::BedrockShort => simple_templates(b.g, ty, Lk::Bedrock, "{BRKST}"),
        Family::Mws => simple_templates(b.g, ty, Lk::Mws, "{MWS}"),
        Family::AppSync => simple_templates(b.g, ty, Lk::AppSync, "{APPSYNC}"),
        Family::JsonEscaped => json_escaped_templates(b.g, ty),
        Family::UrlEncoded => url_templates(b.g, ty),
        Family::Utf16 | Family::Notebook | Family::Minified => unreachable!("file-level families"),
    };
    b.inst_lines(&templates)
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn key_id_templates(g: &mut G, ty: Ty) -> Vec<String> {
    if g.chance(0.3) {
        let url = g.pick(&[
            "https://{bucket}.s3.amazonaws.com/{word}/{name}.csv?AWSAccessKeyId={ID}&Expires=17{digits:8}&Signature={alnum:27}%3D",
            "https://{bucket}.s3.{region}.amazonaws.com/{name}.zip?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={ID}%2F20250101%2F{region}%2Fs3%2Faws4_request&X-Amz-Date=20250101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature={hex:64}",
        ]);
        match ty {
            Ty::Sh => return vec![format!("curl -fsSL \"{url}\" -o /tmp/{{name}}.zip")],
            Ty::Md | Ty::Txt if g.chance(0.5) => {
                return strings(&[
                    "{date} {time} DEBUG sending request",
                    "Authorization: AWS4-HMAC-SHA256 Credential={ID}/20250101/{region}/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={hex:64}",
                ]);
            }
            Ty::Xml | Ty::Html => return labelled(g, ty, &[(Lk::Url, &url.replace('&', "&amp;"))]),
            _ => return labelled(g, ty, &[(Lk::Url, url)]),
        }
    }
    if g.chance(0.4) {
        labelled(g, ty, &[(Lk::Region, "{region}"), (Lk::Id, "{ID}")])
    } else {
        labelled(g, ty, &[(Lk::Id, "{ID}")])
    }
}

fn secret_templates(g: &mut G, ty: Ty) -> Vec<String> {
    // The label is on the line before the value: Kubernetes env lists, ECS task
    // definitions, Hadoop properties, Terraform variable defaults, console copy-paste.
    if g.chance(0.15) {
        let with_id = g.chance(0.5);
        let t: Option<&[&str]> = match (ty, with_id) {
            (Ty::Yaml, true) => Some(&[
                "containers:\n  - name: {word}\n    image: {word}:{ver}\n    env:",
                "      - name: AWS_ACCESS_KEY_ID",
                "        value: {ID}",
                "      - name: AWS_SECRET_ACCESS_KEY",
                "        value: \"{SL}\"",
            ]),
            (Ty::Yaml, false) => Some(&[
                "containers:\n  - name: {word}\n    image: {word}:{ver}\n    env:",
                "      - name: AWS_REGION",
                "        value: {region}",
                "      - name: AWS_SECRET_ACCESS_KEY",
                "        value: \"{SL}\"",
            ]),
            (Ty::Json, true) => Some(&[
                "\"environment\": [",
                "  {",
                "    \"name\": \"AWS_ACCESS_KEY_ID\",",
                "    \"value\": \"{ID}\"",
                "  },",
                "  {",
                "    \"name\": \"AWS_SECRET_ACCESS_KEY\",",
                "    \"value\": \"{SL}\"",
                "  }",
                "]",
            ]),
            (Ty::Json, false) => Some(&[
                "\"environment\": [",
                "  {",
                "    \"name\": \"AWS_SECRET_ACCESS_KEY\",",
                "    \"value\": \"{SL}\"",
                "  }",
                "]",
            ]),
            (Ty::Xml, true) => Some(&[
                "  <property>",
                "    <name>fs.s3a.access.key</name>",
                "    <value>{ID}</value>",
                "  </property>",
                "  <property>",
                "    <name>fs.s3a.secret.key</name>",
                "    <value>{SL}</value>",
                "  </property>",
            ]),
            (Ty::Tf, true) => Some(&[
                "variable \"aws_access_key\" {",
                "  default = \"{ID}\"",
                "}",
                "variable \"aws_secret_key\" {",
                "  description = \"AWS secret key\"",
                "  default     = \"{SL}\"",
                "}",
            ]),
            (Ty::Tf, false) => Some(&[
                "variable \"aws_secret_key\" {",
                "  description = \"AWS secret key\"",
                "  default     = \"{SL}\"",
                "}",
            ]),
            (Ty::Txt | Ty::Md, _) => Some(&["Access key ID", "{ID}", "", "Secret access key", "{SL}"]),
            _ => None,
        };
        if let Some(t) = t {
            return strings(t);
        }
    }
    if g.chance(0.2) {
        let specials: &[&str] = match ty {
            Ty::Py => &[
                "s3 = boto3.client(\"s3\", aws_access_key_id=\"{ID}\", aws_secret_access_key=\"{SL}\")",
                "session = boto3.Session(\n    aws_access_key_id=\"{ID}\",\n    aws_secret_access_key=\"{SL}\",\n    region_name=\"{region}\",\n)",
            ],
            Ty::Js | Ty::Ts => &[
                "const s3 = new S3Client({ region: \"{region}\", credentials: { accessKeyId: \"{ID}\", secretAccessKey: \"{SL}\" } });",
                "const client = new S3Client({\n  region: '{region}',\n  credentials: {\n    accessKeyId: '{ID}',\n    secretAccessKey: '{SL}',\n  },\n});",
            ],
            Ty::Go => {
                &["var creds = aws.Credentials{AccessKeyID: \"{ID}\", SecretAccessKey: \"{SL}\", Source: \"static\"}"]
            }
            Ty::Rs => &[
                "fn creds() -> Credentials {\n    Credentials::builder()\n        .access_key_id(\"{ID}\")\n        .secret_access_key(\"{SL}\")\n        .provider_name(\"static\")\n        .build()\n}",
            ],
            Ty::Java => &[
                "    private static final AwsCredentials CREDS = AwsBasicCredentials.builder().accessKeyId(\"{ID}\").secretAccessKey(\"{SL}\").build();",
            ],
            Ty::Sh => &[
                "aws configure set aws_access_key_id {ID}\naws configure set aws_secret_access_key {SL}\naws configure set region {region}",
                "aws configure set aws_secret_access_key \"{SL}\" --profile {profile}",
            ],
            Ty::Docker => &[
                "RUN aws configure set aws_access_key_id {ID} && \\\n    aws configure set aws_secret_access_key {SL}",
            ],
            Ty::Ps1 => &[
                "Set-AWSCredential -AccessKey {ID} -SecretKey {SL} -StoreAs {profile}",
                "Initialize-AWSDefaultConfiguration -AccessKey \"{ID}\" -SecretKey \"{SL}\" -Region {region}",
            ],
            Ty::Sql => &[
                "COPY {name} FROM 's3://{bucket}/{word}/'\nCREDENTIALS 'aws_access_key_id={ID};aws_secret_access_key={SL}'\nFORMAT AS PARQUET;",
                "CREATE STAGE {name}_stage\n  URL = 's3://{bucket}/{word}/'\n  CREDENTIALS = (AWS_KEY_ID = '{ID}' AWS_SECRET_KEY = '{SL}');",
                "COPY INTO {name} FROM 's3://{bucket}/' CREDENTIALS=(AWS_KEY_ID='{ID}' AWS_SECRET_KEY='{SL}') FILE_FORMAT=(TYPE=CSV);",
            ],
            Ty::Tf => &[
                "provider \"aws\" {\n  region     = \"{region}\"\n  access_key = \"{ID}\"\n  secret_key = \"{SL}\"\n}",
            ],
            Ty::Md | Ty::Txt => &[
                "AWS Access Key ID: {ID}\nAWS Secret Access Key: {SL}",
                "Here are the keys for the {word} bucket: access key `{ID}`, secret `{SL}`.",
            ],
            Ty::Html => &[
                "<script>\n  AWS.config.update({ accessKeyId: '{ID}', secretAccessKey: '{SL}', region: '{region}' });\n</script>",
            ],
            Ty::Ini => &["[{profile}]\naws_access_key_id = {ID}\naws_secret_access_key = {SL}\nregion = {region}"],
            _ => &[],
        };
        if !specials.is_empty() {
            return vec![g.pick(specials).to_string()];
        }
    }
    if g.chance(0.5) {
        // With the key ID next to it; some names are generic (`secret_key`), AWS being named
        // by the key ID or the block around it.
        let lk = if g.chance(0.3) { Lk::SecretGeneric } else { Lk::Secret };
        if ty == Ty::Ini {
            return strings(&["[{profile}]", "aws_access_key_id = {ID}", "aws_secret_access_key = {SL}"]);
        }
        labelled(g, ty, &[(Lk::Id, "{ID}"), (lk, "{SL}")])
    } else if ty == Ty::Ini {
        strings(&["[{profile}]", "region = {region}", "aws_secret_access_key = {SL}"])
    } else if g.chance(0.3) {
        labelled(g, ty, &[(Lk::Region, "{region}"), (Lk::Secret, "{SL}")])
    } else {
        labelled(g, ty, &[(Lk::Secret, "{SL}")])
    }
}

fn paired_templates(g: &mut G, ty: Ty) -> Vec<String> {
    let forms: &[&str] = match ty {
        Ty::Py => &[
            "session = boto3.Session(\"{ID}\", \"{S}\")",
            "CREDENTIALS = (\"{ID}\", \"{S}\")",
            "KEYS = [\n    \"{ID}\",\n    \"{S}\",\n]",
            "ACCESS = \"{ID}\"\nPASSWORD = \"{S}\"",
        ],
        Ty::Js => &[
            "AWS.config.credentials = new AWS.Credentials(\"{ID}\", \"{S}\");",
            "const creds = ['{ID}', '{S}'];",
            "const [keyId, key] = [\"{ID}\", \"{S}\"];",
        ],
        Ty::Ts => &[
            "const creds: [string, string] = [\"{ID}\", \"{S}\"];",
            "const credentials = new Credentials(\"{ID}\", \"{S}\");",
        ],
        Ty::Go => &[
            "var provider = credentials.NewStaticCredentialsProvider(\"{ID}\", \"{S}\", \"\")",
            "func newSession() *session.Session {\n\treturn session.Must(session.NewSession(&aws.Config{\n\t\tCredentials: credentials.NewStaticCredentials(\"{ID}\", \"{S}\", \"\"),\n\t}))\n}",
        ],
        Ty::Java => &[
            "    private static final AwsBasicCredentials CREDS = AwsBasicCredentials.create(\"{ID}\", \"{S}\");",
            "    private final AWSCredentials credentials = new BasicAWSCredentials(\"{ID}\", \"{S}\");",
        ],
        Ty::Kt => &[
            "val provider = StaticCredentialsProvider.create(AwsBasicCredentials.create(\"{ID}\", \"{S}\"))",
            "val credentials = BasicAWSCredentials(\n    \"{ID}\",\n    \"{S}\",\n)",
        ],
        Ty::Cs => {
            &["        private static readonly AWSCredentials Creds = new BasicAWSCredentials(\"{ID}\", \"{S}\");"]
        }
        Ty::Rb => &[
            "Aws.config[:credentials] = Aws::Credentials.new('{ID}', '{S}')",
            "CREDS = Aws::Credentials.new(\n  '{ID}',\n  '{S}'\n)",
        ],
        Ty::Php => &[
            "$credentials = new Aws\\Credentials\\Credentials('{ID}', '{S}');",
            "$provider = CredentialProvider::fromCredentials(new Credentials('{ID}', '{S}'));",
        ],
        Ty::Rs => &[
            "fn credentials() -> Credentials {\n    Credentials::new(\"{ID}\", \"{S}\", None, None, \"static\")\n}",
            "fn credentials() -> Credentials {\n    Credentials::from_keys(\"{ID}\", \"{S}\", None)\n}",
        ],
        Ty::C => &[
            "static const char *const aws_keys[2] = {\"{ID}\", \"{S}\"};",
            "#define KEY_ID \"{ID}\"\n#define KEY \"{S}\"",
        ],
        Ty::Sh => &[
            "printf '%s\\n%s\\n{region}\\njson\\n' \"{ID}\" \"{S}\" | aws configure",
            "echo \"{ID}:{S}\" > \"$HOME/.passwd-s3fs\"\nchmod 600 \"$HOME/.passwd-s3fs\"",
            "printf \"{ID}\\n{S}\\n{region}\\njson\\n\" | aws configure --profile {profile}",
            "KEYS=({ID} {S})",
        ],
        Ty::Env => &["S3FS_CREDENTIALS={ID}:{S}", "AWS_CREDS={ID},{S}"],
        Ty::Ini => &["[s3fs]\ncredentials = {ID}:{S}", "[{section}]\nkey = {ID}\npass = {S}"],
        Ty::Yaml => &[
            "credentials: [{ID}, {S}]",
            "aws_keys:\n  - {ID}\n  - {S}",
            "{section}:\n  key: {ID}\n  password: \"{S}\"",
        ],
        Ty::Json => &[
            "\"credentials\": [\"{ID}\", \"{S}\"]",
            "\"auth\": \"{ID}:{S}\"",
            "\"s3\": {\n  \"key\": \"{ID}\",\n  \"pass\": \"{S}\"\n}",
        ],
        Ty::Toml => &["credentials = [\"{ID}\", \"{S}\"]", "[{section}]\nkey = \"{ID}\"\npassword = \"{S}\""],
        Ty::Xml => &["  <credentials>{ID}:{S}</credentials>", "  <s3 key=\"{ID}\" password=\"{S}\" />"],
        Ty::Tf => &["locals {\n  keys = [\"{ID}\", \"{S}\"]\n}"],
        Ty::Props => &["s3.auth={ID}:{S}", "storage.credentials={ID},{S}"],
        Ty::Md => &[
            "| Access key ID | Secret access key |\n| --- | --- |\n| `{ID}` | `{S}` |",
            "```\n{ID}\n{S}\n```",
            "Keys for the {word} bucket:\n\n    {ID}\n    {S}",
        ],
        Ty::Ps1 => &["$creds = New-Object Amazon.Runtime.BasicAWSCredentials(\"{ID}\", \"{S}\")"],
        Ty::Docker => &["RUN echo \"{ID}:{S}\" > /etc/passwd-s3fs && chmod 600 /etc/passwd-s3fs"],
        Ty::Make => &["S3FS_CREDS = {ID}:{S}", "CREDS := {ID} {S}"],
        Ty::Html => &["<script>AWS.config.credentials = new AWS.Credentials('{ID}', '{S}');</script>"],
        Ty::Sql => &["INSERT INTO api_keys (owner, key_id, key_value) VALUES ('{user}', '{ID}', '{S}');"],
        Ty::Txt => &["{ID}\n{S}", "{ID} {S}", "key: {ID}\npass: {S}", "{user}  {ID}  {S}"],
        Ty::Csv => &[],
        _ => &["{ID} {S}"],
    };
    g.pick(forms).split('\n').map(str::to_string).collect()
}

fn session_templates(g: &mut G, ty: Ty) -> Vec<String> {
    if g.chance(0.35) {
        let specials: &[&str] = match ty {
            Ty::Json => &[
                "\"Credentials\": {\n  \"AccessKeyId\": \"{IDA}\",\n  \"SecretAccessKey\": \"{SL}\",\n  \"SessionToken\": \"{TL}\",\n  \"Expiration\": \"{date}T{time}+00:00\"\n}",
            ],
            Ty::Xml => &[
                "  <AssumeRoleResult>\n    <Credentials>\n      <AccessKeyId>{IDA}</AccessKeyId>\n      <SecretAccessKey>{SL}</SecretAccessKey>\n      <SessionToken>{TL}</SessionToken>\n      <Expiration>{date}T{time}Z</Expiration>\n    </Credentials>\n  </AssumeRoleResult>",
            ],
            Ty::Sh => &[
                "curl -s \"https://{host}/upload\" -H \"X-Amz-Security-Token: {TL}\" -H \"X-Amz-Date: 20250101T000000Z\"",
                "export AWS_ACCESS_KEY_ID={IDA}\nexport AWS_SECRET_ACCESS_KEY={SL}\nexport AWS_SESSION_TOKEN={TL}",
            ],
            Ty::Md | Ty::Txt => &[
                "```http\nPUT /{name}.json HTTP/1.1\nHost: {bucket}.s3.amazonaws.com\nX-Amz-Security-Token: {TL}\n```",
            ],
            Ty::Py => &[
                "s3 = boto3.client(\n    \"s3\",\n    aws_access_key_id=\"{IDA}\",\n    aws_secret_access_key=\"{SL}\",\n    aws_session_token=\"{TL}\",\n)",
            ],
            Ty::Ini => {
                &["[{profile}]\naws_access_key_id = {IDA}\naws_secret_access_key = {SL}\naws_session_token = {TL}"]
            }
            Ty::Js | Ty::Ts => {
                &["const creds = { accessKeyId: \"{IDA}\", secretAccessKey: \"{SL}\", sessionToken: \"{TL}\" };"]
            }
            _ => &[],
        };
        if !specials.is_empty() {
            return vec![g.pick(specials).to_string()];
        }
    }
    if ty == Ty::Ini {
        return strings(&["[{profile}]", "aws_session_token = {TL}"]);
    }
    if g.chance(0.5) {
        let token = if g.chance(0.4) { Lk::TokenGeneric } else { Lk::Token };
        labelled(g, ty, &[(Lk::Id, "{IDA}"), (Lk::Secret, "{SL}"), (token, "{TL}")])
    } else {
        labelled(g, ty, &[(Lk::Token, "{TL}")])
    }
}

fn prefix_templates(g: &mut G, ty: Ty) -> Vec<String> {
    let forms: &[&str] = match ty {
        Ty::Py => &["creds = Credentials(\"{IDA}\", \"{S}\", \"{T}\")", "TOKEN = \"{T}\""],
        Ty::Js | Ty::Ts => {
            &["AWS.config.credentials = new AWS.Credentials(\"{IDA}\", \"{S}\", \"{T}\");", "const token = '{T}';"]
        }
        Ty::Go => &["var provider = credentials.NewStaticCredentialsProvider(\"{IDA}\", \"{S}\", \"{T}\")"],
        Ty::Java => &[
            "    private static final AwsSessionCredentials CREDS = AwsSessionCredentials.create(\"{IDA}\", \"{S}\", \"{T}\");",
        ],
        Ty::Kt => &["val creds = AwsSessionCredentials.create(\"{IDA}\", \"{S}\", \"{T}\")"],
        Ty::Cs => &[
            "        private static readonly AWSCredentials Creds = new SessionAWSCredentials(\"{IDA}\", \"{S}\", \"{T}\");",
        ],
        Ty::Rs => &[
            "fn credentials() -> Credentials {\n    Credentials::new(\"{IDA}\", \"{S}\", Some(\"{T}\".to_string()), None, \"sts\")\n}",
        ],
        Ty::Tf => &[
            "provider \"aws\" {\n  region     = \"{region}\"\n  access_key = \"{IDA}\"\n  secret_key = \"{SL}\"\n  token      = \"{T}\"\n}",
        ],
        Ty::Json => &[
            "\"AccessKeyId\": \"{IDA}\",\n\"Expiration\": \"{date}T{time}Z\",\n\"RoleArn\": \"arn:aws:iam::{account}:role/{Name}\",\n\"SecretAccessKey\": \"{SL}\",\n\"Token\": \"{T}\"",
            "\"token\": \"{T}\"",
        ],
        Ty::Sh => &["TOKEN='{T}'", "aws_creds=({IDA} {S} {T})"],
        Ty::Yaml => &["token: {T}", "{section}:\n  token: \"{T}\""],
        Ty::Md | Ty::Txt => &["```\n{T}\n```", "token: {T}"],
        Ty::Env => &["TOKEN={T}", "STS_TOKEN=\"{T}\""],
        _ => &[],
    };
    if forms.is_empty() || g.chance(0.25) {
        return labelled(g, ty, &[(Lk::TokenPlain, "{T}")]);
    }
    g.pick(forms).split('\n').map(str::to_string).collect()
}

fn simple_templates(g: &mut G, ty: Ty, lk: Lk, tok: &str) -> Vec<String> {
    if g.chance(0.25) {
        let special: Option<String> = match (lk, ty) {
            (Lk::Bedrock, Ty::Py) => Some(format!(
                "headers = {{\"Authorization\": \"Bearer {tok}\", \"Content-Type\": \"application/json\"}}"
            )),
            (Lk::Bedrock, Ty::Sh) => Some(format!(
                "curl -s -X POST \"https://bedrock-runtime.{{region}}.amazonaws.com/model/anthropic.claude-3-haiku/converse\" \\\n  -H \"Authorization: Bearer {tok}\" \\\n  -d @request.json"
            )),
            (Lk::Bedrock, Ty::Js | Ty::Ts) => Some(format!("const headers = {{ Authorization: `Bearer {tok}` }};")),
            (Lk::Mws, Ty::Php) => Some(format!(
                "$client = new MarketplaceWebService_Client($key, $secret, $config, 'App', '1.0');\n$request->setMWSAuthToken('{tok}');"
            )),
            (Lk::Mws, Ty::Txt | Ty::Md) => Some(format!("Seller ID: A{{b32:13}}\nMWS Auth Token: {tok}")),
            (Lk::Mws, _) => Some(format!(
                "\"https://mws.amazonservices.com/Orders/2013-09-01?AWSAccessKeyId=AKIAIOSFODNN7{{}}EXAMPLE&Action=ListOrders&MWSAuthToken={tok}&SellerId=A{{b32:13}}\""
            )),
            (Lk::AppSync, Ty::Js | Ty::Ts) => Some(format!(
                "const awsmobile = {{\n  aws_project_region: \"{{region}}\",\n  aws_appsync_graphqlEndpoint: \"https://{{lower36:26}}.appsync-api.{{region}}.amazonaws.com/graphql\",\n  aws_appsync_region: \"{{region}}\",\n  aws_appsync_authenticationType: \"API_KEY\",\n  aws_appsync_apiKey: \"{tok}\",\n}};"
            )),
            (Lk::AppSync, Ty::Json) => Some(format!(
                "\"api\": {{\n  \"plugins\": {{\n    \"awsAPIPlugin\": {{\n      \"{{word}}\": {{\n        \"endpointType\": \"GraphQL\",\n        \"region\": \"{{region}}\",\n        \"authorizationType\": \"API_KEY\",\n        \"apiKey\": \"{tok}\"\n      }}\n    }}\n  }}\n}}"
            )),
            (Lk::AppSync, Ty::Sh | Ty::Md) => Some(format!(
                "curl -s https://{{lower36:26}}.appsync-api.{{region}}.amazonaws.com/graphql -H \"x-api-key: {tok}\" -d '{{\"query\":\"{{ list{{Name}}s {{ items {{ id }} }} }}\"}}'"
            )),
            _ => None,
        };
        if let Some(s) = special {
            // MWS URLs: the documentation key ID in them is deliberate and must pass.
            if lk == Lk::Mws && s.starts_with('"') {
                return labelled(g, ty, &[(Lk::Url, s.trim_matches('"'))]);
            }
            return vec![s];
        }
    }
    labelled(g, ty, &[(lk, tok)])
}

fn json_escaped_templates(g: &mut G, ty: Ty) -> Vec<String> {
    match ty {
        Ty::Json => {
            let forms: &[&str] = &[
                "\"aws\": {\n  \"accessKeyId\": \"{ID}\",\n  \"secretAccessKey\": \"{SJ}\",\n  \"region\": \"{region}\"\n}",
                "\"credentials\": {\"AccessKeyId\":\"{ID}\",\"SecretAccessKey\":\"{SJ}\"}",
                "\"s3\": {\n  \"key\": \"{ID}\",\n  \"secret\": \"{SJ}\",\n  \"bucket\": \"{bucket}\"\n}",
                "\"aws_secret_access_key\": \"{SJ}\"",
                "\"AWS_SECRET_ACCESS_KEY\": \"{SJ}\"",
                "\"keys\": [\"{ID}\",\"{SJ}\"]",
            ];
            g.pick(forms).split('\n').map(str::to_string).collect()
        }
        Ty::Js => vec![g.pick(&["const creds = JSON.parse('{\"accessKeyId\":\"{ID}\",\"secretAccessKey\":\"{SJ}\"}');", "const payload = '{\"aws_secret_access_key\":\"{SJ}\"}';"]).to_string()],
        Ty::Php => vec!["$json = '{\"key\":\"{ID}\",\"secret\":\"{SJ}\",\"region\":\"{region}\"}';".to_string()],
        Ty::Html => vec!["<script type=\"application/json\" id=\"config\">{\"region\":\"{region}\",\"accessKeyId\":\"{ID}\",\"secretAccessKey\":\"{SJ}\"}</script>".to_string()],
        _ => vec!["{date}T{time}Z DEBUG credentials response: {\"AccessKeyId\":\"{ID}\",\"SecretAccessKey\":\"{SJ}\",\"Expiration\":\"{date}T{time}Z\"}".to_string()],
    }
}

fn url_templates(g: &mut G, ty: Ty) -> Vec<String> {
    let url = g.pick(&[
        "https://{host}/v1/upload?aws_access_key_id={ID}&aws_secret_access_key={SU}&region={region}",
        "https://{host}/sync?AWSAccessKeyId={ID}&AWSSecretAccessKey={SU}&Bucket={bucket}",
        "https://{host}/connect?accessKey={ID}&secretKey={SU}&bucket={bucket}",
        "https://{host}/hooks/{word}?secret_access_key={SU}&user={user}",
        "s3a://{ID}:{SU}@{bucket}/warehouse/",
        "aws://{ID}:{SU}@/?region_name={region}",
        "Action=UpdateCredentials&AccessKeyId={ID}&SecretAccessKey={SU}&Version=2011-06-15",
    ]);
    let url = if matches!(ty, Ty::Xml | Ty::Html) { url.replace('&', "&amp;") } else { url.to_string() };
    match ty {
        Ty::Sh if !url.contains("://") || g.chance(0.5) => {
            if url.starts_with("Action") {
                vec![format!("curl -s -X POST -d '{url}' https://{{host}}/")]
            } else {
                vec![format!("curl -fsS \"{url}\"")]
            }
        }
        Ty::Md if g.chance(0.5) => vec![format!("Test it with <{url}>.")],
        Ty::Env if url.starts_with("aws://") => vec![format!("AIRFLOW_CONN_AWS_DEFAULT={url}")],
        _ => labelled(g, ty, &[(Lk::Url, &url)]),
    }
}

// ---------------------------------------------------------------------------------------
// Near-misses: lines that look like credentials and are not
// ---------------------------------------------------------------------------------------

const NEAR_WEIGHTS: &[(u32, Cat)] = &[
    (10, Cat::DocExample),
    (10, Cat::Placeholder),
    (10, Cat::VarRef),
    (6, Cat::Arn),
    (5, Cat::AccountId),
    (6, Cat::IamUniqueId),
    (4, Cat::PrefixWord),
    (6, Cat::HexSha),
    (3, Cat::SriHash),
    (5, Cat::Uuid),
    (5, Cat::Base64Blob),
    (6, Cat::Random40),
    (3, Cat::WebSession),
    (2, Cat::ScannerPattern),
    (3, Cat::OtherSecretNearAws),
];

/// A word of exactly `n` uppercase letters made of real words (`PACIFICSALESTEAM`).
fn prefix_word(g: &mut G, n: usize) -> String {
    const PARTS: &[&str] = &[
        "PACIFIC",
        "SOUTH",
        "EAST",
        "NORTH",
        "WEST",
        "CENTRAL",
        "SALES",
        "TEAM",
        "REGION",
        "MARKET",
        "MARKETS",
        "OFFICE",
        "HUB",
        "ZONE",
        "TRADE",
        "GROUP",
        "PARTNERS",
        "OPS",
        "DATA",
        "CLOUD",
        "SUPPORT",
        "LOGISTICS",
        "STRATEGY",
        "MINOR",
        "TOUR",
        "TRAVEL",
        "FUND",
        "EQUITY",
        "BOND",
        "INDEX",
        "QUALIFIED",
        "MEMBERS",
        "EXAMS",
    ];
    for _ in 0..200 {
        let mut s = String::new();
        let mut last = "";
        while s.len() < n {
            let part = g.pick(PARTS);
            if part != last {
                s.push_str(part);
                last = part;
            }
        }
        if s.len() == n {
            return s;
        }
    }
    "PACIFICSALESTEAM".to_string()
}

/// Lines of one near-miss of `cat` in `ty`, as near markers.
fn near_block(b: &mut B, ty: Ty, cat: Cat) -> Vec<String> {
    let g = &mut *b.g;
    let lines: Vec<String> = match cat {
        Cat::DocExample => {
            let (id, secret) = g.pick(&[
                ("AKIA{}IOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCY{}EXAMPLEKEY"),
                ("AKIAI44QH8DHB{}EXAMPLE", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvb{}EXAMPLEKEY"),
                ("ASIAIOSFODNN7{}EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCY{}EXAMPLEKEY"),
            ]);
            match g.below(5) {
                0 | 1 => labelled(g, ty, &[(Lk::Id, id), (Lk::Secret, secret)]),
                2 => labelled(g, ty, &[(Lk::Id, id)]),
                3 => {
                    let token = g.pick(&["AQoDYXdzEPT//////////wEXAMPLE{b64:300}", "AQoEXAMPLEH4aoAH0gNCAPy{b64:300}"]);
                    labelled(g, ty, &[(Lk::Token, token)])
                }
                _ => {
                    let t = format!(
                        "https://{{bucket}}.s3.amazonaws.com/{{name}}.zip?AWSAccessKeyId={id}&Expires=17{{digits:8}}&Signature={{alnum:27}}%3D"
                    );
                    labelled(g, ty, &[(Lk::Url, &t)])
                }
            }
        }
        Cat::Placeholder => {
            let (lk, v) = g.pick(&[
                (Lk::Id, "AKIA{rep:X:16}"),
                (Lk::Id, "AKIA****************"),
                (Lk::Id, "<YOUR_ACCESS_KEY_ID>"),
                (Lk::Id, "AKIA{rep:x:16}"),
                (Lk::Id, "ASIA{rep:X:16}"),
                (Lk::Id, "AKIA{rep:0:16}"),
                (Lk::Id, "AKIA..."),
                (Lk::Id, "AKIA{}1234567890ABCDEF"),
                (Lk::Id, "AKIA{}ABCDEFGHIJKLMNOP"),
                (Lk::Secret, "{rep:x:40}"),
                (Lk::Secret, "{rep:X:40}"),
                (Lk::Secret, "{rep:*:40}"),
                (Lk::Secret, "<YOUR_SECRET_ACCESS_KEY>"),
                (Lk::Secret, "your-secret-here"),
                (Lk::Secret, "REDACTED"),
                (Lk::Secret, "changeme"),
                (Lk::Secret, "********"),
                (Lk::Secret, "YOUR_AWS_SECRET_ACCESS_KEY_GOES_HERE"),
                (Lk::Secret, "abcdefghijklmnopqrstuvwxyz{}0123456789ABCD"),
                (Lk::Secret, "0123456789abcdefghij{}ABCDEFGHIJ0123456789"),
                (Lk::Token, "<YOUR_SESSION_TOKEN>"),
                (Lk::Token, "your-session-token-here"),
                (Lk::Token, "{rep:x:64}"),
                (Lk::Token, "IQoJb3JpZ2luX2Vj..."),
                (Lk::Bedrock, "ABSKQmVkcm9ja0FQSUtleS1EXAMPLE{b64:80}"),
                (Lk::Bedrock, "<YOUR_BEDROCK_API_KEY>"),
                (Lk::Mws, "amzn.mws.{rep:0:8}-0000-0000-0000-{rep:0:12}"),
                (Lk::Mws, "amzn.mws.xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"),
                (Lk::AppSync, "da2-{rep:x:26}"),
                (Lk::AppSync, "da2-xxxxxxxxxxxxxxxxxxxxxxxxxx"),
            ]);
            labelled(g, ty, &[(lk, v)])
        }
        Cat::VarRef => vec![var_ref(g, ty)],
        Cat::Arn => {
            let v = g.pick(&[
                "arn:aws:iam::{account}:user/{name}",
                "arn:aws:iam::{account}:role/{Name}Role",
                "arn:aws:sts::{account}:assumed-role/{Name}/{name}-session",
                "arn:aws:secretsmanager:{region}:{account}:secret:prod/{word}/aws-credentials-{alnum:6}",
                "arn:aws:kms:{region}:{account}:key/{uuid}",
                "arn:aws:s3:::{bucket}/*",
                "arn:aws:lambda:{region}:{account}:function:{name}",
            ]);
            labelled(g, ty, &[(Lk::Arn, v)])
        }
        Cat::AccountId => {
            let v = g.pick(&["{account}", "{account}.dkr.ecr.{region}.amazonaws.com/{word}:latest"]);
            labelled(g, ty, &[(Lk::Account, v)])
        }
        Cat::IamUniqueId => {
            let v = g.pick(&[
                "AIDA{b32:16}",
                "AROA{b32:16}",
                "AROA{b32:16}:{name}-session",
                "AGPA{b32:16}",
                "ANPA{b32:16}",
                "AIPA{b32:16}",
                "ANVA{b32:16}",
                "APKA{b32:16}",
            ]);
            labelled(g, ty, &[(Lk::UniqueId, v)])
        }
        Cat::PrefixWord => {
            let prefix = g.pick(&["ASIA", "ASIA", "ASIA", "ACCA"]);
            let word = format!("{prefix}{}", prefix_word(g, 16));
            match g.below(3) {
                0 => labelled(g, ty, &[(Lk::Region, &word)]),
                1 => comment(ty, &format!("routing: REGION_{word} handles {{word}} traffic")),
                _ => vec![g.pick(&["primer = \"ACCA{dna:16}\"", "SEQ = 'ACCA{dna:16}'"]).to_string()],
            }
        }
        Cat::HexSha => {
            let t = g.pick(&[
                "uses: aws-actions/configure-aws-credentials@{hex:40} # v4",
                "source = \"git::https://github.com/terraform-aws-modules/terraform-aws-vpc.git?ref={hex:40}\"",
                "aws-sdk-go-v2 pinned at {hex:40}",
                "aws secret rotated in commit {hex:40}",
                "aws_secret_access_key rotated, see commit {HEX:40}",
            ]);
            match g.below(3) {
                0 => comment(ty, t),
                1 => labelled(g, ty, &[(Lk::Sha, "{hex:40}")]),
                _ => {
                    let hex = g.pick(&["{hex:40}", "{HEX:40}"]);
                    labelled(g, ty, &[(Lk::Secret, hex)])
                }
            }
        }
        Cat::SriHash => {
            if ty == Ty::Html {
                vec!["<script src=\"https://sdk.amazonaws.com/js/aws-sdk-2.{digits:4}.0.min.js\" integrity=\"sha384-{b64:64}\" crossorigin=\"anonymous\"></script>".into()]
            } else {
                labelled(g, ty, &[(Lk::Blob, "sha512-{b64:86}==")])
            }
        }
        Cat::Uuid => labelled(g, ty, &[(Lk::Uuid, "{uuid}")]),
        Cat::Base64Blob => match g.below(3) {
            0 => labelled(g, ty, &[(Lk::Blob, "data:image/png;base64,iVBORw0KGgo{b64:600}==")]),
            1 => labelled(g, ty, &[(Lk::Blob, "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ{b64:350} {user}@{word}")]),
            _ => {
                let mut out = vec!["-----BEGIN CERTIFICATE-----".to_string()];
                let n = g.range(4, 12);
                for _ in 0..n {
                    out.push("{b64:64}".into());
                }
                out.push(g.pick(&["{b64:40}", "{b64:38}==", "{b64:23}="]).into());
                out.push("-----END CERTIFICATE-----".into());
                if let Some((open, close)) = ty.comment() {
                    out = out.into_iter().map(|l| format!("{open}{l}{close}")).collect();
                }
                out
            }
        },
        Cat::Random40 => {
            let v = g.pick(&["{alnum:40}", "{b64:40}", "ghp_{alnum:36}", "{b64url:40}"]);
            labelled(g, ty, &[(Lk::Generic40, v)])
        }
        Cat::WebSession => {
            let v =
                g.pick(&["eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ{b64url:80}.{b64url:43}", "{b64:64}", "{alnum:48}"]);
            labelled(g, ty, &[(Lk::TokenGeneric, v)])
        }
        Cat::ScannerPattern => {
            let t = g.pick(&[
                "pattern = \"(A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\"",
                "if key.startswith(\"AKIA\") or key.startswith(\"ASIA\"):",
                "AWS_KEY_RE = r\"\\b(AKIA|ASIA)[A-Z2-7]{16}\\b\"",
                "secret_pattern = \"(?i)aws(.{0,20})?(?-i)['\\\"][0-9a-zA-Z/+]{40}['\\\"]\"",
            ]);
            comment(ty, t)
        }
        Cat::OtherSecretNearAws => {
            let secret = g.pick(&["{b64:40}", "{alnum:40}"]);
            labelled(g, ty, &[(Lk::Region, "{region}"), (Lk::OtherSecret, secret)])
        }
    };
    let lines: Vec<String> = lines.iter().flat_map(|l| l.split('\n')).map(str::to_string).collect();
    b.block += 1;
    lines.into_iter().map(|l| b.near(cat, &l)).collect()
}

/// A variable reference in `ty`'s syntax: the value comes from elsewhere.
fn var_ref(g: &mut G, ty: Ty) -> String {
    let options: &[&str] = match ty {
        Ty::Py | Ty::Ipynb => &[
            "aws_access_key_id = os.environ[\"AWS_ACCESS_KEY_ID\"]",
            "aws_secret_access_key = os.environ[\"AWS_SECRET_ACCESS_KEY\"]",
            "AWS_SECRET_ACCESS_KEY = os.getenv(\"AWS_SECRET_ACCESS_KEY\", \"\")",
            "aws_session_token = os.environ.get(\"AWS_SESSION_TOKEN\")",
            "secret_key = settings.AWS_SECRET_ACCESS_KEY",
            "aws_secret_access_key = config[\"aws\"][\"secret_access_key\"]",
        ],
        Ty::Js | Ty::Ts | Ty::Html | Ty::MinJs => &[
            "const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;",
            "const accessKeyId = process.env.AWS_ACCESS_KEY_ID;",
            "const sessionToken = process.env.AWS_SESSION_TOKEN ?? undefined;",
            "const secret = await getSecret(\"prod/aws/secret-access-key\");",
        ],
        Ty::Go => &[
            "var awsSecretAccessKey = os.Getenv(\"AWS_SECRET_ACCESS_KEY\")",
            "var sessionToken = os.Getenv(\"AWS_SESSION_TOKEN\")",
        ],
        Ty::Java => &[
            "    private final String awsSecretKey = System.getenv(\"AWS_SECRET_ACCESS_KEY\");",
            "    @Value(\"${aws.secretKey}\") private String secretKey;",
        ],
        Ty::Kt => &["val awsSecretAccessKey: String = System.getenv(\"AWS_SECRET_ACCESS_KEY\")"],
        Ty::Cs => &[
            "        private readonly string _awsSecretKey = Environment.GetEnvironmentVariable(\"AWS_SECRET_ACCESS_KEY\");",
            "        private string SecretAccessKey => _configuration[\"AWS:SecretAccessKey\"];",
        ],
        Ty::Rb => {
            &["aws_secret_access_key = ENV['AWS_SECRET_ACCESS_KEY']", "SECRET = ENV.fetch('AWS_SECRET_ACCESS_KEY')"]
        }
        Ty::Php => {
            &["$awsSecret = getenv('AWS_SECRET_ACCESS_KEY');", "$secretKey = $_ENV['AWS_SECRET_ACCESS_KEY'] ?? null;"]
        }
        Ty::Rs => &["fn aws_secret() -> String {\n    std::env::var(\"AWS_SECRET_ACCESS_KEY\").unwrap_or_default()\n}"],
        Ty::C => &["static const char *aws_secret_env = \"AWS_SECRET_ACCESS_KEY\";"],
        Ty::Sh => &[
            "export AWS_SECRET_ACCESS_KEY=\"${AWS_SECRET_ACCESS_KEY:?missing}\"",
            "AWS_SECRET_ACCESS_KEY=$(aws configure get aws_secret_access_key)",
            "export AWS_SESSION_TOKEN=$(jq -r .Credentials.SessionToken creds.json)",
            "AWS_SECRET_ACCESS_KEY=$(aws secretsmanager get-secret-value --secret-id prod/aws --query SecretString --output text)",
        ],
        Ty::Env => &[
            "AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY}",
            "AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN=",
            "AWS_SECRET_ACCESS_KEY=",
        ],
        Ty::Ini => &[
            "aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}",
            "credential_process = aws-vault exec {profile} --json",
            "aws_secret_access_key = %(AWS_SECRET_ACCESS_KEY)s",
        ],
        Ty::Yaml => &[
            "AWS_SECRET_ACCESS_KEY: ${{ secrets.AWS_SECRET_ACCESS_KEY }}",
            "aws-secret-access-key: ${{ secrets.AWS_SECRET_ACCESS_KEY }}",
            "aws_secret_access_key: \"{{ vault_aws_secret_access_key }}\"",
            "SecretAccessKey: !Ref AwsSecretAccessKey",
            "secret_access_key: '{{resolve:secretsmanager:prod/aws:SecretString:secret_access_key}}'",
            "AWS_SECRET_ACCESS_KEY: ${ssm:/prod/aws/secret-access-key}",
            "aws_session_token: \"{{ lookup('env', 'AWS_SESSION_TOKEN') }}\"",
        ],
        Ty::Json | Ty::Lock => &[
            "\"SecretAccessKey\": \"{{resolve:secretsmanager:prod/aws:SecretString:SecretAccessKey}}\"",
            "\"aws_secret_access_key\": \"${AWS_SECRET_ACCESS_KEY}\"",
            "\"secrets\": [{\"name\": \"AWS_SECRET_ACCESS_KEY\", \"valueFrom\": \"arn:aws:ssm:{region}:{account}:parameter/prod/aws-secret\"}]",
        ],
        Ty::Toml => &[
            "aws_secret_access_key = \"${AWS_SECRET_ACCESS_KEY}\"",
            "secret_access_key = { env = \"AWS_SECRET_ACCESS_KEY\" }",
        ],
        Ty::Xml => &[
            "  <SecretAccessKey>${env.AWS_SECRET_ACCESS_KEY}</SecretAccessKey>",
            "  <add key=\"AWSSecretKey\" value=\"%AWS_SECRET_ACCESS_KEY%\" />",
        ],
        Ty::Tf => &[
            "locals {\n  secret_key = var.aws_secret_key\n}",
            "aws_secret_key = \"\"",
            "locals {\n  token = data.aws_ssm_parameter.token.value\n}",
        ],
        Ty::Props => &[
            "aws.secretKey=${AWS_SECRET_ACCESS_KEY}",
            "cloud.aws.credentials.secret-key=${AWS_SECRET_KEY:}",
            "aws.secret.access.key=",
        ],
        Ty::Md | Ty::Txt => &[
            "export AWS_SECRET_ACCESS_KEY=<your secret access key>",
            "Set `AWS_SECRET_ACCESS_KEY` in your environment (see `aws configure`).",
            "| `AWS_SECRET_ACCESS_KEY` | yes | Secret access key of the deploy user |",
        ],
        Ty::Docker => &[
            "ENV AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY}",
            "ARG AWS_SECRET_ACCESS_KEY",
            "RUN --mount=type=secret,id=aws,target=/root/.aws/credentials aws s3 sync s3://{bucket} /data",
        ],
        Ty::Make => &[
            "AWS_SECRET_ACCESS_KEY ?= $(shell aws configure get aws_secret_access_key)",
            "export AWS_SESSION_TOKEN := $(shell jq -r .SessionToken creds.json)",
        ],
        Ty::Sql => &[
            "SELECT value FROM app_settings WHERE name = 'aws_secret_access_key';",
            "CREDENTIALS = (AWS_KEY_ID = $aws_key_id AWS_SECRET_KEY = $aws_secret_key)",
        ],
        Ty::Ps1 => &[
            "$env:AWS_SECRET_ACCESS_KEY = (Get-Secret -Name AwsSecretKey -AsPlainText)",
            "Set-AWSCredential -AccessKey $AccessKey -SecretKey $SecretKey -StoreAs default",
        ],
        Ty::Reg => &["\"AWS_SECRET_ACCESS_KEY\"=\"\""],
        Ty::Csv => &["AWS_SECRET_ACCESS_KEY,from the environment"],
    };
    g.pick(options).to_string()
}

// ---------------------------------------------------------------------------------------
// Whole files
// ---------------------------------------------------------------------------------------

/// How a file's text becomes bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Encoding {
    Utf8,
    Utf8Crlf,
    Utf16LeBom,
    Utf16Le,
    Utf16BeBom,
    Utf16Be,
}

impl Encoding {
    fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Crlf => "UTF-8 CRLF",
            Encoding::Utf16LeBom => "UTF-16LE BOM",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16BeBom => "UTF-16BE BOM",
            Encoding::Utf16Be => "UTF-16BE",
        }
    }

    fn encode(self, text: &str) -> Vec<u8> {
        let utf16 = |le: bool, bom: bool| {
            let mut out = Vec::with_capacity(text.len() * 2 + 2);
            let crlf = text.replace('\n', "\r\n");
            for u in std::iter::once(0xFEFF_u16).filter(|_| bom).chain(crlf.encode_utf16()) {
                out.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
            }
            out
        };
        match self {
            Encoding::Utf8 => text.as_bytes().to_vec(),
            Encoding::Utf8Crlf => text.replace('\n', "\r\n").into_bytes(),
            Encoding::Utf16LeBom => utf16(true, true),
            Encoding::Utf16Le => utf16(true, false),
            Encoding::Utf16BeBom => utf16(false, true),
            Encoding::Utf16Be => utf16(false, false),
        }
    }
}

/// One generated file and its ground truth.
struct GenFile {
    ty: Ty,
    path: String,
    /// The family planted in it, `None` for a credential-free file.
    family: Option<Family>,
    encoding: Encoding,
    /// The text (LF line ends, before encoding).
    text: String,
    plants: Vec<Plant>,
    nears: Vec<Near>,
}

/// Generates the `index`-th file: with credentials of `family`, or credential-free of type
/// `negative_ty`.
fn generate(g: &mut G, index: usize, family: Option<Family>, negative_ty: Ty) -> GenFile {
    let (ty, inner, carrier) = match family {
        Some(Family::Utf16) => {
            let ty = g.weighted(&[(6, Ty::Ps1), (2, Ty::Reg), (2, Ty::Txt), (2, Ty::Csv)]);
            let inner = match ty {
                Ty::Csv => Family::SecretPaired,
                _ => g.pick(&[Family::SecretLabelled, Family::SecretLabelled, Family::KeyId, Family::SessionLabelled]),
            };
            (ty, Some(inner), Some(Family::Utf16))
        }
        Some(Family::Notebook) => {
            let inner = g.pick(&[
                Family::SecretLabelled,
                Family::SecretLabelled,
                Family::SecretPaired,
                Family::SessionLabelled,
                Family::BedrockLong,
            ]);
            (Ty::Ipynb, Some(inner), Some(Family::Notebook))
        }
        Some(Family::Minified) => {
            let inner = g.pick(&[
                Family::SecretLabelled,
                Family::SecretLabelled,
                Family::SecretPaired,
                Family::SessionLabelled,
                Family::AppSync,
            ]);
            (Ty::MinJs, Some(inner), Some(Family::Minified))
        }
        Some(f) => (g.pick(types_for(f)), Some(f), None),
        None => (negative_ty, None, None),
    };
    let raw_path = if ty == Ty::Csv && inner.is_some() {
        g.pick(&["{name}_accessKeys.csv", "credentials.csv", "{user}_credentials.csv", "new_user_credentials.csv"])
    } else {
        g.pick(ty.paths())
    };
    let path = format!("f{index:05}/{}", g.fill(raw_path, false));
    let encoding = match (family, ty) {
        (Some(Family::Utf16), _) => g.weighted(&[
            (5, Encoding::Utf16LeBom),
            (2, Encoding::Utf16Le),
            (2, Encoding::Utf16BeBom),
            (1, Encoding::Utf16Be),
        ]),
        (_, Ty::Reg) => Encoding::Utf16LeBom,
        (_, Ty::Ps1) if g.chance(0.5) => Encoding::Utf16LeBom,
        (None, Ty::Txt) if g.chance(0.1) => Encoding::Utf16Le,
        (_, Ty::Cs | Ty::Ps1 | Ty::Csv) if g.chance(0.5) => Encoding::Utf8Crlf,
        _ if g.chance(0.08) => Encoding::Utf8Crlf,
        _ => Encoding::Utf8,
    };
    let mut b = B::new(g, carrier);
    b.json_strings = ty == Ty::Ipynb;
    let mut blocks: Vec<Vec<String>> = Vec::new();
    if let Some(inner) = inner {
        let n = if matches!(ty, Ty::MinJs | Ty::Csv) { 1 } else { b.g.weighted(&[(5, 1), (3, 2), (2, 3)]) };
        for _ in 0..n {
            blocks.push(match ty {
                Ty::Ipynb => notebook_cell_lines(&mut b, inner),
                Ty::MinJs => minified_snippet(&mut b, inner),
                Ty::Csv => iam_export(&mut b),
                Ty::Reg => reg_lines(&mut b, inner),
                _ => family_block(&mut b, ty, inner),
            });
        }
    }
    let near_count = match family {
        Some(_) if ty == Ty::Csv || b.g.chance(0.7) => 0,
        Some(_) => b.g.range(1, 2),
        None => b.g.range(1, 4),
    };
    for _ in 0..near_count {
        if ty == Ty::Lock {
            break;
        }
        let cat = b.g.weighted(NEAR_WEIGHTS);
        let near_ty = match ty {
            Ty::Csv => Ty::Txt,
            Ty::Ipynb => Ty::Py,
            other => other,
        };
        blocks.push(near_block(&mut b, near_ty, cat));
    }
    let composed = compose(&mut b, ty, blocks, inner.is_some());
    let mut text = render(&mut b, &composed);
    if b.g.chance(0.9) && !text.ends_with('\n') {
        text.push('\n');
    }
    let (plants, nears) = (b.plants, b.nears);
    assert_eq!(family.is_some(), !plants.is_empty(), "{ty:?}: planted values and family disagree");
    GenFile { ty, path, family, encoding, text, plants, nears }
}

/// Puts blocks between filler chunks, in the type's file structure.
fn compose(b: &mut B, ty: Ty, blocks: Vec<Vec<String>>, positive: bool) -> String {
    match ty {
        Ty::Ipynb => return notebook(b, blocks),
        Ty::MinJs => return minified(b, blocks),
        Ty::Csv => return csv(b, blocks, positive),
        Ty::Lock => return lock_file(b),
        _ => {}
    }
    let fillers = fillers(ty);
    let n_fill = if fillers.is_empty() { 0 } else { b.g.range(1, 8) };
    let mut order: Vec<usize> = (0..fillers.len()).collect();
    b.g.rng.shuffle(&mut order);
    let mut chunks: Vec<Vec<String>> = (0..n_fill)
        .map(|i| {
            let f = fillers[order[i % order.len()]];
            b.fill(f).trim_end_matches('\n').split('\n').map(str::to_string).collect()
        })
        .collect();
    for block in blocks {
        let at = b.g.range(0, chunks.len());
        chunks.insert(at, block);
    }
    let head = b.fill(header(ty));
    let foot = b.fill(footer(ty));
    let mut out = String::new();
    match ty {
        Ty::Json => {
            out.push_str("{\n");
            let n = chunks.len();
            for (i, chunk) in chunks.iter().enumerate() {
                for (j, line) in chunk.iter().enumerate() {
                    out.push_str("  ");
                    out.push_str(line);
                    if j + 1 == chunk.len() && i + 1 < n {
                        out.push(',');
                    }
                    out.push('\n');
                }
            }
            out.push('}');
            return out;
        }
        Ty::Xml => out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n"),
        Ty::Html => {
            let title = b.fill("{Name}");
            let _ = write!(
                out,
                "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\">\n  <title>{title}</title>\n</head>\n<body>\n"
            );
        }
        _ => {
            out.push_str(&head);
            if !head.is_empty() && !head.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    let separator = if matches!(ty, Ty::Env | Ty::Props | Ty::Reg | Ty::Txt) { "" } else { "\n" };
    for (i, chunk) in chunks.iter().enumerate() {
        if i > 0 || !out.is_empty() {
            out.push_str(separator);
        }
        for line in chunk {
            out.push_str(line);
            out.push('\n');
        }
    }
    match ty {
        Ty::Xml => out.push_str("</configuration>\n"),
        Ty::Html => out.push_str("</body>\n</html>\n"),
        _ => {
            if !foot.is_empty() {
                out.push_str(separator);
                out.push_str(&foot);
            }
        }
    }
    out
}

/// Registry entries (a `.reg` file, UTF-16).
fn reg_lines(b: &mut B, inner: Family) -> Vec<String> {
    let t: &[&str] = match inner {
        Family::KeyId => &["\"AWS_ACCESS_KEY_ID\"=\"{ID}\""],
        Family::SessionLabelled => {
            &["\"AWS_ACCESS_KEY_ID\"=\"{IDA}\"", "\"AWS_SECRET_ACCESS_KEY\"=\"{SL}\"", "\"AWS_SESSION_TOKEN\"=\"{TL}\""]
        }
        _ => &["\"AWS_ACCESS_KEY_ID\"=\"{ID}\"", "\"AWS_SECRET_ACCESS_KEY\"=\"{SL}\""],
    };
    let lines: Vec<String> = t.iter().map(|l| l.to_string()).collect();
    b.inst_lines(&lines)
}

/// An IAM console credentials export: a header and one row per user.
fn iam_export(b: &mut B) -> Vec<String> {
    let mut out = Vec::new();
    let rows = b.g.weighted(&[(6, 1), (2, 2), (1, 4)]);
    if b.g.chance(0.6) {
        out.push("User name,Password,Access key ID,Secret access key,Console login link".to_string());
        for _ in 0..rows {
            let password = if b.g.chance(0.5) { String::new() } else { b.g.chars(ALNUM, 14) + "!#" };
            let row = format!("{{name}},{password},{{ID}},{{S}},https://{{account}}.signin.aws.amazon.com/console");
            out.push(b.inst(&row));
        }
    } else {
        out.push("Access key ID,Secret access key".to_string());
        for _ in 0..rows {
            out.push(b.inst("{ID},{S}"));
        }
    }
    out
}

/// A credential-free CSV, or the IAM export with what the generator added.
fn csv(b: &mut B, blocks: Vec<Vec<String>>, positive: bool) -> String {
    let mut out = String::new();
    if positive {
        for line in blocks.into_iter().flatten() {
            out.push_str(&line);
            out.push('\n');
        }
        return out;
    }
    if b.g.chance(0.5) {
        out.push_str("user,arn,user_creation_time,password_enabled,access_key_1_active,access_key_1_last_rotated\n");
        for _ in 0..b.g.range(3, 30) {
            let row = b.fill("{user}-{word},arn:aws:iam::{account}:user/{user}-{word},{date}T{time}+00:00,true,true,{date}T{time}+00:00\n");
            out.push_str(&row);
        }
    } else {
        out.push_str("order_id,customer,amount,currency,created_at\n");
        for _ in 0..b.g.range(3, 60) {
            let row = b.fill("{digits:8},{user},{n}.{digits:2},EUR,{date}\n");
            out.push_str(&row);
        }
    }
    for line in blocks.into_iter().flatten() {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Notebook code-cell source lines holding a credential of `inner`.
fn notebook_cell_lines(b: &mut B, inner: Family) -> Vec<String> {
    let forms: &[&str] = match inner {
        Family::SecretLabelled => &[
            "import boto3\n\naws_access_key_id = \"{ID}\"\naws_secret_access_key = \"{SL}\"\ns3 = boto3.client(\"s3\", aws_access_key_id=aws_access_key_id, aws_secret_access_key=aws_secret_access_key)",
            "s3 = boto3.client('s3', aws_access_key_id='{ID}', aws_secret_access_key='{SL}', region_name='{region}')",
            "%env AWS_ACCESS_KEY_ID={ID}\n%env AWS_SECRET_ACCESS_KEY={SL}",
            "os.environ[\"AWS_ACCESS_KEY_ID\"] = \"{ID}\"\nos.environ[\"AWS_SECRET_ACCESS_KEY\"] = \"{SL}\"",
            "!aws configure set aws_secret_access_key {SL}",
        ],
        Family::SecretPaired => &["creds = (\"{ID}\", \"{S}\")", "session = boto3.Session(\"{ID}\", \"{S}\")"],
        Family::SessionLabelled => &[
            "OUTPUT:{'AccessKeyId': '{IDA}', 'SecretAccessKey': '{SL}', 'SessionToken': '{TL}', 'Expiration': datetime.datetime(2025, 1, 1, 12, 0, tzinfo=tzutc())}",
            "s3 = boto3.client(\"s3\",\n    aws_access_key_id=\"{IDA}\",\n    aws_secret_access_key=\"{SL}\",\n    aws_session_token=\"{TL}\")",
        ],
        _ => &[
            "os.environ[\"AWS_BEARER_TOKEN_BEDROCK\"] = \"{BRK}\"\nclient = boto3.client(\"bedrock-runtime\", region_name=\"{region}\")",
        ],
    };
    let form = b.g.pick(forms);
    vec![b.inst(form)]
}

/// A Jupyter notebook (nbformat 4, one-space indent, sorted keys as Jupyter writes them).
fn notebook(b: &mut B, blocks: Vec<Vec<String>>) -> String {
    use serde_json::{Value, json};
    fn source(text: &str) -> Value {
        Value::Array(text.split_inclusive('\n').map(|l| Value::String(l.to_string())).collect())
    }
    fn code(cells: &mut Vec<Value>, text: &str, outputs: Vec<Value>) {
        let n = cells.len();
        cells.push(json!({
            "cell_type": "code",
            "execution_count": n,
            "metadata": {},
            "outputs": outputs,
            "source": source(text),
        }));
    }
    let intro = b.fill("# {Name} exploration\n\nLoad the {word} exports from S3 and look at them.");
    let mut cells = vec![json!({ "cell_type": "markdown", "metadata": {}, "source": source(&intro) })];
    code(&mut cells, "import os\nimport boto3\nimport pandas as pd", vec![]);
    let mut chunks: Vec<String> = (0..b.g.range(1, 4))
        .map(|_| {
            let f = b.g.pick(fillers(Ty::Ipynb));
            b.fill(f).trim_end().to_string()
        })
        .collect();
    for block in blocks {
        let at = b.g.range(0, chunks.len());
        chunks.insert(at, block.join("\n"));
    }
    for chunk in chunks {
        if let Some(output) = chunk.strip_prefix("OUTPUT:") {
            let result = json!({
                "data": { "text/plain": [output] },
                "execution_count": cells.len(),
                "metadata": {},
                "output_type": "execute_result",
            });
            let call = "sts = boto3.client(\"sts\")\nsts.assume_role(RoleArn=role_arn, RoleSessionName=\"nb\")[\"Credentials\"]";
            code(&mut cells, call, vec![result]);
        } else {
            let stream = json!({ "name": "stdout", "output_type": "stream", "text": ["ok\n"] });
            code(&mut cells, &chunk, vec![stream]);
        }
    }
    let doc = json!({
        "cells": cells,
        "metadata": {
            "kernelspec": { "display_name": "Python 3", "language": "python", "name": "python3" },
            "language_info": { "name": "python", "version": "3.11.6" },
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    });
    let mut buf = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
    serde::Serialize::serialize(&doc, &mut ser).expect("a notebook serialises");
    String::from_utf8(buf).expect("serde_json writes UTF-8")
}

/// One credential snippet as a bundler would inline it.
fn minified_snippet(b: &mut B, inner: Family) -> Vec<String> {
    let forms: &[&str] = match inner {
        Family::SecretLabelled => &[
            "{x}.config.update({accessKeyId:\"{ID}\",secretAccessKey:\"{SL}\",region:\"{region}\"})",
            "var {x}={NODE_ENV:\"production\",AWS_ACCESS_KEY_ID:\"{ID}\",AWS_SECRET_ACCESS_KEY:\"{SL}\",API_URL:\"https://{host}\"};",
            "new {x}.S3Client({region:\"{region}\",credentials:{accessKeyId:\"{ID}\",secretAccessKey:\"{SL}\"}})",
        ],
        Family::SecretPaired => {
            &["{x}.credentials=new {x}.Credentials(\"{ID}\",\"{S}\");", "var {x}=[\"{ID}\",\"{S}\"];"]
        }
        Family::SessionLabelled => {
            &["credentials:{accessKeyId:\"{IDA}\",secretAccessKey:\"{SL}\",sessionToken:\"{TL}\"}"]
        }
        _ => &[
            "var {x}={aws_project_region:\"{region}\",aws_appsync_graphqlEndpoint:\"https://{lower36:26}.appsync-api.{region}.amazonaws.com/graphql\",aws_appsync_region:\"{region}\",aws_appsync_authenticationType:\"API_KEY\",aws_appsync_apiKey:\"{APPSYNC}\"};",
        ],
    };
    let form = b.g.pick(forms);
    vec![b.inst(form)]
}

const MINIFIED_CHUNKS: &[&str] = &[
    "var {x}=function({x},{x}){return {x}&&{x}.{word}?{x}.{word}({x}):void 0};",
    "{x}.prototype.{word}=function({x}){this.{word}=({x}||{}).{word};return this};",
    "if(!{x}.{word})throw new Error(\"{word} {word} failed\");",
    "{x}=[{n},{n},{n},{n}].map(function({x}){return {x}*{n}});",
    "Object.defineProperty({x},\"{word}\",{enumerable:!0,get:function(){return {x}}});",
    "function {x}({x}){switch({x}.type){case \"{word}\":return {n};default:return {x}}}",
    "{x}.exports={{word}:{x},{word}:{x}};",
    "const {x}=\"https://{host}/api/{word}\";",
    "{x}.addEventListener(\"{word}\",function({x}){{x}.preventDefault()});",
];

/// A bundle on one very long line, the credential near its end.
fn minified(b: &mut B, blocks: Vec<Vec<String>>) -> String {
    let size = b.g.weighted(&[(3, 30_000), (4, 150_000), (2, 600_000), (1, 2_000_000)]);
    let mut out = b.fill("/*! {name} v{ver} | (c) {Word} | MIT */");
    let mut near_lines = Vec::new();
    let mut snippets = Vec::new();
    for block in blocks {
        if block.iter().any(|l| l.contains(NEAR_OPEN)) {
            near_lines.extend(block);
        } else {
            snippets.extend(block);
        }
    }
    while out.len() < size {
        let c = b.g.pick(MINIFIED_CHUNKS);
        out.push_str(&b.fill(c));
        if !near_lines.is_empty() && b.g.chance(0.002) {
            out.push_str(&near_lines.remove(0));
            out.push(';');
        }
    }
    for near in near_lines {
        out.push_str(&near);
        out.push(';');
    }
    for snippet in snippets {
        out.push_str(&snippet);
    }
    let tail = b.g.range(100, 3000);
    let end = out.len() + tail;
    while out.len() < end {
        let c = b.g.pick(MINIFIED_CHUNKS);
        out.push_str(&b.fill(c));
    }
    if b.g.chance(0.5) {
        out.push_str(&b.fill("\n//# sourceMappingURL={name}.min.js.map"));
    }
    out
}

/// A credential-free npm or yarn lock file full of integrity hashes.
fn lock_file(b: &mut B) -> String {
    const PACKAGES: &[&str] = &[
        "@aws-sdk/client-s3",
        "@aws-sdk/client-secrets-manager",
        "@aws-sdk/credential-provider-sso",
        "@aws-sdk/credential-provider-node",
        "@aws-sdk/client-sts",
        "@smithy/signature-v4",
        "aws-sdk",
        "aws4",
        "lodash",
        "express",
        "jsonwebtoken",
        "uuid",
        "tslib",
    ];
    let yarn = b.g.chance(0.3);
    let mut out = String::new();
    let n = b.g.range(5, 40);
    if yarn {
        out.push_str("# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n");
        for _ in 0..n {
            let p = b.g.pick(PACKAGES);
            let v = b.fill("3.{n}.{n}");
            b.block += 1;
            let near = b.near(Cat::SriHash, "  integrity sha512-{b64:86}==");
            let _ = write!(
                out,
                "\"{p}@^{v}\":\n  version \"{v}\"\n  resolved \"https://registry.yarnpkg.com/{p}/-/{}-{v}.tgz#{}\"\n{near}\n\n",
                p.rsplit('/').next().unwrap_or(p),
                b.g.chars(HEX, 40)
            );
        }
    } else {
        let name = b.fill("{name}");
        let _ = write!(
            out,
            "{{\n  \"name\": \"{name}\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {{\n"
        );
        for i in 0..n {
            let p = b.g.pick(PACKAGES);
            let v = b.fill("3.{n}.{n}");
            b.block += 1;
            let near = b.near(Cat::SriHash, "      \"integrity\": \"sha512-{b64:86}==\",");
            let comma = if i + 1 < n { "," } else { "" };
            let _ = write!(
                out,
                "    \"node_modules/{p}\": {{\n      \"version\": \"{v}\",\n      \"resolved\": \"https://registry.npmjs.org/{p}/-/{}-{v}.tgz\",\n{near}\n      \"license\": \"Apache-2.0\"\n    }}{comma}\n",
                p.rsplit('/').next().unwrap_or(p)
            );
        }
        out.push_str("  }\n}\n");
    }
    out
}

// ---------------------------------------------------------------------------------------
// Running awsguard in real repositories
// ---------------------------------------------------------------------------------------

/// A finding as `awsguard --format json` prints it.
#[derive(Clone, Debug, Deserialize)]
struct Finding {
    path: String,
    line: usize,
    column: usize,
    rule: String,
    #[allow(dead_code)]
    kind: String,
    redacted: String,
    fingerprint: String,
}

#[derive(Deserialize)]
struct Report {
    findings: Vec<Finding>,
}

/// Where the repositories live, and the isolated git environment.
struct Sandbox {
    root: PathBuf,
    home: PathBuf,
    gitconfig: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl Sandbox {
    fn new(keep: Option<&Path>) -> Result<Sandbox> {
        let (root, temp) = match keep {
            Some(dir) => {
                if dir.exists() {
                    bail!("--keep {}: the directory already exists", dir.display());
                }
                fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
                (dir.canonicalize()?, None)
            }
            None => {
                let temp = tempfile::Builder::new().prefix("awsguard-detection-bench-").tempdir()?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        let home = root.join("home");
        fs::create_dir_all(home.join(".config"))?;
        let gitconfig = home.join(".gitconfig");
        fs::write(&gitconfig, "")?;
        Ok(Sandbox { root, home, gitconfig, _temp: temp })
    }

    /// A command with nothing of the user's git or awsguard configuration: no inherited
    /// `GIT_*` variable, a private HOME, an empty global config, no system config.
    fn command(&self, program: &Path, cwd: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(cwd);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("GIT_") {
                cmd.env_remove(&key);
            }
        }
        cmd.env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", &self.gitconfig)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("NO_COLOR", "1")
            .env("LC_ALL", "C")
            .stdin(Stdio::null());
        cmd
    }

    fn git(&self, cwd: &Path, args: &[&str]) -> Result<()> {
        let out = self.command(Path::new("git"), cwd).args(args).output().context("running git")?;
        if !out.status.success() {
            bail!("git {} failed in {}: {}", args.join(" "), cwd.display(), String::from_utf8_lossy(&out.stderr));
        }
        Ok(())
    }
}

#[derive(Default)]
struct Timings {
    generate: Duration,
    stage: Duration,
    scan: Duration,
    repos: usize,
}

/// Stages the files in batches of repositories and returns each file's findings.
fn run_awsguard(opts: &Opts, files: &[GenFile], timings: &mut Timings) -> Result<Vec<Vec<Finding>>> {
    let sandbox = Sandbox::new(opts.keep.as_deref())?;
    let by_path: HashMap<&str, usize> = files.iter().enumerate().map(|(i, f)| (f.path.as_str(), i)).collect();
    let mut findings: Vec<Vec<Finding>> = vec![Vec::new(); files.len()];
    for (batch_index, batch) in files.chunks(opts.batch).enumerate() {
        let repo = sandbox.root.join(format!("repo-{batch_index:03}"));
        let start = Instant::now();
        fs::create_dir_all(&repo)?;
        sandbox.git(&repo, &["init", "-q", "-b", "main"])?;
        for file in batch {
            let path = repo.join(&file.path);
            fs::create_dir_all(path.parent().expect("files live in directories"))?;
            fs::write(&path, file.encoding.encode(&file.text))
                .with_context(|| format!("writing {}", path.display()))?;
        }
        sandbox.git(&repo, &["add", "-A"])?;
        timings.stage += start.elapsed();
        let start = Instant::now();
        let out = sandbox
            .command(&opts.awsguard, &repo)
            .args(["--format", "json", "--color", "never"])
            .output()
            .with_context(|| format!("running {}", opts.awsguard.display()))?;
        timings.scan += start.elapsed();
        timings.repos += 1;
        if !matches!(out.status.code(), Some(0 | 1)) {
            bail!(
                "awsguard exited with {:?} in {}:\n{}",
                out.status.code(),
                repo.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let report: Report = serde_json::from_slice(&out.stdout).with_context(|| {
            format!("parsing awsguard's JSON output in {}: {}", repo.display(), String::from_utf8_lossy(&out.stdout))
        })?;
        for finding in report.findings {
            match by_path.get(finding.path.as_str()) {
                Some(&i) => findings[i].push(finding),
                None => bail!("awsguard reported a file the benchmark did not write: {}", finding.path),
            }
        }
    }
    if let Some(dir) = &opts.keep {
        let mut truth = String::from("path\tline\tfamily\tkind\tfingerprint\n");
        for (batch_index, batch) in files.chunks(opts.batch).enumerate() {
            for file in batch {
                for p in &file.plants {
                    let _ = writeln!(
                        truth,
                        "repo-{batch_index:03}/{}\t{}\t{:?}\t{}\t{}",
                        file.path,
                        p.line,
                        p.family,
                        p.kind.name(),
                        fingerprint(p.value.as_bytes())
                    );
                }
            }
        }
        fs::write(dir.join("truth.tsv"), truth)?;
    }
    Ok(findings)
}

// ---------------------------------------------------------------------------------------
// Matching and the report
// ---------------------------------------------------------------------------------------

struct Miss<'a> {
    file: &'a GenFile,
    plant: &'a Plant,
    /// Rules of other findings on the same line: the commit would still be blocked there.
    same_line: Vec<String>,
}

struct Alarm<'a> {
    file: &'a GenFile,
    finding: &'a Finding,
    /// The near-miss on that line, if any.
    near: Option<&'a Near>,
    /// Whether AWS is named within five lines (what the `.context` rules look for).
    aws_nearby: bool,
}

/// What the `.context` rules accept as AWS context on a line.
static AWS_CONTEXT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"(?i:(?:^|[^A-Za-z])(?:aws|amazon|amzn|accesskeyid|secretaccesskey))|(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}",
    )
    .expect("the context regex compiles")
});

/// Whether AWS is named within five lines of `line` (1-based).
fn aws_nearby(lines: &[&str], line: usize) -> bool {
    let lo = line.saturating_sub(6);
    let hi = (line + 5).min(lines.len());
    lines[lo.min(hi)..hi].iter().any(|l| AWS_CONTEXT.is_match(l))
}

#[derive(Default, Clone, Copy)]
struct Tally {
    planted: usize,
    found: usize,
}

impl Tally {
    fn add(&mut self, found: bool) {
        self.planted += 1;
        self.found += usize::from(found);
    }
    fn recall(self) -> f64 {
        if self.planted == 0 { 0.0 } else { 100.0 * self.found as f64 / self.planted as f64 }
    }
}

/// Wilson 95% interval of k successes out of n, in percent.
fn wilson(k: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (0.0, 100.0);
    }
    let (z, n, p) = (1.96_f64, n as f64, k as f64 / n as f64);
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    (100.0 * (centre - half).max(0.0), 100.0 * (centre + half).min(1.0))
}

/// `AKIA...WXYZ`-style redaction: first and last four characters.
fn redact(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() < 12 {
        return "…".to_string();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// Redacts every run that could be a credential: key IDs, and runs of 16+ base64-ish
/// characters with an uppercase letter and a digit.
fn redact_runs(line: &str) -> String {
    let is_run = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '%' | '\\');
    let mut out = String::with_capacity(line.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let key_id = run.len() == 20 && ["AKIA", "ASIA", "ABIA", "ACCA"].iter().any(|p| run.starts_with(p));
        let (upper, lower, digit) = (
            run.chars().any(|c| c.is_ascii_uppercase()),
            run.chars().any(|c| c.is_ascii_lowercase()),
            run.chars().any(|c| c.is_ascii_digit()),
        );
        let random = run.len() >= 16 && ((upper && digit) || (upper && lower && run.len() >= 24));
        if key_id || random {
            out.push_str(&redact(run))
        } else {
            out.push_str(run)
        }
        run.clear();
    };
    for c in line.chars() {
        if is_run(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// A redacted excerpt of line `line` of a file, around byte `focus` of that line.
fn snippet(file: &GenFile, line: usize, focus: usize) -> String {
    let text = file.text.split('\n').nth(line.saturating_sub(1)).unwrap_or("").trim_end_matches('\r');
    const WIDTH: usize = 170;
    let (mut start, mut end) = (0, text.len());
    if text.len() > WIDTH {
        start = focus.saturating_sub(WIDTH / 3).min(text.len().saturating_sub(WIDTH));
        end = (start + WIDTH).min(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        while !text.is_char_boundary(end) {
            end += 1;
        }
    }
    let mut window = text[start..end].to_string();
    for plant in file.plants.iter().filter(|p| p.line == line) {
        window = window.replace(&plant.appears, &redact(&plant.appears));
    }
    let mut s = String::new();
    if start > 0 {
        s.push('…');
    }
    s.push_str(&redact_runs(&window));
    if end < text.len() {
        s.push('…');
    }
    md_code(&s)
}

/// Text safe inside a Markdown code span in a table cell.
fn md_code(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| match c {
            '`' => '\'',
            '|' => '¦',
            '\t' => '→',
            c if c.is_control() => '·',
            c => c,
        })
        .collect();
    format!("`{}`", cleaned.trim())
}

/// A snippet template for reports: credential tokens spelled out, one line.
fn form_shape(form: &str) -> String {
    let mut s = form.to_string();
    for (token, shape) in [
        ("{IDK}", "AKIA{b32:16}"),
        ("{IDA}", "ASIA{b32:16}"),
        ("{ID}", "{key-id}"),
        ("{SL}", "{secret}"),
        ("{S}", "{secret}"),
        ("{SJ}", "{secret, / as \\/}"),
        ("{SU}", "{secret, %-encoded}"),
        ("{TL}", "{sts-token}"),
        ("{T}", "{sts-token}"),
        ("{BRKST}", "{bedrock-short-term}"),
        ("{BRK}", "{bedrock-long-term}"),
        ("{MWS}", "amzn.mws.{uuid}"),
        ("{APPSYNC}", "da2-{lower36:26}"),
    ] {
        s = s.replace(token, shape);
    }
    let s = s.replace('\n', " ⏎ ");
    let s: String = if s.chars().count() > 220 { s.chars().take(220).collect::<String>() + "…" } else { s };
    md_code(&s)
}

fn pct(x: f64) -> String {
    format!("{x:.2} %")
}

#[allow(clippy::too_many_lines)]
fn report(
    opts: &Opts,
    version: &str,
    files: &[GenFile],
    findings: &[Vec<Finding>],
    timings: &Timings,
    stale: Option<&str>,
) -> String {
    let mut fam: BTreeMap<Family, Tally> = BTreeMap::new();
    let mut fam_kind: BTreeMap<(Family, Kind), Tally> = BTreeMap::new();
    let mut by_type: BTreeMap<Ty, Tally> = BTreeMap::new();
    let mut by_encoding: BTreeMap<Encoding, Tally> = BTreeMap::new();
    let mut rules: BTreeMap<Family, BTreeMap<String, usize>> = BTreeMap::new();
    let mut misses: Vec<Miss> = Vec::new();
    let mut alarms: Vec<Alarm> = Vec::new();
    let mut unexpected: Vec<Alarm> = Vec::new();
    let mut neg_files = 0;
    let mut neg_flagged = 0;
    // Flagged only by non-AWS secrets next to AWS settings: arguable, counted apart too.
    let mut neg_flagged_other_secret_only = 0;
    let mut neg_by_type: BTreeMap<Ty, (usize, usize)> = BTreeMap::new();
    // Per category: snippets, flagged, snippets with AWS named within 5 lines, flagged of those.
    let mut near_stats: BTreeMap<Cat, [usize; 4]> = BTreeMap::new();
    let mut line_mismatch = 0;
    for (file, found) in files.iter().zip(findings) {
        let lines: Vec<&str> = file.text.split('\n').collect();
        let mut used = vec![false; found.len()];
        for plant in &file.plants {
            let fp = fingerprint(plant.value.as_bytes());
            let hit = found.iter().position(|f| f.fingerprint == fp);
            for (i, f) in found.iter().enumerate() {
                if f.fingerprint == fp {
                    used[i] = true;
                }
            }
            fam.entry(plant.family).or_default().add(hit.is_some());
            fam_kind.entry((plant.family, plant.kind)).or_default().add(hit.is_some());
            by_type.entry(file.ty).or_default().add(hit.is_some());
            if file.encoding != Encoding::Utf8 {
                by_encoding.entry(file.encoding).or_default().add(hit.is_some());
            }
            match hit {
                Some(i) => {
                    *rules.entry(plant.family).or_default().entry(found[i].rule.clone()).or_default() += 1;
                    if found[i].line != plant.line {
                        line_mismatch += 1;
                    }
                }
                None => {
                    let same_line = found.iter().filter(|f| f.line == plant.line).map(|f| f.rule.clone()).collect();
                    misses.push(Miss { file, plant, same_line });
                }
            }
        }
        let extra: Vec<Alarm> = found
            .iter()
            .enumerate()
            .filter(|(i, _)| !used[*i])
            .map(|(_, f)| Alarm { file, finding: f, near: near_at(file, f), aws_nearby: aws_nearby(&lines, f.line) })
            .collect();
        if file.family.is_none() {
            neg_files += 1;
            let entry = neg_by_type.entry(file.ty).or_default();
            entry.0 += 1;
            if !found.is_empty() {
                neg_flagged += 1;
                entry.1 += 1;
                if extra.iter().all(|a| a.near.is_some_and(|n| n.cat == Cat::OtherSecretNearAws)) {
                    neg_flagged_other_secret_only += 1;
                }
            }
            let flagged_blocks: BTreeSet<usize> = extra.iter().filter_map(|a| a.near.map(|n| n.block)).collect();
            let mut blocks: BTreeMap<usize, (Cat, bool, bool)> = BTreeMap::new();
            for near in &file.nears {
                let e = blocks.entry(near.block).or_insert((near.cat, false, false));
                e.1 |= flagged_blocks.contains(&near.block);
                e.2 |= aws_nearby(&lines, near.line);
            }
            for (cat, flagged, aws) in blocks.into_values() {
                let e = near_stats.entry(cat).or_default();
                e[0] += 1;
                e[1] += usize::from(flagged);
                e[2] += usize::from(aws);
                e[3] += usize::from(aws && flagged);
            }
            alarms.extend(extra);
        } else {
            unexpected.extend(extra);
        }
    }

    let mut r = String::new();
    let positives = files.iter().filter(|f| f.family.is_some()).count();
    let planted: usize = files.iter().map(|f| f.plants.len()).sum();
    let nears: usize = files.iter().map(|f| f.nears.len()).sum();
    let bytes: usize = files.iter().map(|f| f.text.len()).sum();
    let _ = writeln!(r, "# awsguard detection benchmark\n");
    let _ = writeln!(
        r,
        "- command: `cargo run --release --example detection_bench -- --seed {} --files {}{}`",
        opts.seed,
        opts.files,
        if opts.values == Values::Fake { " --values fake" } else { "" }
    );
    let _ = writeln!(r, "- binary: `{}` ({})", opts.awsguard.display(), version.trim());
    if let Some(warning) = stale {
        let _ = writeln!(r, "- **warning**: {warning}");
    }
    let _ = writeln!(
        r,
        "- {} files ({positives} with planted credentials, {neg_files} credential-free) of {} types, {:.1} MB, in {} git repositories",
        files.len(),
        files.iter().map(|f| f.ty).collect::<BTreeSet<_>>().len(),
        bytes as f64 / 1e6,
        timings.repos
    );
    let _ = writeln!(
        r,
        "- {planted} credentials planted, {nears} near-miss lines placed; values: {}",
        match opts.values {
            Values::Real =>
                "shaped like AWS issues them (uniform random secrets and tokens, key IDs encoding an account ID)",
            Values::Fake => "awsguard::fake's filtered values",
        }
    );
    let _ = writeln!(
        r,
        "- time: generate {:.1} s, write and `git add` {:.1} s, awsguard {:.1} s ({} runs)\n",
        timings.generate.as_secs_f64(),
        timings.stage.as_secs_f64(),
        timings.scan.as_secs_f64(),
        timings.repos
    );

    let _ = writeln!(r, "## Recall by family\n");
    let _ = writeln!(r, "A planted value counts as found when a finding in its file has its fingerprint.\n");
    let _ = writeln!(r, "| family | | planted | found | recall | 95% CI | target | |");
    let _ = writeln!(r, "|---|---|---:|---:|---:|---|---:|---|");
    let mut plain = Tally::default();
    let mut encoded = Tally::default();
    for family in FAMILIES {
        let t = fam.get(&family).copied().unwrap_or_default();
        let total = if family.encoded() { &mut encoded } else { &mut plain };
        total.planted += t.planted;
        total.found += t.found;
        let (lo, hi) = wilson(t.found, t.planted);
        let ok = if t.recall() >= family.target() { "ok" } else { "**below target**" };
        let _ = writeln!(
            r,
            "| {} | {} | {} | {} | {} | {:.1}–{:.1} | ≥ {} % | {ok} |",
            family.name(),
            if family.encoded() { "encoded" } else { "plain" },
            t.planted,
            t.found,
            pct(t.recall()),
            lo,
            hi,
            family.target()
        );
    }
    for (name, t, target) in [("**all plain families**", plain, 99.5), ("**all encoded families**", encoded, 90.0)] {
        let (lo, hi) = wilson(t.found, t.planted);
        let ok = if t.recall() >= target { "ok" } else { "**below target**" };
        let _ = writeln!(
            r,
            "| {name} | | {} | {} | {} | {lo:.1}–{hi:.1} | ≥ {target} % | {ok} |",
            t.planted,
            t.found,
            pct(t.recall())
        );
    }
    let all = Tally { planted: plain.planted + encoded.planted, found: plain.found + encoded.found };
    let _ = writeln!(r, "| **overall** | | {} | {} | {} | | | |", all.planted, all.found, pct(all.recall()));
    let _ = writeln!(
        r,
        "\n{line_mismatch} found values were reported on another line than planted. {} misses had another finding on the same line (the commit would still be blocked there).\n",
        misses.iter().filter(|m| !m.same_line.is_empty()).count()
    );

    let _ = writeln!(r, "## False alarms on credential-free files\n");
    let (lo, hi) = wilson(neg_flagged, neg_files);
    let rate = if neg_files == 0 { 0.0 } else { 100.0 * neg_flagged as f64 / neg_files as f64 };
    let _ = writeln!(r, "| credential-free files | with any finding | false-alarm rate | 95% CI | target | |");
    let _ = writeln!(r, "|---:|---:|---:|---|---:|---|");
    let _ = writeln!(
        r,
        "| {neg_files} | {neg_flagged} | {} | {lo:.2}–{hi:.2} | ≤ 0.5 % | {} |",
        pct(rate),
        if rate <= 0.5 { "ok" } else { "**above target**" }
    );
    let strict = neg_flagged - neg_flagged_other_secret_only;
    let (lo, hi) = wilson(strict, neg_files);
    let strict_rate = if neg_files == 0 { 0.0 } else { 100.0 * strict as f64 / neg_files as f64 };
    let _ = writeln!(
        r,
        "| {neg_files} | {strict} (not counting {neg_flagged_other_secret_only} files flagged only for a non-AWS secret next to AWS settings) | {} | {lo:.2}–{hi:.2} | ≤ 0.5 % | {} |\n",
        pct(strict_rate),
        if strict_rate <= 0.5 { "ok" } else { "**above target**" }
    );
    let _ = writeln!(
        r,
        "Every credential-free file here carries 1 to 4 near-misses on purpose, so this rate measures those near-misses, not a typical repository; run `bench/false-alarms.sh` on real code for that.\n"
    );
    let _ = writeln!(
        r,
        "Near-miss snippets in credential-free files, by category. A snippet is flagged when a finding falls on it (its line, and its column on a line holding several); \"AWS nearby\" means AWS is named (or a key ID appears) within 5 lines, which the `.context` rules require.\n"
    );
    let _ = writeln!(r, "| category | snippets | flagged | with AWS nearby | flagged of those |");
    let _ = writeln!(r, "|---|---:|---:|---:|---:|");
    for cat in CATS {
        let [n, hit, aws, aws_hit] = near_stats.get(&cat).copied().unwrap_or_default();
        let _ = writeln!(r, "| {} | {n} | {hit} | {aws} | {aws_hit} |", cat.name());
    }
    let _ = writeln!(r, "\nCredential-free files by type:\n");
    let _ = writeln!(r, "| type | files | flagged |");
    let _ = writeln!(r, "|---|---:|---:|");
    for (ty, (n, flagged)) in &neg_by_type {
        let _ = writeln!(r, "| {} | {n} | {flagged} |", ty.name());
    }

    let _ = writeln!(r, "\n## Recall by file type and encoding (all families)\n");
    let _ = writeln!(r, "| type | planted | found | recall |");
    let _ = writeln!(r, "|---|---:|---:|---:|");
    for (ty, t) in &by_type {
        let _ = writeln!(r, "| {} | {} | {} | {} |", ty.name(), t.planted, t.found, pct(t.recall()));
    }
    for (enc, t) in &by_encoding {
        let _ = writeln!(r, "| encoding {} | {} | {} | {} |", enc.name(), t.planted, t.found, pct(t.recall()));
    }
    let _ = writeln!(r, "\nBy family and kind of value:\n");
    let _ = writeln!(r, "| family | value | planted | found | recall |");
    let _ = writeln!(r, "|---|---|---:|---:|---:|");
    for ((family, kind), t) in &fam_kind {
        let _ =
            writeln!(r, "| {} | {} | {} | {} | {} |", family.name(), kind.name(), t.planted, t.found, pct(t.recall()));
    }
    let _ = writeln!(r, "\nRules that found each family:\n");
    for (family, counts) in &rules {
        let list: Vec<String> = counts.iter().map(|(rule, n)| format!("`{rule}` {n}")).collect();
        let _ = writeln!(r, "- {}: {}", family.name(), list.join(", "));
    }

    // Misses, grouped by the template they came from.
    let _ = writeln!(r, "\n## Misses ({})\n", misses.len());
    if !misses.is_empty() {
        let mut groups: BTreeMap<(Family, Kind, String), Vec<&Miss>> = BTreeMap::new();
        for m in &misses {
            groups.entry((m.plant.family, m.plant.kind, form_shape(&m.plant.form))).or_default().push(m);
        }
        let mut groups: Vec<_> = groups.into_iter().collect();
        groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
        let _ = writeln!(r, "Grouped by snippet template (`{{secret}}` etc. stand for the planted values):\n");
        let _ = writeln!(r, "| family | value | count | types | template | example line (redacted) |");
        let _ = writeln!(r, "|---|---|---:|---|---|---|");
        for ((family, kind, form), list) in &groups {
            let types: BTreeSet<&str> = list.iter().map(|m| m.file.ty.name()).collect();
            let m = list[0];
            let focus = line_offset(m.file, m.plant);
            let _ = writeln!(
                r,
                "| {} | {} | {} | {} | {form} | {} |",
                family.name(),
                kind.name(),
                list.len(),
                types.into_iter().collect::<Vec<_>>().join(" "),
                snippet(m.file, m.plant.line, focus)
            );
        }
        let _ = writeln!(r, "\n<details><summary>Every miss</summary>\n");
        for m in &misses {
            let focus = line_offset(m.file, m.plant);
            let also = if m.same_line.is_empty() {
                String::new()
            } else {
                format!(" (same line flagged by {})", m.same_line.join(", "))
            };
            let _ = writeln!(
                r,
                "- {} · {} {} · {} ({}) `{}:{}`{also}: {}",
                m.plant.family.name(),
                m.plant.kind.name(),
                md_code(&m.plant.shape),
                m.file.ty.name(),
                m.file.encoding.name(),
                m.file.path,
                m.plant.line,
                snippet(m.file, m.plant.line, focus)
            );
        }
        let _ = writeln!(r, "\n</details>");
    }

    for (title, list) in [
        ("False alarms in credential-free files", &alarms),
        ("Unexpected findings in files with planted credentials", &unexpected),
    ] {
        let _ = writeln!(r, "\n## {title} ({})\n", list.len());
        if list.is_empty() {
            continue;
        }
        let mut groups: BTreeMap<(String, String, bool, String), Vec<&Alarm>> = BTreeMap::new();
        for a in list.iter() {
            let (cat, template) = match a.near {
                Some(n) => (n.cat.name().to_string(), md_code(&n.template)),
                None => ("surrounding code (no near-miss on the line)".to_string(), String::from("—")),
            };
            groups.entry((cat, a.finding.rule.clone(), a.aws_nearby, template)).or_default().push(a);
        }
        let mut groups: Vec<_> = groups.into_iter().collect();
        groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
        let _ = writeln!(
            r,
            "| near-miss category | rule | AWS nearby | count | types | template | example line (redacted) |"
        );
        let _ = writeln!(r, "|---|---|---|---:|---|---|---|");
        for ((cat, rule, aws, template), items) in &groups {
            let types: BTreeSet<&str> = items.iter().map(|a| a.file.ty.name()).collect();
            let a = items[0];
            let _ = writeln!(
                r,
                "| {cat} | `{rule}` | {} | {} | {} | {template} | {} |",
                if *aws { "yes" } else { "no" },
                items.len(),
                types.into_iter().collect::<Vec<_>>().join(" "),
                snippet(a.file, a.finding.line, a.finding.column.saturating_sub(1))
            );
        }
        let _ = writeln!(r, "\n<details><summary>Every one</summary>\n");
        for a in list.iter() {
            let _ = writeln!(
                r,
                "- `{}` {} · {} ({}) `{}:{}`: {}",
                a.finding.rule,
                md_code(&a.finding.redacted),
                a.file.ty.name(),
                a.file.encoding.name(),
                a.file.path,
                a.finding.line,
                snippet(a.file, a.finding.line, a.finding.column.saturating_sub(1))
            );
        }
        let _ = writeln!(r, "\n</details>");
    }
    r
}

/// The near-miss a finding falls on: the one spanning its column, else any on its line.
fn near_at<'a>(file: &'a GenFile, finding: &Finding) -> Option<&'a Near> {
    let col = finding.column.saturating_sub(1);
    let on_line = || file.nears.iter().filter(|n| n.line == finding.line);
    on_line().find(|n| (n.col..=n.col + n.len).contains(&col)).or_else(|| on_line().next())
}

/// Byte offset of a planted value in its line, for excerpts.
fn line_offset(file: &GenFile, plant: &Plant) -> usize {
    let line = file.text.split('\n').nth(plant.line.saturating_sub(1)).unwrap_or("");
    line.find(&plant.appears).unwrap_or(0)
}

/// Warns when the binary is older than the sources it should have been built from.
fn staleness(binary: &Path) -> Option<String> {
    let built = fs::metadata(binary).and_then(|m| m.modified()).ok()?;
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut newest = None;
    let mut stack = vec![src];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(dir).ok()?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(modified) = entry.metadata().and_then(|m| m.modified()) {
                if newest.as_ref().is_none_or(|(n, _)| modified > *n) {
                    newest = Some((modified, path));
                }
            }
        }
    }
    let (modified, path) = newest?;
    (modified > built).then(|| {
        format!(
            "{} is older than {}: run `cargo build --release` to measure the current rules",
            binary.display(),
            path.display()
        )
    })
}

fn main() -> Result<()> {
    let opts = parse_args()?;
    if !opts.awsguard.is_file() {
        bail!(
            "{} not found: build it first with `cargo build --release`, or pass --awsguard PATH",
            opts.awsguard.display()
        );
    }
    let version = Command::new(&opts.awsguard).arg("--version").output().context("running awsguard --version")?;
    let version = String::from_utf8_lossy(&version.stdout).into_owned();
    let stale = staleness(&opts.awsguard);
    if let Some(warning) = &stale {
        eprintln!("detection_bench: warning: {warning}");
    }

    let mut timings = Timings::default();
    let start = Instant::now();
    let mut g = G::new(opts.seed, opts.values);
    let positives = (opts.files * 45).div_ceil(100);
    let negatives = opts.files - positives;
    let mut kinds: Vec<Option<Family>> =
        (0..positives).map(|i| Some(FAMILIES[i % FAMILIES.len()])).chain((0..negatives).map(|_| None)).collect();
    g.rng.shuffle(&mut kinds);
    let mut negative_types: Vec<Ty> = (0..negatives).map(|i| TYPES[i % TYPES.len()]).collect();
    g.rng.shuffle(&mut negative_types);
    let mut files = Vec::with_capacity(opts.files);
    for (index, family) in kinds.into_iter().enumerate() {
        let ty = if family.is_none() { negative_types.pop().unwrap_or(Ty::Txt) } else { Ty::Txt };
        files.push(generate(&mut g, index, family, ty));
    }
    timings.generate = start.elapsed();
    eprintln!(
        "detection_bench: generated {} files in {:.1} s; staging and scanning...",
        files.len(),
        timings.generate.as_secs_f64()
    );

    let findings = run_awsguard(&opts, &files, &mut timings)?;
    let text = report(&opts, &version, &files, &findings, &timings, stale.as_deref());
    print!("{text}");
    if let Some(out) = &opts.out {
        fs::write(out, &text).with_context(|| format!("writing {}", out.display()))?;
    }
    Ok(())
}
