//! Credentials as they really sit in repositories (issue 13), through a real `git commit`
//! and the installed hook: STS session tokens with their runs of `/`, secrets named by a
//! sibling field or the line above, SDK calls without any label, CodeArtifact tokens; and
//! the false alarms that must let a commit through.

mod util;

use awsguard::fake::Fake;
use util::{TestRepo, fake};

const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A session token shaped as STS issues them: the `origin_ec` prefix, then a run of `/`
/// (bytes 0xFF of a protobuf varint) inside random base64.
fn sts_token(fake: &mut Fake) -> String {
    format!("IQoJb3JpZ2luX2VjE{}{}wEaCXVz{}", fake.chars(BASE64, 3), "/".repeat(10), fake.long_token(600))
}

/// A token with the same runs of `/` but no STS prefix: only a label can say what it is.
fn unprefixed_token(fake: &mut Fake) -> String {
    format!("{}{}{}", fake.long_token(24), "/".repeat(10), fake.long_token(400))
}

/// An access key ID that encodes `account` (base32 of `account << 7` with the high bit set).
fn key_id_of_account(account: u64, fake: &mut Fake) -> String {
    let bits = ((account << 7) | 0x8000_0000_0000) << 2;
    let mut key = String::from("AKIA");
    key.extend((0..10).rev().map(|i| BASE32[((bits >> (i * 5)) & 31) as usize] as char));
    key + &fake.chars(BASE32, 6)
}

#[test]
fn session_tokens_from_export_credentials_and_caches_are_blocked() {
    let mut fake = fake();
    let formats = [
        ("env.sh", format!("export AWS_SESSION_TOKEN={}\n", unprefixed_token(&mut fake))),
        ("creds.ps1", format!("$Env:AWS_SESSION_TOKEN=\"{}\"\n", unprefixed_token(&mut fake))),
        ("creds.cmd", format!("set AWS_SESSION_TOKEN={}\n", unprefixed_token(&mut fake))),
        ("app.properties", format!("aws.sessionToken={}\n", unprefixed_token(&mut fake))),
        ("process.json", format!("{{\n  \"Version\": 1,\n  \"SessionToken\": \"{}\",\n", sts_token(&mut fake))),
        ("cli-cache.json", format!("{{\"Credentials\": {{\"SessionToken\": \"{}\"}}}}\n", sts_token(&mut fake))),
        ("bare.txt", format!("{}\n", sts_token(&mut fake))),
    ];
    for (path, content) in &formats {
        let repo = TestRepo::with_hook();
        repo.stage(path, content);
        let token = content.split(['=', '"']).find(|p| p.len() > 300).unwrap();
        let run = repo.assert_blocked(&[], &format!("{path}:"), token);
        run.assert_contains("session-token");
    }
}

#[test]
fn the_documentation_session_token_and_placeholder_tokens_commit() {
    let mut fake = fake();
    let repo = TestRepo::with_hook();
    let content = format!(
        "aws_session_token = AQoEXAMPLE{}\nAWS_SESSION_TOKEN={}{}{}\n",
        fake.long_token(300),
        fake.long_token(40),
        "x".repeat(10),
        fake.long_token(100)
    );
    repo.stage("docs/sts.md", content);
    repo.assert_commits(&[]);
}

#[test]
fn cloudformation_parameters_are_blocked_and_references_commit() {
    let mut fake = fake();
    let secret = fake.secret();
    let repo = TestRepo::with_hook();
    let params =
        format!("[\n  {{\n    \"ParameterKey\": \"SecretAccessKey\",\n    \"ParameterValue\": \"{secret}\"\n  }}\n]\n");
    repo.stage("params.json", params);
    repo.assert_blocked(&[], "params.json:4:", &secret).assert_contains("aws.secret-access-key");

    let secret = fake.secret();
    let repo = TestRepo::with_hook();
    let line = format!("aws cloudformation deploy --parameters ParameterKey=AwsSecretKey,ParameterValue={secret}\n");
    repo.stage("deploy.sh", line);
    repo.assert_blocked(&[], "deploy.sh:1:", &secret);

    let repo = TestRepo::with_hook();
    let resolved = "[{\"ParameterKey\": \"SecretAccessKey\", \"ParameterValue\": \
                    \"{{resolve:secretsmanager:prod/aws:SecretString:key}}\"}]\n";
    repo.stage("params.json", resolved);
    repo.assert_commits(&[]);
}

