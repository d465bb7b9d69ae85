//! Archives committed as files: a key inside a deployment .zip, a nested .jar or a .tar.gz
//! is blocked like any other; zip bombs and corrupt archives stop the commit with exit 2.

mod util;

use std::io::Write;

use awsguard::fake::zip_of;
use util::{TestRepo, fake};
use zip::CompressionMethod::{Deflated, Stored};

fn lambda_handler() -> &'static [u8] {
    b"exports.handler = async (event) => ({ statusCode: 200 });\n"
}

#[test]
fn a_key_in_a_deflated_member_is_blocked() {
    let repo = TestRepo::with_hook();
    let secret = fake().secret();
    let env = format!("REGION=us-east-1\nAWS_SECRET_ACCESS_KEY={secret}\n");
    repo.stage("dist/lambda.zip", zip_of(&[("index.js", lambda_handler()), (".env", env.as_bytes())], Deflated));
    repo.assert_blocked(&[], "dist/lambda.zip!.env:2:23: aws.secret-access-key:", &secret);
}

#[test]
fn a_key_in_a_stored_member_is_blocked() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    repo.stage("app.jar", zip_of(&[("config/app.properties", format!("aws.accessKeyId={key}\n").as_bytes())], Stored));
    repo.assert_blocked(&[], "app.jar!config/app.properties:1:17:", &key);
}

#[test]
fn a_key_in_a_nested_archive_is_blocked() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("ASIA");
    let inner = zip_of(&[("creds.json", format!("{{\"AccessKeyId\": \"{key}\"}}").as_bytes())], Deflated);
    let middle = zip_of(&[("lib/inner.jar", &inner)], Deflated);
    let outer = zip_of(&[("README", b"hi\n"), ("WEB-INF/lib/middle.war", &middle)], Deflated);
    repo.stage("deploy.zip", outer);
    repo.assert_blocked(&[], "deploy.zip!WEB-INF/lib/middle.war!lib/inner.jar!creds.json:1:18:", &key);
}

#[test]
fn archives_are_recognised_by_content_not_name() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    repo.stage("blob.dat", zip_of(&[("k", format!("{key}\n").as_bytes())], Deflated));
    repo.assert_blocked(&[], "blob.dat!k:1:1:", &key);
}

#[test]
fn a_key_in_a_tar_gz_is_blocked() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    let content = format!("export AWS_ACCESS_KEY_ID={key}\n");
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, "scripts/deploy.sh", content.as_bytes()).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar.into_inner().unwrap()).unwrap();
    repo.stage("release.tgz", gz.finish().unwrap());
    repo.assert_blocked(&[], "release.tgz!scripts/deploy.sh:1:26:", &key);
}

#[test]
fn a_clean_archive_passes_and_a_renamed_one_is_not_rescanned() {
    let repo = TestRepo::with_hook();
    repo.stage("dist/app.zip", zip_of(&[("index.js", lambda_handler())], Deflated));
    repo.assert_commits(&[]);
    // An archive committed with a key (bypassing the hook), then only renamed: no new content.
    let key = fake().key_id("AKIA");
    repo.stage("old.zip", zip_of(&[("k.txt", format!("{key}\n").as_bytes())], Deflated));
    repo.commit_unchecked("archive with a key");
    repo.git(&["mv", "old.zip", "renamed.zip"]);
    repo.assert_commits(&[]);
    // Modified, it is scanned whole: the old member's key is in what is being committed.
    repo.stage("renamed.zip", zip_of(&[("k.txt", format!("{key}\n").as_bytes()), ("new.txt", b"x\n")], Deflated));
    repo.assert_blocked(&[], "renamed.zip!k.txt:1:1:", &key);
}

#[test]
fn a_zip_bomb_is_refused_with_exit_2_unless_listed() {
    let repo = TestRepo::with_hook();
    let bomb = zip_of(&[("zeros.bin", &vec![0u8; 64 << 20])], Deflated);
    assert!(bomb.len() < 1 << 20, "a real bomb: tiny compressed");
    repo.stage("bomb.zip", bomb);
    let run = repo.awsguard(&[]);
    run.assert_code(2).assert_contains("bomb.zip").assert_contains("ratio").assert_contains("[archives] unscanned");
    assert_ne!(repo.commit(&[]).code(), 0);
    assert_eq!(repo.head(), None);
    // Listing it explicitly lets it through after a raw scan, with a warning every time.
    repo.stage(".awsguard.toml", "[archives]\nunscanned = [\"bomb.zip\"]\n");
    repo.assert_commits(&[]).assert_contains("warning: bomb.zip");
}

#[test]
fn archive_bounds_come_from_config_and_flags() {
    let repo = TestRepo::new();
    let members: Vec<(String, Vec<u8>)> =
        (0..50).map(|i| (format!("f{i}.txt"), format!("file {i}\n").into_bytes())).collect();
    let refs: Vec<(&str, &[u8])> = members.iter().map(|(n, c)| (n.as_str(), c.as_slice())).collect();
    repo.stage("many.zip", zip_of(&refs, Deflated));
    repo.awsguard(&[]).assert_code(0);
    repo.awsguard(&["--archive-limits", "members=10"]).assert_code(2).assert_contains("more than 10");
    repo.stage(".awsguard.toml", "[archives]\nmax_members = 20\n");
    repo.awsguard(&[]).assert_code(2).assert_contains("more than 20");
    repo.awsguard(&["--archive-limits", "members=100"]).assert_code(0);
    repo.awsguard(&["--archive-limits", "members=100,bytes=100"]).assert_code(2).assert_contains("more than 100 bytes");
    repo.awsguard(&["--archive-limits", "nope=1"]).assert_code(2).assert_contains("unknown key");
}

#[test]
fn a_corrupt_archive_is_reported_clearly() {
    let repo = TestRepo::with_hook();
    let mut broken = zip_of(&[("a.txt", b"hello\n"), ("b.txt", b"world\n")], Deflated);
    let n = broken.len();
    broken.truncate(n - 30);
    repo.stage("broken.zip", broken);
    repo.awsguard(&[]).assert_code(2).assert_contains("broken.zip: the archive cannot be read");
    let mut garbage = b"PK\x03\x04".to_vec();
    garbage.extend((0..5000u32).map(|i| (i * 7 % 251) as u8));
    repo.stage("garbage.apk", garbage);
    repo.awsguard(&[]).assert_code(2).assert_contains("cannot be read");
}

#[test]
fn scan_and_history_open_archives_too() {
    let repo = TestRepo::new();
    let key = fake().key_id("AKIA");
    repo.write("pkg/layer.zip", zip_of(&[("python/settings.py", format!("KEY = '{key}'\n").as_bytes())], Deflated));
    repo.awsguard(&["scan", "pkg"]).assert_code(1).assert_contains("pkg/layer.zip!python/settings.py:1:8:");
    repo.add(&["pkg/layer.zip"]);
    repo.commit_unchecked("layer");
    repo.awsguard(&["history"]).assert_code(1).assert_contains(":pkg/layer.zip!python/settings.py:1:8:");
}
