#!/usr/bin/env node
// Runs the awsguard binary of this platform's package (@awsguard/<os>-<cpu>), which npm
// installed through optionalDependencies, as esbuild and biome do: no download at install
// time. Passes arguments, stdin (git's pre-push refs) and the exit status through.
"use strict";
const { spawnSync } = require("child_process");

const pkg = `@awsguard/${process.platform}-${process.arch}`;
const exe = process.platform === "win32" ? "awsguard.exe" : "awsguard";
let binary;
try {
  binary = require.resolve(`${pkg}/bin/${exe}`);
} catch (e) {
  console.error(
    `awsguard: no prebuilt binary for ${process.platform}-${process.arch}: the package ${pkg} is not installed.\n` +
      "  If npm skipped optional dependencies (--omit=optional, --no-optional), install again without that;\n" +
      "  otherwise this platform has no prebuilt package: build awsguard from source (./install.sh)."
  );
  process.exit(2);
}
const run = spawnSync(binary, process.argv.slice(2), { stdio: "inherit" });
if (run.error) {
  console.error(`awsguard: could not run ${binary}: ${run.error.message}`);
  process.exit(2);
}
// A binary killed by a signal: exit 2 (blocked), as awsguard does for any failure.
process.exit(run.status === null ? 2 : run.status);
