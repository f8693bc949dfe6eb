/**
 * Writes lambdas/package-lock.json, the lock the function image installs from (`npm ci` in its
 * Dockerfile). npm keeps one lock for a workspace, at the root (npm, workspaces:
 * https://docs.npmjs.com/cli/v11/using-npm/workspaces); the image is built from the
 * functions package alone, so it needs its own. It is derived from the root lock (npm keeps every
 * version the root lock already pins), so the image runs the same package versions as the tests.
 * Run after changing lambdas/package.json: `npm run lock:functions`.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const FUNCTIONS = path.join(ROOT, "lambdas");

function main(): void {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "functions-lock-"));
    try {
        fs.copyFileSync(path.join(FUNCTIONS, "package.json"), path.join(dir, "package.json"));
        fs.copyFileSync(path.join(ROOT, "package-lock.json"), path.join(dir, "package-lock.json"));
        execFileSync("npm", ["install", "--package-lock-only", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: dir, stdio: "inherit" });
        fs.copyFileSync(path.join(dir, "package-lock.json"), path.join(FUNCTIONS, "package-lock.json"));
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main();
