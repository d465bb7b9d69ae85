//! Detection rules, loaded once from the embedded `rules/aws.toml`.
//!
//! A rule is data: keywords for the prefilter, a regex that confirms a candidate line, and
//! filters that throw out placeholders, hashes and documentation keys. Regexes are compiled
//! lazily, on a rule's first keyword hit, so a commit without any keyword compiles none.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use anyhow::{Context, Result, bail};
use once_cell::sync::{Lazy, OnceCell};
use regex::bytes::Regex;
use serde::Deserialize;

mod source;
mod values;

pub use source::compact_regex;
use source::{compile, expand_fragments};
use values::distinct;
pub(crate) use values::is_placeholder;
pub use values::{MAX_ACCOUNT_ID, account_id, decode_value, entropy, has_run};

/// The built-in ruleset.
pub static RULES: Lazy<Ruleset> = Lazy::new(|| Ruleset::parse(&embedded()).expect("built-in rules load"));

/// `aws.toml` as built in: without its comments, deflated behind its length (`build.rs`).
fn embedded() -> String {
    crate::unpack(include_bytes!(concat!(env!("OUT_DIR"), "/aws.toml.deflate")))
}

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
    CodeartifactToken,
    SsoToken,
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
            Kind::CodeartifactToken => "codeartifact-token",
            Kind::SsoToken => "sso-token",
        }
    }
}

fn one() -> usize {
    1
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
    #[serde(default)]
    decode_keywords: Vec<String>,
    rule: Vec<RuleSyntax>,
}

/// The characters a rule's value is made of (`alphabet` in the rules file).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Alphabet {
    /// Base64 and the escapes a value may hold: `A-Za-z0-9+/=`, `\` (`\/`), `%` (`%2F`).
    Base64,
    /// Those and `-._:` (base64url, JWTs, SSO tokens).
    Token,
}

impl Alphabet {
    pub fn contains(self, b: u8) -> bool {
        b.is_ascii_alphanumeric()
            || matches!(b, b'+' | b'/' | b'=' | b'\\' | b'%')
            || (self == Alphabet::Token && matches!(b, b'-' | b'.' | b'_' | b':'))
    }
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
    #[serde(default = "one")]
    lines: usize,
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
    not_accounts: Vec<u64>,
    alphabet: Option<Alphabet>,
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
    /// Lines the pattern runs on: the candidate line and those after it (a call whose
    /// arguments are spread over lines).
    pub lines: usize,
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
    /// The value is a run of at least this many characters of this alphabet.
    run: Option<(Alphabet, usize)>,
}

struct Filters {
    len: Option<usize>,
    min_len: Option<usize>,
    min_entropy: Option<f64>,
    min_distinct: Option<usize>,
    require: Vec<CharClass>,
    word_like: bool,
    /// Accounts whose key IDs are documentation examples (123456789012).
    not_accounts: Vec<u64>,
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

