#!/bin/sh
# False alarms on real code: stage whole directory trees that hold no AWS credentials (a
# language's standard library, the Linux kernel...) as one initial commit each, run
# awsguard on the index as the pre-commit hook would, and print every finding. In such a
# tree every finding is a false alarm (or a credential someone really committed).
#
# usage: bench/false-alarms.sh [--awsguard PATH] [--copy] TREE [TREE...]
#
#   --awsguard PATH  the binary to run (default: target/release/awsguard of this checkout;
#                    build it with `cargo build --release`)
#   --copy           copy each tree into the temporary repository (default: stage it in
#                    place through a separate git directory; nothing is written to TREE)
#
# Every file is staged, ignored ones too (`git add -A -f`); nested git repositories become
# submodule entries and are not scanned. git and awsguard run with an isolated
# configuration: no inherited GIT_* variable, a private HOME, an empty global config, no
# system config. Exit status: 0 when it ran (whatever it found), 2 on an error.
set -eu

usage() {
    sed -n '2,18s/^# \{0,1\}//p' "$0" >&2
}

here=$(cd "$(dirname "$0")" && pwd)
awsguard="$here/../target/release/awsguard"
copy=no
while [ $# -gt 0 ]; do
    case $1 in
        --awsguard) [ $# -ge 2 ] || { usage; exit 2; }; awsguard=$2; shift 2 ;;
        --copy) copy=yes; shift ;;
        -h|--help) usage; exit 0 ;;
        --) shift; break ;;
        -*) echo "false-alarms.sh: unknown option $1" >&2; usage; exit 2 ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || { usage; exit 2; }
if [ ! -x "$awsguard" ]; then
    echo "false-alarms.sh: $awsguard is not an executable; build it with \`cargo build --release\` or pass --awsguard PATH" >&2
    exit 2
fi
awsguard=$(cd "$(dirname "$awsguard")" && pwd)/$(basename "$awsguard")

work=$(mktemp -d "${TMPDIR:-/tmp}/awsguard-false-alarms.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 2' INT TERM
mkdir -p "$work/home/.config"
: > "$work/home/.gitconfig"

# An isolated git: nothing of the caller's configuration or of an enclosing hook run.
for var in $(env | sed -n 's/^\(GIT_[A-Za-z0-9_]*\)=.*/\1/p'); do
    unset "$var"
done
HOME="$work/home"
XDG_CONFIG_HOME="$work/home/.config"
GIT_CONFIG_NOSYSTEM=1
GIT_CONFIG_GLOBAL="$work/home/.gitconfig"
GIT_TERMINAL_PROMPT=0
NO_COLOR=1
LC_ALL=C
export HOME XDG_CONFIG_HOME GIT_CONFIG_NOSYSTEM GIT_CONFIG_GLOBAL GIT_TERMINAL_PROMPT NO_COLOR LC_ALL

# Prints `path:line  rule  redacted` for each finding of awsguard's JSON report (pretty,
# keys sorted), and the count of findings on the last line.
findings_of() {
    awk '
        function unquote(s) {
            sub(/^[^:]*: "/, "", s); sub(/",?$/, "", s)
            gsub(/\\"/, "\"", s); gsub(/\\\\/, "\\", s)
            return s
        }
        /^      "path": /     { path = unquote($0) }
        /^      "line": /     { line = $2; sub(/,$/, "", line) }
        /^      "rule": /     { rule = unquote($0) }
        /^      "redacted": / { redacted = unquote($0) }
        /^    }/              { printf "%s:%s  %s  %s\n", path, line, rule, redacted; n++ }
        END                   { print n + 0 }
    ' "$1"
}

summary=""
index=0
for tree in "$@"; do
    index=$((index + 1))
    if [ ! -d "$tree" ]; then
        echo "false-alarms.sh: $tree is not a directory" >&2
        exit 2
    fi
    tree=$(cd "$tree" && pwd)
    git_dir="$work/git-$index"
    if [ "$copy" = yes ]; then
        work_tree="$work/tree-$index"
        mkdir "$work_tree"
        cp -a "$tree/." "$work_tree/"
        rm -rf "$work_tree/.git"
    else
        work_tree=$tree
    fi
    git --git-dir="$git_dir" --work-tree="$work_tree" init -q -b main
    git --git-dir="$git_dir" --work-tree="$work_tree" config core.autocrlf false
    (cd "$work_tree" && git --git-dir="$git_dir" --work-tree="$work_tree" add -A -f 2>"$work/add-$index.err") || {
        cat "$work/add-$index.err" >&2
        exit 2
    }
    staged=$(git --git-dir="$git_dir" ls-files | wc -l | tr -d ' ')
    echo "== $tree: $staged files staged"
    status=0
    (cd "$work_tree" && GIT_DIR="$git_dir" "$awsguard" --format json --color never -q) \
        >"$work/report-$index.json" 2>"$work/stderr-$index" || status=$?
    if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
        echo "false-alarms.sh: awsguard failed on $tree (exit $status):" >&2
        cat "$work/stderr-$index" >&2
        exit 2
    fi
    findings_of "$work/report-$index.json" >"$work/findings-$index"
    count=$(tail -n 1 "$work/findings-$index")
    sed '$d' "$work/findings-$index"
    files=$(sed '$d' "$work/findings-$index" | sed 's/:[0-9]*  .*//' | sort -u | wc -l | tr -d ' ')
    echo "== $tree: $count findings in $files of $staged files"
    summary="$summary$count findings in $files of $staged files  $tree
"
done

if [ $# -gt 1 ]; then
    echo
    echo "== summary"
    printf '%s' "$summary"
fi
