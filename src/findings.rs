//! Matches become findings: the allowlist decides which are reported, and a key ID and a
//! secret found near each other in one file are marked as one credential.

use std::collections::HashSet;

use crate::allowlist::{Allowed, Allowlist};
use crate::decode::{Encoding, Located};
use crate::report::Finding;
use crate::rules::{Kind, RULES, account_id};
use crate::scan::{Match, Scanner};

/// What a pass found.
#[derive(Debug, Default)]
pub struct Checked {
    pub findings: Vec<Finding>,
    /// Things the user should know that do not block (an unscanned archive let through).
    pub warnings: Vec<String>,
    /// How many findings each allowlist entry let through, by entry index.
    pub allowed_by_entry: Vec<usize>,
    /// How many findings inline markers let through.
    pub allowed_inline: usize,
}

/// Where a match was found: the file, the view of it that was scanned, and the commit.
pub struct Place<'a> {
    pub path: &'a [u8],
    pub view: &'a [u8],
    pub commit: Option<&'a str>,
}

impl Checked {
    /// Adds what another pass found (another commit's), after what this one holds.
    pub fn absorb(&mut self, other: Checked) {
        self.findings.extend(other.findings);
        self.warnings.extend(other.warnings);
        if self.allowed_by_entry.len() < other.allowed_by_entry.len() {
            self.allowed_by_entry.resize(other.allowed_by_entry.len(), 0);
        }
        for (total, n) in self.allowed_by_entry.iter_mut().zip(other.allowed_by_entry) {
            *total += n;
        }
        self.allowed_inline += other.allowed_inline;
    }

    /// Applies the allowlist to a match and records it as a finding or as allowed.
    pub fn record(&mut self, scanner: &Scanner, allowlist: &Allowlist, place: &Place<'_>, m: &Match) {
        let at =
            Origin { line: m.line, column: m.column, line_text: &place.view[m.line_start..m.line_end], chain: &[] };
        self.record_at(scanner, allowlist, place, m.rule, &m.value(place.view), &at);
    }

    /// Records a match found in a decoded view at the encoded span it came from; the
    /// allowlist sees the decoded value and the original line. A value already recorded on
    /// that line (`seen`: by the raw scan, or by an overlapping decoded span) is not
    /// reported twice.
    pub fn record_decoded(
        &mut self,
        scanner: &Scanner,
        allowlist: &Allowlist,
        place: &Place<'_>,
        found: &Located,
        seen: &mut HashSet<(u32, Vec<u8>)>,
    ) {
        if !seen.insert((found.line, found.value.clone())) {
            return;
        }
        let at = Origin {
            line: found.line,
            column: found.column,
            line_text: &place.view[found.line_start..found.line_end],
            chain: &found.chain,
        };
        self.record_at(scanner, allowlist, place, found.rule, &found.value, &at);
    }

    /// The (line, value) of the findings from index `from` on, for [`Checked::record_decoded`].
    pub fn seen_since(&self, from: usize) -> HashSet<(u32, Vec<u8>)> {
        self.findings[from..].iter().map(|f| (f.line, f.value.clone())).collect()
    }

    /// Records `value`, found by `rule` at `at`, unless the allowlist lets it through: the
    /// one place every finding passes, raw, decoded, or from a window of a streamed blob
    /// (whose view is gone: `at` carries the line).
    pub fn record_at(
        &mut self,
        scanner: &Scanner,
        allowlist: &Allowlist,
        place: &Place<'_>,
        rule: usize,
        value: &[u8],
        at: &Origin<'_>,
    ) {
        self.allowed_by_entry.resize(allowlist.entries.len(), 0);
        let rule = &scanner.rules().rules[rule];
        let decision = allowlist.check(place.path, rule, value, at.line_text);
        match decision.allowed {
            Some(Allowed::Inline) => self.allowed_inline += 1,
            Some(Allowed::Entry(e)) => self.allowed_by_entry[e] += 1,
            None => self.findings.push(Finding {
                path: place.path.to_vec(),
                line: at.line,
                column: at.column,
                rule,
                account: if rule.kind == Kind::AccessKeyId { account_id(value) } else { None },
                value: value.to_vec(),
                paired_line: None,
                commit: place.commit.map(str::to_string),
                expired: decision
                    .expired
                    .iter()
                    .map(|&e| (allowlist.entries[e].origin.clone(), allowlist.entries[e].reason.clone()))
                    .collect(),
                encoding: at.chain.to_vec(),
            }),
        }
    }
}

/// Where a finding is reported: for a decoded match, the encoded span's line and column,
/// that line's text (for the inline allowlist marker) and the layers undone.
pub struct Origin<'a> {
    pub line: u32,
    pub column: u32,
    pub line_text: &'a [u8],
    pub chain: &'a [Encoding],
}

/// Marks key IDs and secrets of one file that sit within the paired rule's `near_lines`
/// of each other as one credential. The nearest key ID is a binary search away.
pub fn mark_pairs(findings: &mut [Finding]) {
    // Decoded findings follow the raw ones: report a file's findings in line order.
    findings.sort_by_key(|f| (f.line, f.column));
    let ids: Vec<(u32, usize)> = findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.rule.kind == Kind::AccessKeyId)
        .map(|(i, f)| (f.line, i))
        .collect();
    if ids.is_empty() {
        return;
    }
    let pair_lines = RULES.pair_lines();
    for i in 0..findings.len() {
        if findings[i].rule.kind != Kind::SecretAccessKey {
            continue;
        }
        let line = findings[i].line;
        let at = ids.partition_point(|&(l, _)| l < line);
        let nearest = [at.checked_sub(1), Some(at)]
            .into_iter()
            .flatten()
            .filter_map(|k| ids.get(k))
            .filter(|(l, _)| l.abs_diff(line) <= pair_lines)
            .min_by_key(|(l, _)| l.abs_diff(line));
        if let Some(&(id_line, id_index)) = nearest {
            findings[i].paired_line = Some(id_line);
            if findings[id_index].paired_line.is_none() {
                findings[id_index].paired_line = Some(line);
            }
        }
    }
}
