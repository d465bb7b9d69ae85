#!/usr/bin/env bash
# Side-by-side speed benchmark: awsguard against git itself (the floor) and the peer
# secret scanners, each in its own pre-commit mode, on four staged-change scenarios built
# from a source tree. A measuring instrument only: it changes nothing in awsguard.
#
# Usage: bench/compare.sh TREE [options]      (bench/README.md has the details)
#
#   TREE                  a directory of source files (e.g. an extracted Linux kernel)
#   --runs N              hyperfine runs for tiny and medium (default 10)
#   --runs-large N        hyperfine runs for huge and longline (default 3)
#   --scenarios LIST      comma-separated subset of tiny,medium,huge,longline (default all)
#   --out FILE            write the Markdown report to FILE; if FILE already holds the
#                         markers <!-- compare:begin --> and <!-- compare:end -->, only the
#                         text between them is replaced (default: print to stdout)
#   --scratch DIR         where the scenario repositories live
#                         (default ${TMPDIR:-/tmp}/awsguard-bench; reused when already built
#                         from the same tree)
#   --prepare-only        build the scenario repositories and stop (nothing is timed)
#   --report-only         time nothing: write the report from the results in --results
#   --rebuild             rebuild the scenario repositories even if they are up to date
#   --timeout S           a command slower than S seconds on its probe run is reported as
#                         "> S s" and not timed further (default 300)
#   --slow S              a command slower than S seconds on its probe run gets at most 3
#                         runs and no warm-up beyond the probe (default 60)
#   --rss-runs N          runs under /usr/bin/time for peak RSS, the max is reported
#                         (default 3; 1 for slow commands)
#   --peers DIR           peer tools (default ~/.cache/awsguard-peers)
#   --install-peers       run the peers' install.sh first (PEERS_INSTALL, default
#                         /work/shared/peers/install.sh)
#   --no-secretlint       skip secretlint (optional peer)
#   --tree-name NAME      how the report names TREE (default: its directory name)
#   --idle-max F          before each command, wait until other work uses at most this
#                         fraction of all CPUs (1 s sample; default 0.25; 1 disables)
#   --idle-wait S         wait at most S seconds for that, then time anyway (default 900)
#   --results DIR         where raw results go (default: $SCRATCH/results/DATE); a DIR of
#                         an earlier run keeps the scenarios not run now, so one scenario
#                         can be re-run and the report regenerated with the others
#   --awsguard PATH       the binary to measure (default: `cargo build --release` here and
#                         use target/release/awsguard)
#
# Scenario repositories hard-link TREE's files (cp -al) when TREE is on the same file
# system: nothing here ever writes into a work-tree file in place (changed files are
# written to a temporary file and renamed), so TREE itself is never modified.
set -eu

SCENARIO_FORMAT=1                     # bump when the way scenarios are built changes
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)

log() { printf '[compare] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

# --- options -----------------------------------------------------------------------------
INVOCATION="bench/compare.sh"
for a in "$@"; do
  case "$a" in *[!A-Za-z0-9_./,:=+-]*) a="'$(printf '%s' "$a" | sed "s/'/'\\\\''/g")'" ;; esac
  INVOCATION="$INVOCATION $a"
done
TREE=""
TREE_NAME=""
RUNS=10
RUNS_LARGE=3
SCENARIOS="tiny,medium,huge,longline"
OUT=""
SCRATCH="${TMPDIR:-/tmp}/awsguard-bench"
REBUILD=0
PREPARE_ONLY=0
REPORT_ONLY=0
TIMEOUT=300
SLOW=60
RSS_RUNS=3
PEERS="${HOME}/.cache/awsguard-peers"
INSTALL_PEERS=0
PEERS_INSTALL="${PEERS_INSTALL:-/work/shared/peers/install.sh}"
SECRETLINT=1
AWSGUARD=""
IDLE_MAX=0.25
IDLE_WAIT=900
RESULTS=""

usage() { sed -n '2,/^set -eu$/p' "$0" | sed -e '/^set -eu$/d' -e 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --runs-large) RUNS_LARGE=$2; shift 2 ;;
    --scenarios) SCENARIOS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --scratch) SCRATCH=$2; shift 2 ;;
    --rebuild) REBUILD=1; shift ;;
    --prepare-only) PREPARE_ONLY=1; shift ;;
    --report-only) REPORT_ONLY=1; shift ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --slow) SLOW=$2; shift 2 ;;
    --rss-runs) RSS_RUNS=$2; shift 2 ;;
    --peers) PEERS=$2; shift 2 ;;
    --install-peers) INSTALL_PEERS=1; shift ;;
    --no-secretlint) SECRETLINT=0; shift ;;
    --awsguard) AWSGUARD=$2; shift 2 ;;
    --tree-name) TREE_NAME=$2; shift 2 ;;
    --idle-max) IDLE_MAX=$2; shift 2 ;;
    --idle-wait) IDLE_WAIT=$2; shift 2 ;;
    --results) RESULTS=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [ -z "$TREE" ] || die "only one TREE may be given"; TREE=$1; shift ;;
  esac
done
[ -n "$TREE" ] || { usage >&2; exit 2; }
if [ "$REPORT_ONLY" = 1 ]; then
  if [ -z "$RESULTS" ] || [ ! -f "$RESULTS/startup.json" ]; then die "--report-only needs --results DIR of an earlier run"; fi
  SCENARIOS=none
