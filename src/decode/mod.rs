//! Decoding: views of a blob other than its raw bytes, each scanned like the bytes.
//!
//! Every blob is scanned as raw bytes, and as UTF-8 if it is UTF-16 ([`utf16`]). Then the
//! encoded spans of the view are decoded in place ([`decoded_view`]): base64 runs
//! ([`base64`]), hex tokens ([`hex`]), backslash, HTML and percent escapes and
//! quoted-printable MIME parts ([`escapes`]). Unlike gitleaks (which decodes every
//! base64-looking run of a fragment) and trufflehog (which decodes whole chunks and loses
//! the text around them), a span is decoded only where a cheap sign says it may matter (an
//! encoded keyword, a keyword on its line, an escape, a word announcing an encoding:
//! `pwsh -enc`, `quoted-printable`), and it is decoded in place: the label beside a base64
//! value (`AWS_SECRET_ACCESS_KEY: d0ph...`) still labels it. Decoded spans are decoded
//! again, to [`MAX_DEPTH`] layers, and every decoded byte is charged to a budget
//! proportional to the blob, so cost stays linear.

pub mod base64;
pub mod escapes;
pub mod hex;
mod utf16;

use std::ops::Range;

pub use utf16::{looks_utf16, same_view, utf16_view};

use crate::scan::{Match, Scanner};

/// Layers of encoding undone, outermost first: base64 of `\u`-escaped JSON is two.
pub const MAX_DEPTH: usize = 3;

/// Lines around a decoded span that its view keeps, for labels on nearby lines.
const CONTEXT_LINES: usize = 5;

/// Bytes on either side of a decoded span that its view keeps at most.
const CONTEXT_BYTES: usize = 4096;

/// One kind of encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Base64,
    /// `\u002F`, `\x2F` (with any JSON escapes beside them).
    UnicodeEscape,
    /// JSON string escapes only: `\"`, `\\`, `\/`.
    JsonEscape,
    Html,
    Percent,
    Utf16,
    /// gzip inside base64: cloud-init `gz+b64`, Terraform `base64gzip`, Helm releases.
    Gzip,
    /// A MIME part's `=3D`, `=2F` and soft line breaks (`.eml`).
    QuotedPrintable,
    /// Pairs of hex digits: `xxd -p`, `bytes.hex()`.
    Hex,
}

impl Encoding {
    /// Its name in JSON and SARIF output.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Base64 => "base64",
            Encoding::UnicodeEscape => "unicode-escape",
            Encoding::JsonEscape => "json-escape",
            Encoding::Html => "html-entities",
            Encoding::Percent => "percent",
            Encoding::Utf16 => "utf-16",
            Encoding::Gzip => "gzip",
            Encoding::QuotedPrintable => "quoted-printable",
            Encoding::Hex => "hex",
        }
    }

    /// Its name in a sentence: "base64-encoded".
    pub fn described(self) -> &'static str {
        match self {
            Encoding::Base64 => "base64-encoded",
            Encoding::UnicodeEscape => "\\u-escaped",
            Encoding::JsonEscape => "JSON-escaped",
            Encoding::Html => "HTML-escaped",
            Encoding::Percent => "percent-encoded",
            Encoding::Utf16 => "UTF-16",
            Encoding::Gzip => "gzip-compressed",
            Encoding::QuotedPrintable => "quoted-printable",
            Encoding::Hex => "hex-encoded",
        }
    }
}

/// The forms of a keyword to look for once encoded, where case is no longer folded: as
/// written, and (for a case-insensitive keyword) lower, upper and capitalised.
fn case_forms(keyword: &str, exact: bool) -> Vec<String> {
    let mut forms = vec![keyword.to_string()];
    if !exact {
        let lower = keyword.to_ascii_lowercase();
        let mut capital = lower.clone();
        capital[..1].make_ascii_uppercase();
        forms.extend([lower, keyword.to_ascii_uppercase(), capital]);
    }
    forms
}

/// A stretch of a decoded view that came from an encoded span of the scanned bytes.
#[derive(Clone, Debug)]
pub struct Span {
    /// Where it is in the view.
    pub view: Range<usize>,
    /// The encoded span in the scanned bytes (outermost layer).
    pub src: Range<usize>,
    /// The layers undone to get here, outermost first.
    pub chain: Vec<Encoding>,
}

