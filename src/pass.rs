//! The pass over a set of changes, stage by stage: pick the files worth a full look
//! ([`prescan`](crate::prescan)), read each new blob ([`objects`](crate::objects), then
//! [`lfs`](crate::lfs)), open archives ([`archive`](crate::archive)), scan every decoded
//! view ([`decode`](crate::decode), [`scan`](crate::scan)), keep matches on the lines the
//! change adds ([`baseline`](crate::baseline), [`added`](crate::added)), and let the
//! allowlist decide what is reported ([`findings`](crate::findings)). This module only
//! calls them in order; each owns its concern.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::Mutex;

use anyhow::{Context, Result};
use git2::{Oid, Repository};

use crate::added::AddedLines;
use crate::archive::{self, Budget, View, Walked};
use crate::baseline::{Baseline, baseline};
use crate::changes::{Change, Changes, Trees};
use crate::config::Config;
use crate::decode::{Encoding, looks_utf16, same_view, scan_encoded, scan_encoded_with, utf16_view};
use crate::findings::{Checked, Origin, Place, mark_pairs};
use crate::lfs;
use crate::objects::{Objects, ReadError};
use crate::prescan::suspects;
use crate::report::escape;
use crate::scan::{Match, Scanner, is_binary};
use crate::windowed::{self, Window, Windows};

/// Scans changes in a repository.
pub struct Checker<'a> {
    pub repo: &'a Repository,
    pub scanner: &'a Scanner,
    pub config: &'a Config,
    /// Trees of a merge's other parents: lines they already hold are not new.
    pub merge_trees: Vec<Oid>,
    /// The commit being scanned, for history and pre-push reports.
    pub commit: Option<String>,
    /// What archives of this pass may still decompress.
    pub budget: RefCell<Budget>,
    /// Blobs known to hold no match, shared by the passes over a range of commits.
    pub clean: Option<&'a CleanBlobs>,
    /// The blob reader: one per thread, kept across the commits of a range so that its
    /// packs stay open and its cache of delta bases warm.
    objects: &'a Objects,
}

/// Blobs found to hold no match at all (raw, decoded or as UTF-16): wherever they appear
/// again, they cannot yield a finding. History repeats blobs (a merge brings a branch's
/// blobs again; rebased and cherry-picked commits copy them): in test262's, 602,032 blob
/// changes name 316,809 blobs.
#[derive(Default)]
pub struct CleanBlobs(Mutex<HashSet<Oid>>);

impl CleanBlobs {
    fn contains(&self, id: Oid) -> bool {
        self.0.lock().expect("no thread panics holding it").contains(&id)
    }

    fn insert(&self, id: Oid) {
        self.0.lock().expect("no thread panics holding it").insert(id);
    }
}

