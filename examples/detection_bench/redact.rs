//! Redacted excerpts and report helpers: secrets are never printed whole.

use crate::compose::{GenFile, Near, Plant};
use crate::data::Data;
use crate::run::Finding;

/// What the `.context` rules accept as AWS context on a line. Unicode off, as the crate
/// builds its own regexes: the regex crate here has no Unicode case tables.
pub static AWS_CONTEXT: std::sync::LazyLock<regex::bytes::Regex> = std::sync::LazyLock::new(|| {
    regex::bytes::RegexBuilder::new(
        r"(?i:(?:^|[^A-Za-z])(?:aws|amazon|amzn|accesskeyid|secretaccesskey))|(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}",
    )
    .unicode(false)
    .build()
    .expect("the context regex compiles")
});

/// Whether AWS is named within five lines of `line` (1-based).
pub fn aws_nearby(lines: &[&str], line: usize) -> bool {
    let lo = line.saturating_sub(6);
    let hi = (line + 5).min(lines.len());
    lines[lo.min(hi)..hi].iter().any(|l| AWS_CONTEXT.is_match(l.as_bytes()))
}

/// Wilson 95% interval of k successes out of n, in percent.
pub fn wilson(k: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (0.0, 100.0);
    }
    let (z, n, p) = (1.96_f64, n as f64, k as f64 / n as f64);
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    (100.0 * (centre - half).max(0.0), 100.0 * (centre + half).min(1.0))
}

/// `AKIA...WXYZ`-style redaction: first and last four characters.
pub fn redact(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() < 12 {
        return "…".to_string();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// Redacts every run that could be a credential: key IDs, and runs of 16+ base64-ish
/// characters with an uppercase letter and a digit.
pub fn redact_runs(line: &str) -> String {
    let is_run = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '%' | '\\');
    let mut out = String::with_capacity(line.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let key_id = run.len() == 20 && ["AKIA", "ASIA", "ABIA", "ACCA"].iter().any(|p| run.starts_with(p));
        let (upper, lower, digit) = (
            run.chars().any(|c| c.is_ascii_uppercase()),
            run.chars().any(|c| c.is_ascii_lowercase()),
            run.chars().any(|c| c.is_ascii_digit()),
        );
        let random = run.len() >= 16 && ((upper && digit) || (upper && lower && run.len() >= 24));
        if key_id || random {
            out.push_str(&redact(run))
        } else {
            out.push_str(run)
        }
        run.clear();
    };
    for c in line.chars() {
        if is_run(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// A redacted excerpt of line `line` of a file, around byte `focus` of that line.
pub fn snippet(file: &GenFile, line: usize, focus: usize) -> String {
    let text = file.text.split('\n').nth(line.saturating_sub(1)).unwrap_or("").trim_end_matches('\r');
    const WIDTH: usize = 170;
    let (mut start, mut end) = (0, text.len());
    if text.len() > WIDTH {
        start = focus.saturating_sub(WIDTH / 3).min(text.len().saturating_sub(WIDTH));
        end = (start + WIDTH).min(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        while !text.is_char_boundary(end) {
            end += 1;
        }
    }
    let mut window = text[start..end].to_string();
    for plant in file.plants.iter().filter(|p| p.line == line) {
        window = window.replace(&plant.appears, &redact(&plant.appears));
    }
    let mut s = String::new();
    if start > 0 {
        s.push('…');
    }
    s.push_str(&redact_runs(&window));
    if end < text.len() {
        s.push('…');
    }
    md_code(&s)
}

/// Text safe inside a Markdown code span in a table cell.
pub fn md_code(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| match c {
            '`' => '\'',
            '|' => '¦',
            '\t' => '→',
            c if c.is_control() => '·',
            c => c,
        })
        .collect();
    format!("`{}`", cleaned.trim())
}

/// A snippet template for reports: credential tokens spelled out, one line.
pub fn form_shape(d: &Data, form: &str) -> String {
    let mut s = form.to_string();
    for (name, token) in &d.tokens {
        let shape = match (token.generator.as_str(), token.encoding.as_str()) {
            ("key-id", _) if !token.arg.contains(',') && !token.arg.is_empty() => format!("{}{{b32:16}}", token.arg),
            (generator, "none") => format!("{{{generator}}}"),
            (generator, encoding) => format!("{{{generator}, {encoding}}}"),
        };
        s = s.replace(&format!("{{{name}}}"), &shape);
    }
    let s = s.replace('\n', " ⏎ ");
    let s: String = if s.chars().count() > 220 { s.chars().take(220).collect::<String>() + "…" } else { s };
    md_code(&s)
}

pub fn pct(x: f64) -> String {
    format!("{x:.2} %")
}

/// The near-miss a finding falls on: the one spanning its column, else any on its line.
pub fn near_at<'a>(file: &'a GenFile, finding: &Finding) -> Option<&'a Near> {
    let col = finding.column.saturating_sub(1);
    let on_line = || file.nears.iter().filter(|n| n.line == finding.line);
    on_line().find(|n| (n.col..=n.col + n.len).contains(&col)).or_else(|| on_line().next())
}

/// Byte offset of a planted value in its line, for excerpts.
pub fn line_offset(file: &GenFile, plant: &Plant) -> usize {
    let line = file.text.split('\n').nth(plant.line.saturating_sub(1)).unwrap_or("");
    line.find(&plant.appears).unwrap_or(0)
}
