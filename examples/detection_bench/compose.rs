//! Files from the data: rules become snippets, planted values and near-misses become
//! markers, and markers become text at the end, when each one's line is known.
//! (Just over 500 lines: the encodings a planted value can take are written here beside the
//! composer that places them, so that a new encoding is one match arm in one file.)

use crate::Family;
use crate::data::{Cat, Data, FileType, Labelled, Rule, Ty, Value};
use crate::layouts::{self, Encoding};
pub use crate::truth::{GenFile, Kind, Near, Plant};
use crate::values::{G, LOWER36, base64, expand_with, hex, percent_encode};

pub const PLANT_OPEN: char = '\u{27EA}';
pub const PLANT_CLOSE: char = '\u{27EB}';
pub const NEAR_OPEN: char = '\u{27E6}';
pub const NEAR_CLOSE: char = '\u{27E7}';

/// The builder of one file.
pub struct B<'g> {
    pub g: &'g mut G,
    pub d: &'g Data,
    pub plants: Vec<Plant>,
    pub nears: Vec<Near>,
    /// For carrier families (UTF-16 files, notebooks, minified bundles): every value counts there.
    carrier: Option<Family>,
    /// The template being instantiated, recorded in each plant.
    form: String,
    /// Near-miss lines go inside JSON strings (notebook cells) and must be escaped.
    json_strings: bool,
    /// Number of the near-miss snippet being written.
    pub block: usize,
}

impl<'g> B<'g> {
    fn put(&mut self, family: Family, kind: Kind, value: String, appears: String, shape: String) -> String {
        let family = self.carrier.unwrap_or(family);
        self.plants.push(Plant { family, kind, value, appears, shape, form: self.form.clone(), line: 0 });
        format!("{PLANT_OPEN}{}{PLANT_CLOSE}", self.plants.len() - 1)
    }

    /// A fresh value of a generator of families.toml, and its shape.
    fn draw(&mut self, generator: &str, arg: &str) -> (Kind, String, String) {
        let g = &mut *self.g;
        match generator {
            "key-id" => {
                let prefixes: Vec<(u32, &str)> = arg
                    .split(',')
                    .filter(|p| !p.is_empty())
                    .map(|p| match p.split_once('*') {
                        Some((p, w)) => (w.parse().unwrap_or(1), p),
                        None => (1, p),
                    })
                    .collect();
                let prefix = if prefixes.is_empty() { "AKIA" } else { g.weighted(&prefixes) };
                (Kind::KeyId, g.key_id(prefix), format!("{prefix}{{b32:16}}"))
            }
            "secret" => (Kind::Secret, g.secret(), "{b64:40}".into()),
            "session-token" => {
                let (t, shape) = if arg == "sts" { g.session_token_sts() } else { g.session_token() };
                (Kind::Token, t, shape)
            }
            "codeartifact" => {
                let v = g.codeartifact_token();
                let shape = format!("{{CodeArtifact JWE, {} chars}}", v.len());
                (Kind::Token, v, shape)
            }
            "bedrock-long" => {
                let v = g.bedrock_long_term();
                let shape = format!("ABSK{{b64:{}}}", v.len() - 4);
                (Kind::Bedrock, v, shape)
            }
            "bedrock-short" => {
                let v = g.bedrock_short_term();
                let shape = format!("bedrock-api-key-{{base64 of a presigned URL, {} chars}}", v.len() - 16);
                (Kind::Bedrock, v, shape)
            }
            "mws" => (Kind::Mws, format!("amzn.mws.{}", g.uuid()), "amzn.mws.{uuid}".into()),
            "appsync" => (Kind::AppSync, format!("da2-{}", g.chars(LOWER36, 26)), "da2-{lower36:26}".into()),
            other => unreachable!("generator {other} is checked when the data loads"),
        }
    }

