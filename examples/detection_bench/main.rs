//! Detection benchmark: awsguard's recall per credential family and its false-alarm rate on
//! credential-free files.
//!
//! ```sh
//! cargo build --release
//! cargo run --release --example detection_bench -- --seed 1 --files 4000 --out results.md
//! cargo run --example detection_bench -- --smoke --awsguard target/debug/awsguard   # CI
//! ```
//!
//! What is generated is data, in `bench/detection/*.toml` (file types, label spellings,
//! credential families, near-miss categories; each file documents its format): a new family
//! or file type is a change there. This runner loads the data (embedded at compile time),
//! generates the files with their ground truth, stages them in temporary git repositories
//! with the git CLI, runs the real awsguard binary there as the pre-commit hook would
//! (`--format json`), and matches its findings against the ground truth by fingerprint.
//!
//! Every value is drawn at run time from `awsguard::fake::Fake` or the runner's own
//! generator with the given seed: the same seed gives the same files. Neither this code nor
//! the data holds a key-shaped literal.

mod compose;
mod data;
mod layouts;
mod redact;
mod report;
mod run;
mod truth;
mod values;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use awsguard::allowlist::fingerprint;

use crate::data::{Data, Family};

const USAGE: &str = "\
detection_bench: awsguard's recall per credential family and false alarms on generated files

USAGE:
    cargo build --release
    cargo run --release --example detection_bench -- [OPTIONS]

OPTIONS:
    --seed N          seed of the generator (default 1): the same seed gives the same files
    --files N         how many files to generate (default 4000)
    --out PATH        also write the Markdown report to PATH
    --keep DIR        build the repositories in DIR (created, must not exist) and keep them,
                      with truth.tsv (path, line, family, fingerprint of each planted value)
    --awsguard PATH   the binary to measure (default: target/release/awsguard of this crate)
    --batch N         files per git repository (default 250)
    --values MODE     real (default): values shaped like the ones AWS issues (uniform
                      random secrets and tokens, key IDs that encode an account ID);
                      fake: awsguard::fake's filtered values (no vowel-heavy or repetitive
                      draws), as the unit tests use
    --smoke           CI check: 300 files, seed 1 (--files and --seed are ignored), one
                      repository, no report; exits 1 when the recall of a family is under
                      its floor (FLOOR_PLAIN for plain families, FLOOR_ENCODED for encoded
                      ones) or when more than CEILING of the credential-free files are
                      flagged. Today's rules find every value and flag no file.
    -h, --help        print this help