#[test]
fn kubernetes_and_ecs_env_lists_are_blocked_only_with_aws_close_by() {
    let mut fake = fake();
    let secret = fake.secret();
    let repo = TestRepo::with_hook();
    let manifest = format!(
        "spec:\n  containers:\n    - image: amazon/aws-cli\n      env:\n        - name: SECRET_KEY\n          value: \"{secret}\"\n"
    );
    repo.stage("deploy.yaml", manifest);
    repo.assert_blocked(&[], "deploy.yaml:6:", &secret);

    let secret = fake.secret();
    let repo = TestRepo::with_hook();
    let task = format!(
        "{{\"containerDefinitions\": [{{\"environment\": [\n  {{\n    \"name\": \"AWS_SECRET_ACCESS_KEY\",\n    \"value\": \"{secret}\"\n  }}\n]}}]}}\n"
    );
    repo.stage("task-definition.json", task);
    repo.assert_blocked(&[], "task-definition.json:4:", &secret);

    // Another application's SECRET_KEY, with nothing of AWS around it.
    let repo = TestRepo::with_hook();
    let other = format!(
        "spec:\n  containers:\n    - image: example/webapp\n      env:\n        - name: SECRET_KEY\n          value: \"{}\"\n",
        fake.secret()
    );
    repo.stage("deploy.yaml", other);
    repo.assert_commits(&[]);

    // The AWS name below a value belongs to the list's next entry, not to that value.
    let repo = TestRepo::with_hook();
    let next = format!(
        "env:\n  - name: WEBHOOK_TOKEN\n    value: \"{}\"\n  - name: AWS_SECRET_ACCESS_KEY\n    value: \"\"\n",
        fake.secret()
    );
    repo.stage("deploy.yaml", next);
    repo.assert_commits(&[]);
}

#[test]
fn hadoop_xml_properties_and_fluentd_are_blocked() {
    let mut fake = fake();
    let cases = [
        ("core-site.xml", "<property>\n  <name>fs.s3a.secret.key</name>\n  <value>{}</value>\n</property>\n", 3),
        ("hive-site.xml", "<property><name>fs.s3a.secret.key</name><value>{}</value></property>\n", 1),
        ("spark-defaults.conf", "spark.hadoop.fs.s3a.secret.key={}\n", 1),
        ("fluent.conf", "<match s3.**>\n  @type s3\n  aws_sec_key {}\n</match>\n", 3),
        (
            "postman.json",
            "\"auth\": {\"type\": \"awsv4\", \"awsv4\": [{\"key\": \"secretKey\", \"value\": \"{}\"}]}\n",
            1,
        ),
    ];
    for (path, template, line) in cases {
        let secret = fake.secret();
        let repo = TestRepo::with_hook();
        repo.stage(path, template.replace("{}", &secret));
        repo.assert_blocked(&[], &format!("{path}:{line}:"), &secret);
    }
}