    /// Plants the value of credential token `name` (`SL`), as the family's encoding writes it.
    fn plant(&mut self, name: &str) -> Option<String> {
        let d = self.d;
        let token = d.tokens.get(name)?;
        let needs: &[char] = match token.encoding.as_str() {
            "json-slash" | "json-u002f" | "json-double" => &['/'],
            "html" => &['/', '+'],
            "percent" => &['/', '+'],
            _ => &[],
        };
        let (kind, mut value, mut shape) = self.draw(&token.generator, &token.arg);
        while !needs.is_empty() && !value.contains(needs) {
            (_, value, shape) = self.draw(&token.generator, &token.arg);
        }
        let appears = match token.encoding.as_str() {
            "json-slash" => value.replace('/', "\\/"),
            "json-u002f" => value.replace('/', "\\u002F"),
            "json-double" => value.replace('/', "\\\\\\/"),
            "html" => {
                let slash = ["&#x2F;", "&#47;", "&sol;"][self.g.below(3)];
                value.replace('/', slash).replace('+', "&#43;")
            }
            "percent" => {
                let lower = self.g.chance(0.2);
                percent_encode(&value, lower)
            }
            "base64" => base64(value.as_bytes()),
            "hex" if self.g.chance(0.3) => hex(value.as_bytes()).to_uppercase(),
            "hex" => hex(value.as_bytes()),
            _ => value.clone(),
        };
        if token.encoding != "none" {
            shape = format!("{shape}, {}", token.encoding);
        }
        Some(self.put(token.family, kind, value, appears, shape))
    }

    /// Expands the lines of one snippet; every value records the whole snippet as its form.
    pub fn inst_lines(&mut self, templates: &[String]) -> Vec<String> {
        self.form = templates.join("\n");
        templates.iter().map(|t| expand_with(t, &mut |spec| self.cred_token(spec))).collect()
    }

    fn cred_token(&mut self, spec: &str) -> Option<String> {
        if spec.is_empty() {
            return Some(String::new());
        }
        self.plant(spec).or_else(|| self.g.token(spec, false))
    }

    /// Registers a near-miss line: the template is filled now, and the marker stands for it.
    pub fn near(&mut self, cat: Cat, template: &str) -> String {
        let text = encode_near_blocks(self.g.fill(template, true));
        self.nears.push(Near { cat, template: template.to_string(), text, line: 0, block: self.block, col: 0, len: 0 });
        format!("{NEAR_OPEN}{}{NEAR_CLOSE}", self.nears.len() - 1)
    }

    pub fn fill(&mut self, template: &str) -> String {
        self.g.fill(template, false)
    }

    /// The lines of one snippet from the first of `rules` that applies to `ty`, as templates
    /// (tokens not yet expanded); `None` when none has a template for this type.
    pub fn apply(&mut self, rules: &[Rule], ty: Ty) -> Option<Vec<String>> {
        let d = self.d;
        let t = &d.types[ty];
        for rule in rules {
            if rule.types.as_ref().is_some_and(|types| !types.contains(&t.id)) {
                continue;
            }
            if rule.chance < 1.0 && !self.g.chance(rule.chance) {
                continue;
            }
            let values: Vec<String> = match rule.values.len() {
                0 => Vec::new(),
                n => match &rule.values[self.g.below(n)] {
                    Value::One(v) => vec![v.clone()],
                    Value::Many(v) => v.clone(),
                },
            };
            let subst = |s: &str| -> String {
                let mut s = s.to_string();
                for (i, v) in values.iter().enumerate() {
                    let key = if i == 0 { "{VALUE}".to_string() } else { format!("{{VALUE{}}}", i + 1) };
                    let v = if t.escape_amp { v.replace('&', "&amp;") } else { v.clone() };
                    s = s.replace(&key, &v);
                }
                s
            };
            let form = rule.forms_for(&t.id).filter(|f| !f.is_empty()).map(|f| f[self.g.below(f.len())].as_str());
            let lines = match form {
                Some(f) if f != "@labelled" => match f.strip_prefix("@comment ") {
                    Some(text) => self.repeat(&subst(text)).iter().map(|l| comment(t, l)).collect(),
                    None => self.repeat(&subst(f)),
                },
                _ => {
                    if rule.labelled.is_empty() {
                        continue;
                    }
                    let weights: Vec<(u32, usize)> = rule.labelled.iter().map(Labelled::weight).zip(0..).collect();
                    let alt = &rule.labelled[self.g.weighted(&weights)];
                    let items: Vec<(&str, String)> = alt.items().into_iter().map(|(k, v)| (k, subst(v))).collect();
                    match self.labelled(ty, &items) {
                        Some(lines) => lines,
                        None => continue,
                    }
                }
            };
            return Some(lines);
        }
        None
    }

