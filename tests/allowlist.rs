//! The allowlist, end to end: `.awsguard.toml` as staged, inline markers, user and
//! `--config` files, `awsguard allow` and `check-config`, all through real commits.

mod util;

use util::{TestRepo, fake};

/// The fingerprint awsguard prints for a value (sha256 prefix).
fn fingerprint(value: &str) -> String {
    awsguard::allowlist::fingerprint(value.as_bytes())
}

fn stage_allowlist(repo: &TestRepo, text: &str) {
    repo.stage(".awsguard.toml", text);
}

#[test]
fn a_fingerprint_entry_allows_exactly_that_secret() {
    let repo = TestRepo::with_hook();
    let mut fake = fake();
    let (allowed, other) = (fake.key_id("AKIA"), fake.key_id("AKIA"));
    stage_allowlist(
        &repo,
        &format!(
            "[[allow]]\nfingerprint = \"{}\"\nreason = \"revoked key in the incident report\"\n",
            fingerprint(&allowed)
        ),
    );
    repo.stage("incident.md", format!("The leaked key was {allowed}.\n"));
    repo.assert_commits(&[]);
    // It survives moving to another line and a rename with edits.
    repo.git(&["mv", "incident.md", "postmortem.md"]);
    repo.stage("postmortem.md", format!("# Postmortem\n\nIntro.\n\nThe leaked key was {allowed}, now revoked.\n"));
    repo.assert_commits(&[]);
    // Another key is still blocked.
    repo.stage("postmortem.md", format!("# Postmortem\n\nThe leaked key was {allowed}.\nAlso {other}\n"));
    repo.assert_blocked(&[], "postmortem.md:4:6:", &other);
}

#[test]
fn a_path_entry_allows_only_its_paths_and_rules() {
    let repo = TestRepo::with_hook();
    let mut fake = fake();
    stage_allowlist(
        &repo,
        "[[allow]]\npath = \"docs/examples/**\"\nrules = [\"aws.access-key-id\"]\nreason = \"generated demo keys\"\n",
    );
    let key = fake.key_id("AKIA");
    repo.write("docs/examples/setup.md", format!("aws_access_key_id = {key}\n"));
    repo.add(&["docs"]);
    repo.assert_commits(&[]);
    // Same key kind outside the path: blocked.
    let key2 = fake.key_id("AKIA");
    repo.write("docs/setup.md", format!("aws_access_key_id = {key2}\n"));
    repo.add(&["docs"]);
    repo.assert_blocked(&[], "docs/setup.md:1:21:", &key2);
    repo.git(&["rm", "-q", "--cached", "docs/setup.md"]);
    // Another rule inside the path: blocked.
    let secret = fake.secret();
    repo.stage("docs/examples/secret.md", format!("aws_secret_access_key = {secret}\n"));
    repo.assert_blocked(&[], "docs/examples/secret.md:1:25: aws.secret-access-key:", &secret);
}

#[test]
fn a_pattern_entry_allows_matching_values() {
    let repo = TestRepo::with_hook();
    let mut fake = fake();
    stage_allowlist(
        &repo,
        "[[allow]]\npattern = \"^ASIA\"\nreason = \"short-lived test credentials from the sandbox\"\n",
    );
    let (asia, akia) = (fake.key_id("ASIA"), fake.key_id("AKIA"));
    repo.stage("a.txt", format!("{asia}\n"));
    repo.assert_commits(&[]);
    repo.stage("a.txt", format!("{asia}\n{akia}\n"));
    repo.assert_blocked(&[], "a.txt:2:1:", &akia);
}

#[test]
fn an_allowlist_edited_only_in_the_work_tree_has_no_effect() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    repo.stage("a.txt", format!("{key}\n"));
    // Written but not staged: not what is committed, so not in force.
    repo.write(".awsguard.toml", format!("[[allow]]\nfingerprint = \"{}\"\nreason = \"x\"\n", fingerprint(&key)));
    repo.assert_blocked(&[], "a.txt:1:1:", &key);
    // Staged, it applies.
    repo.add(&[".awsguard.toml"]);
    repo.assert_commits(&[]);
}

#[test]
fn a_staged_allowlist_with_unstaged_breakage_still_applies_as_staged() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    stage_allowlist(&repo, &format!("[[allow]]\nfingerprint = \"{}\"\nreason = \"fixture\"\n", fingerprint(&key)));
    repo.write(".awsguard.toml", "this is not toml [[[\n");
    repo.stage("a.txt", format!("{key}\n"));
    repo.assert_commits(&[]);
}

