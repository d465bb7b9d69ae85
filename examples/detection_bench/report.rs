//! Matching findings against the ground truth, and the Markdown report.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use awsguard::allowlist::fingerprint;

use crate::compose::{GenFile, Kind, Near, Plant};
use crate::data::{Cat, Data, Family, Ty};
use crate::layouts::Encoding;
use crate::redact::{aws_nearby, form_shape, line_offset, md_code, near_at, pct, snippet, wilson};
use crate::run::{Finding, Timings};
use crate::{Opts, Values};

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

#[allow(clippy::too_many_lines)]
pub fn report(
    d: &Data,
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
                if extra.iter().all(|a| a.near.is_some_and(|n| d.cats[n.cat].arguable)) {
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
    for family in 0..d.families.len() {
        let t = fam.get(&family).copied().unwrap_or_default();
        let total = if d.families[family].encoded { &mut encoded } else { &mut plain };
        total.planted += t.planted;
        total.found += t.found;
        let (lo, hi) = wilson(t.found, t.planted);
        let ok = if t.recall() >= d.families[family].target { "ok" } else { "**below target**" };
        let _ = writeln!(
            r,
            "| {} | {} | {} | {} | {} | {:.1}–{:.1} | ≥ {} % | {ok} |",
            d.families[family].name,
            if d.families[family].encoded { "encoded" } else { "plain" },
            t.planted,
            t.found,
            pct(t.recall()),
            lo,
            hi,
            d.families[family].target
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
    for cat in 0..d.cats.len() {
        let [n, hit, aws, aws_hit] = near_stats.get(&cat).copied().unwrap_or_default();
        let _ = writeln!(r, "| {} | {n} | {hit} | {aws} | {aws_hit} |", d.cats[cat].name);
    }
    let _ = writeln!(r, "\nCredential-free files by type:\n");
    let _ = writeln!(r, "| type | files | flagged |");
    let _ = writeln!(r, "|---|---:|---:|");
    for (ty, (n, flagged)) in &neg_by_type {
        let _ = writeln!(r, "| {} | {n} | {flagged} |", d.types[*ty].name);
    }

    let _ = writeln!(r, "\n## Recall by file type and encoding (all families)\n");
    let _ = writeln!(r, "| type | planted | found | recall |");
    let _ = writeln!(r, "|---|---:|---:|---:|");
    for (ty, t) in &by_type {
        let _ = writeln!(r, "| {} | {} | {} | {} |", d.types[*ty].name, t.planted, t.found, pct(t.recall()));
    }
    for (enc, t) in &by_encoding {
        let _ = writeln!(r, "| encoding {} | {} | {} | {} |", enc.name(), t.planted, t.found, pct(t.recall()));
    }
    let _ = writeln!(r, "\nBy family and kind of value:\n");
    let _ = writeln!(r, "| family | value | planted | found | recall |");
    let _ = writeln!(r, "|---|---|---:|---:|---:|");
    for ((family, kind), t) in &fam_kind {
        let _ = writeln!(
            r,
            "| {} | {} | {} | {} | {} |",
            d.families[*family].name,
            kind.name(),
            t.planted,
            t.found,
            pct(t.recall())
        );
    }
    let _ = writeln!(r, "\nRules that found each family:\n");
    for (family, counts) in &rules {
        let list: Vec<String> = counts.iter().map(|(rule, n)| format!("`{rule}` {n}")).collect();
        let _ = writeln!(r, "- {}: {}", d.families[*family].name, list.join(", "));
    }

    // Misses, grouped by the template they came from.
    let _ = writeln!(r, "\n## Misses ({})\n", misses.len());
    if !misses.is_empty() {
        let mut groups: BTreeMap<(Family, Kind, String), Vec<&Miss>> = BTreeMap::new();
        for m in &misses {
            groups.entry((m.plant.family, m.plant.kind, form_shape(d, &m.plant.form))).or_default().push(m);
        }
        let mut groups: Vec<_> = groups.into_iter().collect();
        groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
        let _ = writeln!(r, "Grouped by snippet template (`{{secret}}` etc. stand for the planted values):\n");
        let _ = writeln!(r, "| family | value | count | types | template | example line (redacted) |");
        let _ = writeln!(r, "|---|---|---:|---|---|---|");
        for ((family, kind, form), list) in &groups {
            let types: BTreeSet<&str> = list.iter().map(|m| d.types[m.file.ty].name.as_str()).collect();
            let m = list[0];
            let focus = line_offset(m.file, m.plant);
            let _ = writeln!(
                r,
                "| {} | {} | {} | {} | {form} | {} |",
                d.families[*family].name,
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
                d.families[m.plant.family].name,
                m.plant.kind.name(),
                md_code(&m.plant.shape),
                d.types[m.file.ty].name,
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
                Some(n) => (d.cats[n.cat].name.to_string(), md_code(&n.template)),
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
            let types: BTreeSet<&str> = items.iter().map(|a| d.types[a.file.ty].name.as_str()).collect();
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
                d.types[a.file.ty].name,
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
