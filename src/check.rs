//! The pass over a set of changes: scan each new blob, keep matches on lines the change
//! adds, drop lines a merge's other parent already had, apply the allowlist, and turn what
//! is left into findings.

use std::cell::RefCell;
use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use anyhow::{Context, Result};
use git2::{Oid, Repository, Tree};

use crate::added::{AddedLines, has_line};
use crate::allowlist::{Allowed, Allowlist};
use crate::archive::{self, Budget};
use crate::changes::{Change, Changes, tree_contains_blob};
use crate::encoding::utf16_view;
use crate::lfs;
use crate::objects::Objects;
use crate::report::{Finding, escape};
use crate::rules::{Kind, account_id};
use crate::scan::{Match, Scanner};

/// Lines apart at which a key ID and a secret are reported as one credential pair.
const PAIR_LINES: u32 = 4;

/// Share of lines an added file must have in common with a deleted one to be treated as a
/// rename of it (git's default similarity threshold is 50% too).
const RENAME_SIMILARITY: f64 = 0.5;

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

/// Scans changes in a repository.
pub struct Checker<'a> {
    pub repo: &'a Repository,
    pub scanner: &'a Scanner,
    pub allowlist: &'a Allowlist,
    /// Trees of a merge's other parents: lines they already hold are not new.
    pub merge_trees: Vec<Tree<'a>>,
    /// The commit being scanned, for history and pre-push reports.
    pub commit: Option<String>,
    /// What archives of this pass may still decompress.
    pub budget: RefCell<Budget>,
    objects: Objects,
}

/// The part of a blob that the change did not add.
enum Baseline {
    /// A modification or a rename with edits: lines not in this blob are added.
    Blob(Oid),
    /// A new file: every line is added.
    None,
    /// An exact rename or copy: nothing is added.
    Unchanged,
}

