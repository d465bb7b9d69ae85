//! Bounded resources, measured by the kernel (`wait4`: peak RSS and CPU time of the child),
//! never by the wall clock; and output that leaves too much of a key ID unknown to rebuild.

mod util;

use util::{TestRepo, awsguard_bin, fake, repo_with_staged_key};

// ---------------------------------------------------------------- bounded resources

/// Runs this file's tests one at a time. A child's peak RSS counts the test process's own
/// pages at the moment it is forked (`fork` shares them, and the kernel carries the
/// high-water mark across `exec`): a test building a 330 MB zip in one thread would inflate
/// the peak measured in another. [`measure`] also returns freed heap to the kernel before it
/// forks, and [`Usage::assert_peak_at_most`] checks that what the fork carried is small.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What a child used, as the kernel counted it (`wait4`): exit code, peak RSS, CPU time.
struct Usage {
    code: Option<i32>,
    max_rss_mib: f64,
    /// The test process's own RSS when it forked the child, a floor under `max_rss_mib`.
    forked_rss_mib: f64,
    cpu_seconds: f64,
    stdout: String,
    stderr: String,
}

/// Runs `cmd` to completion and measures it. `cpu_limit` (seconds)
/// is set with `RLIMIT_CPU` in the child, so a regression ends in SIGXCPU, not a hang.
#[cfg(unix)]
#[allow(clippy::zombie_processes)] // reaped by wait4, which also gives the usage
fn measure(mut cmd: std::process::Command, cpu_limit: u64) -> Usage {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    // stdout goes to a file, so that reading stderr to its end cannot block the child.
    let mut stdout_file = tempfile::tempfile().unwrap();
    cmd.stdout(stdout_file.try_clone().unwrap()).stderr(std::process::Stdio::piped());
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
    // Heap freed by earlier tests (a 1 GiB log, a 330 MB zip) would be carried into the
    // child by `fork` and counted as its peak; returned to the kernel first, it is not.
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim only releases free pages of the allocator's arenas.
    unsafe {
        libc::malloc_trim(0);
    }
    let forked_rss_mib = own_rss_mib();
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
    let mut stdout = String::new();
    std::io::Seek::rewind(&mut stdout_file).unwrap();
    stdout_file.read_to_string(&mut stdout).unwrap();
    Usage {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        max_rss_mib: usage.ru_maxrss as f64 / 1024.0,
        forked_rss_mib,
        cpu_seconds: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        stdout,
        stderr,
    }
}

/// This process's resident set now (`VmRSS`), in MiB; 0 where /proc does not say.
fn own_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib =
        status.lines().find_map(|line| line.strip_prefix("VmRSS:")?.trim().strip_suffix("kB")?.trim().parse().ok());
    kib.unwrap_or(0.0) / 1024.0
}

impl Usage {
    /// Asserts that the child's peak RSS was at most `limit` MiB. The kernel's figure is the
    /// larger of the child's own peak and what it was forked with, so the test process must
    /// have held well under `limit` then for the figure to be about awsguard at all.
    #[track_caller]
    fn assert_peak_at_most(&self, limit: f64, what: &str) {
        eprintln!("peak RSS {:.0} MiB {what} (forked with {:.0} MiB)", self.max_rss_mib, self.forked_rss_mib);
        assert!(
            self.forked_rss_mib < limit / 2.0,
            "the test process held {:.0} MiB when it forked awsguard: drop large buffers before measuring",
            self.forked_rss_mib
        );
        assert!(self.max_rss_mib <= limit, "peak RSS {:.0} MiB {what}", self.max_rss_mib);
    }
}