    /// Splits a snippet into lines, repeating each `*N-M` line N to M times.
    fn repeat(&mut self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for line in text.split('\n') {
            let rep = line.strip_prefix('*').and_then(|rest| {
                let (range, body) = rest.split_once(' ')?;
                let (lo, hi) = range.split_once('-')?;
                Some((lo.parse::<usize>().ok()?, hi.parse::<usize>().ok()?, body))
            });
            match rep {
                Some((lo, hi, body)) => {
                    let n = self.g.range(lo, hi.max(lo));
                    out.extend(std::iter::repeat_n(body.to_string(), n));
                }
                None => out.push(line.to_string()),
            }
        }
        out
    }

    /// Labelled assignments of `items` (label kind, value template) in the syntax of `ty`;
    /// `None` when the type has no assignment syntax.
    fn labelled(&mut self, ty: Ty, items: &[(&str, String)]) -> Option<Vec<String>> {
        let t = &self.d.types[ty];
        let (lines, groups) = (&t.lines, &t.groups);
        if lines.is_empty() && groups.is_empty() {
            return None;
        }
        let styles: Vec<(u32, &str)> = t.styles.iter().map(|(s, w)| (*w, s.as_str())).collect();
        let style = self.g.weighted(&styles);
        let json = t.layout == "json";
        let use_group =
            lines.is_empty() || (!groups.is_empty() && self.g.chance(if items.len() > 1 { 0.5 } else { 0.25 }));
        let mut out = Vec::new();
        let push = |out: &mut Vec<String>, form: &str, label: &str, value: &str, last: bool| {
            let mut line = form.replace("{L}", label).replace("{V}", value);
            if json && !last {
                line.push(',');
            }
            out.extend(line.split('\n').map(str::to_string));
        };
        if use_group {
            let group = &groups[self.g.below(groups.len())];
            let style = group.style.as_deref().unwrap_or(style);
            if !group.open.is_empty() {
                out.extend(group.open.split('\n').map(str::to_string));
            }
            let (form, ident) = form_parts(&group.entry);
            for (i, (kind, value)) in items.iter().enumerate() {
                let l = self.label(kind, style, ident);
                push(&mut out, form, &l, value, i + 1 == items.len());
            }
            if !group.close.is_empty() {
                out.extend(group.close.split('\n').map(str::to_string));
            }
        } else {
            let same = lines[self.g.below(lines.len())].as_str();
            for (i, (kind, value)) in items.iter().enumerate() {
                let chosen = if self.g.chance(0.7) { same } else { lines[self.g.below(lines.len())].as_str() };
                let (form, ident) = form_parts(chosen);
                let l = self.label(kind, style, ident);
                push(&mut out, form, &l, value, i + 1 == items.len());
            }
        }
        Some(out)
    }

    fn label(&mut self, kind: &str, style: &str, ident: bool) -> String {
        let d = self.d;
        for st in [style, "snake", "upper", "camel"] {
            let list: Vec<&str> = d.labels[kind]
                .get(st)
                .into_iter()
                .flatten()
                .map(String::as_str)
                .filter(|l| !ident || is_ident(l))
                .collect();
            if !list.is_empty() {
                return self.g.pick(&list).to_string();
            }
        }
        "value".to_string()
    }
}

