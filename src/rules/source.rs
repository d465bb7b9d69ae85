//! Rule regexes as written in `aws.toml`: `<<fragment>>` substitution, the one-line form
//! that `awsguard rules --show` prints beside the `(?x)` one, and compilation with
//! Unicode off and bounded sizes.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, bail};
use regex::bytes::{Regex, RegexBuilder};

/// Replaces each `<<name>>` with the fragment of that name, expanded in turn (fragments
/// may nest), and records the names used. Fragments are written for `(?x)` mode: a
/// multi-line one continues at the indentation of the line it is substituted into, and if
/// its last line ends in a `#` comment, what followed `<<name>>` moves to a line of its own.
/// A comment after `<<name>>` keeps its column where the substitution leaves room.
pub(super) fn expand_fragments(
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

pub(super) fn compile(src: &str) -> Result<Regex> {
    RegexBuilder::new(src)
        .unicode(false)
        .size_limit(16 << 20)
        .dfa_size_limit(16 << 20)
        .build()
        .with_context(|| format!("compiling {src:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Ruleset;

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
}
