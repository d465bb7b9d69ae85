//! Detection rules, loaded once from the embedded `rules/aws.toml`.
//!
//! A rule is data: keywords for the prefilter, a regex that confirms a candidate line, and
//! filters that throw out placeholders, hashes and documentation keys. Regexes are compiled
//! lazily, on a rule's first keyword hit, so a commit without any keyword compiles none.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use anyhow::{Context, Result, bail};
use once_cell::sync::{Lazy, OnceCell};
use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;

/// The built-in ruleset.
pub static RULES: Lazy<Ruleset> =
    Lazy::new(|| Ruleset::parse(include_str!("rules/aws.toml")).expect("built-in rules load"));

/// What kind of credential a rule finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    AccessKeyId,
    SecretAccessKey,
    SessionToken,
    BedrockApiKey,
    MwsAuthToken,
    AppsyncApiKey,
}

impl Kind {
    /// The stable name used in JSON and SARIF output.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::AccessKeyId => "access-key-id",
            Kind::SecretAccessKey => "secret-access-key",
            Kind::SessionToken => "session-token",
            Kind::BedrockApiKey => "bedrock-api-key",
            Kind::MwsAuthToken => "mws-auth-token",
            Kind::AppsyncApiKey => "appsync-api-key",
        }
    }
}

/// A character class a rule can require in a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum CharClass {
    Upper,
    Lower,
    Digit,
    DigitOrSymbol,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    fragments: BTreeMap<String, String>,
    rule: Vec<RuleSyntax>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSyntax {
    id: String,
    name: String,
    kind: Kind,
    keywords: Vec<String>,
    #[serde(default)]
    exact_keywords: bool,
    pattern: String,
    context: Option<String>,
    #[serde(default)]
    context_lines: usize,
    context_bytes: Option<usize>,
    near: Option<String>,
    #[serde(default)]
    near_lines: usize,
    len: Option<usize>,
    min_len: Option<usize>,
    min_entropy: Option<f64>,
    min_distinct: Option<usize>,
    #[serde(default)]
    require: Vec<CharClass>,
    #[serde(default)]
    word_like: bool,
    #[serde(default)]
    whole_token: bool,
    #[serde(default)]
    examples: Vec<String>,
    #[serde(default)]
    negative_examples: Vec<String>,
    references: Vec<String>,
}

/// One detection rule. See `rules/aws.toml` for what each field means.
pub struct Rule {
    pub id: String,
    pub name: String,
    pub kind: Kind,
    pub keywords: Vec<String>,
    /// Keywords match case-sensitively (`AKIA` is always upper case); otherwise ASCII
    /// case-insensitively (`secret`, `SecretAccessKey`, `SECRET`).
    pub exact_keywords: bool,
    /// Index of the rule whose findings anchor this one (`near`), and the line window.
    pub near: Option<(usize, usize)>,
    /// Lines on either side of a value in which `context` must match...
    pub context_lines: usize,
    /// ...and at most this many bytes away, if the rule says so.
    pub context_bytes: Option<usize>,
    /// The value must be a whole token: a match followed by more base64 is a slice of a
    /// longer one (the patterns cap their repetition).
    pub whole_token: bool,
    pub examples: Vec<String>,
    pub negative_examples: Vec<String>,
    /// Where the credential's format is documented (AWS documentation URLs).
    pub references: Vec<String>,
    pattern_src: String,
    pattern: OnceCell<Regex>,
    context_src: Option<String>,
    context: OnceCell<Option<Regex>>,
    filters: Filters,
}

struct Filters {
    len: Option<usize>,
    min_len: Option<usize>,
    min_entropy: Option<f64>,
    min_distinct: Option<usize>,
    require: Vec<CharClass>,
    word_like: bool,
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rule").field("id", &self.id).finish_non_exhaustive()
    }
}

