#!/usr/bin/env node
/**
 * Builds the library as it is packed: compiles the components (and the function module they
 * import) into bin/, then copies the functions package's image context into bin/lambdas, where
 * FunctionImage resolves it from its own location (FUNCTIONS_PACKAGE_DIR).
 */
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const library = path.resolve(__dirname, "..");
const functions = path.resolve(library, "..", "lambdas");
const out = path.join(library, "bin");

fs.rmSync(out, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(library, "tsconfig.json")], { stdio: "inherit" });
const { DOCKERFILE, imageContextFiles } = require(path.join(out, "components", "aws", "functionImage.js"));
for (const rel of [...imageContextFiles(functions), DOCKERFILE, ".dockerignore"]) {
    fs.mkdirSync(path.dirname(path.join(out, "lambdas", rel)), { recursive: true });
    fs.copyFileSync(path.join(functions, rel), path.join(out, "lambdas", rel));
}
