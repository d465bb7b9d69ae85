#!/bin/sh
# Build awsguard, install the binary, install its pre-commit and pre-push hooks into a
# repository, scan the history already committed, and run the hook once to show it works.
#
# Usage: ./install.sh [--bin-dir DIR] [--repo PATH] [--no-hook] [--binary FILE]
#   --bin-dir DIR  where the binary goes (default: ~/.local/bin, or ~/.cargo/bin when only
#                  that one is on PATH)
#   --repo PATH    the repository to protect (default: the one holding the current directory)
#   --no-hook      build and install the binary only
#   --binary FILE  install this awsguard binary instead of building one
#
# Running it twice is harmless. A different pre-commit hook already in place is kept and
# runs before awsguard (`awsguard uninstall` puts it back). core.hooksPath is honoured.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
bin_dir=
repo=
hook=1
prebuilt=

usage() { sed -n '2,13s/^# \{0,1\}//p' "$0"; }
die() { echo "install.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case $1 in
        --bin-dir) [ $# -ge 2 ] || die "--bin-dir needs a directory"; bin_dir=$2; shift 2 ;;
        --bin-dir=*) bin_dir=${1#*=}; shift ;;
        --repo) [ $# -ge 2 ] || die "--repo needs a path"; repo=$2; shift 2 ;;
        --repo=*) repo=${1#*=}; shift ;;
        --no-hook) hook=0; shift ;;
        --binary) [ $# -ge 2 ] || die "--binary needs a file"; prebuilt=$2; shift 2 ;;
        --binary=*) prebuilt=${1#*=}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument '$1' (see ./install.sh --help)" ;;
    esac
done


if [ -z "$bin_dir" ]; then
    case ":$PATH:" in
        *":$HOME/.local/bin:"*) bin_dir=$HOME/.local/bin ;;
        *":$HOME/.cargo/bin:"*) bin_dir=$HOME/.cargo/bin ;;
        *) bin_dir=$HOME/.local/bin ;;
    esac
fi

if [ -z "$prebuilt" ]; then
    command -v cargo >/dev/null 2>&1 ||
        die "cargo not found: install Rust (https://rustup.rs), then run ./install.sh again"
    echo "install.sh: building awsguard (release; a few minutes on a small machine, cargo shows its progress)"
    cargo build --release --locked --manifest-path "$here/Cargo.toml"
    prebuilt=$here/target/release/awsguard
fi
[ -x "$prebuilt" ] || die "$prebuilt is not an executable file"
mkdir -p "$bin_dir"
# Copy then rename, so a hook running right now never sees a half-written binary.
cp "$prebuilt" "$bin_dir/.awsguard.new.$$"
mv -f "$bin_dir/.awsguard.new.$$" "$bin_dir/awsguard"
bin=$(cd "$bin_dir" && pwd)/awsguard
echo "install.sh: installed $bin ($("$bin" --version))"
case ":$PATH:" in
    *":$bin_dir:"*) ;;
    *) echo "install.sh: note: $bin_dir is not on PATH; the hook records the full path anyway" ;;
esac

[ "$hook" = 1 ] || exit 0

if ! top=$(git -C "${repo:-.}" rev-parse --show-toplevel 2>/dev/null); then
    [ -z "$repo" ] || die "$repo is not inside a git work tree"
    echo "install.sh: not inside a git repository, so no hook was installed;"
    echo "            run 'awsguard install' inside each repository to protect it"
    exit 0
fi
cd "$top"
# Installs pre-commit and pre-push, then scans the history already committed: exit 1 when
# it holds credentials (the hooks are installed all the same).
history=0
"$bin" install --binary "$bin" || history=$?
[ "$history" -le 1 ] || die "awsguard install failed (exit $history); see the message above"
hook_path=$(git rev-parse --git-path hooks)/pre-commit

echo "install.sh: running the installed hook once on what is staged now"
status=0
GIT_INDEX_FILE= "$hook_path" || status=$?
case $status in
    0) echo "install.sh: done: the hook works, and nothing staged holds an AWS credential" ;;
    1) echo "install.sh: done: the hook works, and it found credentials in what is staged now (above)" ;;
    *) die "the hook failed to run (exit $status); see the message above" ;;
esac
if [ "$history" = 1 ]; then
    echo "install.sh: WARNING: this repository's history ALREADY holds AWS credentials (listed above)." >&2
    echo "install.sh: rotate those keys now, then rewrite the history before pushing it (see above)." >&2
    exit 1
fi
