//! The benchmark's data: file types, labels, credential families and near-miss categories,
//! read from `bench/detection/*.toml` at compile time so that the runner needs no file at
//! run time. The formats are documented at the top of each file.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// Index of a file type in [`Data::types`]; the order is the report's.
pub type Ty = usize;
/// Index of a family in [`Data::families`].
pub type Family = usize;
/// Index of a near-miss category in [`Data::cats`].
pub type Cat = usize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub open: String,
    pub entry: String,
    pub close: String,
    pub style: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncodingChoice {
    pub encoding: String,
    #[serde(default = "one")]
    pub chance: f64,
    #[serde(default)]
    pub negative_only: bool,
    #[serde(default)]
    pub weight: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    pub header: String,
    pub row: String,
    pub rows: (usize, usize),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileType {
    pub id: String,
    pub name: String,
    pub paths: Vec<String>,
    pub comment: Option<(String, String)>,
    pub comment_quotes: Option<String>,
    pub styles: Vec<(String, u32)>,
    #[serde(default)]
    pub lines: Vec<String>,
    #[serde(default)]
    pub groups: Vec<Group>,
    #[serde(default)]
    pub header: String,
    #[serde(default)]
    pub footer: String,
    #[serde(default)]
    pub fillers: Vec<String>,
    #[serde(default = "lines_layout")]
    pub layout: String,
    #[serde(default = "newline")]
    pub separator: String,
    #[serde(default)]
    pub encodings: Vec<EncodingChoice>,
    pub near_type: Option<String>,
    #[serde(default = "yes")]
    pub near_misses: bool,
    #[serde(default)]
    pub single_block: bool,
    #[serde(default)]
    pub json_strings: bool,
    #[serde(default)]
    pub escape_amp: bool,
    #[serde(default)]
    pub tables: Vec<Table>,
    pub positive_paths: Option<Vec<String>>,
}

/// One value of a rule's `values`: `{VALUE}` alone, or `{VALUE}`, `{VALUE2}`...
#[derive(Deserialize, Clone)]
#[serde(untagged)]
pub enum Value {
    One(String),
    Many(Vec<String>),
}

/// One alternative of a rule's `labelled`.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum Labelled {
    One(String),
    Weighted {
        items: Vec<String>,
        #[serde(default = "one_u32")]
        weight: u32,
    },
}

impl Labelled {
    pub fn weight(&self) -> u32 {
        match self {
            Labelled::One(_) => 1,
            Labelled::Weighted { weight, .. } => *weight,
        }
    }

