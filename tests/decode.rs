//! Encoded credentials, end to end through real commits: base64 (Kubernetes secrets, CI
//! variables, basic auth, wrapped lines), hex, `\u`, HTML, percent and doubly JSON escapes,
//! nested encodings, binary containers storing key and secret back to back, and the
//! near-misses that must still pass.

mod util;

use awsguard::decode::base64::encode;
use awsguard::fake::quoted_printable_line;
use util::{TestRepo, fake};

fn b64(text: &str) -> String {
    String::from_utf8(encode(text.as_bytes())).unwrap()
}

/// Every character as `%XX`: nothing of the value is left for a raw scan.
fn percent_all(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

fn json_u_escaped(text: &str) -> String {
    text.replace('/', "\\u002F").replace('+', "\\u002B")
}

fn html_escaped(text: &str) -> String {
    text.replace('/', "&#x2F;").replace('+', "&#43;")
}

/// A secret with both `/` and `+` in it, so every escape has something to escape.
fn secret_with_slash(fake: &mut awsguard::fake::Fake) -> String {
    let s = fake.secret();
    format!("{}/{}+{}", &s[..12], &s[13..30], &s[31..])
}

#[test]
fn a_kubernetes_secret_with_base64_data_is_blocked() {
    let repo = TestRepo::with_hook();
    let mut fake = fake();
    let (id, secret) = (fake.key_id("AKIA"), fake.secret());
    repo.stage(
        "deploy/aws-secret.yaml",
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: aws-credentials\ntype: Opaque\ndata:\n  \
             AWS_ACCESS_KEY_ID: {}\n  AWS_SECRET_ACCESS_KEY: {}\n",
            b64(&id),
            b64(&secret)
        ),
    );
    let run = repo.assert_blocked(&[], "deploy/aws-secret.yaml:7:22: aws.access-key-id:", &id);
    run.assert_contains("deploy/aws-secret.yaml:8:26: aws.secret-access-key").assert_contains("base64-encoded");
    run.assert_lacks(&secret).assert_lacks(&b64(&secret));
}

#[test]
fn a_base64_ci_variable_holding_a_credentials_file_is_blocked() {
    let repo = TestRepo::with_hook();
    let mut fake = fake();
    let (id, secret) = (fake.key_id("AKIA"), fake.secret());
    let file = format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\nregion = eu-west-1\n");
    repo.stage(".gitlab-ci.yml", format!("variables:\n  AWS_CREDENTIALS_B64: \"{}\"\n", b64(&file)));
    let run = repo.assert_blocked(&[], ".gitlab-ci.yml:2:25: aws.access-key-id:", &id);
    run.assert_contains("aws.secret-access-key:").assert_lacks(&secret);
}

#[test]
fn wrapped_base64_is_decoded_across_lines() {
    let mut fake = fake();
    let (id, secret) = (fake.key_id("AKIA"), fake.secret());
    let file = format!("# {}\n[default]\naws_access_key_id={id}\naws_secret_access_key={secret}\n", "=".repeat(90));
    let encoded = b64(&file);
    let wrapped: Vec<&str> = encoded.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>();
    // `base64 -w 76` output, the same as a YAML block scalar, and pasted into a JSON string.
    for (path, text) in [
        ("creds.b64", format!("{}\n", wrapped.join("\n"))),
        ("values.yaml", format!("aws:\n  blob: |\n    {}\n  region: x\n", wrapped.join("\n    "))),
        ("vars.json", format!("{{\"blob\": \"{}\"}}\n", wrapped.join("\\n"))),
    ] {
        let repo = TestRepo::with_hook();
        repo.stage(path, text);
        repo.assert_blocked(&[], &format!("{path}:"), &secret).assert_contains("base64-encoded");
    }
}

