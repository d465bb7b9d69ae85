//! `awsguard scan`: files on disk, walked as git sees the tree.

mod util;

use util::{TestRepo, fake};

#[test]
fn nested_gitignore_and_info_exclude_are_honoured_and_dotfiles_scanned() {
    let repo = TestRepo::new();
    let mut fake = fake();
    let keys: Vec<String> = (0..5).map(|_| fake.key_id("AKIA")).collect();
    repo.write(".gitignore", "*.log\n");
    repo.write("pkg/.gitignore", "generated/\n");
    repo.write("pkg/debug.log", format!("{}\n", keys[4]));
    repo.write("pkg/generated/out.txt", format!("{}\n", keys[0]));
    repo.write("local/notes.txt", format!("{}\n", keys[1]));
    std::fs::write(repo.root.join(".git/info/exclude"), "local/\n").unwrap();
    repo.write("pkg/.env", format!("AWS_ACCESS_KEY_ID={}\n", keys[2]));
    repo.write("pkg/src/app.py", format!("KEY = '{}'\n", keys[3]));
    let run = repo.awsguard(&["scan"]);
    run.assert_code(1)
        .assert_contains("pkg/.env:1:")
        .assert_contains("pkg/src/app.py:1:")
        .assert_lacks("generated/out.txt")
        .assert_lacks("local/notes.txt")
        .assert_lacks("debug.log");
    // A walk of a subdirectory honours the .gitignore files above it too.
    repo.awsguard(&["scan", "pkg"]).assert_code(1).assert_lacks("generated/out.txt").assert_lacks("debug.log");
    // A path named explicitly is scanned whatever git ignores, as ripgrep does.
    repo.awsguard(&["scan", "pkg/generated/out.txt"]).assert_code(1).assert_contains("pkg/generated/out.txt:1:1:");
    repo.awsguard(&["scan", "pkg/generated"]).assert_code(1).assert_contains("pkg/generated/out.txt:1:1:");
}

#[cfg(unix)]
#[test]
fn a_symlink_named_on_the_command_line_is_followed_and_a_dangling_one_is_an_error() {
    let repo = TestRepo::new();
    let key = fake().key_id("AKIA");
    repo.write("real/config.ini", format!("aws_access_key_id = {key}\n"));
    std::os::unix::fs::symlink("real/config.ini", repo.root.join("link.ini")).unwrap();
    repo.awsguard(&["scan", "link.ini"]).assert_code(1).assert_contains("link.ini:1:");
    std::os::unix::fs::symlink("nowhere.ini", repo.root.join("dangling.ini")).unwrap();
    repo.awsguard(&["scan", "dangling.ini"]).assert_code(2).assert_contains("dangling.ini");
    // In a walk, links are not followed: the file is reported once, at its own path.
    let run = repo.awsguard(&["scan", "--format", "json"]);
    run.assert_code(1).assert_contains("real/config.ini").assert_lacks("\"link.ini\"");
}

#[test]
fn git_decides_what_is_ignored_negations_across_files_tracked_files_and_nested_repositories() {
    let repo = TestRepo::new();
    let mut fake = fake();
    let keys: Vec<String> = (0..5).map(|_| fake.key_id("AKIA")).collect();
    // A `!pattern` in a deeper .gitignore re-includes what a shallower one ignores (git
    // commits `conf/keep.tmp`; libgit2 would call it ignored).
    repo.write(".gitignore", "*.tmp\nvendor/\n");
    repo.write("conf/.gitignore", "!keep.tmp\n");
    repo.write("conf/keep.tmp", format!("{}\n", keys[0]));
    repo.write("conf/drop.tmp", format!("{}\n", keys[1]));
    // A tracked file is recorded by git whatever the patterns say.
    repo.write("tracked.tmp", format!("{}\n", keys[2]));
    repo.git(&["add", "-f", "tracked.tmp"]);
    // A nested repository: its own rules apply below it, the outer ones do not.
    repo.write("nested/.gitignore", "*.log\n");
    repo.git(&["init", "-q", "nested"]);
    repo.write("nested/a.tmp", format!("{}\n", keys[3]));
    repo.write("nested/b.log", format!("{}\n", keys[4]));
    repo.write("vendor/c.txt", format!("{}\n", keys[4]));
    let run = repo.awsguard(&["scan"]);
    run.assert_code(1)
        .assert_contains("conf/keep.tmp:1:")
        .assert_contains("tracked.tmp:1:")
        .assert_contains("nested/a.tmp:1:")
        .assert_lacks("conf/drop.tmp")
        .assert_lacks("nested/b.log")
        .assert_lacks("vendor/c.txt");
}
