//! The command line as a user meets it: help, mistakes, and what a clean run says.

mod util;

use util::{TestRepo, fake};

#[test]
fn help_for_a_command_and_mistakes_with_suggestions() {
    let repo = TestRepo::new();
    repo.awsguard(&["help", "scan"]).assert_code(0).assert_contains("awsguard scan [PATH...]").assert_lacks("--hook");
    repo.awsguard(&["scan", "--help"]).assert_code(0).assert_contains("awsguard scan [PATH...]");
    repo.awsguard(&["version"]).assert_code(0).assert_contains(env!("CARGO_PKG_VERSION"));
    repo.awsguard(&["rules", "--global", "--reason", "y", "--hook", "all"])
        .assert_code(2)
        .assert_contains("`awsguard rules` does not take --global");
    repo.awsguard(&["histroy"]).assert_code(2).assert_contains("did you mean history?");
    repo.awsguard(&["scan", "--fromat", "json"]).assert_code(2).assert_contains("did you mean format?");
}

#[test]
fn errors_of_other_commands_do_not_advise_no_verify() {
    let repo = TestRepo::new();
    let run = repo.awsguard(&["scan", "no-such-file"]);
    run.assert_code(2).assert_contains("no-such-file").assert_lacks("--no-verify");
    let run = repo.awsguard(&["history", "no-such-rev"]);
    run.assert_code(2).assert_lacks("--no-verify");
    // A hook's error still says how to go ahead once.
    repo.write(".git/MERGE_HEAD", "not an object id\n");
    repo.awsguard(&["pre-commit"]).assert_code(2).assert_contains("git commit --no-verify");
}

#[test]
fn clean_scan_and_history_say_so_on_stderr() {
    let repo = TestRepo::new();
    repo.stage("a.txt", "clean\n");
    repo.commit_unchecked("clean");
    let scan = repo.awsguard(&["scan", "a.txt"]);
    scan.assert_code(0);
    assert_eq!(scan.stderr(), "awsguard: scan: no AWS credentials in 1 file\n");
    assert_eq!(scan.stdout(), "", "stdout stays for findings");
    let history = repo.awsguard(&["history"]);
    history.assert_code(0);
    assert!(history.stderr().contains("no AWS credentials in what HEAD's history added"), "{}", history.stderr());
    // With findings there is no such line, and --quiet silences it.
    repo.write("k.txt", format!("{}\n", fake().key_id("AKIA")));
    repo.awsguard(&["scan", "k.txt"]).assert_code(1).assert_lacks("no AWS credentials");
    assert_eq!(repo.awsguard(&["scan", "--quiet", "a.txt"]).stderr(), "");
}
