//! Embeds the rules file without its whole-line comments: they document the rules for
//! their readers (and `# ...` lines inside the `(?x)` patterns are regex comments), and
//! cost the binary 14 KB. Trailing comments stay: `rules --show` prints them.

fn main() {
    println!("cargo:rerun-if-changed=src/rules/aws.toml");
    let rules = std::fs::read_to_string("src/rules/aws.toml").expect("reading src/rules/aws.toml");
    let kept: String =
        rules.lines().filter(|line| !line.trim_start().starts_with('#')).flat_map(|line| [line, "\n"]).collect();
    let out = std::path::Path::new(&std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("aws.toml");
    std::fs::write(out, kept).expect("writing the embedded rules");
}
