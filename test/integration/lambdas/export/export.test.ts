import { strict as assert } from "node:assert";
import { gunzipSync } from "node:zlib";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { Client } from "pg";
import { ExportFailedError, runExport } from "../../../../lambdas/export/export";
import { ExportConfigError, exportSettings, type ExportDeps, type ExportSettingsInput, type ExportTable } from "../../../../lambdas/export/settings";
import { exportKey, watermarkKey } from "../../../../lambdas/export/keys";
import { type Watermark } from "../../../../lambdas/export/watermark";
import { parsePostgresUrl } from "../../../../lambdas/shared/pgTarget";
import { parseCsv, type CsvField } from "../../../helpers/csv";
import {
    createDatabase,
    loadSampleData,
    query,
    startFaultyProxy,
    startPostgres,
    startS3,
    type EmbeddedPostgres,
    type EmbeddedS3,
    type FaultyProxy,
} from "../../../helpers/embedded";
import { getBytes, listKeys, RecordingLog, RecordingMetrics } from "../../../helpers/recorders";

const PASSWORD = "export-pw-5521";
const BUCKET = "export-test-bucket";

const ORDERS: ExportTable = { schema: "sales", table: "orders", column: "updated_at" };
const CUSTOMERS: ExportTable = { schema: "sales", table: "customers", column: "updated_at" };
const STOCK: ExportTable = { schema: "inventory", table: "Stock Levels", column: "updated_at" };
const ITEMS: ExportTable = { schema: "sales", table: "order_items" };

