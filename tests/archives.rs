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

/// A program that handles zips (sqlite3, zip, a JVM) holds the signatures as constants: its
/// binary is not an archive, and committing it must neither fail nor dump its bytes.
#[test]
fn zip_signatures_inside_a_program_are_not_an_archive() {
    let repo = TestRepo::with_hook();
    let mut program = b"\x7fELF\x02\x01\x01\0".to_vec();
    program.extend((0..4000u32).map(|i| (i * 13 % 251) as u8));
    // A local header signature followed by code: method 0xbeef, a name of control bytes.
    program.extend(b"PK\x03\x04\x14\0\0\0\xef\xbe");
    program.extend([0x01u8; 16]);
    program.extend([0x40u8, 0x00, 0x00, 0x00]);
    program.extend((0..3000u32).map(|i| (i * 31 % 29) as u8));
    // An end record signature followed by data that claims 25,710 entries.
    program.extend(b"PK\x05\x06\0\0\0\0\x6e\x64\x6e\x64\x10\x27\0\0\x20\x4e\0\0\0\0");
    program.extend((0..500u32).map(|i| (i * 7 % 251) as u8));
    repo.stage("bin/tool", program.clone());
    // And one whose end record claims no entries: only the local header signature is left.
    let mut other = program[..program.len() - 522].to_vec();
    other.extend(b"PK\x05\x06");
    other.extend([0u8; 18]);
    repo.stage("bin/other", other);
    repo.commit(&[]).assert_code(0);
    assert!(repo.head().is_some(), "the programs were committed");
    // The same bytes in a file that starts as a zip are an archive, and still fail closed.
    let mut jar = b"PK\x03\x04".to_vec();
    jar.extend(&program[4..]);
    repo.stage("bin/tool.jar", jar);
    repo.commit(&[]).assert_code(1).assert_contains("bin/tool.jar: the archive exceeds a bound");
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

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn tar_with(build: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    build(&mut tar);
    tar.into_inner().unwrap()
}

fn tar_file(tar: &mut tar::Builder<Vec<u8>>, name: &str, content: &[u8], kind: tar::EntryType) {
    let mut header = tar::Header::new_ustar();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    header.set_entry_type(kind);
    header.set_cksum();
    tar.append_data(&mut header, name, content).unwrap();
}

#[test]
fn a_key_in_a_second_gzip_member_is_blocked() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    let mut both = gzip(b"region = eu-west-1\n");
    both.extend(gzip(format!("aws_access_key_id = {key}\n").as_bytes()));
    repo.stage("logs/app.log.gz", both);
    repo.assert_blocked(&[], "logs/app.log.gz!(gzip content):2:21:", &key);
}

#[test]
fn text_after_the_end_of_a_gzip_is_scanned() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    let mut blob = gzip(b"nothing here\n");
    blob.extend(format!("\nAWS_ACCESS_KEY_ID={key}\n").as_bytes());
    repo.stage("data.gz", blob);
    repo.assert_blocked(&[], "data.gz:", &key);
}

#[test]
fn text_after_the_end_of_a_tar_is_scanned() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    let mut blob = tar_with(|t| tar_file(t, "readme.txt", b"hello\n", tar::EntryType::Regular));
    blob.extend(format!("AWS_ACCESS_KEY_ID={key}\n").as_bytes());
    repo.stage("bundle.tar", blob);
    repo.assert_blocked(&[], "bundle.tar:", &key);
}

#[test]
fn a_key_in_a_zip_comment_is_blocked() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    let mut zip = zip_of(&[("index.js", lambda_handler())], Deflated);
    let comment = format!("deployed with {key}");
    let at = zip.len() - 2;
    zip[at..].copy_from_slice(&(comment.len() as u16).to_le_bytes());
    zip.extend(comment.as_bytes());
    repo.stage("lambda.zip", zip);
    repo.assert_blocked(&[], "lambda.zip:", &key);
}

#[test]
fn a_key_in_a_gzip_header_is_blocked() {
    for field in ["comment", "extra", "filename"] {
        let repo = TestRepo::with_hook();
        let key = fake().key_id("AKIA");
        let text = format!(" {key} ");
        let builder = flate2::GzBuilder::new();
        let builder = match field {
            "comment" => builder.comment(text.as_bytes()),
            "extra" => builder.extra(text.as_bytes()),
            _ => builder.filename(text.as_bytes()),
        };
        let mut gz = builder.write(Vec::new(), flate2::Compression::default());
        gz.write_all(b"plain\n").unwrap();
        repo.stage("notes.gz", gz.finish().unwrap());
        repo.assert_blocked(&[], "notes.gz:", &key);
    }
}

#[test]
fn a_key_in_a_tar_pax_header_is_blocked() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    let tar = tar_with(|t| {
        t.append_pax_extensions([("comment", format!("AWS_ACCESS_KEY_ID={key}").as_bytes())]).unwrap();
        tar_file(t, "a.txt", b"a\n", tar::EntryType::Regular);
    });
    repo.stage("release.tgz", gzip(&tar));
    repo.assert_blocked(&[], "release.tgz:", &key);
}

#[test]
fn a_key_in_a_tar_member_of_an_unusual_type_is_blocked() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    let content = format!("AWS_ACCESS_KEY_ID={key}\n");
    let tar = tar_with(|t| tar_file(t, "odd", content.as_bytes(), tar::EntryType::new(b'Z')));
    repo.stage("odd.tar.gz", gzip(&tar));
    repo.assert_blocked(&[], "odd.tar.gz!odd:1:19:", &key);
}

