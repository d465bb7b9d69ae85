//! In-process benchmarks of the scanner, through the library API: what one `scan` call
//! costs per byte, without git, process start-up or output.
//!
//! - `throughput/code`: 10 MB of code-like text with no keyword at all (the common case:
//!   the Aho-Corasick prefilter alone);
//! - `throughput/near-misses`: 2 MB where every line holds a keyword (`secret`, `session`,
//!   `security`, `AKIA`...) followed by something that is not a credential (placeholders,
//!   variable references, hashes, short or lowercase IDs): every line is confirmed by
//!   regexes and rejected by the filters;
//! - `throughput/long-lines`: 10 MB in ten 1 MB lines, each with one keyword (minified
//!   bundles: a candidate line is a megabyte long);
//! - `decoded/*`: the same inputs through the whole per-blob scan, the raw scan and then
//!   the decoding layer (`scan_with_lines` + `decode::scan_encoded`), plus 10 MB of one
//!   random base64 line; compare with `throughput/*` for what decoding costs;
//! - `setup/*`: parsing the ruleset, building the prefilter (`Scanner::new`), and compiling
//!   every rule's regexes for the first time (compilation is lazy, on a rule's first hit).
//!
//! Inputs are generated in memory from a fixed seed; nothing is read from disk. Run with
//! `cargo bench --bench scan` (see bench/README.md).

use std::hint::black_box;
use std::time::{Duration, Instant};

use awsguard::rules::{RULES, Ruleset};
use awsguard::scan::Scanner;

const RULES_TOML: &str = include_str!("../src/rules/aws.toml");

/// Words for code-like text. None holds a keyword, and words are always separated by
/// punctuation or spaces, so no keyword can form across two of them (checked anyway).
const WORDS: &[&str] = &[
    "buffer",
    "count",
    "index",
    "len",
    "value",
    "node",
    "next",
    "prev",
    "result",
    "flags",
    "data",
    "offset",
    "size",
    "head",
    "tail",
    "entry",
    "list",
    "map",
    "key",
    "item",
    "state",
    "config",
    "error",
    "status",
    "request",
    "response",
    "handler",
    "context",
    "parent",
    "child",
    "width",
    "height",
    "format",
    "parse",
    "write",
    "read",
    "open",
    "close",
    "lock",
    "unlock",
    "queue",
    "timer",
    "device",
    "driver",
    "port",
    "mode",
    "path",
    "name",
    "user",
    "group",
    "token_count",
    "retry",
    "limit",
    "total",
    "cache",
];
const TYPES: &[&str] = &["int", "u32", "size_t", "struct list_head *", "const char *", "bool", "u64", "void *"];

fn pick<'a>(rng: &mut fastrand::Rng, items: &[&'a str]) -> &'a str {
    items[rng.usize(..items.len())]
}

/// About `size` bytes of C-like code with no keyword of any rule.
fn code(size: usize, seed: u64) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut out = String::with_capacity(size + 256);
    let mut depth = 1;
    while out.len() < size {
        let indent = "\t".repeat(depth);
        let (a, b, c) = (pick(&mut rng, WORDS), pick(&mut rng, WORDS), pick(&mut rng, WORDS));
        match rng.u8(..10) {
            0 => {
                out.push_str(&format!("{indent}{} {a}_{b} = {c}->{a} + {};\n", pick(&mut rng, TYPES), rng.u32(..4096)))
            }
            1 => out.push_str(&format!("{indent}if ({a} && {b}->{c} != NULL) {{\n")),
            2 => out.push_str(&format!("{indent}\treturn {a}_{b}({c}, {});\n{indent}}}\n", rng.u32(..))),
            3 => out.push_str(&format!("{indent}/* update the {a} of the {b} before the {c} is read */\n")),
            4 => out.push_str(&format!("{indent}for (i = 0; i < {a}->{b}_{c}; i++)\n{indent}\t{a}[i] = {b}(i);\n")),
            5 => out.push_str(&format!("{indent}{a}->{b} = {c}_{a}({b}, {});\n", rng.u32(..100))),
            6 => out.push_str(&format!("{indent}pr_debug(\"{a}: {b} %d {c} %s\\n\", {a}, {b}->{c});\n")),
            7 if depth < 3 => {
                out.push_str(&format!("{indent}while ({a}_{b}({c})) {{\n"));
                depth += 1;
            }
            8 if depth > 1 => {
                depth -= 1;
                out.push_str(&format!("{}}}\n", "\t".repeat(depth)));
            }
            _ => out.push_str(&format!("{indent}{a} = {b} << {} | {c};\n", rng.u8(..32))),
        }
        if rng.u8(..40) == 0 {
            out.push_str(&format!("}}\n\nstatic int {a}_{b}_{c}(struct {a} *{b})\n{{\n"));
            depth = 1;
        }
    }
    out.into_bytes()
}