fi
[ -d "$TREE" ] || die "TREE $TREE is not a directory"
TREE=$(cd "$TREE" && pwd -P)
[ -n "$TREE_NAME" ] || TREE_NAME=$(basename "$TREE")
for n in "$RUNS" "$RUNS_LARGE" "$TIMEOUT" "$SLOW" "$RSS_RUNS" "$IDLE_WAIT"; do
  case "$n" in ''|*[!0-9]*|0) die "--runs, --runs-large, --timeout, --slow and --rss-runs take positive integers" ;; esac
done
case ",$SCENARIOS," in *,tiny,*|*,medium,*|*,huge,*|*,longline,*|,none,) ;; *) die "--scenarios: none of tiny,medium,huge,longline" ;; esac
wants() { case ",$SCENARIOS," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

# --- tools -------------------------------------------------------------------------------
command -v git >/dev/null || die "git is required"
command -v hyperfine >/dev/null || die "hyperfine is required (apt-get install hyperfine, or the peers' install.sh)"
command -v jq >/dev/null || die "jq is required (apt-get install jq)"
if [ ! -x /usr/bin/time ]; then
  log "GNU time is missing: installing it with apt-get (package 'time')"
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq time >/dev/null; else sudo apt-get install -y -qq time >/dev/null; fi
fi
/usr/bin/time -f %M true 2>/dev/null >/dev/null || die "/usr/bin/time is not GNU time (-f %M)"

if [ "$INSTALL_PEERS" = 1 ]; then
  [ -x "$PEERS_INSTALL" ] || [ -f "$PEERS_INSTALL" ] || die "no peers installer at $PEERS_INSTALL (set PEERS_INSTALL)"
  if [ "$SECRETLINT" = 0 ]; then SKIP_SECRETLINT=1 bash "$PEERS_INSTALL" "$PEERS"; else bash "$PEERS_INSTALL" "$PEERS"; fi
fi

# Each peer: name, the file that must exist, the pre-commit command (from the peers' README;
# run with the repository root as working directory).
SLRC="$SCRATCH/secretlintrc.json"
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }   # shell-quote
peer_names="gitleaks git-secrets detect-secrets ripsecrets secretlint"
peer_exe() {
  case "$1" in
    gitleaks) echo "$PEERS/bin/gitleaks" ;;
    git-secrets) command -v git-secrets || echo "/usr/bin/git-secrets" ;;
    detect-secrets) echo "$PEERS/venv/bin/detect-secrets-hook" ;;
    ripsecrets) echo "$PEERS/bin/ripsecrets" ;;
    secretlint) echo "$PEERS/npm/node_modules/.bin/secretlint" ;;
  esac
}
peer_cmd() {
  files='git diff --cached --name-only --diff-filter=ACM -z | xargs -0 -r'
  case "$1" in
    gitleaks) echo "$(q "$PEERS/bin/gitleaks") git --pre-commit --staged --no-banner --redact" ;;
    git-secrets) echo "git secrets --pre_commit_hook" ;;
    detect-secrets) echo "$files $(q "$PEERS/venv/bin/detect-secrets-hook")" ;;
    ripsecrets) echo "$files $(q "$PEERS/bin/ripsecrets") --strict-ignore" ;;
    secretlint) echo "$files $(q "$PEERS/npm/node_modules/.bin/secretlint") --no-glob --secretlintrc $(q "$SLRC")" ;;
  esac
}
peer_version() {
  case "$1" in
    gitleaks) "$PEERS/bin/gitleaks" version 2>/dev/null ;;
    git-secrets) dpkg-query -W -f='${Version}' git-secrets 2>/dev/null || echo "?" ;;
    detect-secrets) "$PEERS/venv/bin/detect-secrets" --version 2>/dev/null ;;
    ripsecrets) "$PEERS/bin/ripsecrets" --version 2>/dev/null | awk '{print $2}' ;;
    secretlint) "$PEERS/npm/node_modules/.bin/secretlint" --version 2>/dev/null ;;
  esac
}
PEERS_OK=""
PEERS_MISSING=""
for p in $peer_names; do
  if [ "$p" = secretlint ] && [ "$SECRETLINT" = 0 ]; then continue; fi
  if [ -x "$(peer_exe "$p")" ]; then
    PEERS_OK="$PEERS_OK $p"
  else
    PEERS_MISSING="$PEERS_MISSING $p"
    log "peer $p is missing ($(peer_exe "$p")): it is skipped; install it with $PEERS_INSTALL $PEERS, or pass --install-peers"
  fi
done

# --- awsguard ----------------------------------------------------------------------------
if [ -z "$AWSGUARD" ]; then
  log "building awsguard: cargo build --release"
  (cd "$ROOT" && cargo build --release --quiet) || die "cargo build --release failed"
  AWSGUARD="$ROOT/target/release/awsguard"
fi
[ -x "$AWSGUARD" ] || die "no awsguard binary at $AWSGUARD"
AWSGUARD=$(cd "$(dirname "$AWSGUARD")" && pwd -P)/$(basename "$AWSGUARD")