/// Windows of a haystack around its encoded spans, with the spans decoded in place.
#[derive(Debug, Default)]
pub struct Decoded {
    pub view: Vec<u8>,
    /// Sorted and disjoint.
    pub spans: Vec<Span>,
}

impl Decoded {
    /// The decoded span holding a view offset, if any (offsets between spans are raw text,
    /// scanned already).
    pub fn span_at(&self, at: usize) -> Option<&Span> {
        let i = self.spans.partition_point(|s| s.view.end <= at);
        self.spans.get(i).filter(|s| s.view.start <= at)
    }
}

/// What decoding one blob may still produce: a multiple of its size, so no input (a 50 MB
/// base64 line, nested base64) costs more than linear time. Construction keeps far below
/// it; reaching it stops decoding and is reported, never silently passed.
#[derive(Debug)]
pub struct Budget {
    pub used: usize,
    pub limit: usize,
}

impl Budget {
    /// The budget for a blob of `len` bytes.
    pub fn for_len(len: usize) -> Budget {
        Budget { used: 0, limit: len.saturating_mul(16).saturating_add(1 << 20) }
    }

    fn charge(&mut self, n: usize) -> bool {
        self.used += n;
        self.used <= self.limit
    }

    pub fn exceeded(&self) -> bool {
        self.used > self.limit
    }
}

/// An encoded span found and decoded (and its own spans decoded, recursively).
struct Found {
    src: Range<usize>,
    chain: Vec<Encoding>,
    bytes: Vec<u8>,
    inner: Vec<Span>,
}

/// The decoded view of `haystack`, given the candidate lines the scanner's prefilter saw
/// in it; `None` when nothing in it is encoded.
pub fn decoded_view(
    scanner: &Scanner,
    haystack: &[u8],
    lines: &[(usize, usize)],
    budget: &mut Budget,
) -> Option<Decoded> {
    decoded_view_with(scanner, haystack, lines, None, budget)
}

/// [`decoded_view`], with the encoded keywords of `haystack` already found (`hits`, as
/// [`Scanner::fragment_hits`] gives them) when a caller searched for them on another core.
fn decoded_view_with(
    scanner: &Scanner,
    haystack: &[u8],
    lines: &[(usize, usize)],
    hits: Option<Vec<usize>>,
    budget: &mut Budget,
) -> Option<Decoded> {
    let found = find(scanner, haystack, lines, hits, MAX_DEPTH, budget);
    if found.is_empty() {
        return None;
    }
    let mut out = Decoded::default();
    let mut i = 0;
    while i < found.len() {
        let (ws, mut we) = (context_start(haystack, &found[i]), context_end(haystack, &found[i]));
        let mut j = i + 1;
        while j < found.len() && found[j].src.start < we {
            we = we.max(context_end(haystack, &found[j]));
            j += 1;
        }
        let mut at = ws.min(found[i].src.start);
        for f in &found[i..j] {
            out.view.extend_from_slice(&haystack[at..f.src.start]);
            embed(&mut out, f);
            at = f.src.end;
        }
        out.view.extend_from_slice(&haystack[at..we.max(at)]);
        out.view.push(b'\n');
        i = j;
    }
    Some(out)
}

/// Appends a found span's bytes to the view, with the spans they consist of.
fn embed(out: &mut Decoded, f: &Found) {
    let base = out.view.len();
    let mut at = 0;
    let piece = |out: &mut Decoded, range: Range<usize>, chain: Vec<Encoding>| {
        if !range.is_empty() {
            out.spans.push(Span { view: base + range.start..base + range.end, src: f.src.clone(), chain });
        }
    };
    for s in &f.inner {
        piece(out, at..s.view.start, f.chain.clone());
        piece(out, s.view.clone(), f.chain.iter().chain(&s.chain).copied().collect());
        at = s.view.end;
    }
    piece(out, at..f.bytes.len(), f.chain.clone());
    out.view.extend_from_slice(&f.bytes);
}

/// Where the view of a span starts: [`CONTEXT_LINES`] before it (a key ID and its secret
/// may be lines apart), at most [`CONTEXT_BYTES`] before it.
fn context_start(haystack: &[u8], found: &Found) -> usize {
    let src = found.src.clone();
    let lo = src.start.saturating_sub(CONTEXT_BYTES);
    let mut ws = src.start;
    for _ in 0..=CONTEXT_LINES {
        ws = memchr::memrchr(b'\n', &haystack[lo..ws]).map_or(lo, |i| lo + i);
        if ws == lo {
            break;
        }
    }
    let ws = if ws > lo || haystack.get(ws) == Some(&b'\n') { ws + 1 } else { ws };
    ws.min(src.start)
}

