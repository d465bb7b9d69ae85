#!/usr/bin/env bash
# Reproduce BENCHMARKS.md's speed ratios on this machine, from a clean clone, in one
# command: installs what compare.sh needs (Debian packages hyperfine, jq, time, xz-utils and
# linux-source-6.1, when missing and apt-get may be used), extracts the same Linux tree,
# builds awsguard and runs bench/compare.sh on the chosen scenarios. Peers already installed
# in ~/.cache/awsguard-peers are timed too; the others are named and skipped.
#
# Usage: bench/reproduce.sh [--scenarios LIST] [--scratch DIR] [--tree DIR] [compare.sh options...]
#
#   --scenarios LIST   default tiny,longline: they take minutes, not an hour, and their
#                      ratios need no peer (all four: tiny,medium,huge,longline)
#   --scratch DIR      where the tree and the scenario repositories go
#                      (default ${TMPDIR:-/tmp}/awsguard-reproduce)
#   --tree DIR         the Linux 6.1 tree already extracted there (default: extract
#                      /usr/src/linux-source-6.1.tar.xz into the scratch directory)
#   anything else is passed to bench/compare.sh (--runs, --runs-large, --install-peers, ...)
#
# The report (Markdown) goes to stdout and to DIR/report.md, ending with the targets
# measured here next to those in BENCHMARKS.md; progress goes to stderr.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
log() { printf '[reproduce] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

SCENARIOS="tiny,longline"
SCRATCH="${TMPDIR:-/tmp}/awsguard-reproduce"
TREE=""
PASS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --scenarios) SCENARIOS=$2; shift 2 ;;
    --scratch) SCRATCH=$2; shift 2 ;;
    --tree) TREE=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -eu$/p' "$0" | sed -e '/^set -eu$/d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) PASS+=("$1"); shift ;;
  esac
done

# --- what compare.sh needs -----------------------------------------------------------------
SOURCE=/usr/src/linux-source-6.1.tar.xz
missing=""
command -v hyperfine >/dev/null || missing="$missing hyperfine"
command -v jq >/dev/null || missing="$missing jq"
[ -x /usr/bin/time ] || missing="$missing time"
command -v xz >/dev/null || missing="$missing xz-utils"
[ -n "$TREE" ] || [ -f "$SOURCE" ] || missing="$missing linux-source-6.1"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then apt=(apt-get); elif command -v sudo >/dev/null; then apt=(sudo apt-get); else
    die "missing:$missing (Debian packages); install them, or run as root"
  fi
  log "installing with apt-get:$missing"
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086
  "${apt[@]}" install -y -qq --no-install-recommends $missing >/dev/null ||
    { "${apt[@]}" update -qq >/dev/null && "${apt[@]}" install -y -qq --no-install-recommends $missing >/dev/null; } ||
    die "apt-get could not install:$missing"
fi

# --- the tree: Debian's Linux 6.1 source, as in BENCHMARKS.md --------------------------------
mkdir -p "$SCRATCH"
if [ -n "$TREE" ]; then
  [ -d "$TREE" ] || die "--tree $TREE is not a directory"
else
  TREE="$SCRATCH/linux"
  if [ ! -f "$TREE/.extracted" ]; then
    log "extracting $SOURCE into $TREE"
    rm -rf "$TREE"
    mkdir -p "$TREE"
    tar -xJf "$SOURCE" -C "$TREE" --strip-components=1
    date >"$TREE/.extracted"
  fi
fi

# --- the run -------------------------------------------------------------------------------
log "bench/compare.sh on $SCENARIOS"
"$HERE/compare.sh" "$TREE" --tree-name "Linux 6.1 (Debian linux-source-6.1)" --scenarios "$SCENARIOS" \
  --scratch "$SCRATCH/scenarios" --results "$SCRATCH/results" --out "$SCRATCH/report.md" \
  ${PASS[@]+"${PASS[@]}"}
cat "$SCRATCH/report.md"

# --- side by side with the committed figures -------------------------------------------------
targets() { # the rows of FILE's "### Targets" table: "scenario | target<TAB>measured<TAB>verdict"
  awk -F'|' '/^### Targets/ { t = 1; next } t && /^#/ { exit }
    t && /^\| / && $2 !~ /scenario|---/ { for (i = 2; i <= 5; i++) gsub(/^ +| +$/, "", $i); print $2 " | " $3 "\t" $4 "\t" $5 }' "$1"
}
echo
echo "### Reproduced here, next to BENCHMARKS.md"
echo
echo "| scenario | target | BENCHMARKS.md | here | |"
echo "|---|---|---|---|---|"
targets "$HERE/../BENCHMARKS.md" >"$SCRATCH/targets.committed"
targets "$SCRATCH/report.md" | while IFS="$(printf '\t')" read -r what here verdict; do
  then=$(awk -F'\t' -v w="$what" '$1 == w { print $2 }' "$SCRATCH/targets.committed")
  echo "| $what | ${then:-?} | $here | $verdict |"
done
