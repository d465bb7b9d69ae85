//! Each command's options and help page, and suggestions for a mistyped name.

/// The options that shape a scan's output and configuration.
const SCAN_OPTIONS: &[&str] = &["format", "color", "quiet", "show-secrets", "config", "archive-limits"];

/// A command: its name, usage lines, what it does, and the long options it takes.
#[derive(Debug)]
pub struct Spec {
    pub name: &'static str,
    pub usage: &'static str,
    pub about: &'static str,
    pub options: &'static [&'static str],
}

pub const COMMANDS: &[Spec] = &[
    Spec {
        name: "pre-commit",
        usage: "awsguard [pre-commit] [OPTIONS] [FILE...]",
        about: "Scan what `git commit` is about to record: the lines the staged changes add. With FILEs (the \
                pre-commit framework's file names), their staged changes, and the whole staged content of those \
                without one.",
        options: SCAN_OPTIONS,
    },
    Spec {
        name: "pre-push",
        usage: "awsguard pre-push [REMOTE [URL]]   (refs on stdin, as git's pre-push hook gives them)",
        about: "Scan the commits a push sends that the remote does not have yet.",
        options: SCAN_OPTIONS,
    },
    Spec {
        name: "pre-receive",
        usage: "awsguard pre-receive   (`<old> <new> <ref>` lines on stdin, as git's pre-receive hook gives them)",
        about: "On a server: scan what a push adds that the repository does not have yet, with the allowlist \
                committed in the pushed tree; reject the push if it holds a credential.",
        options: SCAN_OPTIONS,
    },
    Spec {
        name: "update",
        usage: "awsguard update REF OLD NEW   (as git's update hook gives them)",
        about: "On a server: the same check as pre-receive, for one ref.",
        options: SCAN_OPTIONS,
    },
    Spec {
        name: "commit-msg",
        usage: "awsguard commit-msg FILE",
        about: "Scan a commit message (the commit-msg hook).",
        options: SCAN_OPTIONS,
    },
    Spec {
        name: "history",
        usage: "awsguard history [RANGE | --all] [OPTIONS]",
        about: "Scan what each commit of RANGE added (default: all of HEAD's history; in CI: origin/main..HEAD; \
                --all: every ref's).",
        options: &["all", "format", "color", "quiet", "show-secrets", "config", "archive-limits"],
    },
    Spec {
        name: "scan",
        usage: "awsguard scan [PATH...] [OPTIONS]",
        about: "Scan files as they are on disk (default: .), skipping what .gitignore ignores; `-` reads stdin.",
        options: SCAN_OPTIONS,
    },
    Spec {
        name: "allow",
        usage: "awsguard allow [FINGERPRINT] --reason TEXT [--path GLOB] [--pattern REGEX] [--rule ID]... \
                [--expires YYYY-MM-DD]",
        about: "Add an allowlist entry to .awsguard.toml, and stage it.",
        options: &["reason", "path", "pattern", "rule", "expires", "config"],
    },
    Spec {
        name: "check-config",
        usage: "awsguard check-config [--config PATH]",
        about: "Validate the allowlists and list stale entries.",
        options: &["config", "archive-limits", "color", "quiet"],
    },
    Spec {
        name: "install",
        usage: "awsguard install [--hook NAME]... [--global] [--binary FILE]",
        about: "Install the hooks (pre-commit, pre-push, commit-msg or all; default pre-commit and pre-push), into \
                husky's or lefthook's files when they run the hooks, then scan the history already committed.",
        options: &["hook", "global", "binary", "config"],
    },
    Spec {
        name: "uninstall",
        usage: "awsguard uninstall [--hook NAME]... [--global]",
        about: "Remove what `install` added (default: every hook), restoring any hook it wrapped.",
        options: &["hook", "global"],
    },
    Spec {
        name: "rules",
        usage: "awsguard rules [--show ID]",
        about: "List the detection rules, or print one in full: its regex expanded, filters, references, examples.",
        options: &["show"],
    },
    Spec { name: "help", usage: "awsguard help [COMMAND]", about: "Print the help, or a command's.", options: &[] },
    Spec { name: "version", usage: "awsguard version", about: "Print the version.", options: &[] },
];

/// One line per option, as the help page shows it.
const OPTION_LINES: &[(&str, &str)] = &[
    ("all", "--all                every ref's history, not only HEAD's"),
    ("format", "--format FORMAT      text (default), json or sarif"),
    ("color", "--color WHEN         auto (default), always, never"),
    ("quiet", "-q, --quiet          print findings only, no advice"),
    ("show-secrets", "--show-secrets[=always]  print whole secret values; only on a terminal unless =always"),
    ("config", "--config PATH        an extra allowlist file, on top of the repository's and the user's"),
    ("archive-limits", "--archive-limits LIST  bounds on scanning inside archives (depth=3,bytes=256MiB,...)"),
    ("reason", "--reason TEXT        why this is not a leak (required)"),
    ("path", "--path GLOB          allow matches in these files"),
    ("pattern", "--pattern REGEX      allow values matching this regex"),
    ("rule", "--rule ID            only for this rule (repeatable)"),
    ("expires", "--expires DATE       the entry stops applying on YYYY-MM-DD"),
    ("hook", "--hook NAME          pre-commit, pre-push, commit-msg or all (repeatable)"),
    ("global", "--global             every repository: global core.hooksPath or the hooks template"),
    ("binary", "--binary FILE        the awsguard binary the hooks run (default: this one)"),
    ("show", "--show ID            print one rule in full"),
];

pub fn find(name: &str) -> Option<&'static Spec> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// A command's help page.
pub fn help(spec: &Spec) -> String {
    let mut out = format!("awsguard {}: {}\n\nUSAGE:\n    {}\n", spec.name, spec.about, spec.usage);
    if !spec.options.is_empty() {
        out.push_str("\nOPTIONS:\n");
        for name in spec.options {
            if let Some((_, line)) = OPTION_LINES.iter().find(|(n, _)| n == name) {
                out.push_str(&format!("    {line}\n"));
            }
        }
    }
    out.push_str("    -h, --help           print this help\n\n`awsguard help` lists every command.\n");
    out
}

/// ` (did you mean X?)` when a known name is close to `typed`.
pub fn suggest<'a>(typed: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    let best = known.into_iter().map(|k| (distance(typed, k), k)).min();
    match best {
        Some((d, k)) if d <= 2.max(typed.len() / 3) && d < typed.len() => format!(" (did you mean {k}?)"),
        _ => String::new(),
    }
}

/// Every long option any command takes.
pub fn all_options() -> impl Iterator<Item = &'static str> {
    OPTION_LINES.iter().map(|(n, _)| *n).chain(["help", "version"])
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1).min(row[j] + 1).min(prev + usize::from(ca != cb));
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_are_close_names_only() {
        assert_eq!(suggest("scna", COMMANDS.iter().map(|c| c.name)), " (did you mean scan?)");
        assert_eq!(suggest("instal", COMMANDS.iter().map(|c| c.name)), " (did you mean install?)");
        assert_eq!(suggest("frobnicate", COMMANDS.iter().map(|c| c.name)), "");
        assert_eq!(suggest("fromat", all_options()), " (did you mean format?)");
        for spec in COMMANDS {
            for option in spec.options {
                assert!(OPTION_LINES.iter().any(|(n, _)| n == option), "{option} has a help line");
            }
        }
    }
}