describe("export (real PostgreSQL, s3rver)", function () {
    this.timeout(60_000);
    let pg: EmbeddedPostgres;
    let s3: EmbeddedS3;
    let proxy: FaultyProxy;
    let n = 0;

    before(async function () {
        this.timeout(120_000);
        [pg, s3] = await Promise.all([startPostgres({ password: PASSWORD }), startS3()]);
        proxy = await startFaultyProxy(s3.endpoint);
        await s3.createBucket(BUCKET);
        await createDatabase(pg.url(), "shop");
        await loadSampleData(pg.url("shop"), { scale: 0.05 });
    });

    after(async () => {
        await proxy?.stop();
        await s3?.stop();
        await pg?.stop();
    });

    afterEach(() => proxy.setFault({ kind: "none" }));

    function settings(over: Partial<ExportSettingsInput> = {}): ReturnType<typeof exportSettings> {
        n++;
        return exportSettings({ database: "shop", bucket: BUCKET, prefix: `e${n}/exports`, kmsKeyId: "alias/exports", tables: [ORDERS, CUSTOMERS, STOCK, ITEMS], ...over });
    }

    function deps(over: Partial<ExportDeps> = {}): ExportDeps & { log: RecordingLog; metrics: RecordingMetrics } {
        return {
            s3: s3.client({ endpoint: proxy.endpoint, maxAttempts: 2 }),
            target: parsePostgresUrl(pg.url("shop"), "test url"),
            log: new RecordingLog(),
            metrics: new RecordingMetrics(),
            ...over,
        } as ExportDeps & { log: RecordingLog; metrics: RecordingMetrics };
    }

    /** Rows of a table as PostgreSQL prints them in UTC/ISO, NULL as null, optionally filtered. */
    async function rowsAsText(t: ExportTable, where = "true"): Promise<{ header: string[]; rows: CsvField[][] }> {
        const client = new Client({ connectionString: pg.url("shop"), options: "-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=iso_8601" });
        await client.connect();
        try {
            const cols = await client.query<{ name: string }>(
                "SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                [`"${t.schema}"."${t.table}"`],
            );
            const header = cols.rows.map((c) => c.name);
            const select = header.map((c) => `"${c}"::text`).join(", ");
            const res = await client.query({ text: `SELECT ${select} FROM "${t.schema}"."${t.table}" WHERE ${where}`, rowMode: "array" });
            return { header, rows: res.rows as (string | null)[][] };
        } finally {
            await client.end();
        }
    }

    async function exportedCsv(key: string): Promise<{ header: CsvField[]; rows: CsvField[][] }> {
        const parsed = parseCsv(gunzipSync(await getBytes(s3.client(), BUCKET, key)).toString("utf8"));
        const [header, ...rows] = parsed;
        return { header: header ?? [], rows };
    }

    const sortRows = (rows: CsvField[][]): string[] => rows.map((r) => JSON.stringify(r)).sort();

    async function watermark(prefix: string, t: ExportTable): Promise<Watermark> {
        return JSON.parse((await getBytes(s3.client(), BUCKET, watermarkKey(prefix, "shop", t))).toString("utf8")) as Watermark;
    }

    it("exports every row on the first run and records the maximum as the watermark", async () => {
        // given four configured tables, one of them without a watermark column
        const s = settings();
        const d = deps();
        // when the first export runs
        const result = await runExport(s, d);
        // then each table's object parses back to exactly its rows, header first
        for (const t of [ORDERS, CUSTOMERS, STOCK, ITEMS]) {
            const exported = result.tables.find((e) => e.schema === t.schema && e.table === t.table);
            assert.ok(exported?.key !== undefined, `${t.table} exported`);
            const csv = await exportedCsv(exported.key);
            const expected = await rowsAsText(t);
            assert.deepEqual(csv.header, expected.header);
            assert.equal(exported.rows, expected.rows.length);
            assert.deepEqual(sortRows(csv.rows), sortRows(expected.rows), `${t.table} rows`);
        }
        // and watermarks hold the column maximum, the object key and the row count
        const max = await rowsAsText({ schema: "sales", table: "orders" }, "updated_at = (SELECT max(updated_at) FROM sales.orders)");
        const updatedAt = max.header.indexOf("updated_at");
        const wm = await watermark(s.prefix, ORDERS);
        assert.equal(wm.value, max.rows[0]?.[updatedAt]);
        assert.match(wm.value, /^2025-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\+00$/);
        assert.equal(wm.key, result.tables.find((e) => e.table === "orders")?.key);
        assert.deepEqual(await listKeys(s3.client(), BUCKET, `${s.prefix}/shop/_watermarks/`), [
            `${s.prefix}/shop/_watermarks/inventory.Stock Levels.json`,
            `${s.prefix}/shop/_watermarks/sales.customers.json`,
            `${s.prefix}/shop/_watermarks/sales.orders.json`,
        ]);
        // and the keys follow the layout, every write is SSE-KMS, and the metrics add up
        const ordersKey = result.tables.find((e) => e.table === "orders")?.key ?? "";
        assert.match(ordersKey, new RegExp(`^${s.prefix}/shop/sales\\.orders/\\d{4}/\\d{2}/\\d{2}/orders-\\d{8}T\\d{9}Z-${result.runId}\\.csv\\.gz$`));
        const puts = proxy.requests.filter((r) => r.method === "PUT" && r.path.includes(`/${s.prefix}/`) && !r.query.has("tagging"));
        assert.ok(puts.length >= 7);
        assert.ok(puts.every((r) => r.headers["x-amz-server-side-encryption"] === "aws:kms" && r.headers["x-amz-server-side-encryption-aws-kms-key-id"] === "alias/exports"));
        assert.equal(d.metrics.named("ExportSucceeded")[0]?.value, 4);
        assert.equal(d.metrics.named("ExportFailed")[0]?.value, 0);
        assert.equal(d.metrics.named("ExportRows")[0]?.value, result.tables.reduce((a, e) => a + e.rows, 0));
        assert.equal(d.log.text().includes(PASSWORD), false);
    });

    it("exports only the rows changed since the watermark on the next run", async () => {
        // given a first export
        const s = settings();
        const first = await runExport(s, deps());
        const from = (name: string): string => first.tables.find((e) => e.table === name)?.toWatermark ?? "";
        // when 7 orders are updated and 3 customers added, and the export runs again
        await query(pg.url("shop"), "UPDATE sales.orders SET status = 'refunded', updated_at = now() WHERE id IN (3, 14, 15, 92, 65, 35, 89)");
        await query(
            pg.url("shop"),
            "INSERT INTO sales.customers SELECT 800000 + i, 'new' || i || '@example.com', 'New, \"quoted\"', 'FR', now(), now() FROM generate_series(1, 3) AS i",
        );
        const second = await runExport(s, deps());
        // then orders and customers carry exactly the changed rows and those at the previous watermark,
        // Stock Levels only those at its watermark, order_items (full) everything
        const orders = second.tables.find((e) => e.table === "orders");
        const ordersCsv = await exportedCsv(orders?.key ?? "");
        const expectedOrders = (await rowsAsText(ORDERS, `id IN (3, 14, 15, 92, 65, 35, 89) OR updated_at = '${from("orders")}'`)).rows;
        assert.ok(expectedOrders.length > 7);
        assert.equal(orders?.rows, expectedOrders.length);
        assert.deepEqual(sortRows(ordersCsv.rows), sortRows(expectedOrders));
        const customers = second.tables.find((e) => e.table === "customers");
        assert.deepEqual(sortRows((await exportedCsv(customers?.key ?? "")).rows), sortRows((await rowsAsText(CUSTOMERS, `id > 800000 OR updated_at = '${from("customers")}'`)).rows));
        const stock = second.tables.find((e) => e.table === "Stock Levels");
        assert.deepEqual(sortRows((await exportedCsv(stock?.key ?? "")).rows), sortRows((await rowsAsText(STOCK, `updated_at = '${from("Stock Levels")}'`)).rows));
        const items = second.tables.find((e) => e.table === "order_items");
        assert.equal(items?.rows, (await rowsAsText(ITEMS)).rows.length);
        // and the watermark stays behind the changes made within the safety lag, so the next run exports them again
        assert.equal(orders?.toWatermark, (await watermark(s.prefix, ORDERS)).value);
        assert.equal(orders?.toWatermark, from("orders"));
        await query(pg.url("shop"), "DELETE FROM sales.customers WHERE id > 800000");
    });

    it("leaves the watermark where it was when the upload fails, and exports the rows on the next run", async () => {
        // given a first export, then changed orders
        const s = settings({ tables: [ORDERS] });
        await runExport(s, deps());
        const before = await watermark(s.prefix, ORDERS);
        await query(pg.url("shop"), "UPDATE sales.orders SET updated_at = now() WHERE id IN (7, 8)");
        // when the export runs while S3 refuses every write of the orders export
        proxy.setFault({ kind: "status", status: 500, times: "always", match: (r) => r.method === "PUT" && r.path.includes("/sales.orders/") });
        const failed = runExport(s, deps());
        // then the run fails, the watermark is unchanged, and no export object or upload is left
        await assert.rejects(failed, (e: unknown) => e instanceof ExportFailedError && e.failures.length === 1 && e.failures[0]?.table === "sales.orders");
        assert.deepEqual(await watermark(s.prefix, ORDERS), before);
        const objects = (await listKeys(s3.client(), BUCKET, `${s.prefix}/shop/sales.orders/`)).filter((k) => k !== before.key);
        assert.deepEqual(objects, []);
        assert.deepEqual((await s3.pendingUploads(BUCKET)).filter((u) => u.key.startsWith(s.prefix)), []);
        // and when S3 is back, the next run exports the two changed rows
        proxy.setFault({ kind: "none" });
        const retried = await runExport(s, deps());
        const ids = (await exportedCsv(retried.tables[0]?.key ?? "")).rows.map((r) => r[0]);
        assert.ok(ids.includes("7") && ids.includes("8"), String(ids));
        assert.equal(retried.tables[0]?.fromWatermark, before.value);
    });

    it("names the watermark object when it cannot be read as a watermark, and leaves it alone", async () => {
        // given a watermark object that is not JSON, and one that is JSON null
        const s = settings({ tables: [ORDERS, CUSTOMERS] });
        const ordersKey = watermarkKey(s.prefix, "shop", ORDERS);
        const customersKey = watermarkKey(s.prefix, "shop", CUSTOMERS);
        await s3.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: ordersKey, Body: "{ truncated" }));
        await s3.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: customersKey, Body: "null" }));
        // when the export runs
        const failed = runExport(s, deps());
        // then both tables fail with an error naming their watermark object, and nothing is exported
        await assert.rejects(failed, (e: unknown) => {
            assert.ok(e instanceof ExportFailedError, String(e));
            assert.deepEqual(e.failures.map((f) => f.table), ["sales.orders", "sales.customers"]);
            assert.match(e.failures[0]?.error.message ?? "", new RegExp(`^watermark s3://${BUCKET}/${ordersKey} is not JSON`));
            assert.match(e.failures[1]?.error.message ?? "", new RegExp(`^watermark s3://${BUCKET}/${customersKey} does not belong to sales\\.customers or is not a watermark`));
            return true;
        });
        assert.equal((await getBytes(s3.client(), BUCKET, ordersKey)).toString("utf8"), "{ truncated");
        assert.deepEqual((await listKeys(s3.client(), BUCKET, `${s.prefix}/shop/`)).sort(), [customersKey, ordersKey].sort());
    });

    it("checks every table and column against the database before exporting anything", async () => {
        // given one good table and one whose column does not exist
        const s = settings({ tables: [ORDERS, { schema: "sales", table: "customers", column: "modified_at" }] });
        // when the export runs
        // then it refuses, naming the column, and nothing is written
        await assert.rejects(runExport(s, deps()), (e: unknown) => e instanceof ExportConfigError && /column modified_at does not exist in sales\.customers/.test(e.message));
        assert.deepEqual(await listKeys(s3.client(), BUCKET, `${s.prefix}/`), []);
        const missing = settings({ tables: [{ schema: "sales", table: "invoices" }] });
        await assert.rejects(runExport(missing, deps()), /table sales\.invoices does not exist/);
    });

    it("refuses identifiers that could bend a key or a query, naming the setting", () => {
        // given table settings with unsafe names
        const cases: [ExportTable, RegExp][] = [
            [{ schema: "sales", table: 'orders"; DROP TABLE x; --' }, /tables\[0\]\.table: "orders"; DROP TABLE x; --" is not allowed/],
            [{ schema: "../sales", table: "orders" }, /tables\[0\]\.schema: "\.\.\/sales" is not allowed/],
            [{ schema: "sales", table: "orders", column: "updated_at)" }, /tables\[0\]\.column: "updated_at\)" is not allowed/],
        ];
        for (const [t, message] of cases) {
            // when the settings are built
            // then they are refused
            assert.throws(() => settings({ tables: [t] }), (e: unknown) => e instanceof ExportConfigError && message.test(e.message));
        }
        assert.throws(() => settings({ tables: [ORDERS, ORDERS] }), /tables\[1\]: sales\.orders is listed twice/);
        assert.throws(() => settings({ tables: [] }), /tables: empty/);
        assert.equal(exportKey("exports/", "shop", STOCK, new Date("2026-01-02T03:04:05.006Z"), "abc"), "exports/shop/inventory.Stock Levels/2026/01/02/Stock Levels-20260102T030405006Z-abc.csv.gz");
    });
});