fn is_ident(label: &str) -> bool {
    label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn form_parts(form: &str) -> (&str, bool) {
    match form.strip_prefix('!') {
        Some(rest) => (rest, true),
        None => (form, false),
    }
}

/// A comment line in `t`'s syntax.
pub fn comment(t: &FileType, text: &str) -> String {
    match &t.comment {
        Some((open, close)) => match &t.comment_quotes {
            Some(q) => format!("{open}{}{close}", text.replace('"', q)),
            None => format!("{open}{text}{close}"),
        },
        None => format!("# {text}"),
    }
}

/// Writes each `[[base64:TEXT:base64]]` block of a template as the base64 of TEXT, its
/// values in place and `\\n` as newlines (a credentials file, `ID:SECRET`, a JSON
/// document); its values are recorded on the block's line. `[[utf16:TEXT:utf16]]` is the
/// base64 of TEXT's UTF-16LE (a PowerShell `-EncodedCommand`), `[[qp:TEXT:qp]]` TEXT as
/// quoted-printable (its values recorded on the line their logical line starts), and
/// `[[hex:TEXT:hex]]` TEXT as lower-case hex.
fn encode_blocks(b: &mut B, composed: &str) -> String {
    let mut out = composed.to_string();
    for kind in ["base64", "utf16", "qp", "hex"] {
        let (open, close) = (format!("[[{kind}:"), format!(":{kind}]]"));
        while let Some(start) = out.find(&open) {
            let end = start + out[start..].find(&close).expect("encoded blocks are closed");
            let line = out[..start].matches('\n').count() + 1;
            let mut plain = String::new();
            let mut planted = Vec::new();
            let mut rest = &out[start + open.len()..end];
            while let Some(pos) = rest.find(PLANT_OPEN) {
                plain.push_str(&rest[..pos]);
                let body = &rest[pos + PLANT_OPEN.len_utf8()..];
                let close = body.find(PLANT_CLOSE).expect("markers are closed");
                let index = body[..close].parse::<usize>().expect("marker holds an index");
                planted.push((index, plain.replace("\\n", "\n").matches('\n').count()));
                plain.push_str(&b.plants[index].appears);
                rest = &body[close + PLANT_CLOSE.len_utf8()..];
            }
            plain.push_str(rest);
            let (encoded, lines) = encode_block(kind, &plain.replace("\\n", "\n"));
            for (index, plain_line) in planted {
                b.plants[index].line = line + lines.get(plain_line).copied().unwrap_or(0);
            }
            out.replace_range(start..end + close.len(), &encoded);
        }
    }
    out
}

/// The text of one `[[KIND:TEXT:KIND]]` block, and the encoded line each plain line starts on.
fn encode_block(kind: &str, plain: &str) -> (String, Vec<usize>) {
    match kind {
        "base64" => (base64(plain.as_bytes()), Vec::new()),
        "utf16" => (base64(&plain.encode_utf16().flat_map(u16::to_le_bytes).collect::<Vec<u8>>()), Vec::new()),
        "hex" => (hex(plain.as_bytes()), Vec::new()),
        _ => quoted_printable(plain),
    }
}

/// A near-miss line with its one-line blocks (base64, UTF-16 base64, hex) encoded: it holds
/// no planted value, and is placed whole by its marker.
fn encode_near_blocks(text: String) -> String {
    let mut out = text;
    for kind in ["base64", "utf16", "hex"] {
        let (open, close) = (format!("[[{kind}:"), format!(":{kind}]]"));
        while let Some(start) = out.find(&open) {
            let end = start + out[start..].find(&close).expect("encoded blocks are closed");
            let plain = out[start + open.len()..end].replace("\\n", "\n");
            out.replace_range(start..end + close.len(), &encode_block(kind, &plain).0);
        }
    }
    out
}

/// TEXT as a mail client writes quoted-printable: `=`, `/` and `+` escaped, lines over 40
/// characters split by soft breaks (never inside an escape); and, for each line of TEXT,
/// the physical line of the output it starts on.
fn quoted_printable(text: &str) -> (String, Vec<usize>) {
    const WIDTH: usize = 40;
    let (mut out, mut starts) = (String::new(), Vec::new());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        starts.push(out.matches('\n').count());
        out.push_str(&awsguard::fake::quoted_printable_line(line, WIDTH, "\n"));
    }
    (out, starts)
}