impl Rule {
    /// The confirming regex; group 1 is the value, `body` (if any) its random part.
    pub fn regex(&self) -> &Regex {
        self.pattern.get_or_init(|| compile(&self.pattern_src).expect("built-in rules compile"))
    }

    /// The context regex, if this rule needs AWS named close to its value.
    pub fn context(&self) -> Option<&Regex> {
        self.context
            .get_or_init(|| self.context_src.as_deref().map(|src| compile(src).expect("built-in rules compile")))
            .as_ref()
    }

    /// The confirming regex's source with every `<<fragment>>` substituted: the `(?x)` form
    /// as written in the rules file, comments and all. [`compact_regex`] gives a one-line form.
    pub fn pattern_source(&self) -> &str {
        &self.pattern_src
    }

    /// The context regex's source, fragments substituted, if the rule has one.
    pub fn context_source(&self) -> Option<&str> {
        self.context_src.as_deref()
    }

    /// The filters this rule applies to a value, one per line, in words; the filters every
    /// rule applies (placeholders) come last.
    pub fn filter_descriptions(&self) -> Vec<String> {
        let f = &self.filters;
        let mut out = Vec::new();
        if let Some(n) = f.len {
            out.push(format!("len = {n}: the decoded value is exactly {n} characters long"));
        }
        if let Some(n) = f.min_len {
            out.push(format!("min_len = {n}: the decoded value is at least {n} characters long"));
        }
        if let Some(e) = f.min_entropy {
            out.push(format!("min_entropy = {e}: at least {e} bits of Shannon entropy per character"));
        }
        if let Some(n) = f.min_distinct {
            out.push(format!("min_distinct = {n}: at least {n} distinct characters"));
        }
        if !f.require.is_empty() {
            let names: Vec<&str> = f.require.iter().map(|c| c.as_str()).collect();
            out.push(format!("require = {}: each of these character classes occurs", names.join(", ")));
        }
        if f.word_like {
            out.push("word_like: values that read like English words are rejected".to_string());
        }
        if self.whole_token {
            out.push("whole_token: a value that runs on into more base64 is a slice of a longer token".to_string());
        }
        out.push(PLACEHOLDER_FILTER.to_string());
        out
    }

    /// Whether a decoded value (or its random `body`) looks like a real credential rather
    /// than a placeholder, a hash or a documentation example.
    pub fn accepts(&self, value: &[u8], body: &[u8]) -> bool {
        if is_placeholder(value) {
            return false;
        }
        let f = &self.filters;
        if f.len.is_some_and(|n| body.len() != n) || f.min_len.is_some_and(|n| body.len() < n) {
            return false;
        }
        if f.min_distinct.is_some_and(|n| distinct(body) < n) {
            return false;
        }
        if f.min_entropy.is_some_and(|e| entropy(body) < e) {
            return false;
        }
        if !f.require.iter().all(|class| body.iter().any(|&b| class.contains(b))) {
            return false;
        }
        !(f.word_like && crate::words::reads_like_words(body))
    }

    /// Whether `rule_id` names this rule or one of its parents (`aws.secret-access-key`
    /// covers `aws.secret-access-key.paired`).
    pub fn is_named_by(&self, rule_id: &str) -> bool {
        self.id == rule_id || (self.id.starts_with(rule_id) && self.id.as_bytes().get(rule_id.len()) == Some(&b'.'))
    }
}

impl CharClass {
    fn as_str(self) -> &'static str {
        match self {
            CharClass::Upper => "upper",
            CharClass::Lower => "lower",
            CharClass::Digit => "digit",
            CharClass::DigitOrSymbol => "digit-or-symbol",
        }
    }

    fn contains(self, b: u8) -> bool {
        match self {
            CharClass::Upper => b.is_ascii_uppercase(),
            CharClass::Lower => b.is_ascii_lowercase(),
            CharClass::Digit => b.is_ascii_digit(),
            CharClass::DigitOrSymbol => b.is_ascii_digit() || b == b'+' || b == b'/',
        }
    }
}