#[test]
fn a_self_executing_jar_is_opened_behind_its_launcher_script() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    let mut jar = b"#!/bin/bash\n# launcher\nexec java -jar \"$0\" \"$@\"\n".to_vec();
    let props = format!("cloud.aws.credentials.access-key={key}\n");
    jar.extend(zip_of(&[("BOOT-INF/classes/application.properties", props.as_bytes())], Deflated));
    repo.stage("app.jar", jar);
    repo.assert_blocked(&[], "app.jar!BOOT-INF/classes/application.properties:1:34:", &key);
}

#[test]
fn a_deflated_entry_the_central_directory_does_not_list_is_blocked() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    let hidden = zip_of(&[("hidden.env", format!("AWS_ACCESS_KEY_ID={key}\n").as_bytes())], Deflated);
    let central = hidden.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    let mut blob = hidden[..central].to_vec();
    blob.extend(zip_of(&[("index.js", lambda_handler())], Deflated));
    repo.stage("lambda.zip", blob);
    repo.assert_blocked(&[], "lambda.zip!hidden.env (not in the central directory):1:19:", &key);
}

#[test]
fn an_archive_nested_deeper_than_the_bound_blocks_with_exit_2() {
    let repo = TestRepo::with_hook();
    let mut nested = zip_of(&[("clean.txt", b"nothing\n")], Deflated);
    for level in 0..3 {
        nested = zip_of(&[(&format!("level{level}.zip"), &nested)], Deflated);
    }
    repo.stage("deep.zip", nested);
    repo.awsguard(&[]).assert_code(2).assert_contains("nested more than 3 deep").assert_contains("deep.zip");
    assert_ne!(repo.commit(&[]).code(), 0);
    repo.awsguard(&["--archive-limits", "depth=4"]).assert_code(0);
}

#[test]
fn a_text_file_that_only_looks_like_a_tar_is_scanned_as_text() {
    let repo = TestRepo::with_hook();
    let mut js = b"'use strict'\n/* tar-stream headers.js */\n".to_vec();
    js.resize(257, b' ');
    js.extend(b"ustar\\x00\\x00' : 'ustar\\x0000'\nexports.encode = function () {}\n");
    repo.stage("node_modules/tar-stream/headers.js", &js);
    repo.assert_commits(&[]);
    let key = fake().key_id("AKIA");
    js.extend(format!("const id = '{key}'\n").as_bytes());
    repo.stage("node_modules/tar-stream/headers.js", &js);
    repo.assert_blocked(&[], "node_modules/tar-stream/headers.js:5:13:", &key);
}

#[test]
fn xz_bzip2_and_tars_in_them_are_opened() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    let env = format!("AWS_ACCESS_KEY_ID={key}\n");
    let tar = tar_with(|t| tar_file(t, "app/.env", env.as_bytes(), tar::EntryType::Regular));
    let xz = |bytes: &[u8]| {
        let mut out = Vec::new();
        lzma_rs::xz_compress(&mut &bytes[..], &mut out).unwrap();
        out
    };
    let bz = |bytes: &[u8]| {
        let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    };
    for (name, blob, location) in [
        ("dump.xz", xz(env.as_bytes()), "dump.xz!(xz content):1:19:"),
        ("dump.bz2", bz(env.as_bytes()), "dump.bz2!(bzip2 content):1:19:"),
        ("app.tar.xz", xz(&tar), "app.tar.xz!app/.env:1:19:"),
        ("app.tar.bz2", bz(&tar), "app.tar.bz2!app/.env:1:19:"),
    ] {
        repo.stage(name, blob);
        repo.assert_blocked(&[], location, &key);
        repo.git(&["rm", "--cached", "-q", name]);
    }
    // A damaged compressed stream could hide anything: exit 2.
    let mut broken = bz(env.as_bytes());
    broken.truncate(broken.len() - 6);
    repo.stage("broken.bz2", broken);
    repo.awsguard(&[]).assert_code(2).assert_contains("broken.bz2: the archive cannot be read");
}

#[test]
fn a_key_split_across_office_xml_runs_is_joined() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    let (head, tail) = key.split_at(9);
    let doc = format!(
        "<?xml version=\"1.0\"?><w:document><w:body><w:p><w:r><w:t>Access key: {head}</w:t></w:r>\
         <w:proofErr w:type=\"spellStart\"/><w:r><w:rPr><w:b/></w:rPr><w:t>{tail}</w:t></w:r></w:p></w:body></w:document>"
    );
    repo.stage("handover.docx", zip_of(&[("word/document.xml", doc.as_bytes())], Deflated));
    repo.assert_blocked(&[], "handover.docx!word/document.xml:1:13:", &key);
    repo.git(&["rm", "--cached", "-q", "handover.docx"]);
    let strings = format!("<sst><si><t>id</t></si><si><r><t>{head}</t></r><r><rPr/><t>{tail}</t></r></si></sst>");
    repo.stage("keys.xlsx", zip_of(&[("xl/sharedStrings.xml", strings.as_bytes())], Deflated));
    repo.assert_blocked(&[], "keys.xlsx!xl/sharedStrings.xml:2:1:", &key);
}

#[test]
fn a_key_in_a_pdf_flate_stream_is_blocked() {
    let repo = TestRepo::with_hook();
    let key = fake().key_id("AKIA");
    let page = format!("BT /F1 12 Tf 72 712 Td (Access key ID: {key}) Tj ET\n");
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    zlib.write_all(page.as_bytes()).unwrap();
    let stream = zlib.finish().unwrap();
    let mut pdf =
        format!("%PDF-1.4\n1 0 obj\n<< /Length {} /Filter /FlateDecode >>\nstream\n", stream.len()).into_bytes();
    pdf.extend(&stream);
    pdf.extend(b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
    repo.stage("handover.pdf", pdf);
    repo.assert_blocked(&[], "handover.pdf!(stream 1):1:40:", &key);
}
