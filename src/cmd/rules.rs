//! `awsguard rules`: list the detection rules, or print one in full (`--show ID`) so that
//! it can be audited: its regex with every fragment substituted, its filters, references
//! and examples.

use std::io::{self, Write};

use anyhow::{Result, bail};

use super::{Outcome, ignore_broken_pipe};
use crate::rules::{RULES, Rule, compact_regex};

/// Lists the rules, or prints the one `show` names.
///
/// # Errors
/// An unknown rule ID (with the nearest ID as a suggestion), or unwritable output.
pub fn run(show: Option<&str>) -> Result<Outcome> {
    let mut out = io::stdout().lock();
    match show {
        None => {
            for rule in &RULES.rules {
                ignore_broken_pipe(writeln!(out, "{:34} {}", rule.id, rule.name))?;
            }
        }
        Some(id) => {
            let Some(rule) = RULES.get(id) else {
                let hint = match suggest(id) {
                    Some(near) => format!("; did you mean {near}?"),
                    None => String::new(),
                };
                bail!("unknown rule {id:?}{hint} (`awsguard rules` lists them)");
            };
            ignore_broken_pipe(write_rule(&mut out, rule))?;
        }
    }
    Ok(Outcome::Clean)
}

/// Writes everything there is to know about one rule.
///
/// # Errors
/// When `out` cannot be written.
pub fn write_rule(out: &mut impl Write, rule: &Rule) -> io::Result<()> {
    writeln!(out, "id:         {}", rule.id)?;
    writeln!(out, "name:       {}", rule.name)?;
    writeln!(out, "kind:       {}", rule.kind.as_str())?;
    if rule.keywords.is_empty() {
        writeln!(out, "keywords:   (none)")?;
    } else {
        let case = if rule.exact_keywords { "case-sensitive" } else { "ASCII case-insensitive" };
        writeln!(out, "keywords:   {} ({case})", rule.keywords.join(", "))?;
    }
    if let Some((anchor, lines)) = rule.near {
        writeln!(out, "near:       runs within {lines} lines of a finding of {}", RULES.rules[anchor].id)?;
    }
    writeln!(out, "\npattern (fragments substituted; group 1 is the value, `body` the part the filters judge):")?;
    write_indented(out, rule.pattern_source())?;
    writeln!(out, "\npattern, one line:\n    {}", compact_regex(rule.pattern_source()))?;
    if let Some(context) = rule.context_source() {
        let bytes = rule.context_bytes.map_or(String::new(), |b| format!(" and {b} bytes"));
        writeln!(out, "\ncontext (must match within {} lines{bytes} of the value):", rule.context_lines)?;
        write_indented(out, context)?;
        writeln!(out, "\ncontext, one line:\n    {}", compact_regex(context))?;
    }
    writeln!(out, "\nfilters (on the decoded value, after `\\/`, `%2F`, `%2B`, `%3D` are decoded):")?;
    for filter in rule.filter_descriptions() {
        writeln!(out, "    {filter}")?;
    }
    writeln!(out, "\nreferences:")?;
    for reference in &rule.references {
        writeln!(out, "    {reference}")?;
    }
    writeln!(out, "\nexamples (templates: {{b32:16}} and the like stand for random characters):")?;
    for example in &rule.examples {
        writeln!(out, "    {example:?}")?;
    }
    writeln!(out, "\nnegative examples:")?;
    for example in &rule.negative_examples {
        writeln!(out, "    {example:?}")?;
    }
    Ok(())
}

fn write_indented(out: &mut impl Write, text: &str) -> io::Result<()> {
    for line in text.trim_end().lines() {
        writeln!(out, "    {line}")?;
    }
    Ok(())
}

/// The rule ID nearest to a mistyped one: an ID that ends with it or contains it
/// (`paired`), else the closest by edit distance, if it is close enough to be meant.
fn suggest(id: &str) -> Option<&'static str> {
    let ids = RULES.rules.iter().map(|r| r.id.as_str());
    let wanted = id.to_ascii_lowercase();
    let contained = ids.clone().find(|r| r.ends_with(&format!(".{wanted}")) || r.contains(wanted.as_str()));
    if wanted.len() >= 3 && contained.is_some() {
        return contained;
    }
    let (distance, nearest) = ids.map(|r| (edit_distance(&wanted, r), r)).min()?;
    (distance <= (wanted.len() / 3).max(2)).then_some(nearest)
}

/// Levenshtein distance, in bytes.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, &ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_prints_every_rule_in_full() {
        for rule in &RULES.rules {
            let mut out = Vec::new();
            write_rule(&mut out, rule).unwrap();
            let text = String::from_utf8(out).unwrap();
            assert!(text.starts_with(&format!("id:         {}\n", rule.id)), "{text}");
            for part in [&rule.name, rule.kind.as_str(), rule.pattern_source().lines().last().unwrap()] {
                assert!(text.contains(part), "{}: {part:?} missing from\n{text}", rule.id);
            }
            assert!(!text.contains("<<"), "{}: a fragment is left unexpanded:\n{text}", rule.id);
            assert!(text.contains(&compact_regex(rule.pattern_source())), "{}: no one-line form", rule.id);
            if let Some(context) = rule.context_source() {
                assert!(text.contains(&compact_regex(context)), "{}: no context", rule.id);
            }
            for item in rule.references.iter().chain(&rule.keywords) {
                assert!(text.contains(item.as_str()), "{}: {item:?} missing", rule.id);
            }
            for example in rule.examples.iter().chain(&rule.negative_examples) {
                assert!(text.contains(&format!("{example:?}")), "{}: example {example:?} missing", rule.id);
            }
            assert!(text.contains("placeholders"), "{}: the placeholder filter is not named", rule.id);
        }
    }

    #[test]
    fn unknown_ids_suggest_the_nearest_rule() {
        assert_eq!(suggest("aws.acess-key-id"), Some("aws.access-key-id"));
        assert_eq!(suggest("paired"), Some("aws.secret-access-key.paired"));
        assert_eq!(suggest("aws.session-tokens"), Some("aws.session-token"));
        assert_eq!(suggest("AWS.APPSYNC-API-KEY"), Some("aws.appsync-api-key"));
        assert_eq!(suggest("frobnicate"), None);
        assert_eq!(suggest("x"), None);
        let err = run(Some("aws.acess-key-id")).unwrap_err().to_string();
        assert!(err.contains("did you mean aws.access-key-id?"), "{err}");
        assert!(run(Some("zzz")).is_err());
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