#[test]
fn basic_auth_and_base64_json_are_blocked() {
    let repo = TestRepo::with_hook();
    let mut fake = fake();
    let (id, secret) = (fake.key_id("AKIA"), fake.secret());
    repo.stage(
        "call.sh",
        format!("curl -H 'Authorization: Basic {}' https://example.com/\n", b64(&format!("{id}:{secret}"))),
    );
    repo.assert_blocked(&[], "call.sh:1:31: aws.access-key-id:", &id).assert_lacks(&secret);
    repo.git(&["rm", "-q", "--cached", "call.sh"]);
    let json = format!("{{\"accessKeyId\":\"{id}\",\"secretAccessKey\":\"{secret}\",\"region\":\"us-east-1\"}}");
    repo.stage("config.env", format!("CONFIG_JSON_B64={}\n", b64(&json)));
    repo.assert_blocked(&[], "config.env:1:17: aws.access-key-id:", &id).assert_contains("aws.secret-access-key");
}

#[test]
fn unicode_escaped_secret_in_json_is_blocked() {
    let repo = TestRepo::with_hook();
    let mut fake = fake();
    let secret = secret_with_slash(&mut fake);
    repo.stage("settings.json", format!("{{\n  \"aws_secret_access_key\": \"{}\"\n}}\n", json_u_escaped(&secret)));
    repo.assert_blocked(&[], "settings.json:2:29: aws.secret-access-key:", &secret).assert_contains("\\u-escaped");
    // The key ID beside it in the same escaped run is found raw; the secret still counts.
    let repo = TestRepo::with_hook();
    let id = fake.key_id("AKIA");
    repo.stage("c.js", format!("const c = \"id={id}&aws_secret_access_key={}\";\n", json_u_escaped(&secret)));
    repo.assert_blocked(&[], "c.js:1:", &secret)
        .assert_contains("aws.secret-access-key")
        .assert_contains("\\u-escaped");
    // `\x2F` too (JavaScript, Python).
    let repo = TestRepo::with_hook();
    repo.stage("cfg.js", format!("const awsSecretAccessKey = \"{}\";\n", secret.replace('/', "\\x2F")));
    repo.assert_blocked(&[], "cfg.js:1:", &secret).assert_contains("aws.secret-access-key");
}

#[test]
fn html_escaped_secret_in_a_page_or_xml_is_blocked() {
    let mut fake = fake();
    let secret = secret_with_slash(&mut fake);
    for (path, text) in [
        (
            "page.html",
            format!("<p>key</p>\n<input name=\"aws_secret_access_key\" value=\"{}\">\n", html_escaped(&secret)),
        ),
        ("conf.xml", format!("<cfg>\n  <AwsSecretAccessKey>{}</AwsSecretAccessKey>\n</cfg>\n", html_escaped(&secret))),
    ] {
        let repo = TestRepo::with_hook();
        repo.stage(path, text);
        repo.assert_blocked(&[], &format!("{path}:2:"), &secret).assert_contains("HTML-escaped");
    }
}

/// An escaped secret pairs with a key ID lines away, as a plain one does (Hadoop XML).
#[test]
fn an_escaped_secret_pairs_with_a_key_id_lines_above() {
    let repo = TestRepo::with_hook();
    let mut fake = fake();
    let (id, secret) = (fake.key_id("AKIA"), secret_with_slash(&mut fake));
    repo.stage(
        "core-site.xml",
        format!(
            "<configuration>\n  <property>\n    <name>fs.s3a.access.key</name>\n    <value>{id}</value>\n  </property>\n  \
             <property>\n    <name>fs.s3a.secret.key</name>\n    <value>{}</value>\n  </property>\n</configuration>\n",
            html_escaped(&secret)
        ),
    );
    let run = repo.assert_blocked(&[], "core-site.xml:8:12: aws.secret-access-key.paired:", &secret);
    run.assert_contains("HTML-escaped, pairs with the key ID on line 4");
}

#[test]
fn doubly_escaped_json_is_blocked() {
    let repo = TestRepo::with_hook();
    let mut fake = fake();
    let secret = secret_with_slash(&mut fake);
    // A JSON document stored as a string inside JSON, whose `/` was escaped twice.
    let inner = format!("{{\\\"aws_secret_access_key\\\":\\\"{}\\\"}}", secret.replace('/', "\\\\\\/"));
    repo.stage("event.json", format!("{{\"body\": \"{inner}\"}}\n"));
    repo.assert_blocked(&[], "event.json:1:", &secret).assert_contains("JSON-escaped");
}