/// About `size` bytes in which every line holds a keyword and no credential.
fn near_misses(size: usize, seed: u64) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut fake = awsguard::fake::Fake::new(seed);
    let hex = b"0123456789abcdef";
    let lower = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let upper = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(size + 512);
    while out.len() < size {
        let w = pick(&mut rng, WORDS);
        let line = match rng.u8(..16) {
            0 => format!("aws_secret_access_key = ${{AWS_SECRET_ACCESS_KEY_{}}}\n", w.to_uppercase()),
            1 => "aws_secret_access_key: <YOUR_SECRET_ACCESS_KEY>\n".to_string(),
            2 => format!("secret_hash = \"{}\"  # sha1 of the {w}\n", fake.chars(hex, 40)),
            3 => format!("client_secret = os.environ[\"{}_CLIENT_SECRET\"]\n", w.to_uppercase()),
            4 => format!("let secret_name = \"{w}/prod/{}\";\n", fake.chars(lower, 8)),
            5 => format!("session_timeout = {}  # seconds before the {w} session expires\n", rng.u32(..100_000)),
            6 => format!("security_group_id = \"sg-{}\"\n", fake.chars(hex, 17)),
            7 => format!("aws_session_token = {{{{ secrets.{}_SESSION_TOKEN }}}}\n", w.to_uppercase()),
            // AKIA followed by too few characters, by lowercase, or by a placeholder.
            8 => format!("access_key_id: AKIA{}  # truncated\n", fake.chars(upper, 12)),
            9 => format!("accessKeyId = \"AKIA{}\"\n", fake.chars(lower, 16)),
            10 => format!("export AWS_ACCESS_KEY_ID=AKIA{}\n", "X".repeat(16)),
            11 => format!("const session = await {w}.getSession(req, {});\n", rng.u32(..10)),
            12 => format!("  \"SessionToken\": \"{{{{ {w}.session_token }}}}\",\n"),
            13 => format!("security_token_ttl: {} # the {w} security token lifetime\n", rng.u32(..86_400)),
            14 => format!("Secret: {}-{}\n", w, fake.chars(hex, 64)),
            _ => format!("# rotate the {w} secret; see the security and session docs ({})\n", fake.chars(lower, 12)),
        };
        out.push_str(&line);
    }
    out.into_bytes()
}

/// `lines` lines of about `line_len` bytes of minified-JS-like tokens, each with one
/// keyword somewhere in it and no credential.
fn long_lines(lines: usize, line_len: usize, seed: u64) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut out = Vec::with_capacity(lines * (line_len + 64));
    for _ in 0..lines {
        let start = out.len();
        let keyword_at = rng.usize(..line_len);
        let mut placed = false;
        while out.len() - start < line_len {
            let (a, b) = (pick(&mut rng, WORDS), pick(&mut rng, WORDS));
            let piece = match rng.u8(..4) {
                0 => format!("var {a}={b}.{a}({},{b});", rng.u32(..1000)),
                1 => format!("function {a}(e,t){{return e.{b}+t}}"),
                2 => format!("if(!{a}||{a}.{b}===null)return!1;"),
                _ => format!("{a}.prototype.{b}=function(){{return this.{a}}};"),
            };
            out.extend_from_slice(piece.as_bytes());
            if !placed && out.len() - start >= keyword_at {
                out.extend_from_slice(b"s.sessionStorage.getItem(\"k\");");
                placed = true;
            }
        }
        out.push(b'\n');
    }
    out
}

/// Fails loudly if an input meant to hold no keyword (or no finding) holds one.
fn check_input(name: &str, input: &[u8], keywords_allowed: bool) {
    let lower = input.to_ascii_lowercase();
    if !keywords_allowed {
        for rule in &RULES.rules {
            for k in &rule.keywords {
                let k = k.to_ascii_lowercase();
                assert!(!lower.windows(k.len()).any(|w| w == k.as_bytes()), "{name} input holds keyword {k:?}");
            }
        }
    }
    let mut out = Vec::new();
    Scanner::new(&RULES).scan(input, &mut out);
    assert!(out.is_empty(), "{name} input has {} findings, the first at line {}", out.len(), out[0].line);
}

/// A small harness in place of criterion (whose build was most of the test build): each
/// benchmark is warmed up, then timed for `samples` runs (or until `budget` is spent); it
/// prints the median and minimum, and the throughput of the median. `cargo bench --bench
/// scan -- FILTER` runs the benchmarks whose `group/name` contains FILTER; `-- --test` runs
/// each once, as a smoke test.
struct Harness {
    filter: Option<String>,
    smoke: bool,
}

