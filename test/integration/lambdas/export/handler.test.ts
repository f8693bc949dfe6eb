import { strict as assert } from "node:assert";
import type { Context } from "aws-lambda";
import type { ExportResult } from "../../../../lambdas/export/export";
import { createDatabase, loadSampleData, startPostgres, startS3, type EmbeddedPostgres, type EmbeddedS3 } from "../../../helpers/embedded";
import { asLambdaRuntime, captureOutput, coldStart, embeddedAwsEnv, emfDocuments, lambdaContext, restoreEnv, resultLines } from "../../../helpers/lambda";
import { listKeys } from "../../../helpers/recorders";

const HANDLER = require.resolve("../../../../lambdas/export/handler");
const BUCKET = "export-handler-bucket";
const PASSWORD = "export-handler-pw-33";

type Handler = (event: unknown, context: Context) => Promise<ExportResult>;

describe("export handler (real PostgreSQL, s3rver, Powertools EMF)", function () {
    this.timeout(60_000);
    let pg: EmbeddedPostgres;
    let s3: EmbeddedS3;
    let env: Record<string, string>;

    before(async function () {
        this.timeout(120_000);
        [pg, s3] = await Promise.all([startPostgres({ password: PASSWORD }), startS3()]);
        await s3.createBucket(BUCKET);
        await createDatabase(pg.url(), "shop");
        await loadSampleData(pg.url("shop"), { scale: 0.02 });
        env = {
            EXPORT_BUCKET: BUCKET,
            DATABASE_NAME: "shop",
            DATABASE_URL: pg.url("shop"),
            KMS_KEY_ID: "alias/exports",
            EXPORT_TABLES: JSON.stringify([{ schema: "sales", table: "orders", column: "updated_at" }, { schema: "inventory", table: "products" }]),
            ...embeddedAwsEnv(s3.endpoint),
        };
    });

    afterEach(restoreEnv);

    after(async () => {
        await s3?.stop();
        await pg?.stop();
    });

    it("exports the configured tables and publishes the export metrics", async () => {
        // given a cold-started export handler
        const handler = coldStart<Handler>(HANDLER, env);
        // when it is invoked
        const { result, error, lines } = await captureOutput(() => handler({}, lambdaContext()));
        // then both tables are exported and the metrics carry the Database dimension
        assert.equal(error, undefined);
        assert.deepEqual(result?.tables.map((t) => [t.table, t.mode]), [["orders", "incremental"], ["products", "full"]]);
        assert.equal((await listKeys(s3.client(), BUCKET, "exports/shop/")).length, 3, "two exports and one watermark");
        const doc = emfDocuments(lines)[0];
        assert.deepEqual(doc?._aws.CloudWatchMetrics[0]?.Dimensions, [["Database"]]);
        assert.equal(doc?.ExportSucceeded, 2);
        assert.equal(doc?.ExportFailed, 0);
        assert.equal(doc?.ExportRows, result?.tables.reduce((n, t) => n + t.rows, 0));
        assert.equal(doc?.ExportNullRows, 0);
        assert.equal(doc?.ExportFutureRows, 0);
        assert.equal(lines.some((l) => l.includes(PASSWORD)), false);
        // and exactly one result line reports the success
        assert.deepEqual(resultLines(lines), [{ kind: "export", database: "shop", outcome: "succeeded" }]);
    });

    it("publishes ExportFailed and rethrows when a configured table is missing", async () => {
        // given a handler configured with a table that does not exist
        const handler = coldStart<Handler>(HANDLER, { ...env, EXPORT_TABLES: '[{"schema": "sales", "table": "refunds"}]' });
        // when invoked
        const { error, lines } = await captureOutput(() => handler({}, lambdaContext()));
        // then it fails naming the table, and the failure is counted
        assert.match(error instanceof Error ? error.message : "", /table sales\.refunds does not exist/);
        assert.equal(emfDocuments(lines)[0]?.ExportFailed, 1);
        // and exactly one result line reports the failure, naming the table
        const results = resultLines(lines);
        assert.deepEqual(results.map((r) => [r.kind, r.database, r.outcome]), [["export", "shop", "failed"]]);
        assert.match(results[0]?.error ?? "", /table sales\.refunds does not exist/);
    });

    it("reports a crash during an export as a failed run, once, and counts no success after it", async () => {
        // given a cold-started handler and the Lambda runtime's crash listeners in place of the test runner's
        const handler = coldStart<Handler>(HANDLER, env);
        await asLambdaRuntime(async (crashes) => {
            // when a rejection nothing handles happens while the export runs
            const { lines } = await captureOutput(async () => {
                const invocation = handler({}, lambdaContext());
                void Promise.reject(new Error("boom during the export"));
                return invocation;
            });
            // then the runtime sees the crash, and exactly one result line says the run failed with it, whatever the export did after
            assert.equal(crashes.length, 1);
            assert.deepEqual(resultLines(lines), [{ kind: "export", database: "shop", outcome: "failed", error: "boom during the export" }]);
            assert.ok(lines.some((l) => l.includes("export crashed") && l.includes("boom during the export")));
            assert.equal(emfDocuments(lines).some((d) => d.ExportSucceeded !== undefined && d.ExportSucceeded !== 0), false);
        });
    });
});