#[cfg(unix)]
#[test]
fn a_merge_bringing_many_key_lines_reads_the_parent_once_per_file() {
    let _serial = serial();
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
    let _serial = serial();
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
    let _serial = serial();
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
    usage.assert_peak_at_most(200.0, &format!("for {} patterns", awsguard::config::MAX_PATTERNS));
    // 4,500: refused at the first one too many, said where and why, in bounded memory.
    let usage = run(&entries(4_500));
    assert_eq!(usage.code, Some(2), "{}", usage.stderr);
    let at = format!("policy.toml:{}:11:", awsguard::config::MAX_PATTERNS * 3 + 2);
    assert!(usage.stderr.contains(&at) && usage.stderr.contains("`pattern` entries"), "{}", usage.stderr);
    usage.assert_peak_at_most(200.0, "refusing 4,500 patterns");
    // One regex that compiles too large is refused on its own.
    let usage = run("[[allow]]\npattern = \"^(?:AKIA[A-Z2-7]{16}){500}\"\nreason = \"too big\"\n");
    assert_eq!(usage.code, Some(2), "{}", usage.stderr);
    assert!(usage.stderr.contains("policy.toml:2:11: invalid regex"), "{}", usage.stderr);
}

#[test]
fn default_output_leaves_too_much_of_a_key_id_unknown_to_rebuild_it() {
    let _serial = serial();
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

// ---------------------------------------------------------------- files too large to hold

/// Writes `total` bytes of log-like lines to `out`, with `plant(line_number)` asked before
/// each line whether to write credentials there instead; returns the lines written.
fn write_log(out: impl std::io::Write, total: usize, mut plant: impl FnMut(usize, u32) -> Option<String>) -> u32 {
    use std::io::Write;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
    let (mut written, mut line) = (0usize, 1u32);
    while written < total {
        let text = match plant(written, line) {
            Some(text) => text,
            None => format!(
                "2026-11-30T08:{:02}:{:02}Z worker-{} handled request {line} in {} ms\n",
                line % 60,
                line % 59,
                line % 7,
                line % 997
            ),
        };
        out.write_all(text.as_bytes()).unwrap();
        written += text.len();
        line += u32::try_from(text.matches('\n').count()).unwrap();
    }
    out.flush().unwrap();
    line - 1
}

/// Stages `content` at `path` without writing it to the work tree, so that these tests need
/// little more disk than git's compressed copy, and stores it where `git add` would: past
/// core.bigFileThreshold (512 MiB) in a pack, streamed there by `git fast-import`; under it
/// as a loose object, by `git hash-object -w`.
fn stage_from_memory(repo: &TestRepo, path: &str, content: &[u8]) {
    use std::io::Write;
    let packed = content.len() > 512 << 20;
    let marks = repo.home.join("fast-import.marks");
    let mut cmd = repo.command("git");
    cmd.args(["-c", "core.compression=1"]);
    if packed {
        cmd.args(["fast-import", "--quiet"]).arg(format!("--export-marks={}", marks.display()));
    } else {
        cmd.args(["hash-object", "-w", "--stdin"]);
    }
    let mut child = cmd.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    if packed {
        write!(stdin, "blob\nmark :1\ndata {}\n", content.len()).unwrap();
    }
    stdin.write_all(content).unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{cmd:?}: {}", output.status);
    let id = if packed {
        let marks = std::fs::read_to_string(&marks).unwrap();
        marks.strip_prefix(":1 ").unwrap().trim().to_string()
    } else {
        String::from_utf8(output.stdout).unwrap().trim().to_string()
    };
    repo.git(&["update-index", "--add", "--cacheinfo", &format!("100644,{id},{path}")]);
}

#[cfg(unix)]
#[test]
fn a_gigabyte_staged_file_is_scanned_in_bounded_memory() {
    let _serial = serial();
    const GIB: usize = 1 << 30;
    let repo = TestRepo::new();
    let mut fake = fake();
    // Credentials at the start, across the first window boundaries (every 8 MiB or a
    // little before), base64-encoded in the middle, and on the last lines.
    let mut planted: Vec<(u32, String)> = Vec::new();
    let mut next = [10usize, (8 << 20) - 40, (16 << 20) - 30, GIB / 2, GIB - 200].into_iter().peekable();
    let mut log = Vec::with_capacity(GIB + (1 << 20));
    write_log(&mut log, GIB, |written, line| {
        if next.peek().is_none_or(|&at| written < at) {
            return None;
        }
        next.next();
        let (id, secret) = (fake.key_id("AKIA"), fake.secret());
        if planted.len() == 3 {
            let text = format!("aws_access_key_id={id}\naws_secret_access_key={secret}\n");
            let encoded = String::from_utf8(awsguard::decode::base64::encode(text.as_bytes())).unwrap();
            planted.push((line, id));
            return Some(format!("credentials: {encoded}\n"));
        }
        planted.push((line, id));
        Some(format!("aws_access_key_id = {}\naws_secret_access_key = {secret}\n", planted.last().unwrap().1))
    });
    // Larger than core.bigFileThreshold: git writes it straight into a pack.
    stage_from_memory(&repo, "big.log", &log);
    drop(log);
    let usage = measure(repo.command(awsguard_bin()), 600);
    assert_eq!(usage.code, Some(1), "{}", usage.stderr);
    for (line, id) in &planted {
        let shown = format!("AKIA...{}", &id[16..]);
        assert!(usage.stdout.contains(&format!("big.log:{line}:")), "line {line} not reported: {}", usage.stdout);
        assert!(usage.stdout.contains(&shown), "{shown} not reported: {}", usage.stdout);
    }
    usage.assert_peak_at_most(300.0, "for a 1 GiB file");
}

/// A zip of `count` empty stored entries with zip64 end records, built by hand: the zip
/// crate would take minutes to write three million entries.
fn zip_of_empty_entries(count: u32) -> Vec<u8> {
    let names = (0..count).map(|i| format!("file-{i:07}.txt"));
    let mut local = Vec::new();
    let mut central = Vec::new();
    for name in names {
        let offset = u32::try_from(local.len()).unwrap();
        let name_len = u16::try_from(name.len()).unwrap().to_le_bytes();
        local.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x21\x00");
        local.extend_from_slice(&[0; 12]);
        local.extend_from_slice(&name_len);
        local.extend_from_slice(&[0, 0]);
        local.extend_from_slice(name.as_bytes());
        central.extend_from_slice(b"PK\x01\x02\x14\x00\x14\x00\x00\x00\x00\x00\x00\x00\x21\x00");
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&name_len);
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let (cd_offset, cd_size) = (local.len() as u64, central.len() as u64);
    let mut zip = local;
    zip.extend_from_slice(&central);
    let zip64_end = zip.len() as u64;
    zip.extend_from_slice(b"PK\x06\x06");
    zip.extend_from_slice(&44u64.to_le_bytes());
    zip.extend_from_slice(&[0x2d, 0, 0x2d, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    for field in [u64::from(count), u64::from(count), cd_size, cd_offset] {
        zip.extend_from_slice(&field.to_le_bytes());
    }
    zip.extend_from_slice(b"PK\x06\x07\x00\x00\x00\x00");
    zip.extend_from_slice(&zip64_end.to_le_bytes());
    zip.extend_from_slice(&1u32.to_le_bytes());
    zip.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00");
    zip
}

#[cfg(unix)]
#[test]
fn a_zip_of_three_million_entries_is_refused_in_bounded_memory() {
    let _serial = serial();
    let repo = TestRepo::new();
    let zip = zip_of_empty_entries(3_000_000);
    assert!(zip.len() > 300 << 20, "the archive alone is larger than the memory bound");
    stage_from_memory(&repo, "many.zip", &zip);
    drop(zip);
    let usage = measure(repo.command(awsguard_bin()), 300);
    // More members than the bound blocks (exit 2), as documented; the entries are
    // counted from the end record, not built in memory.
    assert_eq!(usage.code, Some(2), "{}", usage.stderr);
    assert!(usage.stderr.contains("has 3000000 members, more than 10000"), "{}", usage.stderr);
    usage.assert_peak_at_most(300.0, "for 3 million entries");
    // The zip crate reads the same archive: it is well formed.
    let listed = zip::ZipArchive::new(std::io::Cursor::new(zip_of_empty_entries(70_000))).unwrap().len();
    assert_eq!(listed, 70_000);
}

#[cfg(unix)]
#[test]
fn a_large_file_edited_counts_only_the_lines_the_edit_adds() {
    let _serial = serial();
    let repo = TestRepo::new();
    let mut fake = fake();
    let size = 70 << 20;
    let old_id = fake.key_id("AKIA");
    let path = repo.root.join("big.log");
    write_log(std::fs::File::create(&path).unwrap(), size, |written, _| {
        (written == 0).then(|| format!("old = {old_id}\n"))
    });
    repo.add(&["big.log"]);
    repo.commit_unchecked("a large log with a key, committed without the hook");
    // Edited: a line changed in the middle, a key added at the end. The old key's line is
    // still there and is not new.
    let mut content = std::fs::read(&path).unwrap();
    let middle = content.len() / 2;
    let at = middle + content[middle..].iter().position(|&b| b == b'\n').unwrap() + 1;
    content.splice(at..at, b"an edited line\n".iter().copied());
    let new_id = fake.key_id("AKIA");
    content.extend_from_slice(format!("new = {new_id}\n").as_bytes());
    let lines = content.iter().filter(|&&b| b == b'\n').count();
    std::fs::write(&path, &content).unwrap();
    drop(content);
    repo.add(&["big.log"]);
    let usage = measure(repo.command(awsguard_bin()), 300);
    assert_eq!(usage.code, Some(1), "{}", usage.stderr);
    assert!(usage.stdout.contains(&format!("big.log:{lines}:7: aws.access-key-id")), "{}", usage.stdout);
    assert!(!usage.stdout.contains(&old_id[16..]), "the committed key is not new: {}", usage.stdout);
    usage.assert_peak_at_most(100.0, "for a 70 MiB file edited");
}

#[cfg(unix)]
#[test]
fn a_large_archive_is_walked_from_a_mapped_file() {
    let _serial = serial();
    let repo = TestRepo::new();
    let mut fake = fake();
    let id = fake.key_id("AKIA");
    let mut member = vec![b'.'; 70 << 20];
    member.extend_from_slice(format!("\nkey = {id}\n").as_bytes());
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(member.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, "dump/app.log", &member[..]).unwrap();
    std::fs::write(repo.root.join("big.tar"), tar.into_inner().unwrap()).unwrap();
    repo.add(&["big.tar"]);
    let usage = measure(repo.command(awsguard_bin()), 300);
    assert_eq!(usage.code, Some(1), "{}", usage.stderr);
    assert!(usage.stdout.contains("big.tar!dump/app.log:2:7: aws.access-key-id"), "{}", usage.stdout);
}

#[cfg(unix)]
#[test]
fn keys_across_window_boundaries_in_one_long_line_are_found_once() {
    let _serial = serial();
    // 70 MiB of minified code on one line: windows are cut inside the line, every 8 MiB.
    // A key ID straddling each cut, one just before and one just after, each found once.
    let repo = TestRepo::new();
    let mut fake = fake();
    let mut line = Vec::with_capacity(71 << 20);
    let mut planted = Vec::new();
    let cuts = [8usize << 20, 16 << 20, 24 << 20];
    for cut in cuts {
        for at in [cut - 10, cut - 100, cut + 3] {
            while line.len() < at {
                line.extend_from_slice(b"a=b(c);");
            }
            let id = fake.key_id("AKIA");
            // Reported at its byte column in the whole line, not in a window of it.
            planted.push((id.clone(), line.len() + 4));
            line.extend_from_slice(format!("k=\"{id}\";").as_bytes());
        }
    }
    while line.len() < 70 << 20 {
        line.extend_from_slice(b"a=b(c);");
    }
    line.push(b'\n');
    std::fs::write(repo.root.join("bundle.min.js"), &line).unwrap();
    repo.add(&["bundle.min.js"]);
    let usage = measure(repo.command(awsguard_bin()), 300);
    assert_eq!(usage.code, Some(1), "{}", usage.stderr);
    for (id, column) in &planted {
        let shown = format!("AKIA...{}", &id[16..]);
        assert_eq!(usage.stdout.matches(&shown).count(), 1, "{shown} reported once: {}", usage.stdout);
        let at = format!("bundle.min.js:1:{column}: aws.access-key-id: {shown}");
        assert!(usage.stdout.contains(&at), "{at} not in {}", usage.stdout);
    }
}