#[test]
fn sdk_calls_with_positional_secrets_are_blocked() {
    let mut fake = fake();
    let cases = [
        ("App.java", "AWSCredentials c = new BasicAWSCredentials(System.getenv(\"ID\"), \"{}\");\n"),
        ("App2.java", "var c = AwsBasicCredentials.create(keyId, \"{}\");\n"),
        ("main.go", "p := credentials.NewStaticCredentialsProvider(os.Getenv(\"ID\"), \"{}\", \"\")\n"),
        ("app.js", "AWS.config.credentials = new AWS.Credentials(process.env.ID, '{}');\n"),
        ("app.rb", "Aws.config.update(credentials: Aws::Credentials.new(ENV['ID'], '{}'))\n"),
        ("Program.cs", "var s3 = new AmazonS3Client(keyId, \"{}\", RegionEndpoint.USEast1);\n"),
    ];
    for (path, template) in cases {
        let secret = fake.secret();
        let repo = TestRepo::with_hook();
        repo.stage(path, template.replace("{}", &secret));
        repo.assert_blocked(&[], &format!("{path}:1:"), &secret).assert_contains("aws.secret-access-key");
    }
    // A generic Credentials class of some other library, nothing of AWS in the file.
    let repo = TestRepo::with_hook();
    repo.stage("Login.java", format!("var c = new Credentials(user, \"{}\");\n", fake.secret()));
    repo.assert_commits(&[]);
}

#[test]
fn codeartifact_tokens_are_blocked_and_references_commit() {
    let mut fake = fake();
    let alnum = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut token = || {
        format!(
            "eyJ2ZXIiOjEsImlzdSI6{}.{}.{}.{}-{}.{}",
            fake.chars(alnum, 180),
            fake.chars(alnum, 22),
            fake.chars(alnum, 16),
            fake.chars(alnum, 500),
            fake.chars(alnum, 300),
            fake.chars(alnum, 22)
        )
    };
    let host = "corp-111122223333.d.codeartifact.us-east-1.amazonaws.com";
    let cases = [
        (".npmrc", format!("//{host}/npm/shared/:_authToken={}\n", token())),
        ("pip.conf", format!("[global]\nindex-url = https://aws:{}@{host}/pypi/py/simple/\n", token())),
        ("settings.xml", format!("<server>\n  <id>{host}</id>\n  <password>{}</password>\n</server>\n", token())),
        ("ci.env", format!("CODEARTIFACT_AUTH_TOKEN={}\n", token())),
    ];
    for (path, content) in &cases {
        let repo = TestRepo::with_hook();
        repo.stage(path, content);
        let token = content.split(['=', ':', '@', '<', '>', '\n']).find(|p| p.len() > 500).unwrap();
        repo.assert_blocked(&[], &format!("{path}:"), token).assert_contains("aws.codeartifact-token");
    }
    let repo = TestRepo::with_hook();
    repo.stage(".npmrc", format!("//{host}/npm/shared/:_authToken=${{CODEARTIFACT_AUTH_TOKEN}}\n"));
    repo.stage("pip.conf", format!("index-url = https://aws:{}@{host}/pypi/py/simple/\n", fake.secret()));
    repo.assert_commits(&[]);
}

#[test]
fn known_false_alarms_commit() {
    let mut fake = fake();
    let repo = TestRepo::with_hook();
    // An Express session secret two lines under the AWS SDK's import.
    repo.stage(
        "server.js",
        format!(
            "const AWS = require('aws-sdk');\nconst session = require('express-session');\napp.use(session({{\n  secret: '{}',\n}}));\n",
            fake.secret()
        ),
    );
    // The Bedrock short-term key prefix alone, as other scanners' rule files hold it.
    repo.stage("rules.toml", format!("regex = '''bedrock-api-key-{}'''\n", "YmVkcm9jay5hbWF6b25hd3MuY29t"));
    // A key ID of the documentation account 123456789012.
    repo.stage("docs/iam.md", format!("aws_access_key_id = {}\n", key_id_of_account(123_456_789_012, &mut fake)));
    repo.assert_commits(&[]);
}