impl<'a> Checker<'a> {
    /// A checker with no merge parents and no commit, reading blobs with `objects` (made
    /// for `repo`).
    pub fn new(repo: &'a Repository, scanner: &'a Scanner, config: &'a Config, objects: &'a Objects) -> Checker<'a> {
        let budget = RefCell::new(Budget::new(config.archives.limits));
        Checker { repo, scanner, config, merge_trees: Vec::new(), commit: None, budget, clean: None, objects }
    }

    /// Runs the pass over every changed file.
    ///
    /// # Errors
    /// When a blob cannot be read: fail closed, never skip a file.
    pub fn check(&self, changes: &mut Changes, checked: &mut Checked) -> Result<()> {
        let mut matches = Vec::new();
        if let Some(clean) = self.clean {
            changes.files.retain(|c| !clean.contains(c.new));
        }
        // A range of commits is already scanned on all cores, a commit per thread.
        let suspects = match self.clean {
            Some(_) => (0..changes.files.len()).collect(),
            None => suspects(self.repo, self.scanner, &changes.files),
        };
        for i in suspects {
            let change = changes.files[i].clone();
            // The very blob a merge's other parent has at this path: none of its lines is new.
            if self.in_merge_trees(&change.path).any(|id| id == change.new) {
                continue;
            }
            let read_error = |e| read_error(&change, e, self.commit.as_deref());
            let blob = match self.objects.blob_within(self.repo, change.new, windowed::BIG).map_err(read_error)? {
                Some(blob) => blob,
                None if self.check_big(&change, changes, checked)? => continue,
                None => self.objects.spill(self.repo, change.new).map_err(read_error)?,
            };
            let lfs = lfs::content(self.repo, &blob, &change.path)?;
            let content = lfs.as_deref().unwrap_or(&blob);
            if archive::format(content).is_none()
                || self.check_archive(&change, content, changes, checked)? == Walked::NotArchive
            {
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
        let mut base = None;
        let first_finding = checked.findings.len();
        let mut lines = Vec::new();
        let mut clean = true;
        for (view_index, view) in [Some(content), utf16.as_deref()].into_iter().flatten().enumerate() {
            matches.clear();
            lines.clear();
            let hits = self.scan_view(view, matches, &mut lines);
            let encoded = scan_encoded_with(self.scanner, view, &lines, matches, hits)
                .map_err(|e| decode_error(&change.path, &e))?;
            if matches.is_empty() && encoded.is_empty() {
                continue;
            }
            clean = false;
            if base.is_none() {
                base = Some(baseline(self.repo, self.objects, change, Some(content), changes)?);
            }
            let added = match base.as_ref().expect("set above") {
                Baseline::Unchanged => return Ok(()),
                Baseline::None => AddedLines::all(),
                Baseline::Blob(old) => {
                    let old = self.content_of(*old)?;
                    AddedLines::between(&same_view(&old, view_index), view)?
                }
            };
            let place = Place { path: &change.path, view, commit: self.commit.as_deref() };
            let mut parent_lines = None;
            for m in matches.iter() {
                if !added.contains(m.line) {
                    continue;
                }
                let line = &view[m.line_start..m.line_end];
                if self.in_merge_parent(&mut parent_lines, &change.path, view_index, line) {
                    continue;
                }
                checked.record(self.scanner, &self.config.allowlist, &place, m);
            }
            // A decoded finding counts when a line of its encoded span is added.
            let mut seen = checked.seen_since(first_finding);
            for found in &encoded {
                if !(found.line..=found.last_line).any(|l| added.contains(l))
                    || self.in_merge_parent(
                        &mut parent_lines,
                        &change.path,
                        view_index,
                        &view[found.line_start..found.line_end],
                    )
                {
                    continue;
                }
                checked.record_decoded(self.scanner, &self.config.allowlist, &place, found, &mut seen);
            }
        }
        if clean && let Some(blobs) = self.clean {
            blobs.insert(change.new);
        }
        mark_pairs(&mut checked.findings[first_finding..]);
        Ok(())
    }

    /// Scans a view for the rules' keywords; in a large file, when this pass has the cores
    /// to itself (not a range of commits, which uses them all already), the search for
    /// encoded keywords runs on another core meanwhile, and its hits are returned for the
    /// decoding: on a 50 MB minified file they are a sixth of the time.
    fn scan_view(&self, view: &[u8], matches: &mut Vec<Match>, lines: &mut Vec<(usize, usize)>) -> Option<Vec<usize>> {
        if view.len() < PARALLEL_FROM || self.clean.is_some() {
            self.scanner.scan_with_lines(view, matches, lines);
            return None;
        }
        std::thread::scope(|s| {
            let encoded = s.spawn(|| {
                let mut hits = Vec::new();
                self.scanner.fragment_hits(view, &mut hits);
                hits
            });
            self.scanner.scan_with_lines(view, matches, lines);
            encoded.join().ok()
        })
    }

    /// A blob over [`windowed::BIG`], streamed and scanned a window at a time so that
    /// memory stays bounded. Its added lines are those the old version (and a merge's
    /// other parents) do not hold anywhere, rather than a line diff: a diff would need both
    /// versions whole. `false`, with nothing recorded, when the blob must be opened whole
    /// after all (mapped from a file, not read into memory): an archive or UTF-16 text.
    fn check_big(&self, change: &Change, changes: &mut Changes, checked: &mut Checked) -> Result<bool> {
        let stream =
            self.objects.stream(self.repo, change.new).map_err(|e| read_error(change, e, self.commit.as_deref()))?;
        let mut windows = Windows::new(stream);
        let mut found: Vec<Candidate> = Vec::new();
        let (mut matches, mut lines) = (Vec::new(), Vec::new());
        let mut binary = false;
        loop {
            let window = match windows.next_window() {
                Ok(Some(window)) => window,
                Ok(None) => break,
                Err(e) => anyhow::bail!("reading {} (blob {}): {e}", escape(&change.path), change.new),
            };
            let archive = matches!(archive::format(window.bytes), Some(f) if f != archive::Format::PrefixedZip);
            if (window.first && (archive || looks_utf16(window.bytes)))
                || (window.last && archive::ends_like_zip(window.bytes))
            {
                return Ok(false);
            }
            binary |= window.first && is_binary(window.bytes);
            matches.clear();
            lines.clear();
            self.scanner.scan_part(window.bytes, binary, &mut matches, &mut lines);
            let encoded = scan_encoded(self.scanner, window.bytes, &lines, &mut matches)
                .map_err(|e| decode_error(&change.path, &e))?;
            let (bytes, own) = (window.bytes, &window.own);
            for m in matches.iter().filter(|m| own.contains(&m.start)) {
                let value = m.value(bytes).into_owned();
                found.push(Candidate::new(&window, m.rule, value, m, Vec::new()));
            }
            for f in encoded.iter().filter(|f| own.contains(&(f.line_start + f.column as usize - 1))) {
                let at = Match {
                    rule: f.rule,
                    start: 0,
                    end: 0,
                    line: f.line,
                    column: f.column,
                    line_start: f.line_start,
                    line_end: f.line_end,
                };
                found.push(Candidate::new(&window, f.rule, f.value.clone(), &at, f.chain.clone()));
            }
        }
        if found.is_empty() {
            return Ok(true);
        }
        // Lines already there: in the old version, or in a merge's other parent.
        let mut held = HashSet::new();
        let wanted: HashSet<&[u8]> = found.iter().map(|c| c.line_text.as_slice()).collect();
        match baseline(self.repo, self.objects, change, None, changes)? {
            Baseline::Unchanged => return Ok(true),
            Baseline::None => {}
            Baseline::Blob(old) => self.lines_held(old, &wanted, &mut held)?,
        }
        for id in self.in_merge_trees(&change.path) {
            // A version that cannot be read excuses nothing.
            let _ = self.lines_held(id, &wanted, &mut held);
        }
        let first_finding = checked.findings.len();
        let place = Place { path: &change.path, view: &[], commit: self.commit.as_deref() };
        let mut seen = HashSet::new();
        for c in found.iter().filter(|c| !held.contains(c.line_text.as_slice())) {
            // A decoded value already reported on its line (raw, or by an overlapping span).
            if !seen.insert((c.line, c.value.clone())) && !c.encoding.is_empty() {
                continue;
            }
            let at = Origin { line: c.line, column: c.column, line_text: &c.line_text, chain: &c.encoding };
            checked.record_at(self.scanner, &self.config.allowlist, &place, c.rule, &c.value, &at);
        }
        mark_pairs(&mut checked.findings[first_finding..]);
        Ok(true)
    }

    /// Adds to `held` the lines of blob `id` that are in `wanted`, reading it whole or, if
    /// it is large, as a stream.
    fn lines_held(&self, id: Oid, wanted: &HashSet<&[u8]>, held: &mut HashSet<Vec<u8>>) -> Result<()> {
        let longest = wanted.iter().map(|l| l.len()).max().unwrap_or(0);
        let mut keep = |line: &[u8]| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if wanted.contains(line) {
                held.insert(line.to_vec());
            }
        };
        if let Some(content) = self.objects.blob_within(self.repo, id, windowed::BIG).ok().flatten() {
            content.split(|&b| b == b'\n').for_each(&mut keep);
            return Ok(());
        }
        let mut stream =
            std::io::BufReader::new(self.objects.stream(self.repo, id).with_context(|| format!("reading blob {id}"))?);
        // Lines longer than any wanted one cannot match: only their length is followed.
        let mut line = Vec::new();
        let mut too_long = false;
        loop {
            let chunk = std::io::BufRead::fill_buf(&mut stream).with_context(|| format!("reading blob {id}"))?;
            if chunk.is_empty() {
                break;
            }
            let n = chunk.len();
            for part in chunk.split_inclusive(|&b| b == b'\n') {
                let (text, ends) = part.strip_suffix(b"\n").map_or((part, false), |t| (t, true));
                if !too_long {
                    line.extend_from_slice(text);
                    too_long = line.len() > longest + 1;
                }
                if ends {
                    if !too_long {
                        keep(&line);
                    }
                    line.clear();
                    too_long = false;
                }
            }
            std::io::BufRead::consume(&mut stream, n);
        }
        if !too_long {
            keep(&line);
        }
        Ok(())
    }

    /// Scans every member of an archive whole, and its raw bytes: there are no lines to
    /// diff inside one. An archive the change only renames or copies adds nothing (nor one
    /// a merge's other parent already had: [`Checker::check`] skips it). Bytes that only
    /// looked like an archive (`NotArchive`) are left to the line scan.
    fn check_archive(
        &self,
        change: &Change,
        content: &[u8],
        changes: &mut Changes,
        checked: &mut Checked,
    ) -> Result<Walked> {
        if change.old.is_none()
            && matches!(baseline(self.repo, self.objects, change, Some(content), changes)?, Baseline::Unchanged)
        {
            return Ok(Walked::Archive);
        }
        let place = Place { path: &change.path, view: content, commit: self.commit.as_deref() };
        check_archive_whole(self.scanner, self.config, &self.budget, &place, checked)
    }

    /// Another version of a file: the blob, or the LFS content it points to when that is
    /// stored locally (a version that is not being committed may lack it).
    fn content_of(&self, id: Oid) -> Result<Vec<u8>> {
        let blob = self.objects.blob(self.repo, id).with_context(|| format!("reading blob {id}"))?;
        Ok(lfs::content(self.repo, &blob, b"").ok().flatten().unwrap_or_else(|| blob.to_vec()))
    }

    /// What a merge's other parents have at `path`; a tree that cannot be read has nothing.
    fn in_merge_trees<'p>(&'p self, path: &'p [u8]) -> impl Iterator<Item = Oid> + 'p {
        let trees = Trees { repo: self.repo, objects: self.objects };
        self.merge_trees.iter().filter_map(move |tree| trees.at_path(*tree, path).ok().flatten())
    }

    /// Whether one of a merge's other parents already has this line in this file. A
    /// version that cannot be read does not excuse the line. The parents' lines are read
    /// once per file and view into `lines`, so a merge bringing thousands of key-shaped
    /// lines costs one read, not one per line.
    fn in_merge_parent(
        &self,
        lines: &mut Option<HashSet<Vec<u8>>>,
        path: &[u8],
        view_index: usize,
        line: &[u8],
    ) -> bool {
        if self.merge_trees.is_empty() {
            return false;
        }
        let trim = |l: &[u8]| l.strip_suffix(b"\r").unwrap_or(l).to_vec();
        let lines = lines.get_or_insert_with(|| {
            let mut set = HashSet::new();
            for id in self.in_merge_trees(path) {
                let Ok(content) = self.content_of(id) else { continue };
                set.extend(same_view(&content, view_index).split(|&b| b == b'\n').map(trim));
            }
            set
        });
        lines.contains(&trim(line))
    }
}