/// Where the view of a span ends: [`CONTEXT_LINES`] after it, at most [`CONTEXT_BYTES`]
/// after it. Apart from [`context_start`]: a span inside another's view needs only this.
fn context_end(haystack: &[u8], found: &Found) -> usize {
    let src = found.src.clone();
    let hi = (src.end + CONTEXT_BYTES).min(haystack.len());
    let mut we = src.end;
    for _ in 0..=CONTEXT_LINES {
        we = memchr::memchr(b'\n', &haystack[(we + 1).min(hi)..hi]).map_or(hi, |i| we + 1 + i);
        if we >= hi {
            break;
        }
    }
    we.min(hi).max(src.end)
}

/// The whole of `bytes` with its encoded spans decoded in place, and where they are.
fn expand(scanner: &Scanner, bytes: Vec<u8>, depth: usize, budget: &mut Budget) -> (Vec<u8>, Vec<Span>) {
    // Nothing [`find`] looks for can be there: no escape, no keyword (so no labelled
    // token), no encoded keyword. A history scan decodes millions of escapes, nearly all
    // of them to a character or two.
    let [a, b, c] = escapes::STARTS;
    if memchr::memchr3(a, b, c, &bytes).is_none() && !scanner.may_hold_keywords(&bytes) {
        return (bytes, Vec::new());
    }
    let mut lines = Vec::new();
    scanner.candidate_lines(&bytes, &mut lines);
    let found = find(scanner, &bytes, &lines, None, depth, budget);
    if found.is_empty() {
        return (bytes, Vec::new());
    }
    let mut out = Decoded::default();
    let mut at = 0;
    for f in &found {
        out.view.extend_from_slice(&bytes[at..f.src.start]);
        embed(&mut out, f);
        at = f.src.end;
    }
    out.view.extend_from_slice(&bytes[at..]);
    (out.view, out.spans)
}

/// Whether decoded bytes read as text: credentials and their labels are printable ASCII.
fn is_text(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && printable(bytes) * 100 >= bytes.len() * 90
}

fn printable(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (0x20..0x7f).contains(&b) || matches!(b, b'\n' | b'\r' | b'\t')).count()
}

/// Decodes base64 into text (or UTF-16 transcoded to it). A run whose start was clipped
/// has an unknown alignment: a sample at each of the four picks it, so the run itself is
/// decoded once.
fn base64_text(encoded: &[u8], sure_of_start: bool, budget: &mut Budget) -> Option<(Vec<u8>, Vec<Encoding>)> {
    let skip = match sure_of_start {
        true => 0,
        false => {
            let sample = &encoded[..encoded.len().min(ALIGNMENT_SAMPLE)];
            budget.charge(sample.len() * 3);
            (0..4).max_by_key(|&skip| printable(&base64::decode(sample, skip)))?
        }
    };
    let bytes = base64::decode(encoded, skip);
    if !budget.charge(bytes.len()) {
        return None;
    }
    if is_text(&bytes) {
        return Some((bytes, vec![Encoding::Base64]));
    }
    if bytes.starts_with(&GZIP_MAGIC) {
        return gunzip_text(&bytes, budget).map(|text| (text, vec![Encoding::Base64, Encoding::Gzip]));
    }
    let text = utf16_view(&bytes).filter(|t| is_text(t))?;
    Some((text, vec![Encoding::Base64, Encoding::Utf16]))
}

/// Decodes a token of hex digits into text. Tried before base64: hex digits are base64
/// characters too, and hex read as base64 is seldom text.
fn hex_text(token: &[u8], budget: &mut Budget) -> Option<(Vec<u8>, Vec<Encoding>)> {
    let text = hex::decode(&token[hex::digits(token)?]);
    (budget.charge(text.len()) && is_text(&text)).then(|| (text, vec![Encoding::Hex]))
}

/// The first bytes of a gzip stream (and `H4sI` is their base64, see [`base64::Fragments`]).
const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];

/// Inflated bytes per compressed byte kept at most: text compresses 3 to 10 times; beyond
/// this a stream is a bomb or not text, and only its start is looked at. No stream
/// inflates past [`GUNZIP_MAX`], so a base64 gzip blob never makes the budget run out.
const GUNZIP_RATIO: usize = 16;
const GUNZIP_MAX: usize = 1 << 20;

