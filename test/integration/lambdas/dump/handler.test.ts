import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Context } from "aws-lambda";
import type { DumpResult } from "../../../../lambdas/dump/handler";
import { manifestKey } from "../../../../lambdas/shared/keys";
import { createDatabase, loadSampleData, startPostgres, startS3, type EmbeddedPostgres, type EmbeddedS3 } from "../../../helpers/embedded";
import { asLambdaRuntime, captureOutput, coldStart as load, embeddedAwsEnv, emfDocuments, lambdaContext as context, restoreEnv, resultLines } from "../../../helpers/lambda";
import { getTags, listKeys } from "../../../helpers/recorders";
import { running } from "../../../helpers/stubbornTool";

const HANDLER = require.resolve("../../../../lambdas/dump/handler");
const PASSWORD = "handler-pw-91c2";
const BUCKET = "handler-test-bucket";

type Handler = (event: unknown, context: Context) => Promise<DumpResult>;

function coldStart(env: Record<string, string>, unset: readonly string[] = []): Handler {
    return load<Handler>(HANDLER, env, unset);
}

describe("dump handler (real PostgreSQL, s3rver, Powertools EMF)", function () {
    this.timeout(60_000);
    let pg: EmbeddedPostgres;
    let s3: EmbeddedS3;
    let env: Record<string, string>;
    let scripts: string;

    before(async function () {
        this.timeout(120_000);
        [pg, s3] = await Promise.all([startPostgres({ password: PASSWORD }), startS3()]);
        await s3.createBucket(BUCKET);
        scripts = await mkdtemp(join(tmpdir(), "pgbs-dump-handler-"));
        await createDatabase(pg.url(), "shop");
        await loadSampleData(pg.url("shop"), { scale: 0.05 });
        env = {
            BACKUP_BUCKET: BUCKET,
            DATABASE_NAME: "shop",
            DATABASE_URL: pg.url("shop"),
            KMS_KEY_ID: "alias/handler-test",
            PG_DUMP_PATH: join(pg.binDir, "pg_dump"),
            ...embeddedAwsEnv(s3.endpoint),
        };
    });

    afterEach(restoreEnv);

    after(async () => {
        await s3?.stop();
        await pg?.stop();
        if (scripts !== undefined) {
            await rm(scripts, { recursive: true, force: true });
        }
    });

    it("takes an on-demand backup and publishes success metrics with the Database dimension", async () => {
        // given a cold-started handler
        const handler = coldStart(env);
        // when it is invoked for a backup before a deployment
        const { result, error, lines } = await captureOutput(() => handler({ trigger: "on-demand", reason: "deploy 1.2.3" }, context()));
        // then it returns the stored backup, which has its manifest and tier tag
        assert.equal(error, undefined);
        assert.ok(result !== undefined);
        assert.equal(result.trigger, "on-demand");
        assert.equal(result.tier, "daily");
        assert.deepEqual(await listKeys(s3.client(), BUCKET, "backups/shop/"), [result.key, manifestKey(result.key)]);
        assert.deepEqual(await getTags(s3.client(), BUCKET, result.key), { tier: "daily" });
        // and one EMF document carries the success metrics under the configured namespace
        const docs = emfDocuments(lines);
        assert.equal(docs.length, 1);
        const doc = docs[0];
        assert.equal(doc?._aws.CloudWatchMetrics[0]?.Namespace, "PgBackupStackTest");
        assert.deepEqual(doc?._aws.CloudWatchMetrics[0]?.Dimensions, [["Database"]]);
        assert.equal(doc?.Database, "shop");
        assert.equal(doc?.BackupSucceeded, 1);
        assert.equal(doc?.BackupSizeBytes, result.sizeBytes);
        assert.equal(typeof doc?.BackupDurationSeconds, "number");
        // and the password is in no log line
        assert.equal(lines.some((l) => l.includes(PASSWORD)), false);
        // and exactly one result line reports the success with the dump's key
        assert.deepEqual(resultLines(lines), [{ kind: "dump", database: "shop", outcome: "succeeded", key: result.key }]);
    });

    it("publishes BackupFailed and rethrows when the database refuses the password", async () => {
        // given a handler configured with a wrong password
        const handler = coldStart({ ...env, DATABASE_URL: pg.url("shop").replace(PASSWORD, "wrong-pw-value") });
        // when invoked on schedule
        const { error, lines } = await captureOutput(() => handler({}, context()));
        // then the invocation fails and the failure metric is flushed
        assert.ok(error instanceof Error && error.name === "DatabaseAuthError");
        const docs = emfDocuments(lines);
        assert.equal(docs.length, 1);
        assert.equal(docs[0]?.BackupFailed, 1);
        assert.equal(docs[0]?.BackupSucceeded, undefined);
        assert.equal(lines.some((l) => l.includes("wrong-pw-value")), false);
        // and exactly one result line reports the failure with the server's message
        const results = resultLines(lines);
        assert.deepEqual(results.map((r) => [r.kind, r.database, r.outcome, r.key]), [["dump", "shop", "failed", undefined]]);
        assert.match(results[0]?.error ?? "", /password authentication failed for user/);
    });

    it("refuses an event with an unknown trigger, counting it as a failed backup", async () => {
        // given a cold-started handler
        const handler = coldStart(env);
        // when invoked with a bad trigger
        const { error, lines } = await captureOutput(() => handler({ trigger: "nightly" }, context()));
        // then it fails naming the field, and BackupFailed is published
        assert.match(error instanceof Error ? error.message : "", /event\.trigger: "nightly" is not allowed; expected "schedule" or "on-demand"/);
        assert.equal(emfDocuments(lines)[0]?.BackupFailed, 1);
        // and exactly one result line reports the refusal
        assert.deepEqual(resultLines(lines), [{ kind: "dump", database: "shop", outcome: "failed", error: 'event.trigger: "nightly" is not allowed; expected "schedule" or "on-demand"' }]);
    });

    it("reports a crash during a backup as a failed backup: BackupFailed flushed, logged, pg_dump stopped", async () => {
        // given a handler whose pg_dump starts 2 s late, and the Lambda runtime's crash listeners in place of the test runner's
        const slow = join(scripts, "pg_dump-slow");
        const real = join(pg.binDir, "pg_dump");
        await writeFile(slow, `#!/bin/sh\nif [ "$1" = "--version" ]; then exec "${real}" --version; fi\necho $$ > "${slow}.pid"\nsleep 2\nexec "${real}" "$@"\n`);
        await chmod(slow, 0o755);
        const handler = coldStart({ ...env, PG_DUMP_PATH: slow });
        const stored = await listKeys(s3.client(), BUCKET, "backups/shop/");
        await asLambdaRuntime(async (crashes) => {
            // when a rejection nothing handles happens while the backup runs
            const { error, lines } = await captureOutput(async () => {
                const invocation = handler({}, context());
                setTimeout(() => void Promise.reject(new Error("boom in a callback")), 500);
                return invocation;
            });
            // then the runtime still sees the crash, and the invocation fails
            assert.equal(crashes.length, 1);
            assert.ok(error instanceof Error);
            // and exactly one BackupFailed is flushed, with the crash logged
            const failedDocs = emfDocuments(lines).filter((d) => d.BackupFailed !== undefined);
            assert.deepEqual(failedDocs.map((d) => [d.BackupFailed, d.Database]), [[1, "shop"]]);
            assert.equal(emfDocuments(lines).some((d) => d.BackupSucceeded !== undefined), false);
            assert.ok(lines.some((l) => l.includes("dump crashed") && l.includes("boom in a callback")));
            // and exactly one result line, written by the crash report, says the run failed with the crash
            assert.deepEqual(resultLines(lines), [{ kind: "dump", database: "shop", outcome: "failed", error: "boom in a callback" }]);
            // and pg_dump is gone, nothing is stored
            const pid = Number(await readFile(`${slow}.pid`, "utf8"));
            await new Promise((r) => setTimeout(r, 200));
            assert.equal(await running(pid), false, "pg_dump (its wrapper) is gone");
            assert.deepEqual(await listKeys(s3.client(), BUCKET, "backups/shop/"), stored);
        });
    });

    it("as the runner's command (runOnce, a real process), writes exactly one result line before it exits", async () => {
        // given the image's command for a dump, with the handler's environment
        const root = join(__dirname, "..", "..", "..", "..");
        const run = (extra: Record<string, string>) =>
            new Promise<{ code: number | null; stdout: string }>((resolve) => {
                const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", join(root, "lambdas", "shared", "runOnce.ts"), "dump/handler.handler"], {
                    cwd: root,
                    env: { ...process.env, ...env, ...extra },
                    stdio: ["ignore", "pipe", "ignore"],
                });
                let stdout = "";
                child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
                child.on("close", (code) => resolve({ code, stdout }));
            });
        // when it runs to success, and against a database that refuses the password
        const ok = await run({});
        const refused = await run({ DATABASE_URL: pg.url("shop").replace(PASSWORD, "wrong-pw-value") });
        // then the process wrote one succeeded line with the key it stored, and one failed line, and exited 0 and 1
        const stored = await listKeys(s3.client(), BUCKET, "backups/shop/");
        const [success] = resultLines(ok.stdout.split("\n"));
        assert.equal(ok.code, 0, ok.stdout);
        assert.deepEqual(resultLines(ok.stdout.split("\n")).map((r) => [r.kind, r.database, r.outcome]), [["dump", "shop", "succeeded"]]);
        assert.ok(success?.key !== undefined && stored.includes(success.key), "the key is the stored dump");
        assert.equal(refused.code, 1);
        assert.deepEqual(resultLines(refused.stdout.split("\n")).map((r) => [r.kind, r.database, r.outcome]), [["dump", "shop", "failed"]]);
        assert.equal(refused.stdout.includes("wrong-pw-value"), false);
    });

    it("fails the cold start naming a missing variable", () => {
        // given an environment without the bucket
        const { BACKUP_BUCKET: _bucket, ...withoutBucket } = env;
        // when the module loads
        // then it throws naming BACKUP_BUCKET
        assert.throws(() => coldStart(withoutBucket, ["BACKUP_BUCKET"]), /BACKUP_BUCKET is not set; it is required/);
    });
});
