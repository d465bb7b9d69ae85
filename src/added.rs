//! Which lines of a file the commit adds.
//!
//! A file is scanned whole, so that a key ID on an unchanged line can still pair with a
//! secret on an added one; a match then counts only if its line is added. The line diff
//! runs only for files that have a match, which is almost never.

use anyhow::{Context, Result};
use git2::{DiffOptions, Patch};

/// The added lines of a new version, as sorted, disjoint 1-based ranges.
#[derive(Debug, Default)]
pub struct AddedLines {
    ranges: Vec<(u32, u32)>,
}

impl AddedLines {
    /// Every line of the file is added (a new file).
    pub fn all() -> AddedLines {
        AddedLines { ranges: vec![(1, u32::MAX)] }
    }

    /// The lines `new` adds to `old`, by git's line diff with no context. Both are diffed
    /// as text whatever their bytes, so a key in a binary file is placed on its "line".
    ///
    /// # Errors
    /// When libgit2 fails to diff the buffers (out of memory).
    pub fn between(old: &[u8], new: &[u8]) -> Result<AddedLines> {
        let mut opts = DiffOptions::new();
        opts.context_lines(0).interhunk_lines(0).force_text(true).max_size(-1);
        let patch = Patch::from_buffers(old, None, new, None, Some(&mut opts)).context("diffing a file")?;
        let mut ranges = Vec::with_capacity(patch.num_hunks());
        for h in 0..patch.num_hunks() {
            let (hunk, _) = patch.hunk(h).context("reading a diff hunk")?;
            if hunk.new_lines() > 0 {
                ranges.push((hunk.new_start(), hunk.new_start() + hunk.new_lines() - 1));
            }
        }
        Ok(AddedLines { ranges })
    }

    /// Whether 1-based `line` is added.
    pub fn contains(&self, line: u32) -> bool {
        let i = self.ranges.partition_point(|&(_, end)| end < line);
        self.ranges.get(i).is_some_and(|&(start, _)| start <= line)
    }
}

/// Whether `line` (without its line ending) is one of the lines of `text`. A merge uses it
/// to tell a line the other parent already had from one the merge itself introduces.
pub fn has_line(text: &[u8], line: &[u8]) -> bool {
    let line = trim_eol(line);
    text.split(|&b| b == b'\n').any(|l| trim_eol(l) == line)
}

fn trim_eol(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_added_and_changed_lines_count() {
        let added = AddedLines::between(b"a\nb\nc\nd\n", b"a\nB\nc\nnew\nd\n").unwrap();
        let lines: Vec<u32> = (1..=6).filter(|&l| added.contains(l)).collect();
        assert_eq!(lines, vec![2, 4]);
    }

    #[test]
    fn removed_lines_add_nothing() {
        let added = AddedLines::between(b"a\nkey\nb\n", b"a\nb\n").unwrap();
        assert!((1..=3).all(|l| !added.contains(l)));
    }

    #[test]
    fn binary_and_crlf_content_is_diffed_as_text() {
        let added = AddedLines::between(b"\0\x01a\r\nb\r\n", b"\0\x01a\r\nx\r\nb\r\n").unwrap();
        assert!(added.contains(2) && !added.contains(1) && !added.contains(3));
    }

    #[test]
    fn new_files_add_every_line() {
        assert!(AddedLines::all().contains(1) && AddedLines::all().contains(1_000_000));
    }

    #[test]
    fn lines_are_compared_without_their_endings() {
        assert!(has_line(b"x\r\nkey = 1\r\n", b"key = 1"));
        assert!(!has_line(b"x\nkey = 12\n", b"key = 1"));
    }
}