/// A match in a window of a streamed blob, kept with what reporting it needs once the
/// window is gone. A line longer than [`LINE_KEPT`] keeps only the part around the match: it
/// then never equals an old line, so it counts as added.
struct Candidate {
    rule: usize,
    value: Vec<u8>,
    line: u32,
    column: u32,
    line_text: Vec<u8>,
    encoding: Vec<Encoding>,
}

/// The most of a line a [`Candidate`] keeps.
const LINE_KEPT: usize = 64 << 10;

impl Candidate {
    fn new(window: &Window<'_>, rule: usize, value: Vec<u8>, m: &Match, encoding: Vec<Encoding>) -> Candidate {
        let bytes = window.bytes;
        let (mut start, mut end) = (m.line_start, m.line_end);
        if end - start > LINE_KEPT {
            let at = m.line_start + m.column as usize - 1;
            start = at.saturating_sub(LINE_KEPT / 2).max(start);
            end = (start + LINE_KEPT).min(end);
        }
        let text = &bytes[start..end];
        // A column on the window's first line counts the part of the line before it.
        let before = if m.line == 1 { u32::try_from(window.columns_before).unwrap_or(u32::MAX) } else { 0 };
        Candidate {
            rule,
            value,
            line: window.lines_before + m.line,
            column: m.column.saturating_add(before),
            line_text: text.strip_suffix(b"\r").unwrap_or(text).to_vec(),
            encoding,
        }
    }
}

