import assert from "node:assert/strict";
import { join } from "node:path";
import { ArgumentError } from "../../cli/args";
import { main as backupMain, parseBackupArgs } from "../../cli/backup";
import { runCli } from "../helpers/cli";

const ROOT = join(__dirname, "..", "..");

describe("CLI backup arguments", () => {
    it("names the stack's dump function and region from its stack file", () => {
        assert.deepEqual(parseBackupArgs(["--stack", "staging", "--database", "orders", "--reason", "before release"], {}, ROOT), {
            kind: "stack",
            functionName: "pg-backup-staging-dump-orders",
            region: "eu-west-1",
            database: "orders",
            reason: "before release",
            json: false,
        });
    });

    it("dumps here in directory format with the jobs asked for, and in the custom format by default", () => {
        const local = ["--database-url", "postgres://u@h/db", "--bucket", "b-1"];
        assert.deepEqual({ ...parseBackupArgs([...local, "--dump-format", "directory", "--dump-jobs", "3"], {}, ROOT), target: "the URL's" }, {
            kind: "local",
            target: "the URL's",
            database: "db",
            bucket: "b-1",
            prefix: "backups",
            format: "directory",
            jobs: 3,
            json: false,
        });
        assert.equal((parseBackupArgs(local, {}, ROOT) as { format: string }).format, "custom");
    });

    const refusals: [string, readonly string[], string][] = [
        ["neither mode", ["--database", "orders"], "--stack, --database-url: missing; expected exactly one"],
        ["both modes", ["--stack", "prod", "--database-url", "postgres://u@h/db"], "--stack, --database-url: given together"],
        ["an unknown stack", ["--stack", "nope", "--database", "orders"], "--stack: "],
        ["a bucket with --stack", ["--stack", "prod", "--database", "orders", "--bucket", "b-1"], "--bucket: not allowed with --stack"],
        ["--reason without --stack", ["--database-url", "postgres://u@h/db", "--bucket", "b-1", "--reason", "x"], "--reason: only with --stack"],
        ["a local run without a bucket", ["--database-url", "postgres://u@h/db"], "--bucket: missing"],
        ["a database dumped by a Fargate task", ["--stack", "prod", "--database", "orders"], "--database: \"orders\" is dumped by a Fargate task in stack prod"],
        ["an unknown dump format", ["--database-url", "postgres://u@h/db", "--bucket", "b-1", "--dump-format", "tar"], '--dump-format: "tar" is not allowed; expected custom or directory'],
        ["dump jobs for a custom-format dump", ["--database-url", "postgres://u@h/db", "--bucket", "b-1", "--dump-jobs", "2"], "--dump-jobs: only with --dump-format directory"],
        ["too many dump jobs", ["--database-url", "postgres://u@h/db", "--bucket", "b-1", "--dump-format", "directory", "--dump-jobs", "17"], '--dump-jobs: "17" is not allowed; expected an integer 1..16'],
        ["a dump format with --stack", ["--stack", "prod", "--database", "orders", "--dump-format", "directory"], "--dump-format: not allowed with --stack"],
    ];
    for (const [what, args, message] of refusals) {
        it(`refuses ${what}`, () => {
            assert.throws(() => parseBackupArgs(args, {}, ROOT), (err: unknown) => err instanceof ArgumentError && err.message.startsWith(message));
        });
    }

    it("invokes the function on demand with the reason and prints what it stored; a function error exits 1", async () => {
        // given a stand-in for Lambda Invoke that records the call
        const calls: unknown[] = [];
        const cwd = process.cwd();
        process.chdir(ROOT);
        try {
            const ok = await runCli(
                (a) =>
                    backupMain(a, async (name, region, payload) => {
                        calls.push([name, region, payload]);
                        return { key: "backups/orders/daily/k.dump", manifestKey: "backups/orders/daily/k.dump.manifest.json", tier: "daily", trigger: "on-demand", sizeBytes: 2048, sha256: "ab".repeat(32), durationMs: 1500 };
                    }),
                ["--stack", "staging", "--database", "orders", "--reason", "before release"],
            );
            const failed = await runCli(
                (a) =>
                    backupMain(a, async () => {
                        throw new Error("pg-backup-staging-dump-orders failed (Unhandled): DatabaseAuthError: password authentication failed");
                    }),
                ["--stack", "staging", "--database", "orders"],
            );
            // then the payload is an on-demand trigger with the reason, the key is printed, and the failure is named
            assert.deepEqual(calls, [["pg-backup-staging-dump-orders", "eu-west-1", { trigger: "on-demand", reason: "before release" }]]);
            assert.equal(ok.code, 0, ok.err);
            assert.match(ok.out, /backup backups\/orders\/daily\/k\.dump\n {2}manifest backups\/orders\/daily\/k\.dump\.manifest\.json\n {2}daily, 2\.0 KiB/);
            assert.equal(failed.code, 1);
            assert.match(failed.err, /backup failed: pg-backup-staging-dump-orders failed \(Unhandled\): DatabaseAuthError/);
        } finally {
            process.chdir(cwd);
        }
    });
});