#[test]
fn expired_entries_stop_applying_and_say_so() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    stage_allowlist(
        &repo,
        &format!(
            "# fixtures\n[[allow]]\nfingerprint = \"{}\"\nexpires = 2020-01-01\nreason = \"temporary fixture\"\n",
            fingerprint(&key)
        ),
    );
    repo.stage("a.txt", format!("{key}\n"));
    let run = repo.assert_blocked(&[], "a.txt:1:1:", &key);
    run.assert_contains(".awsguard.toml:2").assert_contains("expired");
    // A future date applies.
    stage_allowlist(
        &repo,
        &format!("[[allow]]\nfingerprint = \"{}\"\nexpires = 2999-01-01\nreason = \"fixture\"\n", fingerprint(&key)),
    );
    repo.assert_commits(&[]);
}

#[test]
fn malformed_allowlists_block_with_file_line_and_column() {
    let repo = TestRepo::with_hook();
    repo.stage("a.txt", "clean\n");
    let cases = [
        ("[[allow]\n", ".awsguard.toml:1:"),
        ("[[allow]]\npath = \"docs/**\"\n", ".awsguard.toml:1:1: entry has no `reason`"),
        ("[[allow]]\nreason = \"x\"\npath = \"docs/**\"\ncolour = \"red\"\n", ".awsguard.toml:4:1: unknown field"),
        ("[[allow]]\nreason = \"x\"\npath = \"docs/[\"\n", ".awsguard.toml:3:8: invalid path glob"),
        ("[[allow]]\nreason = \"x\"\npattern = \"AKIA(\"\n", ".awsguard.toml:3:11: invalid regex"),
        ("[[allow]]\nreason = \"x\"\nfingerprint = \"md5:abc\"\n", ".awsguard.toml:3:15: fingerprint"),
        ("[[allow]]\nreason = \"x\"\npath = \"**\"\n", "would allow every finding"),
        ("[[allow]]\nreason = \"x\"\npattern = \".*\"\n", "would allow every finding"),
        ("[[allow]]\nreason = \"x\"\npath = \"a\"\nrules = [\"aws.nope\"]\n", ".awsguard.toml:4:9: unknown rule"),
        ("[[allow]]\nreason = \"\"\npath = \"a\"\n", ".awsguard.toml:2:10: `reason` is empty"),
    ];
    for (text, expected) in cases {
        stage_allowlist(&repo, text);
        let run = repo.commit(&[]);
        assert_eq!(run.code(), 1, "git reports the hook's exit 2 as a failed hook\n{}", run.all());
        run.assert_contains(expected).assert_contains("awsguard: error:");
        assert_eq!(repo.head(), None, "{text:?} must block");
        let direct = repo.awsguard(&[]);
        direct.assert_code(2);
    }
}

#[test]
fn allow_all_entries_pass_with_a_warning_every_time() {
    let repo = TestRepo::with_hook();
    stage_allowlist(&repo, "[[allow]]\npath = \"**\"\nallow_all = true\nreason = \"throwaway sandbox repository\"\n");
    let key = fake().key_id("AKIA");
    repo.stage("a.txt", format!("{key}\n"));
    repo.assert_commits(&[]).assert_contains("allows every finding").assert_contains("throwaway sandbox");
    repo.stage("b.txt", "b\n");
    repo.assert_commits(&[]).assert_contains("allows every finding");
}

#[test]
fn inline_markers_work_in_every_comment_syntax() {
    let repo = TestRepo::with_hook();
    let mut fake = fake();
    let lines: Vec<(String, String)> = [
        ("a.py", "# awsguard:allow"),
        ("a.js", "// awsguard:allow"),
        ("a.c", "/* awsguard:allow */"),
        ("a.sql", "-- awsguard:allow"),
        ("a.html", "<!-- awsguard:allow -->"),
        ("a.ini", "; awsguard:allow"),
        ("b.py", "# pragma: allowlist secret"),
        ("b.go", "// gitleaks:allow"),
    ]
    .iter()
    .map(|(file, marker)| (file.to_string(), format!("key = \"{}\" {marker}\n", fake.key_id("AKIA"))))
    .collect();
    for (file, line) in &lines {
        repo.write(file, line);
        repo.add(&[file]);
    }
    repo.assert_commits(&[]);
    // The marker covers its own line only.
    let key = fake.key_id("AKIA");
    repo.stage("a.py", format!("{}key2 = \"{key}\"\n", lines[0].1));
    repo.assert_blocked(&[], "a.py:2:9:", &key);
}

