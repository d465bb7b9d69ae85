#!/bin/sh
# Builds awsguard's prebuilt distributions for this machine's platform, from this checkout:
#   target/dist/wheels/awsguard-<v>-py3-none-<platform>.whl  the PyPI wheel (maturin, bin)
#   target/dist/wheels/setuptools-*.whl                      for offline installs of the
#                                                            pre-commit hook repository
#   target/dist/pre-commit/                                  that hook repository, a git repo
#   target/dist/npm/awsguard-<v>.tgz                         the npm package (JS launcher)
#   target/dist/npm/awsguard-<os>-<cpu>-<v>.tgz              its platform package (binary)
# Compiles once (maturin, release profile); the npm platform package takes the binary from
# the wheel. Needs python3, npm and cargo; installs maturin from PyPI into target/dist-venv.
# tests/packaging.rs installs these artifacts with no network and no cargo on PATH.
# Usage: packaging/build.sh [OUT_DIR]   (default: target/dist)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/target/dist}
mkdir -p "$out"
out=$(cd "$out" && pwd)
venv=$root/target/dist-venv
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)

# Every manifest names the same version as Cargo.toml.
for file in npm/awsguard/package.json npm/linux-x64/package.json pre-commit/pyproject.toml; do
    grep -q "\"$version\"" "$root/packaging/$file" ||
        { echo "build.sh: packaging/$file does not name version $version (Cargo.toml)" >&2; exit 2; }
done

if [ ! -x "$venv/bin/maturin" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "maturin>=1.9,<2"
fi

rm -rf "$out/wheels" "$out/npm" "$out/pre-commit"
mkdir -p "$out/wheels" "$out/npm"
echo "build.sh: building the wheel (cargo build --release through maturin)"
(cd "$root/packaging/python" && "$venv/bin/maturin" build --release --locked --out "$out/wheels")
wheel=$(ls "$out/wheels"/awsguard-"$version"-*.whl)
"$venv/bin/pip" download --quiet --disable-pip-version-check --only-binary=:all: --dest "$out/wheels" "setuptools>=61"

echo "build.sh: the npm packages"
case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) platform=linux-x64 ;;
    *) echo "build.sh: only the linux-x64 npm package is built here ($(uname -s)-$(uname -m))" >&2; exit 2 ;;
esac
stage=$out/npm/stage
mkdir -p "$stage"
cp -R "$root/packaging/npm/awsguard" "$stage/awsguard"
cp -R "$root/packaging/npm/$platform" "$stage/$platform"
mkdir -p "$stage/$platform/bin"
"$venv/bin/python" - "$wheel" "$stage/$platform/bin/awsguard" <<'PY'
import sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith(".data/scripts/awsguard"))
    with open(dest, "wb") as f:
        f.write(z.read(name))
PY
chmod 755 "$stage/$platform/bin/awsguard" "$stage/awsguard/bin/awsguard.js"
for pkg in awsguard "$platform"; do
    (cd "$out/npm" && npm pack --silent "$stage/$pkg" >/dev/null)
done
rm -rf "$stage"
# npm names a scoped package's tarball awsguard-<platform>-<version>.tgz.
ls "$out/npm/awsguard-$version.tgz" "$out/npm/awsguard-$platform-$version.tgz" >/dev/null

echo "build.sh: the pre-commit hook repository"
cp -R "$root/packaging/pre-commit" "$out/pre-commit"
(
    cd "$out/pre-commit"
    export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
    git init -q -b main
    git add -A
    git -c user.name=awsguard -c user.email=build@awsguard.invalid commit -q -m "awsguard $version"
    git tag "v$version"
)
echo "build.sh: done: $out"
ls -l "$out/wheels" "$out/npm"