#[test]
fn a_key_id_of_no_valid_account_says_so_and_prints_no_account() {
    let mut fake = fake();
    // 13 digits: no AWS account has one, but a made-up key ID can decode to it.
    let impossible = 1_000_000_000_000 + fake.chars(b"123456789", 9).parse::<u64>().unwrap();
    let key = key_id_of_account(impossible, &mut fake);
    let repo = TestRepo::with_hook();
    repo.stage("config.ini", format!("aws_access_key_id = {key}\n"));
    let run = repo.assert_blocked(&[], "config.ini:1:", &key);
    run.assert_contains("encodes no valid AWS account").assert_lacks(&impossible.to_string());
    let json = repo.awsguard(&["scan", "--format", "json", "config.ini"]);
    json.assert_code(1).assert_lacks(&impossible.to_string()).assert_contains("\"account_id\": null");

    // A valid account is still named where accounts are shown (with the secret: see
    // SECURITY.md on the fingerprint), and not called invalid.
    let account = 100_000_000_000 + fake.chars(b"123456789", 9).parse::<u64>().unwrap();
    let repo = TestRepo::with_hook();
    repo.stage("config.ini", format!("aws_access_key_id = {}\n", key_id_of_account(account, &mut fake)));
    repo.assert_blocked(&[], "config.ini:1:", "never printed").assert_lacks("encodes no valid AWS account");
    repo.awsguard(&["--show-secrets=always"]).assert_code(1).assert_contains(&format!("AWS account {account:012}"));
}

