//! File structures that are more than lines between a header and a footer: notebooks,
//! minified bundles, CSV exports, lock files; and how a file's text becomes bytes.

use std::fmt::Write as _;

use crate::compose::{B, NEAR_OPEN};
use crate::data::Ty;
use crate::values::HEX;

/// How a file's text becomes bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Encoding {
    Utf8,
    Utf8Crlf,
    Utf16LeBom,
    Utf16Le,
    Utf16BeBom,
    Utf16Be,
}

impl Encoding {
    /// An encoding named in the data (`utf16le-bom`).
    pub fn parse(name: &str) -> Encoding {
        match name {
            "utf8" => Encoding::Utf8,
            "utf8-crlf" => Encoding::Utf8Crlf,
            "utf16le-bom" => Encoding::Utf16LeBom,
            "utf16le" => Encoding::Utf16Le,
            "utf16be-bom" => Encoding::Utf16BeBom,
            "utf16be" => Encoding::Utf16Be,
            other => panic!("unknown encoding {other} in bench/detection"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Crlf => "UTF-8 CRLF",
            Encoding::Utf16LeBom => "UTF-16LE BOM",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16BeBom => "UTF-16BE BOM",
            Encoding::Utf16Be => "UTF-16BE",
        }
    }

    pub fn encode(self, text: &str) -> Vec<u8> {
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

/// A credential-free CSV from the type's `tables`, or the IAM export the family wrote.
pub fn csv(b: &mut B, ty: Ty, blocks: Vec<Vec<String>>, positive: bool) -> String {
    let mut out = String::new();
    let tables = &b.d.types[ty].tables;
    if !positive && !tables.is_empty() {
        let table = &tables[b.g.below(tables.len())];
        out.push_str(&table.header);
        out.push('\n');
        for _ in 0..b.g.range(table.rows.0, table.rows.1) {
            let row = b.fill(&table.row);
            out.push_str(&row);
            out.push('\n');
        }
    }
    for line in blocks.into_iter().flatten() {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// A Jupyter notebook (nbformat 4, one-space indent, sorted keys as Jupyter writes them).
/// A snippet starting with `OUTPUT:` becomes the output of an STS call.
pub fn notebook(b: &mut B, ty: Ty, blocks: Vec<Vec<String>>) -> String {
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
    let d = b.d;
    let t = &d.types[ty];
    let intro = b.fill(&t.header);
    let mut cells = vec![json!({ "cell_type": "markdown", "metadata": {}, "source": source(&intro) })];
    code(&mut cells, "import os\nimport boto3\nimport pandas as pd", vec![]);
    let mut chunks: Vec<String> = (0..b.g.range(1, 4))
        .map(|_| {
            let f = &t.fillers[b.g.below(t.fillers.len())];
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

/// A bundle on one very long line of the type's filler chunks, the credential near its end.
pub fn minified(b: &mut B, ty: Ty, blocks: Vec<Vec<String>>) -> String {
    let d = b.d;
    let t = &d.types[ty];
    let size = b.g.weighted(&[(3, 30_000), (4, 150_000), (2, 600_000), (1, 2_000_000)]);
    let mut out = b.fill(&t.header);
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
        let c = &t.fillers[b.g.below(t.fillers.len())];
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
        let c = &t.fillers[b.g.below(t.fillers.len())];
        out.push_str(&b.fill(c));
    }
    if b.g.chance(0.5) {
        out.push_str(&b.fill(&t.footer));
    }
    out
}

/// A credential-free npm or yarn lock file of the type's packages, full of integrity
/// hashes (near-misses of the `sri-hash` category).
pub fn lock_file(b: &mut B, ty: Ty) -> String {
    let d = b.d;
    let packages = &d.types[ty].fillers;
    let cat = d.cat("sri-hash").expect("nearmisses.toml has the sri-hash category");
    let yarn = b.g.chance(0.3);
    let mut out = String::new();
    let n = b.g.range(5, 40);
    if yarn {
        out.push_str("# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n");
        for _ in 0..n {
            let p = packages[b.g.below(packages.len())].as_str();
            let v = b.fill("3.{n}.{n}");
            b.block += 1;
            let near = b.near(cat, "  integrity sha512-{b64:86}==");
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
            let p = packages[b.g.below(packages.len())].as_str();
            let v = b.fill("3.{n}.{n}");
            b.block += 1;
            let near = b.near(cat, "      \"integrity\": \"sha512-{b64:86}==\",");
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
