//! Packed objects: HEAD's blobs or the staged ones in a pack (after `git gc` or
//! `git repack`), read through libgit2's pack reader rather than the loose-object reader.

mod util;

use util::{TestRepo, fake};

/// Whether `object` is stored loose (a file under `.git/objects/`).
fn is_loose(repo: &TestRepo, object: &str) -> bool {
    repo.root.join(".git/objects").join(&object[..2]).join(&object[2..]).is_file()
}

/// How `object` is stored in the repository's packs: `None` if in none, `Some(true)` if as a
/// delta against another object.
fn in_pack(repo: &TestRepo, object: &str) -> Option<bool> {
    let pack_dir = repo.root.join(".git/objects/pack");
    for entry in std::fs::read_dir(pack_dir).unwrap() {
        let idx = entry.unwrap().path();
        if idx.extension().is_some_and(|e| e == "idx") {
            let listing = repo.git(&["verify-pack", "-v", idx.to_str().unwrap()]);
            // "<object> <type> <size> <size in pack> <offset> [<depth> <base>]"
            if let Some(line) = listing.lines().find(|l| l.starts_with(object)) {
                return Some(line.split_whitespace().count() >= 7);
            }
        }
    }
    None
}

/// The blob a revision names, asserted packed and not loose.
#[track_caller]
fn packed_blob(repo: &TestRepo, spec: &str) -> (String, bool) {
    let blob = repo.git(&["rev-parse", spec]).trim().to_string();
    assert!(!is_loose(repo, &blob), "{spec} ({blob}) is still loose");
    let delta = in_pack(repo, &blob).unwrap_or_else(|| panic!("{spec} ({blob}) is in no pack"));
    (blob, delta)
}

fn settings(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// HEAD's blobs in a pack (as after `git gc`): the staged change is diffed against the
/// packed version, so an old key in it stays old, and a key added to it is new.
#[test]
fn a_change_to_a_packed_file_is_diffed_against_the_pack() {
    let repo = TestRepo::with_hook();
    // gc.auto back on, as in a user's repository; the packing itself is explicit.
    repo.git(&["config", "--unset", "gc.auto"]);
    let mut fake = fake();
    let (old_key, new_key) = (fake.key_id("AKIA"), fake.key_id("AKIA"));
    let mut lines: Vec<String> = (1..=300).map(|i| format!("setting_{i} = {}", i * 7)).collect();
    lines[9] = format!("legacy_key = \"{old_key}\"");
    repo.stage("settings.py", settings(&lines));
    repo.commit_unchecked("settings, with a key already in history");
    repo.git(&["gc", "-q"]);
    packed_blob(&repo, "HEAD:settings.py");

    // A clean edit passes: the packed old side was read, so line 10 is not new.
    lines[150] = "setting_151 = 0".to_string();
    repo.stage("settings.py", settings(&lines));
    repo.assert_commits(&[]).assert_lacks(&old_key);
    repo.git(&["gc", "-q"]);
    packed_blob(&repo, "HEAD:settings.py");

    // A key added to it is blocked at its line, and the old key is not reported.
    lines[120] = format!("new_key = \"{new_key}\"");
    repo.stage("settings.py", settings(&lines));
    repo.assert_blocked(&[], "settings.py:121:12: aws.access-key-id:", &new_key)
        .assert_lacks("settings.py:10:")
        .assert_lacks(&old_key);
}

/// The staged blobs themselves in a pack (`git repack -a` packs what the index names): they
/// are read from the pack, a delta resolved, and scanned like loose ones.
#[test]
fn staged_blobs_in_a_pack_are_scanned() {
    let repo = TestRepo::with_hook();
    let mut fake = fake();
    let (key, secret) = (fake.key_id("AKIA"), fake.secret());
    let mut lines: Vec<String> = (1..=300).map(|i| format!("setting_{i} = {}", i * 7)).collect();
    repo.stage("settings.py", settings(&lines));
    repo.assert_commits(&[]);

    lines[149] = format!("aws_access_key_id = {key}");
    repo.stage("settings.py", settings(&lines));
    repo.stage("new.ini", format!("[default]\naws_secret_access_key = {secret}\n"));
    repo.git(&["repack", "-a", "-d", "-f", "-q"]);
    let (_, new_is_delta) = packed_blob(&repo, ":settings.py");
    let (_, old_is_delta) = packed_blob(&repo, "HEAD:settings.py");
    assert!(new_is_delta || old_is_delta, "one version of settings.py is a delta of the other");
    packed_blob(&repo, ":new.ini");
    repo.assert_blocked(&[], "settings.py:150:21: aws.access-key-id:", &key)
        .assert_contains("new.ini:2:25: aws.secret-access-key:")
        .assert_lacks(&secret);

    // Clean staged contents, packed, pass.
    lines[149] = "aws_access_key_id = ${AWS_ACCESS_KEY_ID}".to_string();
    repo.stage("settings.py", settings(&lines));
    repo.stage("new.ini", "[default]\nregion = eu-west-1\n");
    repo.git(&["repack", "-a", "-d", "-f", "-q"]);
    packed_blob(&repo, ":settings.py");
    packed_blob(&repo, ":new.ini");
    repo.assert_commits(&[]);
}
