//! `awsguard history`: many commits, scanned on all cores, reported in history order.

mod util;

use std::io::Write;
use std::process::Stdio;

use util::{TestRepo, fake};

/// Commits 1..=n on main by fast-import, one file each; `special(n)` replaces a commit's
/// file with its own path and content.
fn build_history(repo: &TestRepo, n: usize, special: &dyn Fn(usize) -> Option<(String, String)>) {
    let mut stream = String::new();
    for i in 1..=n {
        let (path, content) = special(i).unwrap_or_else(|| (format!("src/{}/f{i}.txt", i % 13), format!("line {i}\n")));
        let message = format!("commit {i}\n");
        stream.push_str("commit refs/heads/main\ncommitter T <t@example.invalid> 1767225600 +0000\n");
        stream.push_str(&format!("data {}\n{message}", message.len()));
        stream.push_str(&format!("M 100644 inline {path}\ndata {}\n{content}\n", content.len()));
    }
    let mut child = repo.command("git").args(["fast-import", "--quiet"]).stdin(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(stream.as_bytes()).unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
    repo.git(&["reset", "-q", "--hard", "main"]);
}

#[test]
fn findings_of_many_commits_come_in_history_order() {
    let repo = TestRepo::new();
    let mut fake = fake();
    let keys: Vec<String> = (0..4).map(|_| fake.key_id("AKIA")).collect();
    let at = [7, 90, 91, 233];
    build_history(&repo, 240, &|i| {
        at.iter().position(|&a| a == i).map(|k| (format!("deploy/k{i}.sh"), format!("KEY={}\n", keys[k])))
    });
    let run = repo.awsguard(&["history", "--format", "json"]);
    run.assert_code(1);
    let json: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    let findings = json["findings"].as_array().unwrap();
    let paths: Vec<&str> = findings.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["deploy/k7.sh", "deploy/k90.sh", "deploy/k91.sh", "deploy/k233.sh"], "{}", run.stdout());
    for (finding, n) in findings.iter().zip(at) {
        let commit = repo.git(&["rev-parse", &format!("main~{}", 240 - n)]);
        assert_eq!(finding["commit"].as_str(), Some(commit.trim()));
    }
    // The same, run after run.
    assert_eq!(repo.awsguard(&["history", "--format", "json"]).stdout(), run.stdout());
}

#[test]
fn the_first_unreadable_commit_in_history_order_is_reported() {
    let repo = TestRepo::new();
    build_history(&repo, 200, &|_| None);
    // Remove the blobs of two commits from the object database (fast-import packed them:
    // unpack, then delete the loose files).
    let blob = |n: usize| repo.git(&["rev-parse", &format!("main~{}:src/{}/f{n}.txt", 200 - n, n % 13)]);
    let (early, late) = (blob(41).trim().to_string(), blob(160).trim().to_string());
    for pack in std::fs::read_dir(repo.root.join(".git/objects/pack")).unwrap().flatten() {
        let path = pack.path();
        if path.extension().is_some_and(|e| e == "pack") {
            // Out of the repository first: unpack-objects skips objects it already has.
            let bytes = std::fs::read(&path).unwrap();
            std::fs::remove_file(&path).unwrap();
            std::fs::remove_file(path.with_extension("idx")).unwrap();
            let mut child = repo.command("git").args(["unpack-objects", "-q"]).stdin(Stdio::piped()).spawn().unwrap();
            child.stdin.take().unwrap().write_all(&bytes).unwrap();
            assert!(child.wait_with_output().unwrap().status.success());
        }
    }
    for id in [&early, &late] {
        std::fs::remove_file(repo.root.join(".git/objects").join(&id[..2]).join(&id[2..])).unwrap();
    }
    let run = repo.awsguard(&["history"]);
    run.assert_code(2).assert_contains(&early).assert_lacks(&late);
}

/// `history --all` reads the messages of the annotated tags refs name (a tag of a tag too).
#[test]
fn history_all_reads_annotated_tag_messages() {
    let repo = TestRepo::new();
    repo.stage("a.txt", "a\n");
    repo.commit_unchecked("first");
    let key = fake().key_id("AKIA");
    repo.git(&["tag", "-a", "-m", &format!("rc\n\nbuilt with {key}"), "rc"]);
    repo.git(&["tag", "-a", "-m", "final", "v1", "rc"]);
    let rc = repo.git(&["rev-parse", "rc"]).trim().to_string();
    repo.git(&["tag", "-d", "rc"]);
    repo.awsguard(&["history"]).assert_code(0);
    let run = repo.awsguard(&["history", "--all"]);
    run.assert_code(1).assert_contains(&format!("{}:TAG_MSG:3:12: aws.access-key-id:", &rc[..12])).assert_lacks(&key);
}