/// From this size on, a blob's keyword searches run on two cores ([`Checker::scan_view`]).
const PARALLEL_FROM: usize = 4 << 20;

/// Why a blob could not be read, with what to do about it; `commit` is the commit being
/// scanned, for history and push scans, whose blobs `git add` cannot bring back.
fn read_error(change: &Change, e: ReadError, commit: Option<&str>) -> anyhow::Error {
    let path = escape(&change.path);
    let id = change.new;
    match e {
        ReadError::OutOfMemory { size } => anyhow::anyhow!(
            "{path} (blob {id}) is {} bytes, more than awsguard could allocate to scan it; free memory or \
             raise the process's memory limit and commit again",
            size.map_or_else(|| "too many".to_string(), |s| s.to_string())
        ),
        ReadError::Damaged { .. } => anyhow::anyhow!(
            "reading {path} (blob {id}): {e}. `git fsck` tells more; `git add` the file again to write a sound copy"
        ),
        ReadError::Missing(_) if commit.is_some() => anyhow::anyhow!(
            "reading {path} (blob {id}) of commit {}: {e}. The object is missing from this repository's history: \
             a partial clone (`--filter`) or a shallow clone does not have every object, and awsguard never \
             passes what it could not read. Scan a full clone (`git clone` without `--filter` or `--depth`), \
             or fetch what is missing first (`git fetch --unshallow` for a shallow clone)",
            commit.unwrap_or_default()
        ),
        ReadError::Missing(_) => anyhow::anyhow!(
            "reading {path} (blob {id}): {e}. The index names an object that is not in the object database; \
             `git fsck` tells more, and `git add` the file again repairs it"
        ),
        ReadError::Io { .. } | ReadError::Git(_) => anyhow::anyhow!("reading {path} (blob {id}): {e}"),
    }
}