/// All rules, in file order (which is also the order of precedence when two rules report
/// the same value).
pub struct Ruleset {
    pub rules: Vec<Rule>,
    pair_lines: u32,
}

impl Ruleset {
    /// Parses and checks a rules file. Patterns are not compiled here (see [`Rule::regex`]).
    ///
    /// # Errors
    /// Bad TOML, an unknown field, a duplicate or malformed id, or a `near` naming no rule.
    pub fn parse(text: &str) -> Result<Ruleset> {
        let file: RulesFile = toml::from_str(text).context("parsing the rules file")?;
        let mut rules: Vec<Rule> = Vec::with_capacity(file.rule.len());
        let mut used = BTreeSet::new();
        for syntax in &file.rule {
            if !syntax.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(&b)) {
                bail!("rule id {:?} is not lowercase dotted words", syntax.id);
            }
            if rules.iter().any(|r| r.id == syntax.id) {
                bail!("duplicate rule id {:?}", syntax.id);
            }
            let near = match &syntax.near {
                None => None,
                Some(anchor) => {
                    let i = rules
                        .iter()
                        .position(|r| &r.id == anchor)
                        .with_context(|| format!("rule {}: near = {anchor:?} names no earlier rule", syntax.id))?;
                    Some((i, syntax.near_lines))
                }
            };
            if syntax.references.is_empty() {
                bail!("rule {}: no references (where the credential's format is documented)", syntax.id);
            }
            if let Some(r) = syntax.references.iter().find(|r| !r.starts_with("https://")) {
                bail!("rule {}: reference {r:?} is not an https:// URL", syntax.id);
            }
            let expand = |what: &str, src: &str, used: &mut BTreeSet<String>| -> Result<String> {
                if !src.starts_with("(?x)") {
                    bail!("rule {}: the {what} does not start with (?x)", syntax.id);
                }
                expand_fragments(src, &file.fragments, used, 0).with_context(|| format!("rule {}: {what}", syntax.id))
            };
            let pattern_src = expand("pattern", &syntax.pattern, &mut used)?;
            let context_src = syntax.context.as_deref().map(|c| expand("context", c, &mut used)).transpose()?;
            rules.push(Rule {
                id: syntax.id.clone(),
                name: syntax.name.clone(),
                kind: syntax.kind,
                keywords: syntax.keywords.clone(),
                exact_keywords: syntax.exact_keywords,
                near,
                context_lines: syntax.context_lines,
                context_bytes: syntax.context_bytes,
                whole_token: syntax.whole_token,
                examples: syntax.examples.clone(),
                negative_examples: syntax.negative_examples.clone(),
                references: syntax.references.clone(),
                pattern_src,
                pattern: OnceCell::new(),
                context_src,
                context: OnceCell::new(),
                filters: Filters {
                    len: syntax.len,
                    min_len: syntax.min_len,
                    min_entropy: syntax.min_entropy,
                    min_distinct: syntax.min_distinct,
                    require: syntax.require.clone(),
                    word_like: syntax.word_like,
                },
            });
        }
        if rules.len() > 64 {
            bail!("at most 64 rules are supported (the prefilter keeps a 64-bit rule mask)");
        }
        if let Some(unused) = file.fragments.keys().find(|name| !used.contains(*name)) {
            bail!("fragment <<{unused}>> is used by no rule");
        }
        // A secret rule anchored on key IDs says how far apart a pair may be.
        let pair_lines = rules
            .iter()
            .filter(|r| r.kind == Kind::SecretAccessKey)
            .filter_map(|r| r.near)
            .filter(|&(anchor, _)| rules[anchor].kind == Kind::AccessKeyId)
            .map(|(_, lines)| u32::try_from(lines).unwrap_or(u32::MAX))
            .max()
            .unwrap_or(0);
        Ok(Ruleset { rules, pair_lines })
    }

    /// Lines apart at which an access key ID and a secret access key make one credential
    /// pair: the `near_lines` of the secret rule anchored on key IDs
    /// (`aws.secret-access-key.paired`), 0 if there is none. The pairing of findings uses
    /// this, so that the rules file is the only place the distance is written.
    pub fn pair_lines(&self) -> u32 {
        self.pair_lines
    }

    /// Looks a rule up by its exact id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// What every rule rejects, whatever its own filters (see `is_placeholder`).
