import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..", "..");

/** `npx pg-backup-stack ...` in the clone, as after `npm ci`: offline, so only the project's own command can answer. */
function npx(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
    const run = spawnSync("npx", ["--offline", "pg-backup-stack", ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("the pg-backup-stack command (package.json bin)", function () {
    this.timeout(180_000);

    it("prints the usage with every command for --help and exits 0", () => {
        // given the clone with its dependencies installed; when the command is asked for help
        const run = npx(["--help"]);
        // then it answers from the project's CLI
        assert.strictEqual(run.status, 0, run.stderr);
        assert.match(run.stdout, /^usage: pg-backup-stack <command> \[options\]$/m);
        for (const command of ["validate", "drill", "backup", "list", "restore", "pitr", "report", "bench"]) assert.match(run.stdout, new RegExp(`^  ${command} `, "m"));
    });

    it("refuses an unknown command with exit code 2, naming the allowed ones", () => {
        const run = npx(["nonsense"]);
        assert.strictEqual(run.status, 2);
        assert.match(run.stderr, /unknown command "nonsense"; expected one of: validate, drill, /);
    });
});