/// Why decoding a file stopped, with what to do about it.
fn decode_error(path: &[u8], problem: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{}: {problem}; awsguard never passes a file it could not decode whole. Commit the encoded data in \
         smaller files, or report this input as a bug",
        escape(path)
    )
}

/// The name a commit's message is reported under, as code review tools show it (Gerrit).
pub const MESSAGE_PATH: &str = "COMMIT_MSG";

/// The name an annotated tag's message is reported under.
pub const TAG_MESSAGE_PATH: &str = "TAG_MSG";

/// Scans the message of the commit `id` (or, under [`TAG_MESSAGE_PATH`], of the annotated
/// tag `id`). A commit or tag is pushed with its message, so a key pasted there is as public
/// as one in a file, and the `commit-msg` hook only runs where it is installed (and never
/// for tags).
///
/// # Errors
/// As [`check_bytes`].
pub fn check_message(
    scanner: &Scanner,
    config: &Config,
    (path, id): (&str, &str),
    message: &[u8],
    checked: &mut Checked,
) -> Result<()> {
    check_bytes(scanner, config, &Place { path: path.as_bytes(), view: message, commit: Some(id) }, checked)
}

/// Scans a plain buffer (a file on disk, stdin, a commit message, an archive member):
/// every line counts.
///
/// # Errors
/// When its encoded text could not be decoded within the budget.
pub fn check_bytes(scanner: &Scanner, config: &Config, place: &Place<'_>, checked: &mut Checked) -> Result<()> {
    check_view(scanner, config, place, checked, &mut HashSet::new(), false)
}

