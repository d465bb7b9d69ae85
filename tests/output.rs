//! What awsguard prints: JSON and SARIF documents, colour and secrets only on a terminal,
//! quiet output, and help that teaches.

mod schema;
mod util;

use std::path::Path;

use util::{TestRepo, awsguard_bin, fake};

fn staged_findings_repo() -> TestRepo {
    let repo = TestRepo::new();
    let mut fake = fake();
    repo.write(
        "app/config.json",
        format!("{{\"AccessKeyId\": \"{}\", \"SecretAccessKey\": \"{}\"}}\n", fake.key_id("AKIA"), fake.secret()),
    );
    repo.write("dir with space/ünï.env", format!("AWS_SESSION_TOKEN={}\n", fake.session_token()));
    repo.git(&["add", "-A"]);
    repo
}

#[test]
fn json_output_is_one_parseable_document() {
    let repo = staged_findings_repo();
    let run = repo.awsguard(&["--format", "json"]);
    run.assert_code(1);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout()).expect("stdout is JSON");
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 3);
    assert_eq!(doc["credentials"], 2, "the key ID and its secret are one credential");
    let first = &findings[0];
    for field in ["path", "line", "column", "rule", "kind", "redacted", "fingerprint", "account_id"] {
        assert!(first.get(field).is_some(), "missing {field}");
    }
    assert!(first["fingerprint"].as_str().unwrap().starts_with("sha256:"));
    // A clean run is an empty document, still JSON.
    let clean = TestRepo::new();
    let doc: serde_json::Value = serde_json::from_str(&clean.awsguard(&["--format", "json"]).stdout()).unwrap();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json"))
            .unwrap(),
    )
    .unwrap();
    let repo = staged_findings_repo();
    for args in [&["--format", "sarif"][..], &["history", "--format", "sarif"][..]] {
        if args[0] == "history" {
            repo.commit_unchecked("with keys");
        }
        let run = repo.awsguard(args);
        run.assert_code(1);
        let log: serde_json::Value = serde_json::from_str(&run.stdout()).expect("stdout is JSON");
        let errors = schema::errors(&schema, &log);
        assert!(errors.is_empty(), "SARIF schema errors: {errors:#?}");
        let mut bad = log.clone();
        bad["runs"][0]["results"][0]["level"] = "fatal".into();
        bad["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0.into();
        assert_eq!(schema::errors(&schema, &bad).len(), 2, "the validator sees what the schema forbids");
        let results = log["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 3);
        assert!(results.iter().all(|r| r["partialFingerprints"].is_object()
            && r["locations"][0]["physicalLocation"]["region"]["startLine"].is_u64()));
        let uri = results
            .iter()
            .map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap())
            .collect::<Vec<_>>();
        assert!(uri.contains(&"dir%20with%20space/%C3%BCn%C3%AF.env"), "{uri:?}");
        assert!(
            log["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap().iter().all(|r| r["help"]["text"].is_string())
        );
    }
}

/// Runs awsguard with `args` on a pseudo-terminal made by script(1), with `NO_COLOR` set to
/// `no_color` if given; returns what the terminal showed. `None` when script(1) is missing.
fn on_a_terminal(repo: &TestRepo, args: &str, no_color: Option<&str>) -> Option<String> {
    let Some(script) = util::find_on_path("script") else {
        eprintln!("SKIPPED (terminal part): script(1) is not installed");
        return None;
    };
    let mut cmd = repo.command(script);
    cmd.args(["-qec", &format!("'{}' {args}", awsguard_bin().display()), "/dev/null"]);
    if let Some(v) = no_color {
        cmd.env("NO_COLOR", v);
    }
    let out = cmd.output().unwrap();
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let repo = staged_findings_repo();
    assert!(!repo.awsguard(&[]).stdout().contains('\x1b'), "no colour into a pipe");
    assert!(repo.awsguard(&["--color", "always"]).stdout().contains('\x1b'));
    assert!(!repo.awsguard(&["--color", "never"]).stdout().contains('\x1b'));
    let mut cmd = repo.command(awsguard_bin());
    cmd.env("NO_COLOR", "1").args(["--color", "always"]);
    assert!(String::from_utf8_lossy(&cmd.output().unwrap().stdout).contains('\x1b'), "--color always wins");
    // On a real terminal: colour, unless NO_COLOR is set (and not empty).
    if let Some(shown) = on_a_terminal(&repo, "", None) {
        assert!(shown.contains("aws.access-key-id"), "{shown}");
        assert!(shown.contains('\x1b'), "colour on a terminal: {shown}");
        assert!(!on_a_terminal(&repo, "", Some("1")).unwrap().contains('\x1b'), "NO_COLOR turns it off");
        assert!(on_a_terminal(&repo, "", Some("")).unwrap().contains('\x1b'), "an empty NO_COLOR does not");
    }
}

/// `--show-secrets` shows them on a terminal only; `--show-secrets=always` on a pipe too.
/// Whether `cargo test` itself runs on a terminal makes no difference: the terminal here is
/// one the test makes.
#[test]
fn show_secrets_shows_them_on_a_terminal_only() {
    let repo = TestRepo::new();
    let key = fake().key_id("AKIA");
    repo.stage("k.txt", format!("{key}\n"));
    repo.awsguard(&["--show-secrets"]).assert_code(1).assert_contains("k.txt:1:1:").assert_lacks(&key);
    repo.awsguard(&["--show-secrets=always"]).assert_code(1).assert_contains(&key);
    repo.awsguard(&[]).assert_code(1).assert_lacks(&key);
    if let Some(shown) = on_a_terminal(&repo, "--color never --show-secrets", None) {
        assert!(shown.contains("k.txt:1:1:") && shown.contains(&key), "shown on a terminal: {shown}");
        let hidden = on_a_terminal(&repo, "--color never", None).unwrap();
        assert!(hidden.contains("k.txt:1:1:") && !hidden.contains(&key), "not asked for: {hidden}");
    }
}

#[test]
fn quiet_prints_findings_only() {
    let repo = staged_findings_repo();
    let run = repo.awsguard(&["--quiet"]);
    run.assert_code(1).assert_lacks("awsguard: commit blocked").assert_lacks("rotate");
    assert_eq!(run.stdout().lines().count(), 3);
}

#[test]
fn help_teaches_and_version_answers() {
    let repo = TestRepo::new();
    let help = repo.awsguard(&["--help"]);
    help.assert_code(0);
    for needle in
        ["pre-push", "history", "allow", "EXIT STATUS", "--format", "NO_COLOR", ".awsguard.toml", "--no-verify"]
    {
        help.assert_contains(needle);
    }
    repo.awsguard(&["--version"]).assert_code(0).assert_contains(env!("CARGO_PKG_VERSION"));
    repo.awsguard(&["--frobnicate"]).assert_code(2).assert_contains("--help");
}
