//! Matches become findings: the allowlist decides which are reported, and a key ID and a
//! secret found near each other in one file are marked as one credential.

use crate::allowlist::{Allowed, Allowlist};
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
        self.allowed_by_entry.resize(allowlist.entries.len(), 0);
        let rule = &scanner.rules().rules[m.rule];
        let value = m.value(place.view);
        let decision = allowlist.check(place.path, rule, &value, &place.view[m.line_start..m.line_end]);
        match decision.allowed {
            Some(Allowed::Inline) => self.allowed_inline += 1,
            Some(Allowed::Entry(e)) => self.allowed_by_entry[e] += 1,
            None => self.findings.push(Finding {
                path: place.path.to_vec(),
                line: m.line,
                column: m.column,
                rule,
                account: if rule.kind == Kind::AccessKeyId { account_id(&value) } else { None },
                value: value.into_owned(),
                paired_line: None,
                commit: place.commit.map(str::to_string),
                expired: decision
                    .expired
                    .iter()
                    .map(|&e| (allowlist.entries[e].origin.clone(), allowlist.entries[e].reason.clone()))
                    .collect(),
            }),
        }
    }
}

/// Marks key IDs and secrets of one file that sit within the paired rule's `near_lines`
/// of each other as one credential. Findings come sorted by line, so the nearest key ID is a binary search
/// away.
pub fn mark_pairs(findings: &mut [Finding]) {
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