# --- scratch directory -------------------------------------------------------------------
mkdir -p "$SCRATCH"
SCRATCH=$(cd "$SCRATCH" && pwd -P)
case "$SCRATCH" in "$TREE"|"$TREE"/*) die "--scratch must not be inside TREE" ;; esac
if [ ! -e "$SCRATCH/.awsguard-bench" ]; then
  [ -z "$(ls -A "$SCRATCH")" ] || die "$SCRATCH is not empty and was not made by this script; pick another --scratch"
  echo "awsguard benchmark scratch directory: scenario repositories, safe to delete" >"$SCRATCH/.awsguard-bench"
fi
printf '%s\n' '{"rules":[{"id":"@secretlint/secretlint-rule-aws","options":{"enableIDScanRule":true}}]}' >"$SLRC"

# What identifies TREE's content: path, file count, total size, newest modification time.
tree_stats() {
  find "$TREE" -name .git -prune -o -type f -printf '%s %T@\n' |
    awk '{n++; s+=$1; if ($2>m) m=$2} END {printf "%d %d %d\n", n, s, m}'
}
read -r TREE_FILES TREE_BYTES TREE_MTIME <<EOF
$(tree_stats)
EOF
[ "$TREE_FILES" -gt 0 ] || die "TREE $TREE holds no files"
TREE_ID="format=$SCENARIO_FORMAT tree=$TREE files=$TREE_FILES bytes=$TREE_BYTES mtime=$TREE_MTIME"

# git with a fixed identity and no user hooks, for building scenarios.
bgit() { git -c user.name=awsguard-bench -c user.email=bench@example.invalid -c commit.gpgsign=false -c core.hooksPath=/dev/null "$@"; }

stamp_of() { cat "$SCRATCH/$1/.git/awsguard-bench.stamp" 2>/dev/null || true; }
is_built() { [ "$REBUILD" = 0 ] && [ "$(stamp_of "$1")" = "$2" ]; }
mark_built() { printf '%s\n' "$2" >"$SCRATCH/$1/.git/awsguard-bench.stamp"; }

# A copy of TREE at $1: hard links when possible, never TREE's own .git directories.
copy_tree() {
  rm -rf "$1"
  mkdir -p "$1"
  if ! cp -al "$TREE/." "$1/" 2>/dev/null; then
    rm -rf "$1"; mkdir -p "$1"
    log "hard links impossible (another file system?): copying $TREE"
    cp -a "$TREE/." "$1/"
  fi
  find "$1" -mindepth 1 -name .git -prune -exec rm -rf {} +
}

# Replace file $1 with stdin, never writing through a hard link.
replace_file() { cat >"$1.bench-tmp"; mv -f "$1.bench-tmp" "$1"; }

# Generated code-like lines free of any scanner keyword: $1 = tag, $2 = line count.
code_lines() {
  awk -v tag="$1" -v n="$2" 'BEGIN {
    for (i = 0; i < n; i++)
      printf "static int bench_%s_%d(int a, int b) { return (a * %d + b) ^ 0x%04x; } /* %s */\n", tag, i, i + 3, (i * 2654435761) % 65536, tag
  }'
}

# Insert stdin in the middle of file $1 (by line count), via replace_file.
insert_middle() {
  n=$(wc -l <"$1")
  BENCH_EXTRA=$(cat) awk -v at=$((n / 2)) '
    NR == at + 1 { print ENVIRON["BENCH_EXTRA"] } { print } END { if (NR <= at) print ENVIRON["BENCH_EXTRA"] }' "$1" | replace_file "$1"
}

# Up to $3 tracked text files of the base commit with a size in [$1, $2], in a fixed
# shuffled order.
candidates() {
  git -C "$SCRATCH/base" ls-tree -r -l --full-tree HEAD |
    awk -F'\t' -v lo="$1" -v hi="$2" '{ split($1, a, " "); if (a[1] == "100644" && a[4] + 0 >= lo && a[4] + 0 <= hi && substr($2, 1, 1) != "\"" && $2 !~ /[[:space:]]/) print $2 }' |
    awk 'BEGIN { srand(20240601) } { printf "%.9f\t%s\n", rand(), $0 }' | sort | cut -f2- |
    while IFS= read -r f; do
      if LC_ALL=C grep -Iq . "$SCRATCH/base/$f" 2>/dev/null; then printf '%s\n' "$f"; fi
    done | head -n "$3"
}

# --- scenario: base (TREE committed at HEAD; tiny and medium start from it) -----------
build_base() {
  is_built base "$TREE_ID" && return 0
  log "base: committing $TREE ($TREE_FILES files)"
  copy_tree "$SCRATCH/base"
  git -C "$SCRATCH/base" init -q -b main
  # -f: the whole tree, even what its own .gitignore ignores (Debian's linux-source ignores /*)
  bgit -C "$SCRATCH/base" add -A -f
  bgit -C "$SCRATCH/base" commit -q --no-verify -m "base: $(basename "$TREE")"
  log "base: packing objects (no deltas)"
  git -C "$SCRATCH/base" repack -a -d -q --window=0
  git -C "$SCRATCH/base" prune-packed
  mark_built base "$TREE_ID"
}

# A repository at $SCRATCH/$1 whose HEAD is base's commit, with a clean index.
clone_base() {
  dst="$SCRATCH/$1"
  copy_tree "$dst"
  rm -rf "$dst.clone"
  git clone -q --no-checkout "$SCRATCH/base" "$dst.clone"
  mv "$dst.clone/.git" "$dst/.git"
  rmdir "$dst.clone"
  git -C "$dst" remote remove origin
  cp "$SCRATCH/base/.git/index" "$dst/.git/index"
  git -C "$dst" update-index -q --refresh || true
}

