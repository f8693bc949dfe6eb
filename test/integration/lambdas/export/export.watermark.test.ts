import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { S3Client } from "@aws-sdk/client-s3";
import { Client } from "pg";
import { ExportFailedError, runExport, type ExportResult } from "../../../../lambdas/export/export";
import { exportSettings, type ExportDeps, type ExportSettingsInput, type ExportTable } from "../../../../lambdas/export/settings";
import { watermarkKey } from "../../../../lambdas/export/keys";
import { type Watermark } from "../../../../lambdas/export/watermark";
import { parsePostgresUrl } from "../../../../lambdas/shared/pgTarget";
import { parseCsv, type CsvField } from "../../../helpers/csv";
import { createDatabase, query, startPostgres, startS3, type EmbeddedPostgres, type EmbeddedS3 } from "../../../helpers/embedded";
import { getBytes, RecordingLog, RecordingMetrics } from "../../../helpers/recorders";

const PASSWORD = "export-wm-pw-8812";
const BUCKET = "export-watermark-bucket";
const DB = "wm";

/** The incremental export's row-loss cases: coarse columns, NULLs, far-future values, late commits, hostile sessions and schemas. */
describe("export watermarks (real PostgreSQL, s3rver)", function () {
    this.timeout(90_000);
    let pg: EmbeddedPostgres;
    let s3: EmbeddedS3;
    let n = 0;

    before(async function () {
        this.timeout(120_000);
        [pg, s3] = await Promise.all([startPostgres({ password: PASSWORD }), startS3()]);
        await s3.createBucket(BUCKET);
        await createDatabase(pg.url(), DB);
    });

    after(async () => {
        await s3?.stop();
        await pg?.stop();
    });

    const sql = (text: string, params: readonly unknown[] = []): Promise<Record<string, unknown>[]> => query(pg.url(DB), text, params);

    function settings(tables: ExportTable[], over: Partial<ExportSettingsInput> = {}): ReturnType<typeof exportSettings> {
        n++;
        return exportSettings({ database: DB, bucket: BUCKET, prefix: `w${n}/exports`, kmsKeyId: "alias/exports", tables, ...over });
    }

    function deps(over: Partial<ExportDeps> = {}): ExportDeps & { log: RecordingLog; metrics: RecordingMetrics } {
        return {
            s3: s3.client(),
            target: parsePostgresUrl(pg.url(DB), "test url"),
            log: new RecordingLog(),
            metrics: new RecordingMetrics(),
            ...over,
        } as ExportDeps & { log: RecordingLog; metrics: RecordingMetrics };
    }

    /** The exported rows of the run's only table, by the value of their first column. */
    async function exported(result: ExportResult): Promise<Map<string, CsvField[]>> {
        const key = result.tables[0]?.key;
        if (key === undefined) {
            return new Map();
        }
        const [, ...rows] = parseCsv(gunzipSync(await getBytes(s3.client(), BUCKET, key)).toString("utf8"));
        return new Map(rows.map((r) => [String(r[0]), r]));
    }

    async function watermark(prefix: string, t: ExportTable): Promise<Watermark> {
        return JSON.parse((await getBytes(s3.client(), BUCKET, watermarkKey(prefix, DB, t))).toString("utf8")) as Watermark;
    }

    const metric = (d: { metrics: RecordingMetrics }, name: string): number | undefined => d.metrics.named(name)[0]?.value;

    describe("a row changed again with the watermark's own value is exported by the next run", () => {
        const cases: { type: string; values: [string, string, string] }[] = [
            { type: "date", values: ["current_date - 2", "current_date - 1", "current_date"] },
            { type: "timestamp(0)", values: ["'2026-01-01 10:00:00'", "'2026-01-01 10:00:01'", "'2026-01-01 10:00:02'"] },
            { type: "timestamptz(6)", values: ["'2026-01-01 10:00:00.000001+00'", "'2026-01-01 10:00:00.000002+00'", "'2026-01-01 10:00:00.000003+00'"] },
            { type: "bigint", values: ["1", "2", "3"] },
        ];
        for (const { type, values } of cases) {
            it(`${type} column`, async () => {
                // given rows 1..4, rows 3 and 4 sharing the greatest value, exported once
                const name = `coarse_${type.replace(/\W/g, "_")}`;
                await sql(`CREATE TABLE public.${name} (id int PRIMARY KEY, status text NOT NULL, changed ${type})`);
                await sql(`INSERT INTO public.${name} VALUES (1, 'new', ${values[0]}), (2, 'new', ${values[1]}), (3, 'new', ${values[2]}), (4, 'new', ${values[2]})`);
                const t: ExportTable = { schema: "public", table: name, column: "changed" };
                const s = settings([t], { safetyLagSeconds: 0 });
                const first = await runExport(s, deps());
                assert.deepEqual([...(await exported(first)).keys()].sort(), ["1", "2", "3", "4"]);
                // when row 3 changes and keeps its watermark value, and the export runs again
                await sql(`UPDATE public.${name} SET status = 'changed' WHERE id = 3`);
                const second = await runExport(s, deps());
                // then the change is exported; rows below the watermark are not exported again
                const rows = await exported(second);
                assert.deepEqual(rows.get("3")?.[1], "changed", `${type}: the changed row is in the second export`);
                assert.equal(rows.has("1") || rows.has("2"), false);
                assert.equal(second.tables[0]?.rows, rows.size);
            });
        }
    });

    it("exports NULL watermark rows on the first run and on every later run, and counts them", async () => {
        // given three rows with a watermark and three without
        await sql("CREATE TABLE public.with_nulls (id int PRIMARY KEY, changed timestamptz)");
        await sql("INSERT INTO public.with_nulls SELECT i, CASE WHEN i <= 3 THEN now() - interval '1 day' * i END FROM generate_series(1, 6) AS i");
        const t: ExportTable = { schema: "public", table: "with_nulls", column: "changed" };
        const s = settings([t]);
        // when the export runs twice
        const d1 = deps();
        const first = await runExport(s, d1);
        const d2 = deps();
        const second = await runExport(s, d2);
        // then the first run has every row, the second the NULL ones again (and the row at the watermark)
        assert.deepEqual([...(await exported(first)).keys()].sort(), ["1", "2", "3", "4", "5", "6"]);
        assert.deepEqual([...(await exported(second)).keys()].sort(), ["1", "4", "5", "6"]);
        // and both runs count them, and say how they are treated
        assert.equal(metric(d1, "ExportNullRows"), 3);
        assert.equal(metric(d2, "ExportNullRows"), 3);
        assert.equal(second.tables[0]?.nullRows, 3);
        assert.ok(d2.log.entries.some((e) => e.level === "warn" && /NULL/.test(e.message) && e.extra["table"] === "public.with_nulls"), d2.log.text());
    });

    it("keeps the watermark below far-future and infinite values, exporting those rows every run with a warning", async () => {
        // given past rows, one at infinity and one ten years ahead
        await sql("CREATE TABLE public.far_future (id int PRIMARY KEY, changed timestamptz NOT NULL)");
        await sql("INSERT INTO public.far_future VALUES (1, now() - interval '2 hours'), (2, now() - interval '1 hour'), (3, 'infinity'), (4, now() + interval '10 years')");
        const t: ExportTable = { schema: "public", table: "far_future", column: "changed" };
        const s = settings([t], { safetyLagSeconds: 60 });
        const d1 = deps();
        await runExport(s, d1);
        // when a row changes now and the export runs again
        await sql("UPDATE public.far_future SET changed = now() - interval '2 minutes' WHERE id = 1");
        const d2 = deps();
        const second = await runExport(s, d2);
        // then the change is exported, with the future rows again
        assert.deepEqual([...(await exported(second)).keys()].sort(), ["1", "2", "3", "4"]);
        // and the watermark never took a future value, the rows are counted and a warning names the table
        const wm = await watermark(s.prefix, t);
        assert.ok(Date.parse(wm.value.replace(" ", "T").replace(/\+00$/, "Z")) < Date.now(), wm.value);
        assert.equal(metric(d1, "ExportFutureRows"), 2);
        assert.equal(metric(d2, "ExportFutureRows"), 2);
        assert.ok(d1.log.entries.some((e) => e.level === "warn" && /future/.test(e.message) && e.extra["table"] === "public.far_future"), d1.log.text());
    });

    it("exports a row committed after a run with a timestamp older than rows that run saw", async () => {
        // given an old row, a transaction that took its timestamp and has not committed, and a later committed row
        await sql("CREATE TABLE public.late (id int PRIMARY KEY, changed timestamptz(6) NOT NULL)");
        await sql("INSERT INTO public.late VALUES (1, now() - interval '2 hours')");
        const slow = new Client({ connectionString: pg.url(DB) });
        await slow.connect();
        try {
            await slow.query("BEGIN");
            await slow.query("INSERT INTO public.late VALUES (2, now())");
            await sql("INSERT INTO public.late VALUES (3, now())");
            const t: ExportTable = { schema: "public", table: "late", column: "changed" };
            const s = settings([t], { safetyLagSeconds: 60 });
            const first = await runExport(s, deps());
            assert.deepEqual([...(await exported(first)).keys()].sort(), ["1", "3"]);
            // when the slow transaction commits and the export runs again
            await slow.query("COMMIT");
            const second = await runExport(s, deps());
            // then its row is exported
            assert.ok((await exported(second)).has("2"), "the late row is exported");
        } finally {
            await slow.end();
        }
    });

    it("succeeds against a database whose statement and idle-in-transaction timeouts are 1 s, with multi-MB rows", async () => {
        // given a database that ends statements and idle transactions after 1 s, and 4 rows of 3.2 MB each
        await createDatabase(pg.url(), "wm_timeouts");
        const url = pg.url("wm_timeouts");
        await query(url, "CREATE TABLE public.big (id int PRIMARY KEY, changed timestamptz NOT NULL, body text NOT NULL)");
        await query(url, "INSERT INTO public.big SELECT i, now() - interval '1 hour', (SELECT string_agg(md5(random()::text || i || g), '') FROM generate_series(1, 100000) AS g) FROM generate_series(1, 4) AS i");
        await query(url, "ALTER DATABASE wm_timeouts SET statement_timeout = '1s'");
        await query(url, "ALTER DATABASE wm_timeouts SET idle_in_transaction_session_timeout = '1s'");
        const expected = new Map((await query<{ id: number; md5: string }>(url, "SELECT id, md5(body) FROM public.big")).map((r) => [String(r.id), r.md5]));
        // when the export runs while every request of its upload takes 1.2 s (COPY waits on the upload, the transaction on the last part)
        const t: ExportTable = { schema: "public", table: "big", column: "changed" };
        const s = settings([t], { database: "wm_timeouts", gzipLevel: 1, partSizeBytes: 5 * 1024 * 1024, uploadConcurrency: 1 });
        const result = await runExport(s, deps({ s3: slowS3(s3.client(), "/public.big/", 1_200), target: parsePostgresUrl(url, "test url") }));
        // then every row is exported whole
        const rows = await exported(result);
        assert.equal(rows.size, 4);
        for (const [id, md5] of expected) {
            assert.equal(createHash("md5").update(String(rows.get(id)?.[2])).digest("hex"), md5, `row ${id}`);
        }
    });

    it("reports a session the server ends during the upload as the table's failure", async () => {
        // given a table, and S3 that ends the export's database session on its first request
        await sql("CREATE TABLE public.killed (id int PRIMARY KEY, changed timestamptz NOT NULL)");
        await sql("INSERT INTO public.killed VALUES (1, now() - interval '1 hour')");
        const t: ExportTable = { schema: "public", table: "killed", column: "changed" };
        const s = settings([t]);
        const s3Client = s3.client();
        let terminated = 0;
        s3Client.middlewareStack.add(
            (next) => async (args) => {
                if (terminated === 0) {
                    const ended = await sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pg-backup-stack-export' AND datname = $1", [DB]);
                    terminated = ended.length;
                    await new Promise((resolve) => setTimeout(resolve, 300));
                }
                return next(args);
            },
            { step: "initialize" },
        );
        const d = deps({ s3: s3Client });
        // when the export runs
        // then it fails naming the table and the ended session, counts the failure and logs it
        await assert.rejects(runExport(s, d), (e: unknown) => {
            assert.ok(e instanceof ExportFailedError, String(e));
            assert.equal(e.failures[0]?.table, "public.killed");
            assert.match(e.failures[0]?.error.message ?? "", /terminat/i);
            return true;
        });
        assert.equal(terminated, 1);
        assert.equal(metric(d, "ExportFailed"), 1);
        assert.ok(d.log.entries.some((e) => e.level === "error" && e.extra["table"] === "public.killed"), d.log.text());
    });

    it("refuses to export a table whose row-level security would hide rows from the export user", async () => {
        // given a table with RLS that shows the export user none of its rows
        await sql("CREATE TABLE public.secured (id int PRIMARY KEY, changed timestamptz NOT NULL)");
        await sql("INSERT INTO public.secured SELECT i, now() - interval '1 hour' FROM generate_series(1, 5) AS i");
        await sql("ALTER TABLE public.secured ENABLE ROW LEVEL SECURITY");
        await sql("CREATE POLICY nobody ON public.secured USING (false)");
        await sql("CREATE ROLE exporter LOGIN PASSWORD 'exporter-pw'");
        await sql("GRANT SELECT ON public.secured TO exporter");
        const target = { ...parsePostgresUrl(pg.url(DB), "test url"), user: "exporter", password: "exporter-pw" };
        const t: ExportTable = { schema: "public", table: "secured", column: "changed" };
        // when the export runs as that user
        // then the table fails, naming row-level security, instead of exporting 0 rows
        await assert.rejects(runExport(settings([t]), deps({ target })), (e: unknown) => {
            assert.ok(e instanceof ExportFailedError, String(e));
            assert.match(e.failures[0]?.error.message ?? "", /row-level security/);
            return true;
        });
    });

    it("handles upper-case, spaced and non-ASCII names and a table without a primary key", async () => {
        // given a schema, table and column with such names, no primary key, rows sharing the greatest value
        await sql('CREATE SCHEMA "Ventes Été"');
        await sql('CREATE TABLE "Ventes Été"."Commandes $2026" (nr int, "État" text, "Modifié Le" timestamp(0))');
        await sql(`INSERT INTO "Ventes Été"."Commandes $2026" VALUES (1, 'a', '2026-01-01 00:00:00'), (2, 'a', '2026-01-02 00:00:00'), (3, 'a', '2026-01-02 00:00:00')`);
        const t: ExportTable = { schema: "Ventes Été", table: "Commandes $2026", column: "Modifié Le" };
        const s = settings([t]);
        const d1 = deps();
        await runExport(s, d1);
        // when a row at the watermark changes and the export runs again
        await sql(`UPDATE "Ventes Été"."Commandes $2026" SET "État" = 'b' WHERE nr = 2`);
        const second = await runExport(s, deps());
        // then the change is exported, and the first run warned that repeated rows cannot be told apart by key
        assert.equal((await exported(second)).get("2")?.[1], "b");
        assert.ok(d1.log.entries.some((e) => e.level === "warn" && /primary key/.test(e.message)), d1.log.text());
    });
});

/** The same S3 client, every request for a key under `keyPart` held back by `ms` (a slow network), for timing tests. */
function slowS3(client: S3Client, keyPart: string, ms: number): S3Client {
    client.middlewareStack.add(
        (next) => async (args) => {
            const key = (args.input as { Key?: unknown }).Key;
            if (typeof key === "string" && key.includes(keyPart)) {
                await new Promise((resolve) => setTimeout(resolve, ms));
            }
            return next(args);
        },
        { step: "initialize" },
    );
    return client;
}