    /// Whether `haystack` (the candidate line or window the pattern runs on) may hold a value
    /// of this rule: with an `alphabet`, only if it has a long enough run of its characters.
    /// A value is a contiguous run of the pattern's group, and decoding its escapes only
    /// shortens it, so a line without such a run is skipped before the regex is compiled or
    /// run: in ordinary code, `value` and `secret` are common words, and most rules' regexes
    /// take about a millisecond to compile.
    pub fn may_match(&self, haystack: &[u8]) -> bool {
        self.run.is_none_or(|(alphabet, len)| has_run(haystack, len, |b| alphabet.contains(b)))
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
        if !f.not_accounts.is_empty() {
            let list: Vec<String> = f.not_accounts.iter().map(|a| format!("{a:012}")).collect();
            out.push(format!("not_accounts = {}: key IDs of these (documentation) accounts", list.join(", ")));
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
        if !f.not_accounts.is_empty() && account_id(value).is_some_and(|a| f.not_accounts.contains(&a)) {
            return false;
        }
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
    /// Words (ASCII case-insensitive) that make a line a candidate for decoding only
    /// (`decode_keywords`): no rule runs on it for them.
    pub decode_keywords: Vec<String>,
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
            if !(1..=8).contains(&syntax.lines) {
                bail!("rule {}: lines = {} (the pattern's own lines) must be 1 to 8", syntax.id, syntax.lines);
            }
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
            let run = match (syntax.alphabet, syntax.len.or(syntax.min_len)) {
                (None, _) => None,
                (Some(alphabet), Some(len)) => Some((alphabet, len)),
                (Some(_), None) => bail!("rule {}: an alphabet needs len or min_len", syntax.id),
            };
            rules.push(Rule {
                id: syntax.id.clone(),
                name: syntax.name.clone(),
                kind: syntax.kind,
                keywords: syntax.keywords.clone(),
                exact_keywords: syntax.exact_keywords,
                near,
                context_lines: syntax.context_lines,
                lines: syntax.lines,
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
                    not_accounts: syntax.not_accounts.clone(),
                },
                run,
            });
        }
        if rules.len() > 63 {
            bail!("at most 63 rules are supported (the prefilter keeps a 64-bit rule mask, one bit for decoding)");
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
        Ok(Ruleset { rules, decode_keywords: file.decode_keywords, pair_lines })
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
     equal characters (but `/` or `+` in a token of 100 characters or more), or a run of 8 consecutive ascending \
     or descending characters (ABCDEFGH, 98765432)";

#[cfg(test)]
mod tests {
    use super::*;
    use regex_syntax::hir::{Capture, Class, Hir, HirKind};

    #[test]
    fn the_embedded_rules_are_the_file_without_its_comment_lines() {
        let full = Ruleset::parse(include_str!("rules/aws.toml")).unwrap();
        assert_eq!(full.rules.len(), RULES.rules.len());
        for (a, b) in full.rules.iter().zip(&RULES.rules) {
            assert_eq!(a.id, b.id);
            assert_eq!(compact_regex(a.pattern_source()), compact_regex(b.pattern_source()), "{}", a.id);
            assert_eq!(a.context_src.as_deref().map(compact_regex), b.context_src.as_deref().map(compact_regex));
            assert_eq!(
                (&a.examples, &a.negative_examples, &a.keywords),
                (&b.examples, &b.negative_examples, &b.keywords)
            );
        }
    }

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

    /// The one-line form printed by `rules --show` means what the `(?x)` source means: same
    /// matches and groups on every example and negative example of every rule.
    #[test]
    fn compact_forms_match_like_the_sources() {
        let mut fake = crate::fake::Fake::from_env_or(0x7275_6c65);
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

    /// A key ID of the documentation account 123456789012 is no finding; the same key ID
    /// with any other account is.
    #[test]
    fn key_ids_of_the_documentation_account_are_rejected() {
        let rule = RULES.get("aws.access-key-id").unwrap();
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let key_of = |account: u64, tail: &str| {
            let bits = ((account << 7) | 0x8000_0000_0000) << 2;
            let mut key = b"AKIA".to_vec();
            key.extend((0..10).rev().map(|i| alphabet[((bits >> (i * 5)) & 31) as usize]));
            key.extend_from_slice(tail.as_bytes());
            key
        };
        let mut fake = crate::fake::Fake::from_env_or(0x6163_6374);
        let tail = fake.chars(alphabet, 6);
        let doc = key_of(123_456_789_012, &tail);
        assert_eq!(account_id(&doc), Some(123_456_789_012));
        assert!(!rule.accepts(&doc, &doc[4..]), "{}", String::from_utf8_lossy(&doc));
        let real = key_of(123_456_789_013 + fake.chars(b"123456789", 1).parse::<u64>().unwrap() * 7919, &tail);
        assert!(rule.accepts(&real, &real[4..]), "{}", String::from_utf8_lossy(&real));
    }

    #[test]
    fn parent_ids_name_children() {
        let paired = RULES.get("aws.secret-access-key.paired").unwrap();
        assert!(paired.is_named_by("aws.secret-access-key"));
        assert!(paired.is_named_by("aws.secret-access-key.paired"));
        assert!(!paired.is_named_by("aws.secret"));
        assert!(!RULES.get("aws.secret-access-key").unwrap().is_named_by("aws.secret-access-key.paired"));
    }

    /// The group a rule's filters judge (`body`, else group 1), from the parsed pattern.
    fn judged_group(hir: &Hir) -> Option<&Hir> {
        fn find<'h>(hir: &'h Hir, wanted: &dyn Fn(&Capture) -> bool) -> Option<&'h Hir> {
            match hir.kind() {
                HirKind::Capture(c) if wanted(c) => Some(&c.sub),
                HirKind::Capture(c) => find(&c.sub, wanted),
                HirKind::Repetition(r) => find(&r.sub, wanted),
                HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().find_map(|h| find(h, wanted)),
                _ => None,
            }
        }
        find(hir, &|c| c.name.as_deref() == Some("body")).or_else(|| find(hir, &|c| c.index == 1))
    }

    /// Every byte a match of `hir` can contain.
    fn bytes_of(hir: &Hir, set: &mut [bool; 256]) {
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => {}
            HirKind::Literal(l) => l.0.iter().for_each(|&b| set[usize::from(b)] = true),
            HirKind::Class(Class::Bytes(c)) => {
                c.iter().flat_map(|r| r.start()..=r.end()).for_each(|b| set[usize::from(b)] = true);
            }
            HirKind::Class(Class::Unicode(_)) => set.fill(true),
            HirKind::Repetition(r) => bytes_of(&r.sub, set),
            HirKind::Capture(c) => bytes_of(&c.sub, set),
            HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().for_each(|h| bytes_of(h, set)),
        }
    }