impl Harness {
    fn from_args() -> Harness {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let smoke = args.iter().any(|a| a == "--test");
        let filter = args.into_iter().find(|a| !a.starts_with("--"));
        Harness { filter, smoke }
    }

    /// Times `routine` on a fresh `setup()` value per run; only `routine` is timed.
    fn bench<T>(
        &self,
        id: &str,
        bytes: Option<usize>,
        budget: Duration,
        mut setup: impl FnMut() -> T,
        mut routine: impl FnMut(T),
    ) {
        if self.filter.as_ref().is_some_and(|f| !id.contains(f.as_str())) {
            return;
        }
        if self.smoke {
            routine(setup());
            println!("{id}: ok");
            return;
        }
        for _ in 0..2 {
            routine(setup());
        }
        let mut times = Vec::new();
        let start = Instant::now();
        while times.len() < 10 || (times.len() < 100 && start.elapsed() < budget) {
            let input = setup();
            let t = Instant::now();
            routine(input);
            times.push(t.elapsed());
        }
        times.sort();
        let median = times[times.len() / 2];
        let rate = bytes.map_or(String::new(), |b| {
            format!("  thrpt {:.1} MiB/s", b as f64 / median.as_secs_f64() / (1024.0 * 1024.0))
        });
        println!("{id:<36} median {median:>12.3?}  min {:>12.3?}  ({} runs){rate}", times[0], times.len());
    }
}

fn throughput(h: &Harness) {
    let scanner = Scanner::new(&RULES);
    let inputs = [
        ("code", code(10_000_000, 1), false),
        ("near-misses", near_misses(2_000_000, 2), true),
        ("long-lines", long_lines(10, 1_000_000, 3), true),
    ];
    for (name, input, keywords_allowed) in &inputs {
        check_input(name, input, *keywords_allowed);
        let mut out = Vec::new();
        h.bench(
            &format!("throughput/{name}"),
            Some(input.len()),
            Duration::from_secs(8),
            || (),
            |()| {
                out.clear();
                scanner.scan(black_box(input), &mut out);
                black_box(out.len());
            },
        );
    }
}

/// One `lines`-long line of random base64 (an embedded image): no keyword, but every byte
/// is a base64 character, so encoded keywords are searched for in earnest.
fn base64_line(len: usize, seed: u64) -> Vec<u8> {
    let mut fake = awsguard::fake::Fake::new(seed);
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = fake.chars(alphabet, len).into_bytes();
    out.push(b'\n');
    out
}

/// The raw scan and the decoding layer together, as the pass runs them on every blob.
fn decoded(h: &Harness) {
    let scanner = Scanner::new(&RULES);
    let inputs = [
        ("code", code(10_000_000, 1)),
        ("near-misses", near_misses(2_000_000, 2)),
        ("long-lines", long_lines(10, 1_000_000, 3)),
        ("base64-line", base64_line(10_000_000, 4)),
    ];
    for (name, input) in &inputs {
        let (mut out, mut lines) = (Vec::new(), Vec::new());
        h.bench(
            &format!("decoded/{name}"),
            Some(input.len()),
            Duration::from_secs(8),
            || (),
            |()| {
                out.clear();
                lines.clear();
                scanner.scan_with_lines(black_box(input), &mut out, &mut lines);
                let found = awsguard::decode::scan_encoded(&scanner, input, &lines, &mut out).expect("within budget");
                black_box(out.len() + found.len());
            },
        );
    }
}

fn setup(h: &Harness) {
    let budget = Duration::from_secs(5);
    h.bench(
        "setup/parse ruleset",
        None,
        budget,
        || (),
        |()| {
            black_box(Ruleset::parse(black_box(RULES_TOML)).expect("rules parse"));
        },
    );
    h.bench(
        "setup/Scanner::new",
        None,
        budget,
        || (),
        |()| {
            black_box(Scanner::new(black_box(&RULES)));
        },
    );
    // Compilation is once per process: a fresh ruleset per run gives cold regexes.
    let fresh = || Ruleset::parse(RULES_TOML).expect("rules parse");
    h.bench("setup/compile all regexes", None, budget, fresh, |rules| {
        for rule in &rules.rules {
            black_box(rule.regex());
            black_box(rule.context());
        }
    });
    h.bench("setup/compile aws.access-key-id", None, budget, fresh, |rules| {
        black_box(rules.get("aws.access-key-id").expect("rule exists").regex());
    });
}

fn main() {
    let harness = Harness::from_args();
    throughput(&harness);
    decoded(&harness);
    setup(&harness);
}