#[test]
fn awsguard_allow_writes_stages_and_lets_the_commit_through() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    repo.stage("fixture.json", format!("{{\"id\": \"{key}\"}}\n"));
    let blocked = commit_with_awsguard_on_path(&repo);
    blocked.assert_code(1).assert_contains("fixture.json:1:9:").assert_lacks(&key);
    // With awsguard on PATH, the blocked message prints the exact command.
    let command = blocked
        .stderr()
        .lines()
        .find_map(|l| {
            l.trim().strip_prefix("awsguard allow ").map(|rest| rest.split_whitespace().next().unwrap().to_string())
        })
        .expect("the blocked message prints an `awsguard allow` command");
    assert_eq!(command, fingerprint(&key));
    repo.awsguard(&["allow", &command, "--reason", "fixture for the parser tests", "--path", "fixture.json"])
        .assert_code(0)
        .assert_contains("staged");
    let staged = repo.git(&["show", ":.awsguard.toml"]);
    assert!(
        staged.contains(&format!("fingerprint = \"{command}\""))
            && staged.contains("reason = \"fixture for the parser tests\"")
    );
    assert!(!staged.contains(&key), "the allowlist never holds the secret");
    repo.assert_commits(&[]);
    // A second entry appends to the same file.
    repo.awsguard(&["allow", "--pattern", "^AKIA", "--rule", "aws.access-key-id", "--reason", "all test keys"])
        .assert_code(0);
    assert_eq!(repo.git(&["show", ":.awsguard.toml"]).lines().filter(|l| *l == "[[allow]]").count(), 2);
    // Without a reason, nothing is written.
    repo.awsguard(&["allow", "--path", "x"]).assert_code(2).assert_contains("--reason is required");
    repo.awsguard(&["allow", "--path", "**", "--reason", "everything"])
        .assert_code(2)
        .assert_contains("nothing was written");
}

#[test]
fn check_config_lists_stale_and_expired_entries() {
    let repo = TestRepo::new();
    let key = fake().key_id("AKIA");
    repo.write("a.txt", format!("{key}\n"));
    stage_allowlist(
        &repo,
        &format!(
            "[[allow]]\nfingerprint = \"{}\"\nreason = \"used\"\n\n\
             [[allow]]\npath = \"gone/**\"\nreason = \"old fixtures\"\n\n\
             [[allow]]\npath = \"a.txt\"\nexpires = 2020-01-01\nreason = \"expired\"\n",
            fingerprint(&key)
        ),
    );
    repo.add(&["a.txt"]);
    let run = repo.awsguard(&["check-config"]);
    run.assert_code(0).assert_contains("3 allowlist entries, all valid").assert_contains("matches 1 finding");
    run.assert_contains(".awsguard.toml:5: path \"gone/**\" (old fixtures): STALE");
    run.assert_contains(".awsguard.toml:9:").assert_contains("EXPIRED on 2020-01-01");
    stage_allowlist(&repo, "[[allow]]\nreason = 1\n");
    repo.awsguard(&["check-config"]).assert_code(2).assert_contains(".awsguard.toml:2:10");
}

#[test]
fn user_and_command_line_configs_are_merged() {
    let repo = TestRepo::with_hook();
    let mut fake = fake();
    let (a, b) = (fake.key_id("AKIA"), fake.key_id("AKIA"));
    let user_config = repo.home.join(".config/awsguard/config.toml");
    std::fs::create_dir_all(user_config.parent().unwrap()).unwrap();
    std::fs::write(&user_config, format!("[[allow]]\nfingerprint = \"{}\"\nreason = \"user\"\n", fingerprint(&a)))
        .unwrap();
    let ci = repo.home.join("ci.toml");
    std::fs::write(&ci, format!("[[allow]]\nfingerprint = \"{}\"\nreason = \"ci policy\"\n", fingerprint(&b))).unwrap();
    repo.stage("a.txt", format!("{a}\n{b}\n"));
    repo.awsguard(&[]).assert_code(1).assert_contains("a.txt:2:1:").assert_lacks("a.txt:1:1:");
    repo.awsguard(&["--config", ci.to_str().unwrap()]).assert_code(0);
    // A broken --config file fails closed, as does a missing one.
    std::fs::write(&ci, "[[allow]]\nfingerprint = 3\n").unwrap();
    repo.awsguard(&["--config", ci.to_str().unwrap()]).assert_code(2).assert_contains("ci.toml:2:15");
    repo.awsguard(&["--config", "/no/such/file.toml"]).assert_code(2).assert_contains("/no/such/file.toml");
    // And a broken user config too.
    std::fs::write(&user_config, "[[allow]]\nreason = \"x\"\n").unwrap();
    repo.awsguard(&[]).assert_code(2).assert_contains("config.toml:1:1: entry selects nothing");
}