/// Inflates base64-decoded gzip into text (the start of it, see [`GUNZIP_RATIO`]).
fn gunzip_text(gz: &[u8], budget: &mut Budget) -> Option<Vec<u8>> {
    use std::io::Read;
    let cap = gz.len().saturating_mul(GUNZIP_RATIO).min(GUNZIP_MAX);
    let mut text = Vec::new();
    // A stream cut short (a clipped run) still yields what inflated before the cut. (The
    // decoder reads through `&mut &[u8]`, as archive::stream's does: one copy of its code.)
    let mut src = gz;
    let _ = flate2::bufread::GzDecoder::new(&mut src).take(cap as u64).read_to_end(&mut text);
    (budget.charge(text.len()) && is_text(&text)).then_some(text)
}

/// Encoded characters sampled to find a clipped run's alignment.
const ALIGNMENT_SAMPLE: usize = 256;

/// Longest line that is looked at as a `Content-Transfer-Encoding: quoted-printable` header.
const QP_HEADER_MAX: usize = 256;

/// Shortest base64 token on a keyword's line worth decoding: a 12-byte value.
const MIN_TOKEN: usize = 16;

/// Longest such token: a labelled value is a credential, or a small file of them.
const MAX_TOKEN: usize = 2 * base64::REACH;

/// The next base64 token of `line` (characters, then any padding) at least [`MIN_TOKEN`]
/// bytes long that starts at or after `from`, as a range; no token may run into `from`
/// from before it. A labelled line of minified code is megabytes of short identifiers:
/// since a token that long covers every [`MIN_TOKEN`]th byte, only those bytes are looked
/// at until one could be part of a token, and then only the token around it.
fn next_token(line: &[u8], mut from: usize) -> Option<(usize, usize)> {
    while from + MIN_TOKEN <= line.len() {
        let probe = from + MIN_TOKEN - 1;
        let b = line[probe];
        if !base64::is_char(b) && b != b'=' {
            from = probe + 1;
            continue;
        }
        // Back to the token's start: over padding (if the probe is in it), then characters.
        let mut chars_end = probe + 1;
        if b == b'=' {
            chars_end = probe;
            while chars_end > from && line[chars_end - 1] == b'=' {
                chars_end -= 1;
            }
        }
        let mut start = chars_end;
        while start > from && base64::is_char(line[start - 1]) {
            start -= 1;
        }
        // On to its end: characters (unless the probe was padding), then padding.
        let mut end = if b == b'=' { probe } else { probe + 1 };
        if b != b'=' {
            end += line[end..].iter().take_while(|&&c| base64::is_char(c)).count();
        }
        end += line[end..].iter().take_while(|&&c| c == b'=').count();
        if start < chars_end && end - start >= MIN_TOKEN {
            return Some((start, end));
        }
        from = end;
    }
    None
}