build_tiny() {
  is_built tiny "$TREE_ID" && return 0
  log "tiny: 3 files changed"
  clone_base tiny
  d="$SCRATCH/tiny"
  candidates 2000 100000 3 >"$d/.git/bench-targets"
  [ "$(wc -l <"$d/.git/bench-targets")" -eq 3 ] || die "tiny: TREE has fewer than 3 text files of 2-100 KB"
  i=0
  while IFS= read -r f; do
    i=$((i + 1))
    code_lines "tiny$i" 14 | insert_middle "$d/$f"
  done <"$d/.git/bench-targets"
  xargs -r -d '\n' git -C "$d" add -f -- <"$d/.git/bench-targets"
  mark_built tiny "$TREE_ID"
}

build_medium() {
  is_built medium "$TREE_ID" && return 0
  log "medium: 150 files changed and 150 added, about 5 MB"
  clone_base medium
  d="$SCRATCH/medium"
  candidates 1000 400000 600 >"$d/.git/bench-candidates"
  total=$(wc -l <"$d/.git/bench-candidates")
  [ "$total" -ge 10 ] || die "medium: TREE has fewer than 10 text files of 1-400 KB"
  # The first 150 candidates are modified; donors (text inserted or copied) come from the
  # rest, cycling if the tree is small. Each file gets about 16.7 KB: 300 x 16.7 KB = 5 MB.
  nmod=150
  [ "$total" -gt 300 ] || nmod=$((total / 3))
  head -n "$nmod" "$d/.git/bench-candidates" >"$d/.git/bench-targets"
  tail -n +$((nmod + 1)) "$d/.git/bench-candidates" >"$d/.git/bench-donors"
  ndonors=$(wc -l <"$d/.git/bench-donors")
  chunk=16666
  donor() { # $1 = index: text of about $chunk bytes, whole lines, from donor $1 (repeated if short)
    f=$(sed -n "$(($1 % ndonors + 1))p" "$d/.git/bench-donors")
    while :; do cat "$SCRATCH/base/$f"; echo; done | head -c "$chunk" | sed '$d'
  }
  i=0
  while IFS= read -r f; do
    { echo "/* awsguard bench: medium change $i */"; donor "$i"; } | insert_middle "$d/$f"
    i=$((i + 1))
  done <"$d/.git/bench-targets"
  j=0
  while [ "$i" -lt 300 ]; do
    new="$d/bench-medium/d$((j % 10))/added_$j.c"
    mkdir -p "$(dirname "$new")"
    { echo "/* awsguard bench: medium addition $j */"; donor "$i"; } >"$new"
    i=$((i + 1)); j=$((j + 1))
  done
  xargs -r -d '\n' git -C "$d" add -f -- <"$d/.git/bench-targets"
  git -C "$d" add -f -- bench-medium
  mark_built medium "$TREE_ID"
}

# --- scenario: huge (TREE staged as the first commit, unborn branch) -------------------
build_huge() {
  is_built huge "$TREE_ID" && return 0
  log "huge: staging $TREE as a first commit"
  d="$SCRATCH/huge"
  copy_tree "$d"
  git -C "$d" init -q -b main
  bgit -C "$d" add -A -f
  mark_built huge "$TREE_ID"
}