#[test]
fn percent_encoded_credentials_are_blocked() {
    let repo = TestRepo::with_hook();
    let mut fake = fake();
    let secret = fake.secret();
    repo.stage("links.md", format!("[x](https://example.com/?aws_secret_access_key={})\n", percent_all(&secret)));
    repo.assert_blocked(&[], "links.md:1:", &secret).assert_contains("percent-encoded");
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// `xxd -p` of a credentials file, `bytes.fromhex` of a secret, upper-case hex of a key ID;
/// and hex that is no text (a digest) or the documentation pair passes.
#[test]
fn hex_encoded_credentials_are_blocked() {
    let repo = TestRepo::with_hook();
    let mut fake = fake();
    let (id, secret) = (fake.key_id("AKIA"), fake.secret());
    let file = format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n");
    repo.stage("restore.sh", format!("#!/bin/sh\necho {} | xxd -r -p > ~/.aws/credentials\n", hex(&file)));
    let run = repo.assert_blocked(&[], "restore.sh:2:6: aws.access-key-id:", &id);
    run.assert_contains("restore.sh:2:6: aws.secret-access-key").assert_contains("hex-encoded").assert_lacks(&secret);
    repo.git(&["rm", "-q", "--cached", "restore.sh"]);
    let secret = fake.secret();
    repo.stage("settings.py", format!("AWS_SECRET_ACCESS_KEY = bytes.fromhex(\"{}\").decode()\n", hex(&secret)));
    repo.assert_blocked(&[], "settings.py:1:40: aws.secret-access-key:", &secret).assert_contains("hex-encoded");
    repo.git(&["rm", "-q", "--cached", "settings.py"]);
    let id = fake.key_id("ASIA");
    repo.stage("ids.txt", format!("assumed = 0x{}\n", hex(&id).to_uppercase()));
    repo.assert_blocked(&[], "ids.txt:1:11: aws.access-key-id:", &id);
    repo.git(&["rm", "-q", "--cached", "ids.txt"]);
    let doc = format!(
        "aws_access_key_id = {}\naws_secret_access_key = {}\n",
        ["AKIA", "IOSFODNN7EXAMPLE"].concat(),
        ["wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYEXAMPLEKEY"].concat()
    );
    let digest = hex(&fake.chars(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", 32)).replace('4', "e").replace('5', "f");
    repo.stage("docs.md", format!("example: {}\naws_secret_access_key_sha256: {digest}\n", hex(&doc)));
    repo.assert_commits(&[]);
}

#[test]
fn nested_encodings_are_named_in_order() {
    let repo = TestRepo::with_hook();
    let mut fake = fake();
    let secret = secret_with_slash(&mut fake);
    let json = format!("{{\"aws_secret_access_key\": \"{}\"}}", json_u_escaped(&secret));
    repo.stage("blob.txt", format!("payload: {}\n", b64(&json)));
    let run = repo.assert_blocked(&[], "blob.txt:1:10: aws.secret-access-key:", &secret);
    run.assert_contains("\\u-escaped, then base64-encoded");
}

#[test]
fn json_and_sarif_output_carry_the_encoding() {
    let repo = TestRepo::new();
    let mut fake = fake();
    let id = fake.key_id("AKIA");
    repo.write("k.yaml", format!("data:\n  AWS_ACCESS_KEY_ID: {}\n", b64(&id)));
    let run = repo.awsguard(&["scan", "--format", "json", "k.yaml"]);
    run.assert_code(1);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    let finding = &doc["findings"][0];
    assert_eq!(finding["encoding"], "base64", "{doc}");
    assert_eq!(finding["line"], 2);
    assert_eq!(finding["column"], 22);
    assert_eq!(finding["fingerprint"], awsguard::allowlist::fingerprint(id.as_bytes()));
    let run = repo.awsguard(&["scan", "--format", "sarif", "k.yaml"]);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(doc["runs"][0]["results"][0]["properties"]["encoding"], "base64", "{doc}");
}

#[test]
fn a_fingerprint_entry_survives_re_encoding() {
    let repo = TestRepo::with_hook();
    let mut fake = fake();
    let id = fake.key_id("AKIA");
    let fp = awsguard::allowlist::fingerprint(id.as_bytes());
    repo.stage(".awsguard.toml", format!("[[allow]]\nfingerprint = \"{fp}\"\nreason = \"revoked fixture\"\n"));
    repo.stage("a.yaml", format!("plain: {id}\nencoded: {}\nescaped: \"{}\"\n", b64(&id), percent_all(&id)));
    repo.assert_commits(&[]);
}

#[test]
fn the_inline_marker_applies_on_the_encoded_line() {
    let repo = TestRepo::with_hook();
    let mut fake = fake();
    let id = fake.key_id("AKIA");
    repo.stage("a.yaml", format!("encoded: {}  # awsguard:allow\n", b64(&id)));
    repo.assert_commits(&[]);
    let other = fake.key_id("AKIA");
    repo.stage("a.yaml", format!("encoded: {}  # awsguard:allow\nother: {}\n", b64(&id), b64(&other)));
    repo.assert_blocked(&[], "a.yaml:2:8:", &other);
}

#[test]
fn only_encoded_spans_on_added_lines_count() {
    let repo = TestRepo::with_hook();
    let mut fake = fake();
    let id = fake.key_id("AKIA");
    repo.stage("a.yaml", format!("old: {}\n", b64(&id)));
    repo.commit_unchecked("history already holds it");
    repo.stage("a.yaml", format!("old: {}\nnew: plain text\n", b64(&id)));
    repo.assert_commits(&[]);
    let other = fake.key_id("ASIA");
    repo.stage("a.yaml", format!("old: {}\nnew: plain text\nnewer: {}\n", b64(&id), b64(&other)));
    repo.assert_blocked(&[], "a.yaml:3:8: aws.access-key-id:", &other).assert_lacks("a.yaml:1:");
}

#[test]
fn encoded_near_misses_pass() {
    let repo = TestRepo::with_hook();
    let mut fake = fake();
    // Random base64 is what an encoded image or hash looks like.
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let image = fake.chars(alphabet, 40_000);
    let wrapped: Vec<&str> = image.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap()).collect();
    let hashes: Vec<String> = (0..200).map(|_| format!("{}=", fake.chars(alphabet, 43))).collect();
    let doc_id = ["AKIA", "IOSFODNN7EXAMPLE"].concat();
    let doc_secret = ["wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYEXAMPLEKEY"].concat();
    let text = format!(
        "<img src=\"data:image/png;base64,{image}\">\n-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n\
         integrity:\n{}\ndata:\n  AWS_ACCESS_KEY_ID: {}\n  AWS_SECRET_ACCESS_KEY: {}\n  \
         AWS_ACCESS_KEY_ID: {}\n  AWS_SECRET_ACCESS_KEY: {}\n  note: {}\n",
        wrapped.join("\n"),
        hashes.iter().map(|h| format!("  sha256-{h}\n")).collect::<String>(),
        b64(&doc_id),
        b64(&doc_secret),
        b64(&format!("AKIA{}", "X".repeat(16))),
        b64("<YOUR_SECRET_ACCESS_KEY>"),
        b64(&format!("aws_secret_access_key = {doc_secret}\naws_access_key_id = {doc_id}")),
    );
    repo.stage("page.html", text);
    repo.stage("escaped.json", "{\"path\": \"C:\\\\Users\\\\me\", \"s\": \"\\u003cb\\u003e &amp; %20 &#x2F;\"}\n");
    repo.assert_commits(&[]);
}

/// A SQLite row stores its text columns back to back: the key ID runs into the secret.
#[test]
fn a_sqlite_database_with_a_key_pair_is_blocked() {
    let Some(python) = util::find_on_path("python3") else {
        eprintln!("python3 not found: skipping");
        return;
    };
    let repo = TestRepo::with_hook();
    let mut fake = fake();
    let (id, secret) = (fake.key_id("AKIA"), fake.secret());
    let script = "import sqlite3, sys\n\
                  db = sqlite3.connect(sys.argv[1])\n\
                  db.execute('create table creds (id text, secret text, region text)')\n\
                  db.execute('insert into creds values (?, ?, ?)', (sys.argv[2], sys.argv[3], 'eu-west-1'))\n\
                  db.commit()\n";
    let out = repo
        .command(&python)
        .args(["-c", script, "app.db", id.as_str(), secret.as_str()])
        .output()
        .expect("run python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    repo.add(&["app.db"]);
    let run = repo.assert_blocked(&[], "app.db:", &id);
    run.assert_contains("aws.access-key-id").assert_contains("aws.secret-access-key").assert_lacks(&secret);
}

/// A Go binary's string table, a `.pyc`: secret then key ID, with NUL bytes around.
#[test]
fn binary_blobs_with_key_and_secret_back_to_back_are_blocked() {
    let repo = TestRepo::with_hook();
    let mut fake = fake();
    let (id, secret) = (fake.key_id("AKIA"), fake.secret());
    let mut blob = b"\x7fELF\x02\x01\x01\0\0\0runtime.main".to_vec();
    blob.extend_from_slice(format!("{secret}{id}us-east-1sts.amazonaws.com").as_bytes());
    blob.extend_from_slice(b"\0\0\x01go.buildid");
    repo.stage("bin/tool", &blob);
    repo.assert_blocked(&[], "bin/tool:1:", &id).assert_contains("aws.secret-access-key");
    // The same bytes in a text file are not a pair: no NUL, so the word boundary holds.
    let repo = TestRepo::with_hook();
    repo.stage("notes.txt", format!("{secret}{id}us-east-1\n"));
    repo.assert_commits(&[]);
}

/// A `.pyc` marshals each string as a type byte and a length byte before it: the key ID
/// runs into the secret's type byte (`z`, `Z`, or with the reference flag `\xda`), and
/// the names (`KEY`, `SECRET`) say nothing about AWS.
#[test]
fn a_pyc_with_marshalled_key_and_secret_is_blocked() {
    let mut fake = fake();
    for tag in [&b"z"[..], b"Z", b"\xda", b"\xfa"] {
        let (id, secret) = (fake.key_id("AKIA"), fake.secret());
        let mut pyc = b"\xa7\r\r\n\0\0\0\0\x12\x34\x56\x65\x10\0\0\0\xe3\0\0\0\0\0\0\0)\x04\xda\x14".to_vec();
        pyc.extend_from_slice(id.as_bytes());
        pyc.extend_from_slice(tag);
        pyc.push(b'(');
        pyc.extend_from_slice(secret.as_bytes());
        pyc.extend_from_slice(b"z\x05mediaN)\x03\xda\x03KEY\xda\x06SECRET\xda\x06BUCKET");
        let repo = TestRepo::with_hook();
        repo.stage("__pycache__/settings.cpython-312.pyc", &pyc);
        let run = repo.assert_blocked(&[], "settings.cpython-312.pyc:2:", &id);
        run.assert_contains("aws.access-key-id").assert_contains("aws.secret-access-key.paired").assert_lacks(&secret);
    }
}

/// gzip inside base64: cloud-init `write_files` with `encoding: gz+b64`, Terraform's
/// `base64gzip()` in a state file, a Helm release Secret (base64 of base64 of gzip).
#[test]
fn gzip_inside_base64_is_blocked() {
    use std::io::Write;
    let mut fake = fake();
    let gz_b64 = |text: &str| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text.as_bytes()).unwrap();
        String::from_utf8(encode(&gz.finish().unwrap())).unwrap()
    };
    let (id, secret) = (fake.key_id("AKIA"), fake.secret());
    let script = format!("#!/bin/sh\nexport AWS_ACCESS_KEY_ID={id}\nexport AWS_SECRET_ACCESS_KEY={secret}\n");
    let release =
        format!("{{\"config\": {{\"aws\": {{\"accessKeyId\": \"{id}\", \"secretAccessKey\": \"{secret}\"}}}}}}");
    for (path, text) in [
        (
            "user-data.yaml",
            format!(
                "#cloud-config\nwrite_files:\n  - path: /etc/profile.d/aws.sh\n    encoding: gz+b64\n    content: {}\n",
                gz_b64(&script)
            ),
        ),
        ("terraform.tfstate", format!("{{\"attributes\": {{\"user_data_base64\": \"{}\"}}}}\n", gz_b64(&script))),
        (
            "release.yaml",
            format!("kind: Secret\ntype: helm.sh/release.v1\ndata:\n  release: {}\n", b64(&gz_b64(&release))),
        ),
    ] {
        let repo = TestRepo::with_hook();
        repo.stage(path, text);
        let run = repo.assert_blocked(&[], &format!("{path}:"), &id);
        run.assert_contains("aws.secret-access-key").assert_contains("gzip-compressed").assert_lacks(&secret);
    }
    // Compressed text without credentials, and compressed random bytes, commit.
    let repo = TestRepo::with_hook();
    repo.stage("user-data.yaml", format!("content: {}\n", gz_b64(&"echo hello\n".repeat(500))));
    repo.stage(
        "blob.txt",
        format!("{}\n", gz_b64(&fake.chars(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 5000))),
    );
    repo.assert_commits(&[]);
}

/// A SQLite key-value table stores each name and its value back to back, and the rows
/// follow each other with only their binary headers between them.
#[test]
fn a_sqlite_settings_table_with_names_glued_to_values_is_blocked() {
    let mut fake = fake();
    let (id, secret) = (fake.key_id("ABIA"), fake.secret());
    let mut db = b"SQLite format 3\0\x10\0\x01\x01\0@  \0\0\0\x02".to_vec();
    db.extend_from_slice(format!("\x1d\x03\x03/aws_secret_access_key{secret}").as_bytes());
    db.extend_from_slice(format!("(\x01\x03/7aws_access_key_id{id}").as_bytes());
    db.extend_from_slice(b"\0\0\0\0");
    let repo = TestRepo::with_hook();
    repo.stage("app.sqlite3", &db);
    let run = repo.assert_blocked(&[], "app.sqlite3:1:", &id);
    run.assert_contains("aws.access-key-id").assert_contains("aws.secret-access-key").assert_lacks(&secret);
    // The secret alone, named by the column glued to it.
    let mut db = b"SQLite format 3\0\x10\0\x01\x01\0@  \0\0\0\x02".to_vec();
    db.extend_from_slice(format!("\x1d\x03\x03/AWS_SECRET_ACCESS_KEY{secret}\0\0").as_bytes());
    let repo = TestRepo::with_hook();
    repo.stage("app.sqlite3", &db);
    repo.assert_blocked(&[], "app.sqlite3:1:", &secret).assert_contains("aws.secret-access-key");
}

/// In a binary, key-ID-shaped runs that cannot be one key ID still pass: a longer base32
/// run, words, a secret-shaped neighbour that is hex, a pair inside a long base64 run.
#[test]
fn binary_near_misses_commit() {
    let mut fake = fake();
    let id = fake.key_id("ACCA");
    let mut blob = b"\x7fELF\0\0\0".to_vec();
    blob.extend_from_slice(format!("\0{id}QRSTUVWXYZ234567\0").as_bytes());
    blob.extend_from_slice(format!("\0xASIA{}PACIFICSALESTEAMz(\0", "").as_bytes());
    blob.extend_from_slice(format!("\0aws_secret_access_key{}\0", "0123abcd".repeat(5)).as_bytes());
    // Deep inside a long base64 run (data embedded in a program), a key-shaped pair is chance.
    let (deep_id, deep_secret) = (fake.key_id("ABIA"), fake.secret());
    let filler = "AQIgBCAyQRgD".repeat(8);
    blob.extend_from_slice(format!("\0{filler}{deep_id}{deep_secret}{filler}\0").as_bytes());
    let repo = TestRepo::with_hook();
    repo.stage("bin/tool", &blob);
    repo.assert_commits(&[]);
    // The same key ID alone, glued to a lower-case name before it and the next string
    // (`us-east-1`) after it, is found in every prefix.
    for prefix in ["AKIA", "ASIA", "ABIA", "ACCA"] {
        let id = fake.key_id(prefix);
        let mut blob = b"\x7fELF\0\0\0https://s3.amazonaws.com".to_vec();
        blob.extend_from_slice(format!("{id}us-east-1\0").as_bytes());
        let repo = TestRepo::with_hook();
        repo.stage("bin/tool", &blob);
        repo.assert_blocked(&[], "bin/tool:1:", &id).assert_contains("aws.access-key-id");
    }
}

#[test]
fn base64_in_a_large_minified_file_is_found_by_the_parallel_search() {
    // Over 4 MiB, the encoded keywords are searched on another core while the rules'
    // keywords are searched on this one: an unlabelled base64 credentials file still counts.
    let repo = TestRepo::with_hook();
    let mut fake = fake();
    let (id, secret) = (fake.key_id("AKIA"), fake.secret());
    let file = format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n");
    let mut js = String::from("(function(){");
    while js.len() < 5 << 20 {
        js.push_str("var a=b.c(d,e)+f[g];if(h){i.j=k;}");
    }
    js.push_str(&format!("window.cfg=\"{}\";}})();\n", b64(&file)));
    repo.stage("dist/app.min.js", &js);
    let run = repo.assert_blocked(&[], "dist/app.min.js:1:", &id);
    run.assert_contains("aws.secret-access-key").assert_contains("base64-encoded").assert_lacks(&secret);
}

/// What `powershell -EncodedCommand` takes: base64 of the script's UTF-16LE text.
fn b64_utf16(text: &str) -> String {
    let bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    String::from_utf8(encode(&bytes)).unwrap()
}

#[test]
fn a_powershell_encoded_command_is_blocked() {
    let mut fake = fake();
    let (id, secret) = (fake.key_id("AKIA"), secret_with_slash(&mut fake));
    let script =
        format!("$env:AWS_ACCESS_KEY_ID = \"{id}\"\r\n$env:AWS_SECRET_ACCESS_KEY = \"{secret}\"\r\naws s3 ls\r\n");
    let cmdlet = format!("Set-AWSCredential -AccessKey {id} -SecretKey {secret} -StoreAs ci");
    let clixml = format!("<Objs Version=\"1.1.0.1\"><S>aws_secret_access_key={secret}</S></Objs>");
    // The flag in full, its prefixes and aliases, in any case, after `-` or `/`; on the
    // line of `powershell` or `pwsh`, or on the line after it.
    let forms = [
        ("run.cmd", format!("powershell.exe -NoProfile -EncodedCommand {}\r\n", b64_utf16(&script)), 1),
        ("ci.yml", format!("steps:\n  - run: pwsh -ec {}\n", b64_utf16(&cmdlet)), 2),
        ("task.bat", format!("@echo off\nPowerShell /E {}\n", b64_utf16(&script)), 2),
        (
            "task.xml",
            format!("<Command>powershell.exe</Command>\n<Arguments>-NoP -enc {}</Arguments>\n", b64_utf16(&script)),
            2,
        ),
        ("job.ps1", format!("Start-Process pwsh -ArgumentList '-EncodedC','{}'\n", b64_utf16(&script)), 1),
        ("args.ps1", format!("pwsh -c '& ./sync.ps1' -EncodedArguments {}\n", b64_utf16(&clixml)), 1),
    ];
    for (path, text, line) in &forms {
        let repo = TestRepo::with_hook();
        repo.stage(path, text);
        let run = repo.assert_blocked(&[], &format!("{path}:{line}:"), &secret);
        run.assert_contains("aws.secret-access-key").assert_contains("UTF-16, then base64-encoded");
    }
}

#[test]
fn powershell_encoded_near_misses_commit() {
    let repo = TestRepo::with_hook();
    let doc_id = ["AKIA", "IOSFODNN7EXAMPLE"].concat();
    let doc_secret = ["wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYEXAMPLEKEY"].concat();
    let script =
        format!("$env:AWS_REGION = 'eu-west-1'\r\nWrite-Host 'deploying'\r\n$env:AWS_ACCESS_KEY_ID = '{doc_id}'\r\n");
    let other = format!("Set-AWSCredential -AccessKey {doc_id} -SecretKey {doc_secret}");
    repo.stage("deploy.cmd", format!("powershell -enc {}\r\npwsh -e {}\r\n", b64_utf16(&script), b64_utf16(&other)));
    repo.assert_commits(&[]);
}

/// Quoted-printable as a mail client writes it (see [`quoted_printable_line`]), each line
/// ended by `newline`.
fn quoted_printable(text: &str, width: usize, newline: &str) -> String {
    text.lines().map(|line| format!("{}{newline}", quoted_printable_line(line, width, newline))).collect()
}

#[test]
fn a_quoted_printable_mail_is_blocked() {
    let mut fake = fake();
    for newline in ["\n", "\r\n"] {
        let (id, secret) = (fake.key_id("AKIA"), secret_with_slash(&mut fake));
        let body = format!(
            "Hi, the keys for the backup job:\naws_access_key_id = {id}\naws_secret_access_key = {secret}\nThanks\n"
        );
        // Narrow lines: the label and the secret are both split by soft breaks.
        let mail = format!(
            "From: ops@example.com{newline}Subject: keys{newline}MIME-Version: 1.0{newline}\
             Content-Type: multipart/alternative; boundary=\"b1\"{newline}{newline}--b1{newline}\
             Content-Type: text/plain; charset=utf-8{newline}{newline}see below{newline}--b1{newline}\
             Content-Type: text/plain; charset=utf-8{newline}Content-Transfer-Encoding: quoted-printable{newline}\
             {newline}{}--b1--{newline}",
            quoted_printable(&body, 18, newline)
        );
        assert!(!mail.contains(&secret) && !mail.contains("aws_secret_access_key"));
        let repo = TestRepo::with_hook();
        repo.stage("keys.eml", &mail);
        let first = mail.lines().position(|l| l.starts_with("aws_secret_")).unwrap() + 1;
        let run = repo.assert_blocked(&[], &format!("keys.eml:{first}:1: aws.secret-access-key:"), &secret);
        run.assert_contains("aws.access-key-id:").assert_contains("quoted-printable").assert_lacks(&id);
    }
}

#[test]
fn quoted_printable_near_misses_commit() {
    let mut fake = fake();
    let repo = TestRepo::with_hook();
    let doc_secret = ["wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYEXAMPLEKEY"].concat();
    let hash = fake.chars(b"0123456789abcdef", 40);
    let body = format!("aws_secret_access_key = {doc_secret}\naws_secret_access_key = {hash}\nregion = us-east-1\n");
    let mail = format!("Content-Transfer-Encoding: quoted-printable\n\n{}", quoted_printable(&body, 20, "\n"));
    repo.stage("docs.eml", mail);
    // Escapes without the header are not quoted-printable: `=3D` in a URL stays as it is.
    repo.stage("notes.txt", format!("see https://example.com/?q=3D{}\n", fake.secret()));
    repo.assert_commits(&[]);
}

#[test]
fn a_base64_session_token_is_fingerprinted_decoded() {
    let mut fake = fake();
    let token = fake.session_token();
    let secret_yaml = |token: &str| {
        format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: sts\ndata:\n  AWS_SESSION_TOKEN: {}\n", b64(token))
    };
    // Blocked, reported and fingerprinted as the decoded token.
    let repo = TestRepo::with_hook();
    repo.stage("sts.yaml", secret_yaml(&token));
    let fp = awsguard::allowlist::fingerprint(token.as_bytes());
    let run = repo.assert_blocked(&[], "sts.yaml:6:22: aws.session-token:", &token);
    run.assert_contains("base64-encoded")
        .assert_contains(&format!("fingerprint = \"{fp}\""))
        .assert_lacks(&b64(&token));
    // An entry taken from the plain token lets the encoded one through...
    let repo = TestRepo::with_hook();
    repo.stage(".awsguard.toml", format!("[[allow]]\nfingerprint = \"{fp}\"\nreason = \"revoked fixture\"\n"));
    repo.stage("sts.yaml", secret_yaml(&token));
    repo.assert_commits(&[]);
    // ...and the entry the encoded one's report advises lets the plain one through.
    let other = fake.session_token();
    let repo = TestRepo::with_hook();
    repo.stage("sts.yaml", secret_yaml(&other));
    let run = repo.assert_blocked(&[], "sts.yaml:6:22:", &other);
    let advised = run.all().lines().find_map(|l| l.trim().strip_prefix("fingerprint = ").map(str::to_string)).unwrap();
    repo.stage(".awsguard.toml", format!("[[allow]]\nfingerprint = {advised}\nreason = \"revoked fixture\"\n"));
    repo.stage("sts.yaml", format!("export AWS_SESSION_TOKEN={other}\n"));
    repo.assert_commits(&[]);
}