/// The encoded spans of `bytes`, sorted and disjoint, decoded to `depth` layers.
fn find(
    scanner: &Scanner,
    bytes: &[u8],
    lines: &[(usize, usize)],
    hits: Option<Vec<usize>>,
    depth: usize,
    budget: &mut Budget,
) -> Vec<Found> {
    if depth == 0 || budget.exceeded() {
        return Vec::new();
    }
    // Base64 runs that hold an encoded keyword.
    let mut encoded_keywords: Vec<Found> = Vec::new();
    let hits = hits.unwrap_or_else(|| {
        let mut hits = Vec::new();
        scanner.fragment_hits(bytes, &mut hits);
        hits
    });
    let mut covered = 0;
    let mut next = 0;
    while let Some(&at) = hits.get(next) {
        next += 1;
        if at < covered {
            continue;
        }
        let (start, mut end, clipped) = base64::run_around(bytes, at, covered);
        // A run that goes on with more hits in it is decoded as one piece, so no value is
        // cut in two at a window's edge and the alignment is found once.
        while end < bytes.len() && base64::is_char(bytes[end]) {
            while hits.get(next).is_some_and(|&h| h < end) {
                next += 1;
            }
            if hits.get(next).is_none_or(|&h| h >= end + base64::REACH) {
                break;
            }
            // Each step reads on from where the run was cut: linear in the run.
            end = base64::run_around(bytes, end, end).1;
        }
        covered = end;
        if let Some((text, chain)) = base64_text(&bytes[start..end], !clipped, budget) {
            encoded_keywords.push(Found { src: start..end, chain, bytes: text, inner: Vec::new() });
        }
    }
    // Base64 and hex tokens on a keyword's line or the line after it: a value whose label
    // is outside it. (A keyword's hex is itself a keyword, see [`hex::keywords`].)
    let mut labelled: Vec<Found> = Vec::new();
    let mut covered = 0;
    for &(ls, le) in lines {
        let le = memchr::memchr(b'\n', &bytes[(le + 1).min(bytes.len())..]).map_or(bytes.len(), |i| le + 1 + i);
        let line = &bytes[..le];
        let mut i = ls.max(covered);
        while let Some((start, end)) = next_token(line, i) {
            i = end;
            if end - start > MAX_TOKEN
                || (start > 0 && bytes[start - 1] == b'\\')
                || overlaps(&encoded_keywords, start, end)
            {
                continue;
            }
            let token = &bytes[start..end];
            if let Some((text, chain)) = hex_text(token, budget).or_else(|| base64_text(token, true, budget)) {
                labelled.push(Found { src: start..end, chain, bytes: text, inner: Vec::new() });
            }
        }
        covered = covered.max(le);
    }
    // Quoted-printable MIME parts, after a header that says so (a `decode_keywords` word).
    let mut printable = Vec::new();
    let mut covered = 0;
    for &(ls, le) in lines {
        if ls >= covered && le - ls <= QP_HEADER_MAX && escapes::names_quoted_printable(&bytes[ls..le]) {
            covered = escapes::quoted_printable_part(bytes, le, budget, &mut |src, text| {
                printable.push(Found { src, chain: vec![Encoding::QuotedPrintable], bytes: text, inner: Vec::new() });
            });
        }
    }
    // Escaped runs.
    let mut escaped: Vec<Found> = Vec::new();
    let mut covered = 0;
    for at in memchr::memchr3_iter(escapes::STARTS[0], escapes::STARTS[1], escapes::STARTS[2], bytes) {
        if at < covered {
            continue;
        }
        let Some(kind) = escapes::escape_at(bytes, at) else { continue };
        let (start, end) = escapes::run_around(bytes, at, base64::REACH);
        covered = end;
        if overlaps(&encoded_keywords, start, end) || overlaps(&labelled, start, end) {
            continue;
        }
        let run = &bytes[start..end];
        let kind = match kind {
            Encoding::JsonEscape | Encoding::UnicodeEscape => {
                let unicode = memchr::memchr_iter(b'\\', run)
                    .any(|i| escapes::escape_at(run, i) == Some(Encoding::UnicodeEscape));
                if unicode { Encoding::UnicodeEscape } else { Encoding::JsonEscape }
            }
            other => other,
        };
        let text = escapes::decode(run, kind);
        if !budget.charge(text.len()) {
            break;
        }
        if text != run {
            escaped.push(Found { src: start..end, chain: vec![kind], bytes: text, inner: Vec::new() });
        }
    }
    let mut found = encoded_keywords;
    found.append(&mut labelled);
    found.append(&mut printable);
    found.append(&mut escaped);
    found.sort_by_key(|f| f.src.start);
    let mut kept_end = 0;
    found.retain(|f| {
        let keep = f.src.start >= kept_end;
        kept_end = kept_end.max(f.src.end);
        keep
    });
    if depth > 1 {
        for f in &mut found {
            let (bytes, inner) = expand(scanner, std::mem::take(&mut f.bytes), depth - 1, budget);
            f.bytes = bytes;
            f.inner = inner;
        }
    }
    found
}

/// A match found in the decoded view, placed at its encoded span in the scanned bytes.
#[derive(Debug)]
pub struct Located {
    pub rule: usize,
    /// The decoded value.
    pub value: Vec<u8>,
    /// Line and column of the encoded span's start, and the range of that line.
    pub line: u32,
    pub column: u32,
    pub line_start: usize,
    pub line_end: usize,
    /// The last line the encoded span covers (a wrapped base64 run spans several).
    pub last_line: u32,
    pub chain: Vec<Encoding>,
}