The data is in bench/detection/*.toml, embedded when the example is built.
";

/// Smoke mode: recall floors (percent) for plain and encoded families, and the ceiling of
/// credential-free files with a finding (percent). The files are the same on every run, and
/// today's rules find all 305 values and flag none of the 165 credential-free files; the
/// margin lets a rule change cost one value in a small family (10 to 30 values each) or a
/// few prefix-word near-misses (the word test misses about 3 % of them), but not a family.
const SMOKE_FLOOR_PLAIN: f64 = 90.0;
const SMOKE_FLOOR_ENCODED: f64 = 85.0;
const SMOKE_CEILING: f64 = 3.0;
const SMOKE_FILES: usize = 300;
const SMOKE_SEED: u64 = 1;

/// How credential values are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Values {
    /// Shaped like the values AWS issues: uniform random secrets and tokens, key IDs
    /// that encode an account ID.
    Real,
    /// Through `Fake::key_id`, `Fake::secret` and `Fake::session_token`.
    Fake,
}

pub struct Opts {
    seed: u64,
    files: usize,
    out: Option<PathBuf>,
    keep: Option<PathBuf>,
    awsguard: PathBuf,
    batch: usize,
    values: Values,
    smoke: bool,
}

fn parse_args() -> Result<Opts> {
    use lexopt::prelude::*;
    let mut opts = Opts {
        seed: 1,
        files: 4000,
        out: None,
        keep: None,
        awsguard: Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("release").join("awsguard"),
        batch: 250,
        values: Values::Real,
        smoke: false,
    };
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("seed") => opts.seed = parser.value()?.parse()?,
            Long("files") => opts.files = parser.value()?.parse()?,
            Long("out") => opts.out = Some(parser.value()?.into()),
            Long("keep") => opts.keep = Some(parser.value()?.into()),
            Long("awsguard") => opts.awsguard = parser.value()?.into(),
            Long("batch") => opts.batch = parser.value()?.parse::<usize>()?.max(1),
            Long("values") => {
                opts.values = match parser.value()?.string()?.as_str() {
                    "real" => Values::Real,
                    "fake" => Values::Fake,
                    other => bail!("--values {other}: expected real or fake"),
                }
            }
            Long("smoke") => opts.smoke = true,
            Short('h') | Long("help") => {
                let usage = USAGE
                    .replace("FLOOR_PLAIN", &format!("{SMOKE_FLOOR_PLAIN} %"))
                    .replace("FLOOR_ENCODED", &format!("{SMOKE_FLOOR_ENCODED} %"))
                    .replace("CEILING", &format!("{SMOKE_CEILING} %"));
                print!("{usage}");
                std::process::exit(0);
            }
            _ => return Err(arg.unexpected().into()),
        }
    }
    if opts.smoke {
        (opts.files, opts.seed) = (SMOKE_FILES, SMOKE_SEED);
        opts.batch = opts.batch.max(SMOKE_FILES);
    }
    if opts.files < 40 {
        bail!("--files {}: at least 40 files are needed to cover every family and file type", opts.files);
    }
    // The binary runs with each repository as its working directory.
    opts.awsguard = std::path::absolute(&opts.awsguard)?;
    Ok(opts)
}

/// Warns when the binary is older than the sources it should have been built from.
fn staleness(binary: &Path) -> Option<String> {
    let built = std::fs::metadata(binary).and_then(|m| m.modified()).ok()?;
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut newest = None;
    let mut stack = vec![src];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).ok()?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(modified) = entry.metadata().and_then(|m| m.modified()) {
                if newest.as_ref().is_none_or(|(n, _)| modified > *n) {
                    newest = Some((modified, path));
                }
            }
        }
    }
    let (modified, path) = newest?;
    (modified > built).then(|| {
        format!(
            "{} is older than {}: run `cargo build --release` to measure the current rules",
            binary.display(),
            path.display()
        )
    })
}

/// Checks the smoke floors and ceiling; prints one line per family and returns whether all
/// hold.
fn smoke(d: &Data, files: &[compose::GenFile], findings: &[Vec<run::Finding>]) -> bool {
    let mut per_family: Vec<(usize, usize)> = vec![(0, 0); d.families.len()];
    let (mut negatives, mut flagged) = (0, 0);
    for (file, found) in files.iter().zip(findings) {
        for plant in &file.plants {
            let fp = fingerprint(plant.value.as_bytes());
            let e = &mut per_family[plant.family];
            e.0 += 1;
            e.1 += usize::from(found.iter().any(|f| f.fingerprint == fp));
        }
        if file.family.is_none() {
            negatives += 1;
            flagged += usize::from(!found.is_empty());
        }
    }
    let mut ok = true;
    for (f, &(planted, found)) in per_family.iter().enumerate() {
        let fam = &d.families[f];
        let floor = if fam.encoded { SMOKE_FLOOR_ENCODED } else { SMOKE_FLOOR_PLAIN };
        let recall = if planted == 0 { 0.0 } else { 100.0 * found as f64 / planted as f64 };
        let pass = recall >= floor;
        ok &= pass;
        println!(
            "{} {:<16} {found:>4}/{planted:<4} {recall:6.2} % (floor {floor} %)",
            if pass { "ok  " } else { "FAIL" },
            fam.id
        );
    }
    let rate = 100.0 * flagged as f64 / negatives.max(1) as f64;
    let pass = rate <= SMOKE_CEILING;
    ok &= pass;
    println!(
        "{} false alarms     {flagged:>4}/{negatives:<4} {rate:6.2} % (ceiling {SMOKE_CEILING} %)",
        if pass { "ok  " } else { "FAIL" }
    );
    ok
}

fn main() -> Result<()> {
    let opts = parse_args()?;
    let d = Data::load()?;
    if !opts.awsguard.is_file() {
        bail!(
            "{} not found: build it first with `cargo build --release`, or pass --awsguard PATH",
            opts.awsguard.display()
        );
    }
    let version = Command::new(&opts.awsguard).arg("--version").output().context("running awsguard --version")?;
    let version = String::from_utf8_lossy(&version.stdout).into_owned();
    let stale = staleness(&opts.awsguard);
    if let Some(warning) = &stale {
        eprintln!("detection_bench: warning: {warning}");
    }

    let mut timings = run::Timings::default();
    let start = Instant::now();
    let mut g = values::G::new(opts.seed, opts.values);
    let positives = (opts.files * 45).div_ceil(100);
    let negatives = opts.files - positives;
    let families = d.families.len();
    let mut kinds: Vec<Option<Family>> =
        (0..positives).map(|i| Some(i % families)).chain((0..negatives).map(|_| None)).collect();
    g.rng.shuffle(&mut kinds);
    let mut negative_types: Vec<data::Ty> = (0..negatives).map(|i| i % d.types.len()).collect();
    g.rng.shuffle(&mut negative_types);
    let mut files = Vec::with_capacity(opts.files);
    for (index, family) in kinds.into_iter().enumerate() {
        let ty = if family.is_none() { negative_types.pop().unwrap_or(0) } else { 0 };
        files.push(compose::generate(&mut g, &d, index, family, ty));
    }
    timings.generate = start.elapsed();
    eprintln!(
        "detection_bench: generated {} files in {:.1} s; staging and scanning...",
        files.len(),
        timings.generate.as_secs_f64()
    );

    let findings = run::run_awsguard(&opts, &files, &mut timings)?;
    if opts.smoke {
        let ok = smoke(&d, &files, &findings);
        eprintln!(
            "detection_bench: smoke check {} in {:.1} s",
            if ok { "passed" } else { "FAILED" },
            start.elapsed().as_secs_f64()
        );
        std::process::exit(if ok { 0 } else { 1 });
    }
    let text = report::report(&d, &opts, &version, &files, &findings, &timings, stale.as_deref());
    print!("{text}");
    if let Some(out) = &opts.out {
        std::fs::write(out, &text).with_context(|| format!("writing {}", out.display()))?;
    }
    Ok(())
}