/// `git commit` through the hook with awsguard on PATH, as after `install.sh` or `cargo install`.
fn commit_with_awsguard_on_path(repo: &TestRepo) -> util::Run {
    commit_with_on_path(repo, util::awsguard_bin().parent().unwrap())
}

/// `git commit` through the hook with `dir` (holding an awsguard) first on PATH.
fn commit_with_on_path(repo: &TestRepo, dir: &std::path::Path) -> util::Run {
    let mut cmd = repo.command("git");
    cmd.env("PATH", util::path_with(dir)).args(["commit", "-q", "-m", "x"]);
    let output = cmd.output().unwrap();
    util::Run { what: format!("git commit (awsguard in {} on PATH)", dir.display()), output }
}

#[test]
fn allow_takes_several_fingerprints_and_refuses_placeholder_reasons() {
    let repo = TestRepo::with_hook();
    let mut fake = fake();
    let (a, b) = (fake.key_id("AKIA"), fake.key_id("AKIA"));
    repo.stage("fixtures.txt", format!("first {a}\n\nsecond {b}\n"));
    let blocked = commit_with_awsguard_on_path(&repo);
    blocked.assert_code(1);
    // The block message offers one command for all of them.
    let line = blocked.stderr().lines().find(|l| l.contains("several at once")).map(str::to_string);
    let line = line.unwrap_or_else(|| panic!("no several-at-once advice:\n{}", blocked.stderr()));
    let (fa, fb) = (fingerprint(&a), fingerprint(&b));
    assert!(line.contains(&format!("awsguard allow {fa} {fb} --reason \"...\"")), "{line}");
    // The reason copied literally, or any placeholder, is refused and nothing is written.
    for placeholder in ["...", "\"...\"", "TODO", "reason", "x", " "] {
        repo.awsguard(&["allow", &fa, &fb, "--reason", placeholder]).assert_code(2).assert_contains("--reason");
        assert!(!repo.root.join(".awsguard.toml").exists(), "{placeholder:?} wrote the allowlist");
    }
    repo.awsguard(&["allow", &fa, &fb, "--reason", "fixtures of the key parser"]).assert_code(0);
    let staged = repo.git(&["show", ":.awsguard.toml"]);
    assert_eq!(staged.lines().filter(|l| *l == "[[allow]]").count(), 2, "{staged}");
    assert!(staged.contains(&fa) && staged.contains(&fb), "{staged}");
    repo.assert_commits(&[]);
}

#[test]
fn without_awsguard_on_path_the_block_message_gives_the_entry_to_paste() {
    // The pre-commit framework runs awsguard from its own environment: `awsguard allow`
    // would be "command not found", so the advice is the entry itself.
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    repo.stage("fixture.json", format!("{{\"id\": \"{key}\"}}\n"));
    let blocked = repo.assert_blocked(&[], "fixture.json:1:9:", &key);
    blocked.assert_lacks("awsguard allow").assert_contains(&format!("fingerprint = \"{}\"", fingerprint(&key)));
    // Pasted as printed, with the reason filled in, it lets the commit through.
    let lines: Vec<&str> =
        blocked.output.stderr.split(|&b| b == b'\n').map(|l| std::str::from_utf8(l).unwrap()).collect();
    let at = lines.iter().position(|l| l.trim_start().starts_with("[[allow]]")).expect("an entry to paste");
    let entry: Vec<String> = lines[at..at + 3].iter().map(|l| l.trim().to_string()).collect();
    assert!(entry[2].starts_with("reason = \"\""), "{entry:?}");
    // As printed, the empty reason is refused: the user must say why.
    repo.stage(".awsguard.toml", format!("{}\n", entry.join("\n")));
    repo.awsguard(&[]).assert_code(2).assert_contains("`reason` is empty");
    let filled = entry[2].replacen("\"\"", "\"fixture for the parser tests\"", 1);
    repo.stage(".awsguard.toml", format!("{}\n{}\n{filled}\n", entry[0], entry[1]));
    repo.assert_commits(&[]);
}

