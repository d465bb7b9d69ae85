//! Embeds the rules file without its comments (they document the rules for their readers
//! and cost the binary 25 KB), deflated: 36 KB of text is 8 KB packed, and inflating it
//! when the rules are first needed takes tens of microseconds. The help text is embedded
//! deflated too (4.6 KB of text is 2 KB packed). Whole-line comments go everywhere; inside
//! the `'''` strings (every pattern, context and fragment is `(?x)`, where a literal `#` is
//! written `\#`), a `#` after whitespace starts a regex comment, which goes too. A test
//! checks that the rules are the same, compared in compact form.

fn main() {
    println!("cargo:rerun-if-changed=src/cli/help.txt");
    let help = std::fs::read_to_string("src/cli/help.txt").expect("reading src/cli/help.txt");
    pack(&help, "help.txt.deflate");
    println!("cargo:rerun-if-changed=src/rules/aws.toml");
    let rules = std::fs::read_to_string("src/rules/aws.toml").expect("reading src/rules/aws.toml");
    let mut kept = String::with_capacity(rules.len());
    let mut in_regex = false;
    for line in rules.lines() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        let quotes = line.matches("'''").count();
        let mut text = line;
        if in_regex && quotes == 0 {
            if let Some(at) = line.find(" #").or_else(|| line.find("\t#")) {
                text = line[..at].trim_end();
            }
        }
        kept.push_str(text);
        kept.push('\n');
        if quotes % 2 == 1 {
            in_regex = !in_regex;
        }
    }
    pack(&kept, "aws.toml.deflate");
}

/// Writes `text` deflated to `name` in OUT_DIR, after its length (4 bytes, little-endian).
fn pack(text: &str, name: &str) {
    let mut packed = vec![0; 8 + text.len() + text.len() / 2];
    packed[..4].copy_from_slice(&u32::try_from(text.len()).expect("text under 4 GiB").to_le_bytes());
    let mut deflater = libdeflater::Compressor::new(libdeflater::CompressionLvl::best());
    let size = deflater.deflate_compress(text.as_bytes(), &mut packed[4..]).expect("deflating");
    packed.truncate(4 + size);
    let out = std::path::Path::new(&std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join(name);
    std::fs::write(out, packed).expect("writing embedded text");
}