/// [`check_bytes`], remembering in `seen` every value matched; with `derived`, a value
/// already seen is skipped: a container's raw bytes repeat what its stored members showed,
/// and one credential is reported (or allowed) once, at the member.
fn check_view(
    scanner: &Scanner,
    config: &Config,
    place: &Place<'_>,
    checked: &mut Checked,
    seen: &mut HashSet<Vec<u8>>,
    derived: bool,
) -> Result<()> {
    let first_finding = checked.findings.len();
    let utf16 = utf16_view(place.view);
    let mut matches = Vec::new();
    let mut lines = Vec::new();
    for view in [Some(place.view), utf16.as_deref()].into_iter().flatten() {
        matches.clear();
        lines.clear();
        scanner.scan_with_lines(view, &mut matches, &mut lines);
        let encoded = scan_encoded(scanner, view, &lines, &mut matches).map_err(|e| decode_error(place.path, &e))?;
        let place = Place { view, ..*place };
        for m in &matches {
            let value = m.value(view).into_owned();
            if seen.insert(value) || !derived {
                checked.record(scanner, &config.allowlist, &place, m);
            }
        }
        let mut seen_here = checked.seen_since(first_finding);
        for found in &encoded {
            if derived && seen.contains(&found.value) {
                continue;
            }
            seen.insert(found.value.clone());
            checked.record_decoded(scanner, &config.allowlist, &place, found, &mut seen_here);
        }
    }
    mark_pairs(&mut checked.findings[first_finding..]);
    Ok(())
}

/// Scans a whole file: an archive member by member (nested archives too) and then its raw
/// bytes, anything else as bytes. An archive that exceeds a bound or cannot be opened is an
/// error, unless it is listed under `[archives] unscanned`: then it is scanned as raw bytes,
/// with a warning.
///
/// # Errors
/// The archive problem, with what to do about it.
pub fn check_whole(
    scanner: &Scanner,
    config: &Config,
    budget: &RefCell<Budget>,
    place: &Place<'_>,
    checked: &mut Checked,
) -> Result<()> {
    if check_archive_whole(scanner, config, budget, place, checked)? == Walked::NotArchive {
        check_bytes(scanner, config, place, checked)?;
    }
    Ok(())
}

/// The archive part of [`check_whole`]: [`Walked::NotArchive`] (nothing scanned) for bytes
/// that only look like an archive, which the caller scans as bytes its own way.
fn check_archive_whole(
    scanner: &Scanner,
    config: &Config,
    budget: &RefCell<Budget>,
    place: &Place<'_>,
    checked: &mut Checked,
) -> Result<Walked> {
    if archive::format(place.view).is_none() {
        return Ok(Walked::NotArchive);
    }
    let mut seen = HashSet::new();
    // A member that cannot be decoded within its budget fails the whole file, after the walk.
    let mut failed = None;
    let result = archive::for_each_member(place.view, &mut budget.borrow_mut(), &mut |member, bytes, view| {
        let member_path =
            if member.is_empty() { place.path.to_vec() } else { [place.path, b"!", member.as_bytes()].concat() };
        let derived = view == View::Derived;
        let member_place = Place { path: &member_path, view: bytes, ..*place };
        if let Err(e) = check_view(scanner, config, &member_place, checked, &mut seen, derived) {
            failed.get_or_insert(e);
        }
        Ok(())
    });
    if let Some(e) = failed {
        return Err(e);
    }
    let problem = match result {
        Ok(walked) => return Ok(walked),
        Err(problem) => problem,
    };
    let shown = escape(place.path);
    let problem = escape(problem.to_string().as_bytes());
    match config.archives.unscanned(place.path) {
        Some(origin) => {
            checked.warnings.push(format!(
                "{shown}: the archive {problem}; it is listed under [archives] unscanned at {origin}, so only its \
                 raw bytes were scanned"
            ));
            check_bytes(scanner, config, place, checked)?;
            Ok(Walked::Archive)
        }
        None => anyhow::bail!(
            "{shown}: the archive {problem}. awsguard never passes an archive it could not scan whole: raise the \
             bound ([archives] in .awsguard.toml, or --archive-limits), fix the archive, or list it under \
             [archives] unscanned in .awsguard.toml to pass it after a raw-byte scan"
        ),
    }
}