#[test]
fn a_committed_allowlist_cannot_silence_the_hook_without_allow_all() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    repo.stage("config/app.env", format!("AWS_ACCESS_KEY_ID={key}\n"));
    for selector in [
        "path = \"**\"\nrules = [\"aws\"]",
        "path = \"**\"\nrules = [\"aws.access-key-id\", \"aws.secret-access-key\", \"aws.session-token\"]",
        "path = \"**/*[!a]\"",
        "pattern = \"^A[A-Z0-9]{19}$\"",
    ] {
        stage_allowlist(&repo, &format!("[[allow]]\n{selector}\nreason = \"we know what we do\"\n"));
        let run = repo.commit(&[]);
        assert_ne!(run.code(), 0, "{selector}: the commit must not pass\n{}", run.all());
        run.assert_contains("would allow every finding it covers across most of the repository");
        assert_eq!(repo.head(), None);
    }
    stage_allowlist(&repo, "[archives]\nunscanned = [\"**\"]\n");
    repo.commit(&[]).assert_contains("covers most archives");
    assert_eq!(repo.head(), None);
}

#[test]
fn a_lowered_depth_bound_cannot_hide_a_nested_key() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    let inner = awsguard::fake::zip_of(&[("k.env", format!("{key}\n").as_bytes())], zip::CompressionMethod::Deflated);
    let outer = awsguard::fake::zip_of(&[("inner.zip", &inner)], zip::CompressionMethod::Deflated);
    stage_allowlist(&repo, "[archives]\nmax_depth = 1\n");
    repo.stage("dist/app.zip", outer);
    repo.awsguard(&[]).assert_code(2).assert_contains("nested more than 1 deep");
    assert_ne!(repo.commit(&[]).code(), 0);
    assert_eq!(repo.head(), None);
}

#[test]
fn a_staged_change_that_widens_the_allowlist_is_announced() {
    let repo = TestRepo::with_hook();
    stage_allowlist(
        &repo,
        "[[allow]]\npath = \"docs/examples/**\"\nrules = [\"aws.access-key-id\"]\nreason = \"demo\"\n",
    );
    repo.assert_commits(&[]).assert_contains("newly allows .awsguard.toml:1: path \"docs/examples/**\"");
    // Unchanged: nothing to announce.
    repo.stage("a.txt", "a\n");
    repo.assert_commits(&[]).assert_lacks("newly allows");
    // Dropping `rules`, adding an entry, raising a bound, listing an archive: each announced.
    stage_allowlist(
        &repo,
        "[[allow]]\npath = \"docs/examples/**\"\nreason = \"demo\"\n\n\
         [[allow]]\npattern = \"CANARY$\"\nreason = \"honeypot\"\n\n\
         [archives]\nmax_ratio = 5000\nunscanned = [\"vendor/sdk.zip\"]\n",
    );
    let run = repo.assert_commits(&[]);
    run.assert_contains("newly allows .awsguard.toml:1: path \"docs/examples/**\" (demo)")
        .assert_contains("newly allows .awsguard.toml:5: pattern \"CANARY$\" (honeypot)")
        .assert_contains("newly allows [archives] max_ratio changes from 1000 to 5000")
        .assert_contains("newly allows .awsguard.toml:11: [archives] unscanned \"vendor/sdk.zip\"");
}

#[cfg(unix)]
#[test]
fn an_npm_installed_awsguard_is_named_with_npx_in_the_advice() {
    // husky and npm scripts run hooks with node_modules/.bin on PATH; the user's shell does
    // not have it, so the advice must say `npx awsguard allow`.
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    repo.stage("fixture.json", format!("{{\"id\": \"{key}\"}}\n"));
    let bin = repo.root.join("node_modules/.bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(util::awsguard_bin(), bin.join("awsguard")).unwrap();
    let blocked = commit_with_on_path(&repo, &bin);
    blocked.assert_code(1).assert_contains(&format!("npx awsguard allow {} --reason", fingerprint(&key)));
}