# --- scenario: longline (one 50 MiB file of a few very long lines, one key near the end) --
LONGLINE_BYTES=$((50 * 1024 * 1024))
LONGLINE_ID="format=$SCENARIO_FORMAT generator=2 longline bytes=$LONGLINE_BYTES"
build_longline() {
  is_built longline "$LONGLINE_ID" && return 0
  log "longline: generating a 50 MiB minified-JS-like file"
  d="$SCRATCH/longline"
  rm -rf "$d"
  mkdir -p "$d/dist"
  git -C "$d" init -q -b main
  echo "A web app whose build output is committed." >"$d/README.md"
  bgit -C "$d" add README.md
  bgit -C "$d" commit -q --no-verify -m "initial commit"
  # The key is made now, never written in this repository: AKIA + 16 of A-Z2-7, with a
  # digit (a key body without digits may be taken for words).
  key=""
  until printf '%s' "$key" | grep -q '[2-7]'; do
    key="AKIA$(LC_ALL=C tr -dc 'A-Z2-7' </dev/urandom | head -c 16)"
  done
  tail_text=";var awsCfg={region:\"us-east-1\",accessKeyId:\"$key\"};window.__cfg=awsCfg;"
  tail_len=$(( ${#tail_text} + 2048 + 1 ))
  { awk -v total=$((LONGLINE_BYTES - tail_len)) -v lines=5 '
      # Minified-JS-like statements: @ = identifier, # = property name, % = number.
      function id(   n, s, k) { n = 1 + int(rand() * 3); s = ""; for (k = 0; k < n; k++) s = s substr(L, 1 + int(rand() * 54), 1); return s }
      function prop(   n, s, k) { n = 3 + int(rand() * 8); s = ""; for (k = 0; k < n; k++) s = s substr(l, 1 + int(rand() * 26), 1); return s }
      function fill(t,   i, c, s) {
        s = ""
        for (i = 1; i <= length(t); i++) {
          c = substr(t, i, 1)
          if (c == "@") s = s id(); else if (c == "#") s = s prop(); else if (c == "%") s = s int(rand() * 10000); else s = s c
        }
        return s
      }
      BEGIN {
        srand(7); L = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$"; l = "abcdefghijklmnopqrstuvwxyz"
        nt = split("var @=@.#(@,%);|function @(@,@){return @.#+@}|if(!@||@.#===%)return!1;|@.#=function(@){this.#=@;return this};|for(var @=0;@<@.length;@++)@[@]=@.#(@);|@.prototype.#=function(){return\"#\"};|,@=new @({#:%,#:\"#\"})|typeof @===\"undefined\"&&(@={});|@.#(\"#\",function(@){@.#(@.#)},!0);|case %:return @.#;", T, "|")
        per = int(total / lines); out = 0; buf = ""
        while (out < total) {
          buf = buf fill(T[1 + int(rand() * nt)])
          if (length(buf) >= 4096) {
            if (out + length(buf) > total) buf = substr(buf, 1, total - out)
            out += length(buf)
            if (int(out / per) != int((out - length(buf)) / per) && out < total) { sub(/.$/, "\n", buf) }
            printf "%s", buf; buf = ""
          }
        }
      }'
    printf '%s' "$tail_text"
    LC_ALL=C tr -dc 'a-z(){};,.=' </dev/urandom | head -c 2048
    printf '\n'
  } >"$d/dist/app.min.js"
  size=$(wc -c <"$d/dist/app.min.js")
  [ "$size" -eq "$LONGLINE_BYTES" ] || die "longline: generated $size bytes, expected $LONGLINE_BYTES"
  bgit -C "$d" add dist/app.min.js
  mark_built longline "$LONGLINE_ID"
}

# --- run ---------------------------------------------------------------------------------
cleanup_tmp() { rm -rf "$SCRATCH/.tmp"; }
trap cleanup_tmp EXIT
mkdir -p "$SCRATCH/.tmp"

if wants tiny || wants medium; then build_base; fi
wants tiny && build_tiny
wants medium && build_medium
wants huge && build_huge
wants longline && build_longline
if [ "$PREPARE_ONLY" = 1 ]; then
  log "scenarios ready in $SCRATCH"
  exit 0
fi

[ -n "$RESULTS" ] || RESULTS="$SCRATCH/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd -P)
if [ -f "$RESULTS/tree" ] && [ "$(cat "$RESULTS/tree")" != "$TREE_ID" ]; then
  die "$RESULTS holds results for another tree ($(cat "$RESULTS/tree")); pick another --results"
fi
printf '%s\n' "$TREE_ID" >"$RESULTS/tree"
# shellcheck disable=SC2016
[ "$REPORT_ONLY" = 1 ] || printf '%s: `%s`\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" "$INVOCATION" >>"$RESULTS/commands"
log "raw results (hyperfine JSON, logs): $RESULTS"

# The fraction of all CPUs busy over one second.
cpu_busy() {
  a=$(head -n 1 /proc/stat); sleep 1; b=$(head -n 1 /proc/stat)
  printf '%s\n%s\n' "$a" "$b" | awk '{ t = 0; for (i = 2; i <= NF; i++) t += $i; idle = $5 + $6
    if (NR == 1) { t1 = t; i1 = idle } else printf "%.2f\n", (t > t1) ? 1 - (idle - i1) / (t - t1) : 0 }'
}

# Wait until other work leaves the CPUs alone (someone may be compiling); sets BUSY to the
# last sample, and BUSY_NOTE when the wait gave up.
wait_idle() {
  local waited=0
  BUSY_NOTE=""
  while :; do
    BUSY=$(cpu_busy)
    awk -v b="$BUSY" -v m="$IDLE_MAX" 'BEGIN { exit !(b <= m) }' && return 0
    if [ "$waited" -ge "$IDLE_WAIT" ]; then
      log "CPUs still $BUSY busy after waiting $IDLE_WAIT s: timing anyway"
      BUSY_NOTE="CPUs $BUSY busy with other work when timed"
      return 0
    fi
    log "CPUs $BUSY busy with other work: waiting (at most $((IDLE_WAIT - waited)) s more)"
    sleep 9
    waited=$((waited + 10))
  done
}

# One row per command in $RESULTS/$scenario.tsv:
# name kind status median min max runs rss_kib exit note command
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS/$SCENARIO.tsv"; }

# time_cmd NAME KIND RUNS COMMAND: probe once under timeout and GNU time, then hyperfine.
time_cmd() {
  local name=$1 kind=$2 runs=$3 cmd=$4 safe start end rc probe rss warmup rss_runs note k r median min max n
  safe=$(printf '%s' "$name" | tr -c 'A-Za-z0-9_.-' '_')
  cd "$REPO"
  wait_idle
  log "$SCENARIO: $name (probe)"
  start=$(date +%s.%N)
  rc=0
  /usr/bin/time -f %M -o "$RESULTS/$SCENARIO.$safe.rss" timeout -k 10 "$TIMEOUT" sh -c "$cmd" >/dev/null 2>"$RESULTS/$SCENARIO.$safe.stderr" || rc=$?
  end=$(date +%s.%N)
  probe=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
  rss=$(tail -n 1 "$RESULTS/$SCENARIO.$safe.rss" | tr -dc '0-9')
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    log "$SCENARIO: $name took more than $TIMEOUT s: not timed further"
    row "$name" "$kind" timeout "" "" "" 1 "" "" "> $TIMEOUT s" "$cmd"
    cd - >/dev/null; return 0
  fi
  warmup=1 rss_runs=$RSS_RUNS note=""
  if awk -v p="$probe" -v s="$SLOW" 'BEGIN { exit !(p > s) }'; then
    warmup=0; rss_runs=1
    [ "$runs" -le 3 ] || { runs=3; note="slow (probe ${probe} s): 3 runs"; }
  fi
  log "$SCENARIO: $name: probe ${probe} s, exit $rc; hyperfine --runs $runs"
  wait_idle
  [ -z "$BUSY_NOTE" ] || note="${note:+$note; }$BUSY_NOTE"
  hyperfine -i --style basic --warmup "$warmup" --runs "$runs" -n "$name" \
    --export-json "$RESULTS/$SCENARIO.$safe.json" "$cmd" >"$RESULTS/$SCENARIO.$safe.log" 2>&1 ||
    { log "$SCENARIO: hyperfine failed for $name (see $RESULTS/$SCENARIO.$safe.log)"; row "$name" "$kind" failed "" "" "" 0 "$rss" "$rc" "hyperfine failed" "$cmd"; cd - >/dev/null; return 0; }
  k=1
  while [ "$k" -lt "$rss_runs" ]; do
    /usr/bin/time -f %M -o "$RESULTS/.rss" sh -c "$cmd" >/dev/null 2>&1 || true
    r=$(tail -n 1 "$RESULTS/.rss" | tr -dc '0-9')
    [ -z "$r" ] || [ -z "$rss" ] || [ "$r" -le "$rss" ] || rss=$r
    [ -n "$rss" ] || rss=$r
    k=$((k + 1))
  done
  read -r median min max n <<EOF
$(jq -r '.results[0] | "\(.median) \(.min) \(.max) \(.times | length)"' "$RESULTS/$SCENARIO.$safe.json")
EOF
  row "$name" "$kind" ok "$median" "$min" "$max" "$n" "$rss" "$rc" "$note" "$cmd"
  cd - >/dev/null
}

FLOOR='git diff --cached --no-color --no-ext-diff -U0 --diff-filter=ACM >/dev/null'
QUIET='git diff --cached --quiet'

run_scenario() {
  SCENARIO=$1
  REPO="$SCRATCH/$1"
  local runs=$2 p
  : >"$RESULTS/$SCENARIO.tsv"
  # A clean index, as a developer's would be (hard links change every file's ctime).
  git -C "$REPO" update-index -q --refresh >/dev/null 2>&1 || true
  git -C "$REPO" config secrets.providers >/dev/null 2>&1 || (cd "$REPO" && git secrets --register-aws >/dev/null 2>&1) || true
  {
    printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf 'runs\t%s\n' "$runs"
    printf 'load_start\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf 'staged_files\t%s\n' "$(git -C "$REPO" diff --cached --name-only --diff-filter=ACM | wc -l)"
    git -C "$REPO" diff --cached --no-color --no-ext-diff -U0 --diff-filter=ACM |
      awk '/^\+\+\+ / { next } /^\+/ { n++; b += length($0) } END { printf "added_lines\t%d\nadded_bytes\t%d\n", n, b }'
    printf 'index_entries\t%s\n' "$(git -C "$REPO" ls-files | wc -l)"
  } >"$RESULTS/$SCENARIO.info"
  time_cmd "floor: git diff --cached -U0" floor "$runs" "$FLOOR"
  [ "$SCENARIO" != tiny ] || time_cmd "floor: git diff --cached --quiet" quiet "$runs" "$QUIET"
  time_cmd "awsguard" awsguard "$runs" "$(q "$AWSGUARD") pre-commit"
  for p in $PEERS_OK; do
    time_cmd "$p" peer "$runs" "$(peer_cmd "$p")"
  done
  for p in $PEERS_MISSING; do
    row "$p" peer missing "" "" "" 0 "" "" "not installed" "$(peer_cmd "$p")"
  done
  printf 'load_end\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS/$SCENARIO.info"
}

for s in tiny medium huge longline; do
  wants "$s" || continue
  case "$s" in tiny|medium) r=$RUNS ;; *) r=$RUNS_LARGE ;; esac
  run_scenario "$s" "$r"