/// Decodes the encoded spans of `haystack` (given its candidate `lines` and the `raw`
/// matches from [`Scanner::scan_with_lines`]), scans them, and places each match at its
/// encoded span. Matches in the raw text between spans are left out: the raw scan found
/// them; so are matches in spans inside a raw match of another kind (a Bedrock short-term
/// key is base64 of a URL holding an STS key ID and token: the key is the finding, not its
/// parts). A raw match of the same kind is the encoded form of what the span holds (a
/// base64 session token is itself long random base64 under its label): the decoded match
/// replaces it in `raw`, so the finding and its fingerprint are the decoded credential's,
/// and an allowlist entry holds whichever way it is encoded.
///
/// # Errors
/// When decoding would exceed the budget: fail closed, never pass what was not decoded.
pub fn scan_encoded(
    scanner: &Scanner,
    haystack: &[u8],
    lines: &[(usize, usize)],
    raw: &mut Vec<Match>,
) -> Result<Vec<Located>, String> {
    scan_encoded_with(scanner, haystack, lines, raw, None)
}

/// [`scan_encoded`], with the encoded keywords already found (see [`decoded_view_with`]).
///
/// # Errors
/// As [`scan_encoded`].
pub fn scan_encoded_with(
    scanner: &Scanner,
    haystack: &[u8],
    lines: &[(usize, usize)],
    raw: &mut Vec<Match>,
    hits: Option<Vec<usize>>,
) -> Result<Vec<Located>, String> {
    let mut budget = Budget::for_len(haystack.len());
    let decoded = decoded_view_with(scanner, haystack, lines, hits, &mut budget);
    if budget.exceeded() {
        return Err(format!(
            "decoding its encoded text would take more than {} bytes, {}x its size",
            budget.limit,
            budget.limit / haystack.len().max(1)
        ));
    }
    let Some(decoded) = decoded else { return Ok(Vec::new()) };
    let mut matches = Vec::new();
    scanner.scan(&decoded.view, &mut matches);
    let rules = &scanner.rules().rules;
    let mut replaced = Vec::new();
    let mut found: Vec<(usize, &Span, Match)> = Vec::new();
    for m in matches {
        let Some(span) = decoded.span_at(m.start) else { continue };
        let i = raw.partition_point(|r| r.start <= span.src.start);
        match i.checked_sub(1).filter(|&i| raw[i].end >= span.src.end) {
            Some(i) if rules[raw[i].rule].kind != rules[m.rule].kind => continue,
            // Matches come in order, so `replaced` is sorted; a repeat is left out.
            Some(i) if replaced.last() != Some(&i) => replaced.push(i),
            Some(_) => {}
            None => {}
        }
        found.push((span.src.start, span, m));
    }
    if !replaced.is_empty() {
        // A file may hold thousands: searched, not scanned for each.
        debug_assert!(replaced.is_sorted());
        let mut i = 0;
        raw.retain(|_| {
            i += 1;
            replaced.binary_search(&(i - 1)).is_err()
        });
    }
    found.sort_by_key(|(at, _, _)| *at);
    let mut out = Vec::with_capacity(found.len());
    let (mut line, mut counted, mut line_start, mut line_end) = (1u32, 0usize, 0usize, 0usize);
    let mut last: Option<(Range<usize>, u32)> = None;
    for (at, span, m) in found {
        let segment = &haystack[counted..at];
        if let Some(nl) = memchr::memrchr(b'\n', segment) {
            line += memchr::memchr_iter(b'\n', segment).count() as u32;
            line_start = counted + nl + 1;
        }
        counted = at;
        if at >= line_end {
            line_end = memchr::memchr(b'\n', &haystack[at..]).map_or(haystack.len(), |i| at + i);
        }
        let last_line = match &last {
            Some((src, l)) if *src == span.src => *l,
            _ => line + memchr::memchr_iter(b'\n', &haystack[span.src.clone()]).count() as u32,
        };
        last = Some((span.src.clone(), last_line));
        out.push(Located {
            rule: m.rule,
            value: m.value(&decoded.view).into_owned(),
            line,
            column: (at - line_start + 1) as u32,
            line_start,
            line_end,
            last_line,
            chain: span.chain.clone(),
        });
    }
    Ok(out)
}

/// Whether a span overlaps one of `found` (sorted and disjoint).
fn overlaps(found: &[Found], start: usize, end: usize) -> bool {
    let i = found.partition_point(|f| f.src.end <= start);
    found.get(i).is_some_and(|f| f.src.start < end)
}

#[cfg(test)]
mod tests;
