import { strict as assert } from "node:assert";
import { join } from "node:path";
import type { Context } from "aws-lambda";
import type { DumpResult } from "../../lambdas/dump/handler";
import { manifestKey } from "../../lambdas/shared/keys";
import { createDatabase, loadSampleData, startPostgres, startS3, type EmbeddedPostgres, type EmbeddedS3 } from "../helpers/embedded";
import { getTags, listKeys } from "../helpers/recorders";

const HANDLER = "../../lambdas/dump/handler";
const PASSWORD = "handler-pw-91c2";
const BUCKET = "handler-test-bucket";

type Handler = (event: unknown, context: Context) => Promise<DumpResult>;

interface Emf {
    readonly _aws: { readonly CloudWatchMetrics: readonly { readonly Namespace: string; readonly Dimensions: readonly string[][] }[] };
    readonly [key: string]: unknown;
}

/**
 * Loads the handler module afresh with the given environment, as a Lambda cold start would.
 * The environment stays set (the SDK reads some of it lazily) until `restoreEnv()`.
 */
let savedEnv: NodeJS.ProcessEnv | undefined;
function coldStart(env: Record<string, string>, unset: readonly string[] = []): Handler {
    savedEnv ??= { ...process.env };
    Object.assign(process.env, env);
    for (const k of unset) {
        delete process.env[k];
    }
    delete require.cache[require.resolve(HANDLER)];
    return (require(HANDLER) as { handler: Handler }).handler;
}

function restoreEnv(): void {
    if (savedEnv === undefined) {
        return;
    }
    for (const k of Object.keys(process.env)) {
        if (!(k in savedEnv)) {
            delete process.env[k];
        }
    }
    Object.assign(process.env, savedEnv);
    savedEnv = undefined;
}

/** Runs fn while capturing stdout and stderr (Powertools writes logs and EMF there). */
async function captureOutput<T>(fn: () => Promise<T>): Promise<{ result: T | undefined; error: unknown; lines: string[] }> {
    const streams = [process.stdout, process.stderr];
    const originals = streams.map((s) => s.write.bind(s));
    const chunks: string[] = [];
    for (const s of streams) {
        s.write = ((chunk: string | Uint8Array): boolean => {
            chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
            return true;
        }) as typeof s.write;
    }
    const lines = (): string[] => chunks.join("").split("\n").filter((l) => l !== "");
    try {
        const result = await fn();
        return { result, error: undefined, lines: lines() };
    } catch (error) {
        return { result: undefined, error, lines: lines() };
    } finally {
        streams.forEach((s, i) => {
            s.write = originals[i] as typeof s.write;
        });
    }
}

function emfDocuments(lines: readonly string[]): Emf[] {
    return lines.filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l) as Emf);
}

function context(remainingMs = 900_000): Context {
    return {
        callbackWaitsForEmptyEventLoop: false,
        functionName: "dump",
        functionVersion: "1",
        invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:dump",
        memoryLimitInMB: "1024",
        awsRequestId: "req-1",
        logGroupName: "/aws/lambda/dump",
        logStreamName: "s",
        getRemainingTimeInMillis: () => remainingMs,
        done: () => undefined,
        fail: () => undefined,
        succeed: () => undefined,
    };
}

describe("dump handler (real PostgreSQL, s3rver, Powertools EMF)", function () {
    this.timeout(60_000);
    let pg: EmbeddedPostgres;
    let s3: EmbeddedS3;
    let env: Record<string, string>;

    before(async function () {
        this.timeout(120_000);
        [pg, s3] = await Promise.all([startPostgres({ password: PASSWORD }), startS3()]);
        await s3.createBucket(BUCKET);
        await createDatabase(pg.url(), "shop");
        await loadSampleData(pg.url("shop"), { scale: 0.05 });
        env = {
            BACKUP_BUCKET: BUCKET,
            DATABASE_NAME: "shop",
            DATABASE_URL: pg.url("shop"),
            KMS_KEY_ID: "alias/handler-test",
            PG_DUMP_PATH: join(pg.binDir, "pg_dump"),
            S3_ENDPOINT: s3.endpoint,
            AWS_ACCESS_KEY_ID: "S3RVER",
            AWS_SECRET_ACCESS_KEY: "S3RVER",
            AWS_REGION: "us-east-1",
            AWS_REQUEST_CHECKSUM_CALCULATION: "WHEN_REQUIRED",
            AWS_RESPONSE_CHECKSUM_VALIDATION: "WHEN_REQUIRED",
            METRICS_NAMESPACE: "PgBackupStackTest",
            POWERTOOLS_METRICS_DISABLED: "false",
        };
    });

    afterEach(restoreEnv);

    after(async () => {
        await s3?.stop();
        await pg?.stop();
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
    });

    it("refuses an event with an unknown trigger, counting it as a failed backup", async () => {
        // given a cold-started handler
        const handler = coldStart(env);
        // when invoked with a bad trigger
        const { error, lines } = await captureOutput(() => handler({ trigger: "nightly" }, context()));
        // then it fails naming the field, and BackupFailed is published
        assert.match(error instanceof Error ? error.message : "", /event\.trigger: "nightly" is not allowed; expected "schedule" or "on-demand"/);
        assert.equal(emfDocuments(lines)[0]?.BackupFailed, 1);
    });

    it("fails the cold start naming a missing variable", () => {
        // given an environment without the bucket
        const { BACKUP_BUCKET: _bucket, ...withoutBucket } = env;
        // when the module loads
        // then it throws naming BACKUP_BUCKET
        assert.throws(() => coldStart(withoutBucket, ["BACKUP_BUCKET"]), /BACKUP_BUCKET is not set; it is required/);
    });
});