done

# Start-up and binary size.
[ "$REPORT_ONLY" = 1 ] || log "start-up: $AWSGUARD --version"
[ "$REPORT_ONLY" = 1 ] || hyperfine -N --style basic --warmup 20 --runs 300 -n "awsguard --version" "$(q "$AWSGUARD") --version" \
  -n "git --version" "git --version" --export-json "$RESULTS/startup.json" >"$RESULTS/startup.log" 2>&1
BIN_BYTES=$(wc -c <"$AWSGUARD")

# --- report ------------------------------------------------------------------------------
info() { awk -F'\t' -v k="$2" '$1 == k { print $2 }' "$RESULTS/$1.info"; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

render_scenario() {
  s=$1
  case "$s" in
    tiny) desc="the whole tree committed at HEAD, then 3 files changed (lines inserted in the middle) and staged" ;;
    medium) desc="the whole tree committed at HEAD, then 150 files changed and 150 added, about 5 MB, staged" ;;
    huge) desc="the whole tree staged as the first commit (unborn branch)" ;;
    longline) desc="one new 50 MiB file of 5 minified-JS-like lines, one AWS key near the end (made at run time)" ;;
  esac
  echo "### $s"
  echo
  echo "$desc: $(info "$s" staged_files) files staged, $(info "$s" added_lines) lines / $(mib "$(info "$s" added_bytes)") MiB added; index of $(info "$s" index_entries) entries. Timed $(info "$s" date), $(info "$s" runs) runs; load average before / after: $(info "$s" load_start) / $(info "$s" load_end)."
  echo
  awk -F'\t' -v tiny="$([ "$s" = tiny ] && echo 1 || echo 0)" '
    function sec(x) { return x == "" ? "" : sprintf("%.3f", x) }
    function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "" : sprintf("%.2f", a / b) }
    { name[NR] = $1; kind[NR] = $2; st[NR] = $3; med[NR] = $4; mn[NR] = $5; mx[NR] = $6; runs[NR] = $7; rss[NR] = $8; ex[NR] = $9; note[NR] = $10
      if ($2 == "floor") floor = $4; if ($2 == "quiet") quiet = $4; if ($2 == "awsguard") ag = $4
      if ($12 != "") note[NR] = (note[NR] == "" ? "" : note[NR] "; ") "did not complete: " $12 }
    END {
      h = "| command | exit | runs | median (s) | min (s) | max (s) | peak RSS (MiB) | × floor |"
      s = "|---|---|---|---|---|---|---|---|"
      if (tiny) { h = h " × `--quiet` |"; s = s "---|" }
      print h " peer / awsguard | note |"; print s "---|---|"
      for (i = 1; i <= NR; i++) {
        n = (kind[i] == "awsguard") ? "**awsguard**" : name[i]
        if (st[i] == "ok") {
          line = sprintf("| %s | %s | %s | %s | %s | %s | %s | %s |", n, ex[i], runs[i], sec(med[i]), sec(mn[i]), sec(mx[i]), rss[i] == "" ? "" : sprintf("%.1f", rss[i] / 1024), ratio(med[i], floor))
          if (tiny) line = line sprintf(" %s |", ratio(med[i], quiet))
          vs = (kind[i] == "peer") ? ratio(med[i], ag) : ""
        } else {
          t = (st[i] == "timeout") ? note[i] : st[i]
          line = sprintf("| %s | | %s | %s | | | | |", n, runs[i], t)
          if (tiny) line = line " |"
          vs = ""
          if (st[i] == "timeout" && ag != "") { split(note[i], w, " "); vs = sprintf("> %.0f", w[2] / ag) }
          if (st[i] == "timeout") note[i] = "one run, killed at the timeout"
        }
        printf "%s %s | %s |\n", line, vs, note[i]
      }
    }' "$RESULTS/$s.annotated.tsv"
  echo
}

