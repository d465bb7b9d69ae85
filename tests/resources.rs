//! Bounded resources, measured by the kernel (`wait4`: peak RSS and CPU time of the child),
//! never by the wall clock; and output that leaves too much of a key ID unknown to rebuild.

mod util;

use util::{TestRepo, awsguard_bin, fake, repo_with_staged_key};

// ---------------------------------------------------------------- bounded resources

/// What a child used, as the kernel counted it (`wait4`): exit code, peak RSS, CPU time.
struct Usage {
    code: Option<i32>,
    max_rss_mib: f64,
    cpu_seconds: f64,
    stderr: String,
}

/// Runs `cmd` to completion with stdout discarded and measures it. `cpu_limit` (seconds)
/// is set with `RLIMIT_CPU` in the child, so a regression ends in SIGXCPU, not a hang.
#[cfg(unix)]
#[allow(clippy::zombie_processes)] // reaped by wait4, which also gives the usage
fn measure(mut cmd: std::process::Command, cpu_limit: u64) -> Usage {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe and touches only the child.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit { rlim_cur: cpu_limit, rlim_max: cpu_limit + 5 };
            if libc::setrlimit(libc::RLIMIT_CPU, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid out-parameter; the child is ours and not yet reaped.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Usage {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        max_rss_mib: usage.ru_maxrss as f64 / 1024.0,
        cpu_seconds: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        stderr,
    }
}

#[cfg(unix)]
#[test]
fn a_merge_bringing_many_key_lines_reads_the_parent_once_per_file() {
    let repo = TestRepo::with_hook();
    repo.stage("a.txt", "a\n");
    repo.commit_unchecked("base");
    repo.git(&["checkout", "-q", "-b", "other"]);
    let mut fake = fake();
    let keys: String = (0..15_000).map(|i| format!("key{i} = {}\n", fake.key_id("AKIA"))).collect();
    repo.stage("keys.txt", &keys);
    repo.commit_unchecked("keys, committed on the other branch without the hook");
    repo.git(&["checkout", "-q", "main"]);
    repo.stage("b.txt", "b\n");
    repo.commit_unchecked("main moves on");
    repo.git(&["merge", "-q", "--no-ff", "--no-commit", "other"]);
    // Every key line is already in the other parent: nothing new, and quickly so.
    let usage = measure(repo.command(awsguard_bin()), 60);
    assert_eq!(usage.code, Some(0), "{}", usage.stderr);
    assert!(usage.cpu_seconds < 20.0, "{:.1} s of CPU for a 15,000-line merge", usage.cpu_seconds);
    // One new key line in the merge result is still found.
    let extra = fake.key_id("AKIA");
    repo.stage("keys.txt", format!("{keys}new = {extra}\n"));
    let usage = measure(repo.command(awsguard_bin()), 60);
    assert_eq!(usage.code, Some(1), "{}", usage.stderr);
    assert!(usage.stderr.is_empty() || !usage.stderr.contains(&extra));
}

#[cfg(unix)]
#[test]
fn a_huge_allowlist_loads_in_linear_time() {
    let (repo, key) = repo_with_staged_key(&mut fake());
    // 9 MiB of fingerprint entries, then one that names the staged key (by its line).
    let mut text = String::new();
    let mut i = 0u64;
    while text.len() < 9 << 20 {
        text.push_str(&format!("[[allow]]\nfingerprint = \"sha256:{:016x}\"\nreason = \"old fixture\"\n", i));
        i += 1;
    }
    let lines_before = text.lines().count();
    text.push_str(&format!("[[allow]]\nfingerprint = \"{}\"\nreason = \"this fixture\"\n", {
        awsguard::allowlist::fingerprint(key.as_bytes())
    }));
    let policy = repo.home.join("policy.toml");
    std::fs::write(&policy, &text).unwrap();
    let mut cmd = repo.command(awsguard_bin());
    cmd.args(["--config", policy.to_str().unwrap()]);
    let usage = measure(cmd, 60);
    eprintln!("{i} entries: {:.2} s CPU, {:.0} MiB peak RSS", usage.cpu_seconds, usage.max_rss_mib);
    assert_eq!(usage.code, Some(0), "{i} entries: {}", usage.stderr);
    assert!(usage.cpu_seconds < 30.0, "{i} entries took {:.1} s of CPU", usage.cpu_seconds);
    // Positions are still exact: a broken last entry is reported at its own line.
    text.push_str("[[allow]]\npath = \"x\"\n");
    std::fs::write(&policy, &text).unwrap();
    let mut cmd = repo.command(awsguard_bin());
    cmd.args(["--config", policy.to_str().unwrap()]);
    let usage = measure(cmd, 60);
    assert_eq!(usage.code, Some(2));
    let at = format!("policy.toml:{}:1: entry has no `reason`", lines_before + 4);
    assert!(usage.stderr.contains(&at), "expected {at:?} in {}", usage.stderr);
}

#[cfg(unix)]
#[test]
fn regex_entries_are_bounded_each_and_in_total() {
    let (repo, _) = repo_with_staged_key(&mut fake());
    let policy = repo.home.join("policy.toml");
    let entries = |n: usize| -> String {
        // Each close to the per-entry limit (64 KiB compiled): the worst case for memory.
        (0..n)
            .map(|i| {
                format!("[[allow]]\npattern = \"^(?:AKIA[A-Z2-7]{{16}}){{45}}{i:04}\"\nreason = \"fixture {i}\"\n")
            })
            .collect()
    };
    let run = |text: &str| {
        std::fs::write(&policy, text).unwrap();
        let mut cmd = repo.command(awsguard_bin());
        cmd.args(["--config", policy.to_str().unwrap()]);
        measure(cmd, 60)
    };
    // As many as allowed: they load, within bounded memory.
    let usage = run(&entries(awsguard::config::MAX_PATTERNS));
    eprintln!(
        "{} patterns: {:.2} s CPU, {:.0} MiB peak RSS",
        awsguard::config::MAX_PATTERNS,
        usage.cpu_seconds,
        usage.max_rss_mib
    );
    assert_eq!(usage.code, Some(1), "{}", usage.stderr);
    assert!(usage.max_rss_mib < 200.0, "{:.0} MiB for {} patterns", usage.max_rss_mib, awsguard::config::MAX_PATTERNS);
    // 4,500: refused at the first one too many, said where and why, in bounded memory.
    let usage = run(&entries(4_500));
    assert_eq!(usage.code, Some(2), "{}", usage.stderr);
    let at = format!("policy.toml:{}:11:", awsguard::config::MAX_PATTERNS * 3 + 2);
    assert!(usage.stderr.contains(&at) && usage.stderr.contains("`pattern` entries"), "{}", usage.stderr);
    assert!(usage.max_rss_mib < 200.0, "{:.0} MiB", usage.max_rss_mib);
    // One regex that compiles too large is refused on its own.
    let usage = run("[[allow]]\npattern = \"^(?:AKIA[A-Z2-7]{16}){500}\"\nreason = \"too big\"\n");
    assert_eq!(usage.code, Some(2), "{}", usage.stderr);
    assert!(usage.stderr.contains("policy.toml:2:11: invalid regex"), "{}", usage.stderr);
}

#[test]
fn default_output_leaves_too_much_of_a_key_id_unknown_to_rebuild_it() {
    // The account ID is 40 of the 80 bits after the prefix; with it, the last four
    // characters and a 64-bit fingerprint, the rest was found by brute force in a second.
    let mut fake = fake();
    let key = std::iter::repeat_with(|| fake.key_id("AKIA"))
        .find(|k| awsguard::rules::account_id(k.as_bytes()).is_some_and(|a| a <= awsguard::rules::MAX_ACCOUNT_ID))
        .unwrap();
    let account = format!("{:012}", awsguard::rules::account_id(key.as_bytes()).unwrap());
    let repo = TestRepo::new();
    repo.stage("k.txt", format!("{key}\n"));
    for format in ["text", "json", "sarif"] {
        let run = repo.awsguard(&["--format", format]);
        run.assert_code(1).assert_lacks(&account).assert_lacks(&key[4..16]).assert_lacks(&key[..16]);
        run.assert_contains(&format!("AKIA...{}", &key[16..]));
    }
    // Asked for, with the whole secret, the account is shown too.
    repo.awsguard(&["--show-secrets=always"]).assert_code(1).assert_contains(&format!("AWS account {account}"));
}