#[test]
fn a_committed_sso_token_cache_is_blocked() {
    // `aws sso login` caches an access token, a refresh token (valid up to 90 days) and the
    // OIDC client registration under ~/.aws/sso/cache: a copy committed by mistake
    // (dotfiles, a devcontainer) can mint credentials for every account the user reaches.
    let mut fake = fake();
    let b64 = |fake: &mut awsguard::fake::Fake, n| {
        fake.chars(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", n)
    };
    let (access, refresh) =
        (format!("aoa{}:{}", b64(&mut fake, 400), b64(&mut fake, 96)), format!("aor{}", b64(&mut fake, 300)));
    let cache = format!(
        "{{\"startUrl\": \"https://d-9067abcdef.awsapps.com/start\", \"region\": \"us-east-1\", \
         \"accessToken\": \"{access}\", \"expiresAt\": \"2026-11-30T12:00:00Z\", \
         \"clientId\": \"{}\", \"refreshToken\": \"{refresh}\"}}\n",
        b64(&mut fake, 22)
    );
    let repo = TestRepo::with_hook();
    repo.stage(".aws/sso/cache/0a1b2c.json", &cache);
    let run = repo.assert_blocked(&[], ".aws/sso/cache/0a1b2c.json:1:", &access);
    run.assert_contains("aws.sso-token").assert_lacks(&refresh);
    // The same field names in another service's OAuth response are not an AWS token.
    let repo = TestRepo::with_hook();
    repo.stage("oauth.json", format!("{{\"accessToken\": \"{}\", \"expiresIn\": 3599}}\n", b64(&mut fake, 200)));
    repo.assert_commits(&[]);
}

fn b64(text: &str) -> String {
    String::from_utf8(awsguard::decode::base64::encode(text.as_bytes())).unwrap()
}

/// s3fs holds a key ID and its secret joined by a colon (`credentials = ID:SECRET` in a
/// config section, `ID:SECRET` or `bucket:ID:SECRET` lines in `.passwd-s3fs`): both are
/// found, also when the key ID's random body happens to read like words.
#[test]
fn key_ids_joined_to_their_secret_by_a_colon_are_blocked() {
    let mut fake = fake();
    let word_like = format!("ABIA{}", "OPBOGUCRNTPRACLY");
    for id in [fake.key_id("AKIA"), fake.key_id("ASIA"), word_like] {
        for (path, line) in [
            (".aws/config", "[s3fs]\ncredentials = {ID}:{S}\n"),
            (".passwd-s3fs", "{ID}:{S}\n"),
            ("etc/passwd-s3fs", "backups:{ID}:{S}\n"),
            ("sync.sh", "rclone sync . s3://{ID}:{S}@bucket/path\n"),
        ] {
            let secret = fake.secret();
            let repo = TestRepo::with_hook();
            repo.stage(path, line.replace("{ID}", &id).replace("{S}", &secret));
            let run = repo.assert_blocked(&[], &format!("{path}:"), &secret);
            run.assert_contains("aws.access-key-id").assert_contains("aws.secret-access-key");
        }
    }
    // The documentation pair, and placeholders, commit.
    let repo = TestRepo::with_hook();
    let doc = format!("AKIA{}:wJalrXUtnFEMI/K7MDENG/{}\n", "IOSFODNN7EXAMPLE", "bPxRfiCYEXAMPLEKEY");
    repo.stage(".passwd-s3fs", doc);
    repo.stage("s3fs.conf", "[s3fs]\ncredentials = ${AWS_ACCESS_KEY_ID}:${AWS_SECRET_ACCESS_KEY}\n");
    repo.assert_commits(&[]);
}

/// A secret kept as base64 and decoded by the code that uses it: the decoding call sits
/// between the label and the value.
#[test]
fn secrets_decoded_from_base64_in_code_are_blocked() {
    let mut fake = fake();
    for (path, template) in [
        ("settings.py", "AWS_SECRET_ACCESS_KEY = base64.b64decode(\"{E}\").decode()\n"),
        ("s3.py", "aws_secret_access_key=base64.urlsafe_b64decode(b'{E}')\n"),
        ("upload.js", "const AWS_SECRET_ACCESS_KEY = Buffer.from(\"{E}\", \"base64\").toString();\n"),
        ("storage.rb", "AWS_SECRET_ACCESS_KEY = Base64.decode64(\"{E}\")\n"),
        ("env.sh", "export AWS_SECRET_ACCESS_KEY=$(base64 -d <<< \"{E}\")\n"),
        ("Program.cs", "var awsSecretKey = Encoding.UTF8.GetString(Convert.FromBase64String(\"{E}\"));\n"),
        ("S3.java", "String awsSecretAccessKey = new String(Base64.getDecoder().decode(\"{E}\"));\n"),
        ("main.go", "awsSecretAccessKey, _ := base64.StdEncoding.DecodeString(\"{E}\")\n"),
        ("config.php", "$awsSecret = base64_decode('{E}');\n"),
        ("deploy.pl", "my $aws_secret = decode_base64('{E}');\n"),
        ("ci.sh", "AWS_SECRET_ACCESS_KEY=$(echo -n '{E}' | base64 -d)\n"),
        (
            "env.ps1",
            "$env:AWS_SECRET_ACCESS_KEY = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String(\"{E}\"))\n",
        ),
    ] {
        let secret = fake.secret();
        let repo = TestRepo::with_hook();
        repo.stage(path, template.replace("{E}", &b64(&secret)));
        let run = repo.assert_blocked(&[], &format!("{path}:1:"), &secret);
        run.assert_contains("aws.secret-access-key").assert_contains("base64-encoded");
    }
    // Another service's secret, decoded the same way, commits.
    let repo = TestRepo::with_hook();
    repo.stage("jwt.py", format!("JWT_SECRET = base64.b64decode(\"{}\")\n", b64(&fake.secret())));
    repo.stage("web.js", format!("const data = atob(\"{}\");\n", b64(&fake.secret())));
    repo.assert_commits(&[]);
}

/// The label ends its line and the value opens the next one: YAML block scalars, an XML
/// element laid out over lines, a heredoc.
#[test]
fn secrets_on_the_line_below_their_label_are_blocked() {
    let mut fake = fake();
    for (path, template) in [
        ("values.yaml", "aws:\n  aws_secret_access_key: >-\n    {S}\n"),
        ("secret.yaml", "stringData:\n  AWS_SECRET_ACCESS_KEY: |\n    {S}\n"),
        ("creds.xml", "<Credentials>\n  <SecretAccessKey>\n    {S}\n  </SecretAccessKey>\n</Credentials>\n"),
        ("main.tf", "locals {\n  aws_secret_access_key = <<-EOT\n    {S}\n  EOT\n}\n"),
        ("settings.py", "AWS_SECRET_ACCESS_KEY = (\n    \"{S}\"\n)\n"),
    ] {
        let secret = fake.secret();
        let repo = TestRepo::with_hook();
        repo.stage(path, template.replace("{S}", &secret));
        repo.assert_blocked(&[], &format!("{path}:"), &secret).assert_contains("aws.secret-access-key");
    }
    let repo = TestRepo::with_hook();
    repo.stage("values.yaml", format!("aws_secret_access_key: ${{SECRET}}\nchecksum:\n  {}\n", fake.secret()));
    repo.assert_commits(&[]);
}

/// A generic `SECRET_KEY` declared with its type, or a Markdown list item, with AWS named
/// close by; without AWS it commits.
#[test]
fn declared_and_listed_secret_keys_near_aws_are_blocked() {
    let mut fake = fake();
    for (path, template) in [
        ("S3Config.java", "// Amazon S3 uploads\npublic static final String SECRET_KEY = \"{S}\";\n"),
        ("upload.ts", "import { S3Client } from '@aws-sdk/client-s3';\nconst secretKey = '{S}';\n"),
        ("SETUP.md", "## AWS keys\n\n- Access key: `${ID}`\n- Secret key: `{S}`\n"),
    ] {
        let secret = fake.secret();
        let repo = TestRepo::with_hook();
        repo.stage(path, template.replace("{S}", &secret));
        repo.assert_blocked(&[], &format!("{path}:"), &secret).assert_contains("aws.secret-access-key.context");
    }
    let repo = TestRepo::with_hook();
    repo.stage("Consts.java", format!("public static final String SECRET_KEY = \"{}\";\n", fake.secret()));
    repo.stage("NOTES.md", format!("## AWS deploy\n\n- Webhook secret: `{}`\n", fake.secret()));
    repo.assert_commits(&[]);
}

/// The IAM console's key exports (`credentials.csv`, `accessKeys.csv`) and TSV or `;`
/// exports of them: the secret is found under its column's header, so the pair is found
/// even when the key ID's random body reads like words.
#[test]
fn iam_key_exports_are_blocked_whatever_the_key_id() {
    let mut fake = fake();
    let word_like = format!("AKIA{}", "THEQUICKBROWNFOX");
    for id in [fake.key_id("AKIA"), word_like] {
        for (path, template) in [
            (
                "credentials.csv",
                "User name,Password,Access key ID,Secret access key,Console login link\ndeploy,,{ID},{S},https://console.aws.amazon.com/\n",
            ),
            ("accessKeys.csv", "\u{feff}Access key ID,Secret access key\r\n{ID},{S}\r\n"),
            ("keys.tsv", "user\taccess_key_id\tsecret_access_key\ndeploy\t{ID}\t{S}\n"),
            ("keys.csv", "\"Access key ID\";\"Secret access key\"\n\"{ID}\";\"{S}\"\n"),
        ] {
            let secret = fake.secret();
            let repo = TestRepo::with_hook();
            repo.stage(path, template.replace("{ID}", &id).replace("{S}", &secret));
            repo.assert_blocked(&[], &format!("{path}:"), &secret).assert_contains("aws.secret-access-key");
        }
    }
    let repo = TestRepo::with_hook();
    let hashes: String =
        (0..5).map(|_| format!("{},{}\n", fake.key_id("AKIA"), fake.chars(b"0123456789abcdef", 40))).collect();
    repo.stage("rotations.csv", format!("Access key ID,Secret access key\n{hashes}").replace("AKIA", "AIDA"));
    repo.assert_commits(&[]);
}

/// A random secret next to a documentation placeholder key ID (the documentation's
/// `AKIA...EXAMPLE`, AKIAXXXX...) is still a secret: joined to it, in a Terraform state's `aws_iam_access_key`,
/// under an AWS label in tfvars. The secret alone is reported; the placeholder is not.
#[test]
fn a_secret_beside_a_placeholder_key_id_is_blocked() {
    let mut fake = fake();
    let example = ["AKIA", "IOSFODNN7EXAMPLE"].concat();
    let xs = format!("AKIA{}", "X".repeat(16));
    let tfstate = "{\n  \"resources\": [\n    {\n      \"mode\": \"managed\",\n      \"type\": \"aws_iam_access_key\",\n      \
                   \"name\": \"ci\",\n      \"provider\": \"provider[\\\"registry.terraform.io/hashicorp/aws\\\"]\",\n      \
                   \"instances\": [\n        {\n          \"schema_version\": 0,\n          \"attributes\": {\n            \
                   \"create_date\": \"2024-01-01T00:00:00Z\",\n            \"encrypted_secret\": null,\n            \
                   \"id\": \"{ID}\",\n            \"pgp_key\": null,\n            \"secret\": \"{S}\",\n            \
                   \"status\": \"Active\"\n          }\n        }\n      ]\n    }\n  ]\n}\n";
    let forms = [
        (".passwd-s3fs", "{ID}:{S}\n", 1),
        ("etc/passwd-s3fs", "backups:{ID}:{S}\n", 1),
        (".aws/config", "[s3fs]\ncredentials = {ID}:{S}\n", 2),
        ("sync.sh", "curl -u {ID}:{S} https://s3.amazonaws.com/backups/\n", 1),
        ("terraform.tfstate", tfstate, 16),
        ("prod.tfvars", "aws_access_key = \"{ID}\"\naws_secret_key = \"{S}\"\n", 2),
        (
            "net.tfstate",
            "\"backend\": \"s3\",\n\"config\": {\n  \"value\": {\n    \"access_key\": \"{ID}\",\n    \"secret_key\": \"{S}\"\n",
            5,
        ),
    ];
    for id in [&example, &xs] {
        for (path, text, line) in &forms {
            let secret = fake.secret();
            let repo = TestRepo::with_hook();
            repo.stage(path, text.replace("{ID}", id).replace("{S}", &secret));
            let run = repo.assert_blocked(&[], &format!("{path}:{line}:"), &secret);
            run.assert_contains("aws.secret-access-key").assert_lacks("aws.access-key-id");
        }
    }
    // The documentation pair, a hash after a placeholder, another resource's secret commit.
    let repo = TestRepo::with_hook();
    let doc = format!(
        "{xs}:{}\n{example}:wJalrXUtnFEMI/K7MDENG/{}\n",
        fake.chars(b"0123456789abcdef", 40),
        "bPxRfiCYEXAMPLEKEY"
    );
    repo.stage(".passwd-s3fs", doc);
    repo.stage(
        "random.tfstate",
        tfstate
            .replace("aws_iam_access_key", "random_password")
            .replace("{ID}", &example)
            .replace("{S}", &fake.secret()),
    );
    repo.assert_commits(&[]);
}

/// `ASIA` + words is a region or a team, not an STS key ID, whatever follows its colon;
/// an AKIA key ID that reads like words, joined to its secret, still counts.
#[test]
fn asia_and_words_joined_to_random_text_commits() {
    let mut fake = fake();
    let repo = TestRepo::with_hook();
    let words = ["PACIFICSALESTEAM", "NORTHBONDMARKETS", "EUROPEWAREHOUSES"];
    let text: String =
        words.iter().map(|w| format!("ASIA{w}:{}\nbackups:ASIA{w}:{}\n", fake.secret(), fake.secret())).collect();
    repo.stage("regions.txt", text);
    repo.assert_commits(&[]);
    let secret = fake.secret();
    repo.stage(".passwd-s3fs", format!("AKIA{}:{secret}\n", "THEQUICKBROWNFOX"));
    repo.assert_blocked(&[], ".passwd-s3fs:1:1: aws.access-key-id.joined:", &secret)
        .assert_contains("aws.secret-access-key");
}
