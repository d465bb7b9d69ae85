//! Blobs too large to hold in memory (a 1 GiB log or dump staged by mistake), read from a
//! stream a window at a time so that memory stays bounded whatever their size.
//!
//! Each window is scanned with some bytes of the windows around it as context, and keeps
//! only what starts inside its own part: a match across a boundary, or a secret whose key
//! ID lies just before it, is found once. Every rule and decoder looks at most a few dozen
//! KiB around what it matches (`scan`'s windows, `decode`'s reach; a base64 run clipped at
//! either end is realigned), so [`CONTEXT`] covers them; a boundary falls on a line break
//! where there is one, so that a match's line is whole when it is reported.

use std::io::{self, Read};
use std::ops::Range;

/// From this size on, a blob is streamed rather than read whole.
pub const BIG: usize = 64 << 20;

/// The part of a window that is its own, before a cut is looked for.
const OWN: usize = 8 << 20;

/// Bytes of the neighbouring windows scanned with each window: more than the longest match
/// and wider than a key ID's distance to its secret in any real file. At least the 64 KiB
/// a zip's end record may sit from the end, so the last window shows it.
const CONTEXT: usize = 128 << 10;

/// One window of the stream.
pub struct Window<'a> {
    /// What is scanned: the window's own part with context on both sides.
    pub bytes: &'a [u8],
    /// The window's own part within `bytes`: keep what starts here.
    pub own: Range<usize>,
    /// How many lines precede `bytes` in the blob (add to a 1-based line in `bytes`).
    pub lines_before: u32,
    /// How many bytes of its line precede `bytes` (add to a column on its first line).
    pub columns_before: u64,
    /// Whether this is the first window (it starts at the blob's first byte).
    pub first: bool,
    /// Whether this is the last window (it ends at the blob's last byte).
    pub last: bool,
}

/// Reads a stream and hands it out a window at a time.
pub struct Windows<R> {
    reader: R,
    /// Bytes kept: context before `own_start`, then what is still to be scanned.
    buf: Vec<u8>,
    /// Where in `buf` the next window's own part starts.
    own_start: usize,
    /// Lines before `own_start` in the blob.
    lines_before_own: u32,
    /// The blob's offset of `buf[0]`, and of the start of the line holding it.
    base: u64,
    line_start_of_base: u64,
    eof: bool,
    started: bool,
    done: bool,
}

impl<R: Read> Windows<R> {
    pub fn new(reader: R) -> Windows<R> {
        Windows {
            reader,
            buf: Vec::new(),
            own_start: 0,
            lines_before_own: 0,
            base: 0,
            line_start_of_base: 0,
            eof: false,
            started: false,
            done: false,
        }
    }

    /// The next window, `None` after the last.
    ///
    /// # Errors
    /// When the stream fails.
    pub fn next_window(&mut self) -> io::Result<Option<Window<'_>>> {
        if self.done {
            return Ok(None);
        }
        // Keep only the context before the next window's own part.
        let keep_from = self.own_start.saturating_sub(CONTEXT);
        if let Some(i) = memchr::memrchr(b'\n', &self.buf[..keep_from]) {
            self.line_start_of_base = self.base + i as u64 + 1;
        }
        self.base += keep_from as u64;
        self.buf.drain(..keep_from);
        self.own_start -= keep_from;
        self.fill(self.own_start + OWN + CONTEXT)?;
        let start = self.own_start;
        let end = if self.eof && self.buf.len() <= start + OWN {
            self.buf.len()
        } else {
            // After the last line break in the second half of the part, else inside a line.
            let half = start + OWN / 2;
            memchr::memrchr(b'\n', &self.buf[half..start + OWN]).map_or(start + OWN, |i| half + i + 1)
        };
        let last = end == self.buf.len() && self.eof;
        let scan = start.saturating_sub(CONTEXT)..(end + CONTEXT).min(self.buf.len());
        let lines_before = self.lines_before_own - count_lines(&self.buf[scan.start..start]);
        let line_start = memchr::memrchr(b'\n', &self.buf[..scan.start])
            .map_or(self.line_start_of_base, |i| self.base + i as u64 + 1);
        let columns_before = self.base + scan.start as u64 - line_start;
        self.lines_before_own += count_lines(&self.buf[start..end]);
        self.own_start = end;
        self.done = last;
        let first = !self.started;
        self.started = true;
        Ok(Some(Window {
            bytes: &self.buf[scan.clone()],
            own: start - scan.start..end - scan.start,
            lines_before,
            columns_before,
            first,
            last,
        }))
    }

    /// Reads until `buf` holds `want` bytes or the stream ends.
    fn fill(&mut self, want: usize) -> io::Result<()> {
        let mut len = self.buf.len();
        if self.eof || len >= want {
            return Ok(());
        }
        self.buf.resize(want, 0);
        let result = loop {
            if len == want {
                break Ok(());
            }
            match self.reader.read(&mut self.buf[len..]) {
                Ok(0) => {
                    self.eof = true;
                    break Ok(());
                }
                Ok(n) => len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        self.buf.truncate(len);
        result
    }
}

fn count_lines(bytes: &[u8]) -> u32 {
    u32::try_from(memchr::memchr_iter(b'\n', bytes).count()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte lands in exactly one window's own part, in order, and each window's line
    /// count agrees with the blob's.
    #[test]
    fn windows_cover_the_stream_once_and_count_lines() {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut blob = Vec::new();
        while blob.len() < 3 * OWN + 12_345 {
            let len = rng.usize(0..200);
            blob.extend((0..len).map(|_| rng.alphanumeric() as u8));
            blob.push(if rng.bool() { b'\n' } else { b';' });
        }
        let mut windows = Windows::new(&blob[..]);
        let mut covered = Vec::new();
        let mut count = 0;
        while let Some(w) = windows.next_window().unwrap() {
            assert_eq!(w.first, count == 0);
            let own = &w.bytes[w.own.clone()];
            let at = covered.len();
            assert_eq!(own, &blob[at..at + own.len()]);
            let scan_start = at - w.own.start;
            assert_eq!(w.lines_before, count_lines(&blob[..scan_start]));
            let line_start = memchr::memrchr(b'\n', &blob[..scan_start]).map_or(0, |i| i + 1);
            assert_eq!(w.columns_before, (scan_start - line_start) as u64);
            if !w.last && own.contains(&b'\n') {
                assert_eq!(own.last(), Some(&b'\n'), "cut at a line break");
            }
            covered.extend_from_slice(own);
            count += 1;
            if w.last {
                break;
            }
        }
        assert_eq!(covered, blob);
        assert!(count > 3);
        assert!(windows.next_window().unwrap().is_none());
    }

    #[test]
    fn a_stream_without_line_breaks_is_cut_anyway() {
        let zeros = vec![0u8; 2 * OWN + 5];
        let mut windows = Windows::new(&zeros[..]);
        let mut total = 0;
        while let Some(w) = windows.next_window().unwrap() {
            assert!(w.bytes.len() <= OWN + 2 * CONTEXT);
            total += w.own.len();
        }
        assert_eq!(total, zeros.len());
    }
}
