//! A parallel first look at many files: which of them may hold a finding at all.
//!
//! A large commit (an initial import, a vendored tree) is mostly files without a single
//! keyword. Reading and scanning them is the whole cost, and it parallelises: every blob
//! is read and scanned on all cores, each thread with its own handle on the object
//! database, and only the files where a rule matched go through the full, ordered pass.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use git2::Repository;

use crate::archive;
use crate::changes::Change;
use crate::decode::{scan_encoded, utf16_view};
use crate::lfs;
use crate::objects::Objects;
use crate::scan::{Match, Scanner};
use crate::windowed;

/// Fewer files than this per thread are not worth a thread.
const FILES_PER_THREAD: usize = 8;

/// The indices of the files that may hold a finding: those where a rule matched, those the
/// prescan cannot judge (archives, LFS pointers) and those it could not read (the full
/// pass reports why). With few files, all are suspects.
pub fn suspects(repo: &Repository, scanner: &Scanner, files: &[Change]) -> Vec<usize> {
    let threads =
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get).min(files.len() / FILES_PER_THREAD);
    let threads = threads.min(8);
    if threads < 2 {
        return (0..files.len()).collect();
    }
    let git_dir = repo.path();
    let next = AtomicUsize::new(0);
    let suspect: Vec<AtomicBool> = files.iter().map(|_| AtomicBool::new(true)).collect();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                // The same object directories as the pass (a push quarantine included).
                let Ok(repo) = crate::repo::reopen(git_dir) else { return };
                let objects = Objects::new(&repo);
                let mut matches = Vec::new();
                let mut lines = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(change) = files.get(i) else { return };
                    // Unreadable or too large to hold: the full pass reads it its own way.
                    let Ok(Some(content)) = objects.blob_within(&repo, change.new, windowed::BIG) else {
                        continue;
                    };
                    suspect[i].store(may_hold(scanner, &content, &mut matches, &mut lines), Ordering::Relaxed);
                }
            });
        }
    });
    suspect.into_iter().enumerate().filter_map(|(i, s)| s.into_inner().then_some(i)).collect()
}

/// Whether `content` may hold a finding: a rule matched in it (raw, decoded or as UTF-16),
/// or the prescan cannot judge it (an archive, an LFS pointer, text that fails to decode).
/// `matches` and `lines` are scratch space, reused between calls.
pub fn may_hold(scanner: &Scanner, content: &[u8], matches: &mut Vec<Match>, lines: &mut Vec<(usize, usize)>) -> bool {
    if lfs::pointer_oid(content).is_some() || archive::format(content).is_some() {
        return true;
    }
    matches.clear();
    lines.clear();
    scanner.scan_with_lines(content, matches, lines);
    // Any encoded text that yields a match, or fails to decode, needs the full pass.
    let mut found =
        !matches.is_empty() || scan_encoded(scanner, content, lines, matches).map_or(true, |f| !f.is_empty());
    if let Some(view) = utf16_view(content).filter(|_| !found) {
        lines.clear();
        scanner.scan_with_lines(&view, matches, lines);
        found = !matches.is_empty() || scan_encoded(scanner, &view, lines, matches).map_or(true, |f| !f.is_empty());
    }
    found
}