    /// `alphabet` lets a rule skip lines without a long run of its characters: sound only if
    /// its judged group cannot match any other byte. Proved on each pattern as parsed; and
    /// each rule whose values fit an alphabet says so, the narrowest that fits.
    #[test]
    fn alphabets_hold_every_byte_a_value_can_have() {
        for rule in &RULES.rules {
            let parser = || regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build();
            let hir = parser().parse(rule.pattern_source()).unwrap();
            let group = judged_group(&hir).unwrap_or_else(|| panic!("{}: no group 1", rule.id));
            let mut set = [false; 256];
            bytes_of(group, &mut set);
            let fits = |a: Alphabet| (0..=255u8).all(|b| !set[usize::from(b)] || a.contains(b));
            let narrowest = [Alphabet::Base64, Alphabet::Token].into_iter().find(|&a| fits(a));
            let judged = rule.filters.len.or(rule.filters.min_len);
            let expected = narrowest.zip(judged);
            assert_eq!(
                rule.run, expected,
                "{}: its value's bytes fit {narrowest:?}, judged length {judged:?}",
                rule.id
            );
        }
    }

    #[test]
    fn may_match_needs_a_run_as_long_as_the_value() {
        let rule = RULES.get("aws.secret-access-key").unwrap();
        let run = "a/B+c".repeat(8);
        assert!(rule.may_match(format!("secret = \"{run}\"").as_bytes()));
        assert!(rule.may_match(format!("secret = \"{}%2F{}\"", &run[..20], &run[..19]).as_bytes()));
        assert!(!rule.may_match(format!("secret = \"{}\"", &run[..39]).as_bytes()));
        assert!(!rule.may_match(format!("secret = \"{}.{}\"", &run[..20], &run[..20]).as_bytes()));
        let token = RULES.get("aws.sso-token").unwrap();
        assert!(token.may_match(format!("accessToken: {}", "a.b-c_d:e".repeat(8)).as_bytes()));
    }
}