    /// The (label kind, value template) pairs.
    pub fn items(&self) -> Vec<(&str, &str)> {
        fn split(s: &str) -> (&str, &str) {
            s.split_once('=').unwrap_or(("value", s))
        }
        match self {
            Labelled::One(s) => vec![split(s)],
            Labelled::Weighted { items, .. } => items.iter().map(|s| split(s)).collect(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub types: Option<Vec<String>>,
    #[serde(default = "one")]
    pub chance: f64,
    #[serde(default)]
    pub values: Vec<Value>,
    /// Keyed by type id, `a|b` for several, or `default`.
    #[serde(default)]
    pub forms: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub labelled: Vec<Labelled>,
}

impl Rule {
    /// The forms for type `id`: its own, else the default ones.
    pub fn forms_for(&self, id: &str) -> Option<&[String]> {
        let own = self.forms.iter().find(|(k, _)| k.split('|').any(|t| t.trim() == id));
        own.or_else(|| self.forms.get_key_value("default")).map(|(_, v)| v.as_slice())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilyData {
    pub id: String,
    pub name: String,
    pub target: f64,
    #[serde(default)]
    pub encoded: bool,
    pub types: Vec<String>,
    #[serde(default)]
    pub tokens: BTreeMap<String, String>,
    #[serde(default)]
    pub carrier: bool,
    #[serde(default)]
    pub inner: Vec<String>,
    #[serde(default)]
    pub inner_for: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub encodings: Vec<EncodingChoice>,
    #[serde(default)]
    pub rule: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub id: String,
    pub name: String,
    pub weight: u32,
    #[serde(default)]
    pub arguable: bool,
    pub rule: Vec<Rule>,
}

/// A credential token of a family: `{SL}` and what it plants.
pub struct Token {
    pub family: Family,
    /// key-id, secret, session-token, bedrock-long, bedrock-short, mws, appsync.
    pub generator: String,
    /// The generator's argument: key ID prefixes with weights.
    pub arg: String,
    /// none, json-slash, json-u002f, percent, base64, hex.
    pub encoding: String,
}

pub struct Data {
    pub types: Vec<FileType>,
    /// Label kind, style, labels.
    pub labels: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    pub families: Vec<FamilyData>,
    pub cats: Vec<Category>,
    pub tokens: BTreeMap<String, Token>,
}

fn one() -> f64 {
    1.0
}
fn one_u32() -> u32 {
    1
}
fn yes() -> bool {
    true
}
fn newline() -> String {
    "\n".into()
}
fn lines_layout() -> String {
    "lines".into()
}

const TYPES: &str = include_str!("../../bench/detection/types.toml");
const LABELS: &str = include_str!("../../bench/detection/labels.toml");
const FAMILIES: &str = include_str!("../../bench/detection/families.toml");
const FAMILIES_DECODED: &str = include_str!("../../bench/detection/families_decoded.toml");
const NEAR_MISSES: &str = include_str!("../../bench/detection/nearmisses.toml");

const GENERATORS: &[&str] =
    &["key-id", "secret", "session-token", "bedrock-long", "bedrock-short", "mws", "appsync", "codeartifact"];
const ENCODINGS: &[&str] = &["none", "json-slash", "json-u002f", "json-double", "html", "percent", "base64", "hex"];
const LAYOUTS: &[&str] = &["lines", "json", "notebook", "minified", "csv", "lock"];

impl Data {
    /// Parses and checks the embedded data: a typo in a type, family or label kind fails here,
    /// before anything is generated.
    pub fn load() -> Result<Data> {
        #[derive(Deserialize)]
        struct Types {
            r#type: Vec<FileType>,
        }
        #[derive(Deserialize)]
        struct Families {
            family: Vec<FamilyData>,
        }
        #[derive(Deserialize)]
        struct Cats {
            category: Vec<Category>,
        }
        let types = toml::from_str::<Types>(TYPES).context("bench/detection/types.toml")?.r#type;
        let labels = toml::from_str(LABELS).context("bench/detection/labels.toml")?;
        let mut families = toml::from_str::<Families>(FAMILIES).context("bench/detection/families.toml")?.family;
        families.extend(
            toml::from_str::<Families>(FAMILIES_DECODED).context("bench/detection/families_decoded.toml")?.family,
        );
        let cats = toml::from_str::<Cats>(NEAR_MISSES).context("bench/detection/nearmisses.toml")?.category;
        let mut data = Data { types, labels, families, cats, tokens: BTreeMap::new() };
        for (f, fam) in data.families.iter().enumerate() {
            for (name, spec) in &fam.tokens {
                let (gen_arg, encoding) = spec.split_once('/').unwrap_or((spec, "none"));
                let (generator, arg) = gen_arg.split_once(':').unwrap_or((gen_arg, ""));
                if !GENERATORS.contains(&generator) || !ENCODINGS.contains(&encoding) {
                    bail!("families.toml: {}: token {name} = {spec:?}: unknown generator or encoding", fam.id);
                }
                let token =
                    Token { family: f, generator: generator.into(), arg: arg.into(), encoding: encoding.into() };
                if data.tokens.insert(name.clone(), token).is_some() {
                    bail!("families.toml: token {name} is defined twice");
                }
            }
        }
        data.check()?;
        Ok(data)
    }

    fn check(&self) -> Result<()> {
        for t in &self.types {
            if !LAYOUTS.contains(&t.layout.as_str()) {
                bail!("types.toml: {}: unknown layout {}", t.id, t.layout);
            }
            for (style, _) in &t.styles {
                self.check_style(style, &t.id)?;
            }
            for g in t.groups.iter().filter_map(|g| g.style.as_ref()) {
                self.check_style(g, &t.id)?;
            }
            if let Some(n) = &t.near_type {
                self.ty(n)?;
            }
        }
        for fam in &self.families {
            for id in fam.types.iter().chain(&fam.inner).chain(fam.inner_for.values().flatten()) {
                if self.ty(id).is_err() && self.family(id).is_err() {
                    bail!("families.toml: {}: {id} is neither a file type nor a family", fam.id);
                }
            }
            self.check_rules(&fam.rule, &fam.id)?;
        }
        for cat in &self.cats {
            self.check_rules(&cat.rule, &cat.id)?;
        }
        Ok(())
    }

    fn check_style(&self, style: &str, what: &str) -> Result<()> {
        if !["upper", "snake", "camel", "pascal", "dotted", "kebab", "words"].contains(&style) {
            bail!("{what}: unknown label style {style}");
        }
        Ok(())
    }

    fn check_rules(&self, rules: &[Rule], what: &str) -> Result<()> {
        for rule in rules {
            for key in
                rule.forms.keys().flat_map(|k| k.split('|')).chain(rule.types.iter().flatten().map(|s| s.as_str()))
            {
                if key != "default" && self.ty(key.trim()).is_err() {
                    bail!("{what}: unknown file type {key}");
                }
            }
            for alt in &rule.labelled {
                for (kind, _) in alt.items() {
                    if !self.labels.contains_key(kind) {
                        bail!("{what}: unknown label kind {kind} (labels.toml)");
                    }
                }
            }
        }
        Ok(())
    }

    pub fn ty(&self, id: &str) -> Result<Ty> {
        self.types.iter().position(|t| t.id == id).with_context(|| format!("unknown file type {id}"))
    }

    pub fn family(&self, id: &str) -> Result<Family> {
        self.families.iter().position(|f| f.id == id).with_context(|| format!("unknown family {id}"))
    }

    pub fn cat(&self, id: &str) -> Result<Cat> {
        self.cats.iter().position(|c| c.id == id).with_context(|| format!("unknown near-miss category {id}"))
    }
}