pub const PLACEHOLDER_FILTER: &str = "placeholders (every rule): a value containing EXAMPLE (any case), a run of 6 \
     equal characters, or a run of 8 consecutive ascending or descending characters (ABCDEFGH, 98765432)";

/// Replaces each `<<name>>` with the fragment of that name, expanded in turn (fragments
/// may nest), and records the names used. Fragments are written for `(?x)` mode: a
/// multi-line one continues at the indentation of the line it is substituted into, and if
/// its last line ends in a `#` comment, what followed `<<name>>` moves to a line of its own.
/// A comment after `<<name>>` keeps its column where the substitution leaves room.
fn expand_fragments(
    text: &str,
    fragments: &BTreeMap<String, String>,
    used: &mut BTreeSet<String>,
    depth: usize,
) -> Result<String> {
    if depth > 8 {
        bail!("fragments nest too deeply in {text:?}");
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<<") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find(">>").map(|i| start + i).context("unclosed <<fragment>>")?;
        let name = &rest[start + 2..end];
        let fragment = fragments.get(name).with_context(|| format!("unknown fragment <<{name}>>"))?;
        used.insert(name.to_string());
        let expanded = expand_fragments(fragment.trim_matches(['\n', '\r']), fragments, used, depth + 1)?;
        let line = &out[out.rfind('\n').map_or(0, |i| i + 1)..];
        let indent = line[..line.len() - line.trim_start().len()].to_string();
        for (i, fragment_line) in expanded.lines().enumerate() {
            if i > 0 {
                out.push('\n');
                if !fragment_line.is_empty() {
                    out.push_str(&indent);
                }
            }
            out.push_str(fragment_line);
        }
        if expanded.lines().last().is_some_and(|l| l.contains('#')) {
            out.push('\n');
            out.push_str(&indent);
        }
        rest = &rest[end + 2..];
        // A comment later on the line stays in the column it was written in, if there is room.
        let segment = &rest[..rest.find('\n').unwrap_or(rest.len())];
        if let Some(hash) = segment.find(" #").filter(|_| !segment.contains("<<")).map(|i| i + 1) {
            let code = segment[..hash].trim_end_matches(' ');
            if !code.ends_with('\\') {
                let written = &text[..text.len() - rest.len()];
                let column = written.len() - written.rfind('\n').map_or(0, |i| i + 1) + hash;
                out.push_str(code);
                let now = out.len() - out.rfind('\n').map_or(0, |i| i + 1);
                out.extend(std::iter::repeat_n(' ', column.saturating_sub(now).max(1)));
                rest = &rest[hash..];
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The one-line form of a `(?x)` regex: comments and insignificant whitespace removed, the
/// `(?x)` flag dropped. Escaped characters (`\ `, `\#`) are kept escaped, so the result
/// means the same without the flag. Other sources are returned unchanged.
pub fn compact_regex(src: &str) -> String {
    let Some(body) = src.strip_prefix("(?x)") else { return src.to_string() };
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                out.extend(chars.next());
            }
            '#' => {
                for skipped in chars.by_ref() {
                    if skipped == '\n' {
                        break;
                    }
                }
            }
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

fn compile(src: &str) -> Result<Regex> {
    RegexBuilder::new(src)
        .unicode(false)
        .size_limit(16 << 20)
        .dfa_size_limit(16 << 20)
        .build()
        .with_context(|| format!("compiling {src:?}"))
}

/// Decodes the escapes a credential picks up in transit: `\/` from JSON, and `%2F`, `%2B`,
/// `%3D` from URL encoding. Borrowed unchanged when there is nothing to decode.
pub fn decode_value(raw: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if !raw.iter().any(|&b| b == b'\\' || b == b'%') {
        return raw.into();
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'\\' if raw.get(i + 1) == Some(&b'/') => {
                out.push(b'/');
                i += 2;
            }
            b'%' if i + 2 < raw.len() => {
                let decoded = match (raw[i + 1], raw[i + 2].to_ascii_uppercase()) {
                    (b'2', b'F') => Some(b'/'),
                    (b'2', b'B') => Some(b'+'),
                    (b'3', b'D') => Some(b'='),
                    _ => None,
                };
                match decoded {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out.into()
}

/// The AWS documentation keys contain `EXAMPLE`; placeholders repeat one character
/// (`AKIA` and sixteen `X`) or count through the alphabet (`ABCDEFGHIJKLMNOP`,
/// `0123456789`). A random 40-character secret has such a run once in 10^11.
fn is_placeholder(value: &[u8]) -> bool {
    let has_example = value.windows(7).any(|w| w.eq_ignore_ascii_case(b"EXAMPLE"));
    let has_repeat = value.windows(6).any(|w| w.iter().all(|&b| b == w[0]));
    let has_sequence = value.windows(8).any(|w| {
        w.windows(2).all(|p| p[1] == p[0].wrapping_add(1)) || w.windows(2).all(|p| p[0] == p[1].wrapping_add(1))
    });
    has_example || has_repeat || has_sequence
}

fn distinct(bytes: &[u8]) -> usize {
    let mut seen = [false; 256];
    bytes.iter().filter(|&&b| !std::mem::replace(&mut seen[b as usize], true)).count()
}

/// Shannon entropy in bits per character.
pub fn entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts.iter().filter(|&&c| c > 0).map(|&c| c as f64 / n).map(|p| -p * p.log2()).sum()
}

/// The 12-digit AWS account that owns an `AKIA`/`ASIA` key ID, decoded offline.
///
/// Base32-decode the 16 characters after the prefix, take the first 6 bytes big-endian,
/// mask `0x7fffffffff80` and shift right 7. Key IDs whose fifth character is `I` or `J`
/// predate this encoding and carry no account.
pub fn account_id(key_id: &[u8]) -> Option<u64> {
    if key_id.len() != 20 || !(key_id.starts_with(b"AKIA") || key_id.starts_with(b"ASIA")) {
        return None;
    }
    if matches!(key_id[4], b'I' | b'J') {
        return None;
    }
    // 10 base32 characters give 50 bits, enough for the first 6 bytes (48 bits).
    let mut bits: u64 = 0;
    for &c in &key_id[4..14] {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        bits = (bits << 5) | v as u64;
    }
    let first6 = bits >> 2;
    Some((first6 & 0x7fff_ffff_ff80) >> 7)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_load_and_every_pattern_compiles() {
        for rule in &RULES.rules {
            rule.regex();
            rule.context();
            assert!(!rule.name.is_empty(), "{} has no name", rule.id);
            assert!(rule.near.is_some() || !rule.keywords.is_empty(), "{} has no keywords", rule.id);
            assert!(rule.regex().captures_len() >= 2, "{} has no value group", rule.id);
        }
    }

    #[test]
    fn every_rule_has_references_and_the_loader_requires_them() {
        for rule in &RULES.rules {
            assert!(!rule.references.is_empty(), "{} has no references", rule.id);
        }
        let rule =
            "[[rule]]\nid = \"x\"\nname = \"x\"\nkind = \"access-key-id\"\nkeywords = [\"x\"]\npattern = '(?x)(x)'\n";
        let err = Ruleset::parse(rule).err().expect("a rule without references loads");
        assert!(format!("{err:#}").contains("references"), "{err:#}");
        let err = Ruleset::parse(&format!("{rule}references = []\n")).err().unwrap().to_string();
        assert!(err.contains("no references"), "{err}");
        let err = Ruleset::parse(&format!("{rule}references = [\"docs\"]\n")).err().unwrap().to_string();
        assert!(err.contains("https://"), "{err}");
        assert!(Ruleset::parse(&format!("{rule}references = [\"https://docs.aws.amazon.com/\"]\n")).is_ok());
    }

    fn one_rule(fragments: &str, pattern: &str) -> Result<Ruleset> {
        Ruleset::parse(&format!(
            "[fragments]\n{fragments}\n[[rule]]\nid = \"x\"\nname = \"x\"\nkind = \"access-key-id\"\n\
             keywords = [\"x\"]\nreferences = [\"https://example.com/\"]\npattern = '''\n{pattern}'''\n"
        ))
    }

    #[test]
    fn fragments_expand_nested_and_indented() {
        let fragments = "inner = '[a-z]'\nouter = '''\n(?:\n    <<inner>>{2}    # two letters\n)\n'''\n\
                         commented = '''\nx+  # ends in a comment\n'''";
        let set = one_rule(fragments, "(?x)\n(\n    <<outer>>   # the word\n    <<commented>>y\n)\n").unwrap();
        let rule = &set.rules[0];
        assert_eq!(
            rule.pattern_source(),
            "(?x)\n(\n    (?:\n        [a-z]{2}        # two letters\n    )           # the word\n    \
             x+  # ends in a comment\n    y\n)\n"
        );
        assert_eq!(compact_regex(rule.pattern_source()), "((?:[a-z]{2})x+y)");
        let found = rule.regex().captures(b"--abxxy--").unwrap();
        assert_eq!(&found[1], b"abxxy");
    }

    #[test]
    fn fragment_mistakes_are_load_errors() {
        let err = one_rule("", "(?x)(<<nope>>)").err().unwrap();
        assert!(format!("{err:#}").contains("unknown fragment <<nope>>"), "{err:#}");
        let err = one_rule("a = 'x'\nb = 'y'", "(?x)(<<a>>)").err().unwrap().to_string();
        assert!(err.contains("<<b>> is used by no rule"), "{err}");
        let err = one_rule("", "(x)").err().unwrap().to_string();
        assert!(err.contains("(?x)"), "{err}");
        assert!(one_rule("a = '<<b>>'\nb = '<<a>>'", "(?x)(<<a>>)").is_err(), "a cycle must not loop forever");
        assert!(one_rule("", "(?x)(<<unclosed)").is_err());
    }

    #[test]
    fn compact_form_drops_comments_and_whitespace_only() {
        assert_eq!(compact_regex("(?x)\n a \\  b # c d\n [ ] \\# e\n"), "a\\ b[]\\#e");
        assert_eq!(compact_regex("no x flag # kept"), "no x flag # kept");
        let escaped = compile(&compact_regex("(?x) a \\  \\# b")).unwrap();
        assert!(escaped.is_match(b"a #b"));
    }

    /// The one-line form printed by `rules --show` means what the `(?x)` source means: same
    /// matches and groups on every example and negative example of every rule.
    #[test]
    fn compact_forms_match_like_the_sources() {
        let mut fake = crate::fake::Fake::from_env();
        let texts: Vec<String> = RULES
            .rules
            .iter()
            .flat_map(|r| r.examples.iter().chain(&r.negative_examples))
            .map(|t| fake.expand(t))
            .collect();
        for rule in &RULES.rules {
            let sources = [Some(rule.pattern_source()), rule.context_source()];
            for src in sources.into_iter().flatten() {
                let compact = compact_regex(src);
                assert!(!compact.contains(char::is_whitespace), "{}: {compact}", rule.id);
                let (x, one_line) = (compile(src).unwrap(), compile(&compact).unwrap());
                for text in &texts {
                    let spans = |re: &Regex| -> Vec<Vec<Option<(usize, usize)>>> {
                        re.captures_iter(text.as_bytes())
                            .map(|c| c.iter().map(|m| m.map(|m| (m.start(), m.end()))).collect())
                            .collect()
                    };
                    assert_eq!(spans(&x), spans(&one_line), "{}: {text:?} (seed {})", rule.id, fake.seed());
                }
            }
        }
    }

    #[test]
    fn pair_lines_come_from_the_paired_rule() {
        let paired = RULES.get("aws.secret-access-key.paired").unwrap();
        assert_eq!(RULES.pair_lines() as usize, paired.near.unwrap().1);
        assert_eq!(RULES.pair_lines(), 4);
    }

    #[test]
    fn rule_ids_are_stable_and_documented() {
        let ids: Vec<&str> = RULES.rules.iter().map(|r| r.id.as_str()).collect();
        for expected in ["aws.access-key-id", "aws.secret-access-key", "aws.session-token"] {
            assert!(ids.contains(&expected), "missing rule {expected}");
        }
    }

    #[test]
    fn parent_ids_name_children() {
        let paired = RULES.get("aws.secret-access-key.paired").unwrap();
        assert!(paired.is_named_by("aws.secret-access-key"));
        assert!(paired.is_named_by("aws.secret-access-key.paired"));
        assert!(!paired.is_named_by("aws.secret"));
        assert!(!RULES.get("aws.secret-access-key").unwrap().is_named_by("aws.secret-access-key.paired"));
    }

    #[test]
    fn decode_value_handles_json_and_url_escapes() {
        assert_eq!(&*decode_value(b"ab\\/cd"), b"ab/cd");
        assert_eq!(&*decode_value(b"ab%2Fcd%2bef%3D"), b"ab/cd+ef=");
        assert_eq!(&*decode_value(b"ab%41"), b"ab%41");
        assert_eq!(&*decode_value(b"ab%2"), b"ab%2");
        assert_eq!(&*decode_value(b"plain"), b"plain");
    }

    #[test]
    fn sequences_and_repeats_are_placeholders() {
        assert!(is_placeholder(&[&b"AKIA"[..], b"ABCDEFGHIJKLMNOP"].concat()));
        assert!(is_placeholder(b"abcdefghijklmnopqrstuvwxyz0123456789ABCD"));
        assert!(is_placeholder(b"x9876543210y"));
        assert!(is_placeholder(b"AKIAQQQQQQZ2"));
        assert!(!is_placeholder(&[&b"AKIA"[..], b"Q3EGTKXWZ7BNMLPR"].concat()));
    }

    #[test]
    fn entropy_separates_hex_from_base64() {
        // Hex can never exceed 4 bits per character; the secret floor sits above it.
        assert!(entropy(b"0123456789abcdef0123456789abcdef01234567") <= 4.0);
        assert!(entropy(b"") == 0.0);
        assert!(entropy(b"aaaa") == 0.0);
    }

    #[test]
    fn account_id_decodes_from_key_id() {
        // Built from a known account: encode 123456789012 the way AWS does and decode it back.
        let account: u64 = 123_456_789_012;
        let first6 = (account << 7) | 0x8000_0000_0000; // high bit set, low 7 bits zero
        let bits = first6 << 2; // 50 bits: 48 data bits and two zero bits
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let mut key = b"AKIA".to_vec();
        for i in (0..10).rev() {
            key.push(alphabet[((bits >> (i * 5)) & 31) as usize]);
        }
        key.extend_from_slice(b"QRSTUV");
        assert_ne!(key[4], b'I');
        assert_eq!(account_id(&key), Some(account));
        key[4] = b'I';
        assert_eq!(account_id(&key), None, "old-format key IDs have no account");
        assert_eq!(account_id(b"AIDAAAAAAAAAAAAAAAAA"), None);
    }
}
