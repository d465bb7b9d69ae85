//! Unit tests of the argument parser.
use super::*;

/// Parses as if stdout were a pipe and NO_COLOR unset, whatever runs the tests.
fn parse(args: &[&str]) -> Result<Args> {
    parse_in(args.iter().map(OsString::from), Surroundings { stdout_is_terminal: false, no_color: false })
}

#[test]
fn no_command_means_pre_commit() {
    assert!(matches!(parse(&[]).unwrap().command, Command::PreCommit(f) if f.is_empty()));
    assert!(matches!(parse(&["pre-commit", "--quiet"]).unwrap().command, Command::PreCommit(f) if f.is_empty()));
}

#[test]
fn allow_takes_fingerprint_and_options() {
    let args =
        parse(&["allow", "sha256:0123456789abcdef", "--reason", "fixture", "--rule", "aws.access-key-id"]).unwrap();
    let Command::Allow(a) = args.command else { panic!() };
    assert_eq!(a.fingerprints, vec!["sha256:0123456789abcdef"]);
    assert_eq!(a.reason.as_deref(), Some("fixture"));
    assert_eq!(a.rules, vec!["aws.access-key-id"]);
    let args = parse(&["allow", "sha256:0123456789abcdef", "sha256:fedcba9876543210", "--reason", "r"]).unwrap();
    let Command::Allow(a) = args.command else { panic!() };
    assert_eq!(a.fingerprints, vec!["sha256:0123456789abcdef", "sha256:fedcba9876543210"]);
}

#[test]
fn hook_commands_take_what_git_passes() {
    let Command::PrePush(remote) = parse(&["pre-push", "origin", "git@example.com:x.git"]).unwrap().command else {
        panic!()
    };
    assert_eq!(remote.as_deref(), Some("origin"));
    assert!(matches!(parse(&["pre-receive"]).unwrap().command, Command::PreReceive(None)));
    let Command::PreReceive(Some(update)) = parse(&["update", "refs/heads/main", "a", "b"]).unwrap().command else {
        panic!()
    };
    assert_eq!(update, ["refs/heads/main", "a", "b"]);
    assert!(parse(&["update", "refs/heads/main"]).is_err());
    assert!(parse(&["update", "r", "a", "b", "c"]).is_err());
    let Command::History { range, all } = parse(&["history", "--all"]).unwrap().command else { panic!() };
    assert!(all && range.is_none());
    assert!(parse(&["history", "HEAD", "--all"]).is_err());
    assert!(parse(&["scan", "--all"]).is_err(), "--all is history's");
    let Command::CommitMsg(p) = parse(&["commit-msg", ".git/COMMIT_EDITMSG"]).unwrap().command else { panic!() };
    assert_eq!(p, PathBuf::from(".git/COMMIT_EDITMSG"));
    assert!(parse(&["commit-msg"]).is_err());
    let Command::PreCommit(f) = parse(&["pre-commit", "a.js", "b/c.json"]).unwrap().command else { panic!() };
    assert_eq!(f, vec![OsString::from("a.js"), OsString::from("b/c.json")]);
    assert!(matches!(parse(&[]).unwrap().command, Command::PreCommit(f) if f.is_empty()));
    let Command::History { range, all } = parse(&["history", "origin/main..HEAD"]).unwrap().command else { panic!() };
    assert_eq!((range.as_deref(), all), (Some("origin/main..HEAD"), false));
    let Command::Scan(p) = parse(&["scan", "a", "-"]).unwrap().command else { panic!() };
    assert_eq!(p, vec![OsString::from("a"), OsString::from("-")]);
    let Command::Install(i) = parse(&["install", "--hook", "all", "--hook", "pre-push"]).unwrap().command else {
        panic!()
    };
    assert_eq!(i.hooks, vec![Hook::PreCommit, Hook::PrePush, Hook::CommitMsg]);
    let Command::Install(i) = parse(&["install"]).unwrap().command else { panic!() };
    assert_eq!(i.hooks, vec![Hook::PreCommit, Hook::PrePush], "pre-push by default, for what --no-verify let through");
    let Command::Uninstall(u) = parse(&["uninstall"]).unwrap().command else { panic!() };
    assert_eq!(u.hooks, ALL_HOOKS, "uninstall removes every hook install may have added");
}

#[test]
fn rules_takes_show() {
    assert!(matches!(parse(&["rules"]).unwrap().command, Command::Rules(None)));
    let Command::Rules(id) = parse(&["rules", "--show", "aws.access-key-id"]).unwrap().command else { panic!() };
    assert_eq!(id.as_deref(), Some("aws.access-key-id"));
    assert!(parse(&["scan", "--show", "aws.access-key-id"]).is_err());
    assert!(parse(&["rules", "--show"]).is_err());
}

#[test]
fn each_command_takes_only_its_own_options() {
    let err = |args: &[&str]| parse(args).unwrap_err().to_string();
    assert!(
        err(&["rules", "--global", "--reason", "y", "--hook", "all"])
            .contains("`awsguard rules` does not take --global")
    );
    assert!(err(&["scan", "--hook", "all"]).contains("it is an option of `awsguard install`"));
    assert!(err(&["install", "--format", "json"]).contains("does not take --format"));
    assert!(err(&["--fromat", "json"]).contains("did you mean format?"));
    assert!(err(&["scna"]).contains("did you mean scan?"));
    assert!(parse(&["history", "--format", "sarif", "origin/main..HEAD"]).is_ok());
    assert!(parse(&["--format", "json", "scan", "."]).is_ok(), "scan options may come before the command");
    assert!(matches!(parse(&["version"]).unwrap().command, Command::Version));
    let help = |args: &[&str]| match parse(args).unwrap().command {
        Command::Help(topic) => topic.map(|t| t.name),
        other => panic!("{other:?}"),
    };
    assert_eq!(help(&["help", "scan"]), Some("scan"));
    assert_eq!(help(&["scan", "--help"]), Some("scan"));
    assert_eq!(help(&["install", "-h"]), Some("install"));
    assert_eq!(help(&["--help"]), None);
    assert_eq!(help(&["help"]), None);
    assert!(help_text(commands::find("scan")).contains("--format FORMAT"));
    assert!(!help_text(commands::find("rules")).contains("--format"));
}

#[test]
fn bad_arguments_are_errors() {
    assert!(parse(&["--format", "xml"]).is_err());
    assert!(parse(&["frobnicate"]).is_err());
    assert!(parse(&["--nope"]).is_err());
}

#[test]
fn show_secrets_off_a_terminal_needs_always() {
    let parse_on = |terminal: bool, args: &[&str]| {
        let surroundings = Surroundings { stdout_is_terminal: terminal, no_color: false };
        parse_in(args.iter().map(OsString::from), surroundings).unwrap()
    };
    assert!(!parse_on(false, &["--show-secrets"]).show_secrets);
    assert!(parse_on(true, &["--show-secrets"]).show_secrets);
    assert!(parse_on(false, &["--show-secrets=always"]).show_secrets);
    assert!(!parse_on(true, &[]).show_secrets);
    // Colour follows the terminal and NO_COLOR unless an option says otherwise.
    assert!(parse_on(true, &[]).color && !parse_on(false, &[]).color);
    let no_color = Surroundings { stdout_is_terminal: true, no_color: true };
    assert!(!parse_in(std::iter::empty(), no_color).unwrap().color);
}