impl<'a> Checker<'a> {
    /// A checker with no merge parents and no commit.
    pub fn new(repo: &'a Repository, scanner: &'a Scanner, allowlist: &'a Allowlist) -> Checker<'a> {
        let budget = RefCell::new(Budget::new(allowlist.archive_limits));
        let objects = Objects::new(repo);
        Checker { repo, scanner, allowlist, merge_trees: Vec::new(), commit: None, budget, objects }
    }

    /// Runs the pass over every changed file.
    ///
    /// # Errors
    /// When a blob cannot be read: fail closed, never skip a file.
    pub fn check(&self, changes: &mut Changes, checked: &mut Checked) -> Result<()> {
        checked.allowed_by_entry.resize(self.allowlist.entries.len(), 0);
        let mut matches = Vec::new();
        for i in suspects(self.repo, self.scanner, &changes.files) {
            let change = changes.files[i].clone();
            let blob = self.objects.blob(self.repo, change.new).map_err(|e| read_error(self.repo, &change, e))?;
            let lfs = lfs::content(self.repo, &blob, &escape(&change.path))?;
            let content = lfs.as_deref().unwrap_or(&blob);
            if archive::kind(content).is_some() {
                self.check_archive(&change, content, changes, checked)?;
            } else {
                self.check_blob(&change, content, changes, &mut matches, checked)?;
            }
        }
        Ok(())
    }

    /// Scans one new blob (and its UTF-16 view) and records its findings.
    fn check_blob(
        &self,
        change: &Change,
        content: &[u8],
        changes: &mut Changes,
        matches: &mut Vec<Match>,
        checked: &mut Checked,
    ) -> Result<()> {
        let utf16 = utf16_view(content);
        let mut baseline = None;
        let first_finding = checked.findings.len();
        for (view_index, view) in [Some(content), utf16.as_deref()].into_iter().flatten().enumerate() {
            matches.clear();
            self.scanner.scan(view, matches);
            if matches.is_empty() {
                continue;
            }
            if baseline.is_none() {
                baseline = Some(self.baseline(change, content, changes)?);
            }
            let added = match baseline.as_ref().expect("set above") {
                Baseline::Unchanged => return Ok(()),
                Baseline::None => AddedLines::all(),
                Baseline::Blob(old) => {
                    let old = self.content_of(*old)?;
                    AddedLines::between(&view_of(&old, view_index), view)?
                }
            };
            for m in matches.iter() {
                if !added.contains(m.line) {
                    continue;
                }
                if self.in_merge_parent(&change.path, view_index, &view[m.line_start..m.line_end])? {
                    continue;
                }
                record(self.scanner, self.allowlist, &change.path, view, m, self.commit.as_deref(), checked);
            }
        }
        mark_pairs(&mut checked.findings[first_finding..]);
        Ok(())
    }

    /// Scans every member of an archive whole: there are no lines to diff inside one. An
    /// archive the change only renames or copies, or that a merge's other parent already
    /// had, adds nothing.
    fn check_archive(
        &self,
        change: &Change,
        content: &[u8],
        changes: &mut Changes,
        checked: &mut Checked,
    ) -> Result<()> {
        if change.old.is_none() && matches!(self.baseline(change, content, changes)?, Baseline::Unchanged) {
            return Ok(());
        }
        for tree in &self.merge_trees {
            if tree.get_path(Path::new(&*bytes_to_os(&change.path))).is_ok_and(|e| e.id() == change.new) {
                return Ok(());
            }
        }
        check_whole(self.scanner, self.allowlist, &self.budget, &change.path, content, self.commit.as_deref(), checked)
    }

    /// What the new blob is compared against to find its added lines.
    fn baseline(&self, change: &Change, content: &[u8], changes: &mut Changes) -> Result<Baseline> {
        if let Some(old) = change.old {
            return Ok(Baseline::Blob(old));
        }
        let deleted = changes.deleted(self.repo)?;
        if deleted.iter().any(|(_, id)| *id == change.new) {
            return Ok(Baseline::Unchanged);
        }
        if let Some(old_tree) = changes.old_tree {
            if tree_contains_blob(self.repo, old_tree, change.new)? {
                return Ok(Baseline::Unchanged);
            }
        }
        // A rename with edits: the deleted file that shares the most lines, if enough.
        if changes.deleted(self.repo)?.is_empty() {
            return Ok(Baseline::None);
        }
        let new_lines: HashSet<&[u8]> = content.split(|&b| b == b'\n').collect();
        let mut best: Option<(f64, Oid)> = None;
        for (_, id) in changes.deleted(self.repo)? {
            let old = self.objects.blob(self.repo, *id).context("reading a deleted file")?;
            let old_lines: Vec<&[u8]> = old.split(|&b| b == b'\n').collect();
            let common = old_lines.iter().filter(|l| new_lines.contains(*l)).count();
            let score = common as f64 / old_lines.len().max(new_lines.len()) as f64;
            if score >= RENAME_SIMILARITY && best.is_none_or(|(s, _)| score > s) {
                best = Some((score, *id));
            }
        }
        Ok(best.map_or(Baseline::None, |(_, id)| Baseline::Blob(id)))
    }

    /// Another version of a file: the blob, or the LFS content it points to when that is
    /// stored locally (a version that is not being committed may lack it).
    fn content_of(&self, id: Oid) -> Result<Vec<u8>> {
        let blob = self.objects.blob(self.repo, id).with_context(|| format!("reading blob {id}"))?;
        Ok(lfs::content(self.repo, &blob, "").ok().flatten().unwrap_or_else(|| blob.to_vec()))
    }

    /// Whether one of a merge's other parents already has this line in this file.
    fn in_merge_parent(&self, path: &[u8], view_index: usize, line: &[u8]) -> Result<bool> {
        for tree in &self.merge_trees {
            let Ok(entry) = tree.get_path(Path::new(&*bytes_to_os(path))) else { continue };
            let Ok(content) = self.content_of(entry.id()) else { continue };
            if has_line(&view_of(&content, view_index), line) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// The indices of the files that may hold a finding. With many files, every blob is read
/// and scanned on all cores first, each thread with its own handle on the object database,
/// and only the files where a rule matched (or that are archives or LFS pointers, or could
/// not be read) are looked at again, in order, by the one-file-at-a-time pass. With few,
/// all are suspects.
fn suspects(repo: &Repository, scanner: &Scanner, files: &[Change]) -> Vec<usize> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).min(files.len() / 8).min(8);
    if threads < 2 {
        return (0..files.len()).collect();
    }
    let git_dir = repo.path();
    let next = AtomicUsize::new(0);
    let suspect: Vec<AtomicBool> = files.iter().map(|_| AtomicBool::new(true)).collect();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let Ok(repo) = Repository::open(git_dir) else { return };
                let objects = Objects::new(&repo);
                let mut matches = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(change) = files.get(i) else { return };
                    let Ok(content) = objects.blob(&repo, change.new) else { continue };
                    if lfs::pointer_oid(&content).is_some() || archive::kind(&content).is_some() {
                        continue;
                    }
                    matches.clear();
                    scanner.scan(&content, &mut matches);
                    if let Some(view) = utf16_view(&content) {
                        scanner.scan(&view, &mut matches);
                    }
                    suspect[i].store(!matches.is_empty(), Ordering::Relaxed);
                }
            });
        }
    });
    suspect.into_iter().enumerate().filter_map(|(i, s)| s.into_inner().then_some(i)).collect()
}

/// Why a blob could not be read, with what to do about it.
fn read_error(repo: &Repository, change: &Change, e: git2::Error) -> anyhow::Error {
    let path = escape(&change.path);
    if e.class() == git2::ErrorClass::NoMemory {
        let size = repo.odb().and_then(|odb| odb.read_header(change.new)).map_or(0, |(size, _)| size);
        anyhow::anyhow!(
            "{path} (blob {}) is {size} bytes, more than awsguard could allocate to scan it ({}); \
             free memory or raise the process's memory limit and commit again",
            change.new,
            e.message()
        )
    } else {
        anyhow::anyhow!(
            "reading {path} (blob {}) from the object database: {}. The index names an object that is \
             missing or corrupt; `git fsck` tells more, and `git add` the file again repairs it",
            change.new,
            e.message()
        )
    }
}