/// Replaces the markers of a composed file with the values, and records on which line each
/// value and near-miss ended up.
fn render(b: &mut B, composed: &str) -> String {
    let encoded = encode_blocks(b, composed);
    let composed = encoded.as_str();
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

/// Generates the `index`-th file: with credentials of `family`, or credential-free of type
/// `negative_ty`.
pub fn generate(g: &mut G, d: &Data, index: usize, family: Option<Family>, negative_ty: Ty) -> GenFile {
    let (ty, inner, carrier) = match family {
        Some(f) => {
            let fam = &d.families[f];
            let ty = d.ty(g.pick(&fam.types.iter().map(String::as_str).collect::<Vec<_>>())).expect("checked");
            if fam.carrier {
                let list = fam.inner_for.get(&d.types[ty].id).unwrap_or(&fam.inner);
                let inner = d.family(&list[g.below(list.len())]).expect("checked");
                (ty, Some(inner), Some(f))
            } else {
                (ty, Some(f), None)
            }
        }
        None => (negative_ty, None, None),
    };
    let t = &d.types[ty];
    let paths = match (&t.positive_paths, inner) {
        (Some(p), Some(_)) => p,
        _ => &t.paths,
    };
    let raw_path = paths[g.below(paths.len())].clone();
    let path = format!("f{index:05}/{}", g.fill(&raw_path, false));
    let carried = carrier.map(|c| &d.families[c].encodings).filter(|e| !e.is_empty());
    let encoding = match carried {
        Some(list) => {
            let weights: Vec<(u32, usize)> = list.iter().map(|e| e.weight).zip(0..).collect();
            Encoding::parse(&list[g.weighted(&weights)].encoding)
        }
        None => t
            .encodings
            .iter()
            .filter(|e| !(e.negative_only && family.is_some()))
            .find(|e| g.chance(e.chance))
            .map(|e| Encoding::parse(&e.encoding))
            .unwrap_or_else(|| if g.chance(0.08) { Encoding::Utf8Crlf } else { Encoding::Utf8 }),
    };
    let mut b = B {
        g,
        d,
        plants: Vec::new(),
        nears: Vec::new(),
        carrier,
        form: String::new(),
        json_strings: t.json_strings,
        block: 0,
    };
    let mut blocks: Vec<Vec<String>> = Vec::new();
    if let Some(inner) = inner {
        let n = if t.single_block { 1 } else { b.g.weighted(&[(5, 1), (3, 2), (2, 3)]) };
        for _ in 0..n {
            let lines = b.apply(&d.families[inner].rule, ty).unwrap_or_else(|| {
                panic!("families.toml: {} has no template for file type {}", d.families[inner].id, t.id)
            });
            blocks.push(b.inst_lines(&lines));
        }
    }
    let near_count = match family {
        Some(_) if t.layout == "csv" || b.g.chance(0.7) => 0,
        Some(_) => b.g.range(1, 2),
        None => b.g.range(1, 4),
    };
    let near_ty = t.near_type.as_deref().map_or(ty, |n| d.ty(n).expect("checked"));
    for _ in 0..near_count {
        if !t.near_misses {
            break;
        }
        let weights: Vec<(u32, Cat)> = d.cats.iter().map(|c| c.weight).zip(0..).collect();
        let cat = b.g.weighted(&weights);
        let lines = b.apply(&d.cats[cat].rule, near_ty).unwrap_or_else(|| {
            panic!("nearmisses.toml: {} has no template for file type {}", d.cats[cat].id, d.types[near_ty].id)
        });
        b.block += 1;
        blocks.push(lines.iter().map(|l| b.near(cat, l)).collect());
    }
    let composed = match t.layout.as_str() {
        "notebook" => layouts::notebook(&mut b, ty, blocks),
        "minified" => layouts::minified(&mut b, ty, blocks),
        "csv" => layouts::csv(&mut b, ty, blocks, inner.is_some()),
        "lock" => layouts::lock_file(&mut b, ty),
        _ => compose(&mut b, ty, blocks),
    };
    let mut text = render(&mut b, &composed);
    if b.g.chance(0.9) && !text.ends_with('\n') {
        text.push('\n');
    }
    let (plants, nears) = (b.plants, b.nears);
    assert_eq!(family.is_some(), !plants.is_empty(), "{}: planted values and family disagree", t.id);
    GenFile { ty, path, family, encoding, text, plants, nears }
}

/// Puts blocks between filler chunks, with the type's header and footer (`lines` and
/// `json` layouts).
fn compose(b: &mut B, ty: Ty, blocks: Vec<Vec<String>>) -> String {
    let t = &b.d.types[ty];
    let fillers = &t.fillers;
    let n_fill = if fillers.is_empty() { 0 } else { b.g.range(1, 8) };
    let mut order: Vec<usize> = (0..fillers.len()).collect();
    b.g.rng.shuffle(&mut order);
    let mut chunks: Vec<Vec<String>> = (0..n_fill)
        .map(|i| {
            let f = &fillers[order[i % order.len()]];
            b.fill(f).trim_end_matches('\n').split('\n').map(str::to_string).collect()
        })
        .collect();
    for block in blocks {
        let at = b.g.range(0, chunks.len());
        chunks.insert(at, block);
    }
    let head = b.fill(&t.header);
    let foot = b.fill(&t.footer);
    let mut out = String::new();
    if t.layout == "json" {
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
    out.push_str(&head);
    if !head.is_empty() && !head.ends_with('\n') {
        out.push('\n');
    }
    let separator = t.separator.as_str();
    for (i, chunk) in chunks.iter().enumerate() {
        if i > 0 || !out.is_empty() {
            out.push_str(separator);
        }
        for line in chunk {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !foot.is_empty() {
        out.push_str(separator);
        out.push_str(&foot);
    }
    out
}
