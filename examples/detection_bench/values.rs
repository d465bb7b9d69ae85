//! Randomness and values: the seeded source of every choice, the filler tokens of the
//! templates, and credential values shaped like the ones AWS issues.

use awsguard::fake::Fake;

use crate::Values;

pub const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
pub const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
pub const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
pub const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub const HEX: &[u8] = b"0123456789abcdef";
pub const HEX_UPPER: &[u8] = b"0123456789ABCDEF";
pub const LOWER36: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
pub const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
pub const DIGITS: &[u8] = b"0123456789";
pub const DNA: &[u8] = b"ACGT";

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
pub fn base64(bytes: &[u8]) -> String {
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

/// Lower-case hex, two digits a byte (`xxd -p`, Python's `bytes.hex()`).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Percent-encodes what a query string must: `/`, `+`, `=`.
pub fn percent_encode(value: &str, lower: bool) -> String {
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
pub fn expand_with(template: &str, resolve: &mut dyn FnMut(&str) -> Option<String>) -> String {
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
pub struct G {
    pub rng: fastrand::Rng,
    pub fake: Fake,
    pub values: Values,
}

impl G {
    pub fn new(seed: u64, values: Values) -> G {
        G { rng: fastrand::Rng::with_seed(seed ^ 0x5eed_5eed_0bad_cafe), fake: Fake::new(seed), values }
    }

    pub fn below(&mut self, n: usize) -> usize {
        self.rng.usize(..n)
    }

    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        self.rng.usize(lo..=hi)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.rng.f64() < p
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    pub fn weighted<T: Copy>(&mut self, items: &[(u32, T)]) -> T {
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
    pub fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
        self.fake.chars(alphabet, n)
    }

    pub fn word(&mut self) -> &'static str {
        self.pick(WORDS)
    }

    pub fn snake(&mut self) -> String {
        let (a, b) = (self.word(), self.word());
        if a == b { a.to_string() } else { format!("{a}_{b}") }
    }

    pub fn pascal(&mut self) -> String {
        self.snake().split('_').map(capitalise).collect()
    }

    pub fn camel(&mut self) -> String {
        let p = self.pascal();
        let mut c = p.chars();
        c.next().map(|f| f.to_ascii_lowercase().to_string() + c.as_str()).unwrap_or_default()
    }

    pub fn short_ident(&mut self) -> String {
        let n = self.range(1, 2);
        self.chars(LOWER, n)
    }

    pub fn uuid(&mut self) -> String {
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
    pub fn fill(&mut self, template: &str, empty_braces: bool) -> String {
        expand_with(template, &mut |spec| self.token(spec, empty_braces))
    }

    pub fn token(&mut self, spec: &str, empty_braces: bool) -> Option<String> {
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
            "prefixword" => prefix_word(self, n?),
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
    pub fn key_id(&mut self, prefix: &str) -> String {
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

    pub fn secret(&mut self) -> String {
        match self.values {
            Values::Real => self.chars(B64, 40),
            Values::Fake => self.fake.secret(),
        }
    }

    /// An STS session token: the base64 of the bytes every STS token starts with, then
    /// random base64, padded. Returns the token and its shape.
    pub fn session_token(&mut self) -> (String, String) {
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
    pub fn bedrock_long_term(&mut self) -> String {
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
    /// An STS session token as STS really writes one: a run of `/` (bytes 0xFF of a protobuf
    /// varint) a few characters after the header, which a placeholder filter must not take
    /// for a repeated character.
    pub fn session_token_sts(&mut self) -> (String, String) {
        let (token, shape) = self.session_token();
        let at = token.len().min(24);
        let run = "/".repeat(self.range(6, 12));
        let shape = format!("{shape}, with a run of {} `/`", run.len());
        (format!("{}{run}{}", &token[..at], &token[at..]), shape)
    }

    /// A CodeArtifact authorization token: a compact JWE whose base64url header is
    /// `{"ver":1,"isu":...,"enc":"A128GCM","tag":...,"exp":...,"alg":"A128GCMKW","iv":...}`.
    pub fn codeartifact_token(&mut self) -> String {
        let issued = 1_700_000_000 + self.range(0, 60_000_000);
        let header = format!(
            "{{\"ver\":1,\"isu\":{issued},\"enc\":\"A128GCM\",\"tag\":\"{}\",\"exp\":{},\"alg\":\"A128GCMKW\",\"iv\":\"{}\"}}",
            self.chars(B64URL, 22),
            issued + 43_200,
            self.chars(B64URL, 16)
        );
        let header = base64(header.as_bytes()).replace('+', "-").replace('/', "_").replace('=', "");
        let n = self.range(700, 1100);
        format!(
            "{header}.{}.{}.{}.{}",
            self.chars(B64URL, 22),
            self.chars(B64URL, 16),
            self.chars(B64URL, n),
            self.chars(B64URL, 22)
        )
    }

    pub fn bedrock_short_term(&mut self) -> String {
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