/// Scans a plain buffer (a file on disk, stdin, a commit message, an archive member):
/// every line counts.
pub fn check_bytes(
    scanner: &Scanner,
    allowlist: &Allowlist,
    path: &[u8],
    content: &[u8],
    commit: Option<&str>,
    checked: &mut Checked,
) {
    checked.allowed_by_entry.resize(allowlist.entries.len(), 0);
    let first_finding = checked.findings.len();
    let utf16 = utf16_view(content);
    let mut matches = Vec::new();
    for view in [Some(content), utf16.as_deref()].into_iter().flatten() {
        matches.clear();
        scanner.scan(view, &mut matches);
        for m in &matches {
            record(scanner, allowlist, path, view, m, commit, checked);
        }
    }
    mark_pairs(&mut checked.findings[first_finding..]);
}

/// Scans a whole file: an archive member by member (nested archives too), anything else
/// as bytes. An archive that exceeds a bound or cannot be opened is an error, unless it is
/// listed under `[archives] unscanned`: then it is scanned as raw bytes, with a warning.
///
/// # Errors
/// The archive problem, with what to do about it.
pub fn check_whole(
    scanner: &Scanner,
    allowlist: &Allowlist,
    budget: &RefCell<Budget>,
    path: &[u8],
    content: &[u8],
    commit: Option<&str>,
    checked: &mut Checked,
) -> Result<()> {
    if archive::kind(content).is_none() {
        check_bytes(scanner, allowlist, path, content, commit, checked);
        return Ok(());
    }
    let result = archive::for_each_member(content, &mut budget.borrow_mut(), &mut |member, bytes| {
        let member_path = [path, b"!", member.as_bytes()].concat();
        check_bytes(scanner, allowlist, &member_path, bytes, commit, checked);
        Ok(())
    });
    let Err(problem) = result else { return Ok(()) };
    let shown = escape(path);
    match allowlist.unscanned_archive(path) {
        Some(origin) => {
            checked.warnings.push(format!(
                "{shown}: the archive {problem}; it is listed under [archives] unscanned at {origin}, so only its \
                 raw bytes were scanned"
            ));
            check_bytes(scanner, allowlist, path, content, commit, checked);
            Ok(())
        }
        None => anyhow::bail!(
            "{shown}: the archive {problem}. awsguard never passes an archive it could not scan whole: raise the \
             bound ([archives] in .awsguard.toml, or --archive-limits), fix the archive, or list it under \
             [archives] unscanned in .awsguard.toml to pass it after a raw-byte scan"
        ),
    }
}

/// Applies the allowlist to a match and records it as a finding or as allowed.
fn record(
    scanner: &Scanner,
    allowlist: &Allowlist,
    path: &[u8],
    view: &[u8],
    m: &Match,
    commit: Option<&str>,
    checked: &mut Checked,
) {
    let rule = &scanner.rules().rules[m.rule];
    let value = m.value(view);
    let decision = allowlist.check(path, rule, &value, &view[m.line_start..m.line_end]);
    match decision.allowed {
        Some(Allowed::Inline) => checked.allowed_inline += 1,
        Some(Allowed::Entry(e)) => checked.allowed_by_entry[e] += 1,
        None => checked.findings.push(Finding {
            path: path.to_vec(),
            line: m.line,
            column: m.column,
            rule,
            account: if rule.kind == Kind::AccessKeyId { account_id(&value) } else { None },
            value: value.into_owned(),
            paired_line: None,
            commit: commit.map(str::to_string),
            expired: decision
                .expired
                .iter()
                .map(|&e| (allowlist.entries[e].origin.clone(), allowlist.entries[e].reason.clone()))
                .collect(),
        }),
    }
}

/// The same view of another version of a file: raw, or transcoded from UTF-16 if it is.
fn view_of(content: &[u8], view_index: usize) -> std::borrow::Cow<'_, [u8]> {
    match view_index {
        0 => content.into(),
        _ => utf16_view(content).map_or(content.into(), Into::into),
    }
}

#[cfg(unix)]
fn bytes_to_os(path: &[u8]) -> std::borrow::Cow<'_, std::ffi::OsStr> {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::OsStr::from_bytes(path).into()
}

#[cfg(not(unix))]
fn bytes_to_os(path: &[u8]) -> std::borrow::Cow<'_, std::ffi::OsStr> {
    std::ffi::OsString::from(String::from_utf8_lossy(path).into_owned()).into()
}

/// Marks key IDs and secrets of one file that sit within [`PAIR_LINES`] of each other as
/// one credential. Findings come sorted by line, so the nearest key ID is a binary search
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
            .filter(|(l, _)| l.abs_diff(line) <= PAIR_LINES)
            .min_by_key(|(l, _)| l.abs_diff(line));
        if let Some(&(id_line, id_index)) = nearest {
            findings[i].paired_line = Some(id_line);
            if findings[id_index].paired_line.is_none() {
                findings[id_index].paired_line = Some(line);
            }
        }
    }
}