# Adds a 12th column to each row: for a command that could not run to completion (exit 126,
# 127 or killed by a signal; 123 is xargs reporting findings), the first line of its stderr.
annotate() {
  awk -F'\t' -v OFS='\t' -v dir="$RESULTS" -v s="$1" '{
    err = ""
    if ($9 == 126 || $9 == 127 || ($9 > 128 && $9 < 256)) {
      safe = $1; gsub(/[^A-Za-z0-9_.-]/, "_", safe)
      file = dir "/" s "." safe ".stderr"
      if ((getline err < file) <= 0) err = ""
      close(file)
      gsub(/[\t|`]/, " ", err); err = substr(err, 1, 120)
      if (err == "") err = "exit " $9
    }
    $12 = err; print
  }' "$RESULTS/$1.tsv" >"$RESULTS/$1.annotated.tsv"
}

target_row() { # what, target, measured, ok(0/1)
  printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$([ "$4" = 1 ] && echo met || echo "**missed**")"
}
# A target row for awsguard's median as a ratio to a baseline's: scenario, baseline,
# the largest ratio allowed, and how the target reads.
ratio_target() {
  have "$1" || return 0
  read -r r ok <<EOF
$(cmp_ratio "$(med_of "$1" awsguard)" "$(med_of "$1" "$2")" "$3")
EOF
  target_row "$1" "$4" "${r}×" "$ok"
}
med_of() { awk -F'\t' -v k="$2" '$2 == k && $3 == "ok" { print $4 }' "$RESULTS/$1.tsv"; }
rss_of() { awk -F'\t' -v k="$2" '$2 == k && $3 == "ok" { print $8 }' "$RESULTS/$1.tsv"; }
cmp_ratio() { # $1 / $2 <= $3 ? prints "ratio ok"
  awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { if (a == "" || b == "" || b == 0) { print "? 0"; exit } r = a / b; printf "%.2f %d\n", r, r <= t }'
}

startup_med=$(jq -r '.results[0].median' "$RESULTS/startup.json")
startup_min=$(jq -r '.results[0].min' "$RESULTS/startup.json")
git_startup=$(jq -r '.results[1].median' "$RESULTS/startup.json")

have() { [ -s "$RESULTS/$1.tsv" ]; }

report() {
  echo "<!-- compare:begin -->"
  echo "<!-- generated by bench/compare.sh on $(date -u '+%Y-%m-%d %H:%M UTC'); do not edit by hand between the markers -->"
  echo
  echo "## Side-by-side speed: $TREE_NAME"
  echo
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- Machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, Linux $(uname -r)"
  echo "- Tree: $TREE_NAME, \`$TREE\`: $TREE_FILES files, $(mib "$TREE_BYTES") MiB"
  echo "- awsguard: $("$AWSGUARD" --version 2>/dev/null | head -n 1) at $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src Cargo.toml Cargo.lock 2>/dev/null || echo ' (src modified)'), \`cargo build --release\`"
  echo "- git $(git --version | awk '{ print $3 }'), hyperfine $(hyperfine --version | awk '{ print $2 }')$(for p in $PEERS_OK; do printf ', %s %s' "$p" "$(peer_version "$p")"; done)"
  [ -z "$PEERS_MISSING" ] || echo "- Not installed, skipped:$PEERS_MISSING"
  echo "- Runs: as given per scenario (\`--runs\` for tiny and medium, \`--runs-large\` for huge and longline), after 1 warm-up and waiting for idle CPUs (other work ≤ $IDLE_MAX of all CPUs); a command slower than $SLOW s on its probe run gets 3 runs, one slower than $TIMEOUT s is killed and reported as such. Warm page cache. Times are wall-clock medians, seconds. Peak RSS: max of GNU \`time -f %M\` over $RSS_RUNS runs (1 for slow commands); for a pipeline, its largest single process."
  echo "- × floor: median / median of \`$FLOOR\` in the same repository. peer / awsguard: the peer's median / awsguard's (above 1: awsguard is faster). exit: exit code of the probe run (awsguard: 1 = credentials found; peers: non-zero = something found, 123 = xargs saw a batch fail)."
  echo "- Commands that produced these results (\`--results\` keeps earlier scenarios):"
  sed 's/^/  - /' "$RESULTS/commands" 2>/dev/null || true
  echo
  for s in tiny medium huge longline; do
    have "$s" || continue
    annotate "$s"
    render_scenario "$s"
  done
  echo "### Start-up and size"
  echo
  echo "| what | value |"
  echo "|---|---|"
  # shellcheck disable=SC2016
  printf '| `awsguard --version` (hyperfine -N, 300 runs) | median %.2f ms, min %.2f ms |\n' "$(awk -v x="$startup_med" 'BEGIN { print x * 1000 }')" "$(awk -v x="$startup_min" 'BEGIN { print x * 1000 }')"
  # shellcheck disable=SC2016
  printf '| `git --version` (same) | median %.2f ms |\n' "$(awk -v x="$git_startup" 'BEGIN { print x * 1000 }')"
  printf '| release binary | %s bytes (%s MiB) |\n' "$BIN_BYTES" "$(awk -v b="$BIN_BYTES" 'BEGIN { printf "%.2f", b / 1048576 }')"
  echo
  echo "### Targets"
  echo
  echo "| scenario | target | measured | |"
  echo "|---|---|---|---|"
  ratio_target tiny quiet 2 "≤ 2× \`$QUIET\`"
  ratio_target medium floor 1.7 "≤ 1.7× floor"
  ratio_target huge floor 1.5 "≤ 1.5× \`git diff --cached\` (floor)"
  if have longline; then
    t=$(med_of longline awsguard)
    target_row longline "≤ 0.3 s" "$(printf '%.3f s' "${t:-0}")" "$(awk -v t="$t" 'BEGIN { print (t != "" && t <= 0.3) }')"
    m=$(rss_of longline awsguard)
    target_row longline "peak RSS ≤ 2× the file (100 MiB)" "$(awk -v k="$m" 'BEGIN { printf "%.1f MiB", k / 1024 }')" "$(awk -v k="$m" -v f="$LONGLINE_BYTES" 'BEGIN { print (k != "" && k * 1024 <= 2 * f) }')"
  fi
  target_row start-up "≤ 2 ms" "$(awk -v x="$startup_med" 'BEGIN { printf "%.2f ms", x * 1000 }')" "$(awk -v x="$startup_med" 'BEGIN { print (x <= 0.002) }')"
  target_row binary "≤ 3 MiB" "$(awk -v b="$BIN_BYTES" 'BEGIN { printf "%.2f MiB", b / 1048576 }')" "$(awk -v b="$BIN_BYTES" 'BEGIN { print (b <= 3 * 1048576) }')"
  echo
  echo "<!-- compare:end -->"
}

report >"$RESULTS/report.md"
if [ -z "$OUT" ]; then
  cat "$RESULTS/report.md"
elif [ -f "$OUT" ] && grep -q '^<!-- compare:begin -->' "$OUT" && grep -q '^<!-- compare:end -->' "$OUT"; then
  awk -v rep="$RESULTS/report.md" '
    /^<!-- compare:begin -->/ { while ((getline l < rep) > 0) print l; skip = 1; next }
    /^<!-- compare:end -->/ { skip = 0; next }
    !skip' "$OUT" >"$OUT.tmp"
  mv "$OUT.tmp" "$OUT"
  log "updated the marked section of $OUT"
else
  cp "$RESULTS/report.md" "$OUT"
  log "wrote $OUT"
fi
