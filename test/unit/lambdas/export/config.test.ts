import { strict as assert } from "node:assert";
import { EXPORT_ENV, loadExportConfig, parseExportTables } from "../../../../lambdas/export/config";
import { ExportConfigError, exportSettings } from "../../../../lambdas/export/settings";
import { EnvError } from "../../../../lambdas/shared/env";
import { exportEnvironment } from "../../../../components/aws/functionEnv";
import { errorsOf, stackConfig, validConfig } from "../../../helpers/config";

const BASE = {
    EXPORT_BUCKET: "acme-exports",
    DATABASE_NAME: "orders",
    DATABASE_URL: "postgres://exporter@db.internal:5432/orders",
    KMS_KEY_ID: "alias/exports",
    EXPORT_TABLES: '[{"schema": "sales", "table": "orders", "column": "updated_at"}, {"schema": "sales", "table": "order_items"}]',
};

describe("export function configuration", () => {
    it("reads the tables and fills defaults", () => {
        // given the required variables
        // when loaded
        const c = loadExportConfig(BASE);
        // then
        assert.deepEqual(c.settings.tables, [
            { schema: "sales", table: "orders", column: "updated_at" },
            { schema: "sales", table: "order_items" },
        ]);
        assert.equal(c.settings.prefix, "exports");
        assert.equal(c.settings.gzipLevel, 6);
        assert.equal(c.settings.partSizeBytes, 16 * 1024 * 1024);
        assert.equal(c.settings.safetyMarginMs, 30_000);
        assert.deepEqual(c.connection.overrides, {});
        for (const name of Object.keys(BASE)) {
            assert.ok(name in EXPORT_ENV, `${name} is documented`);
        }
    });

    it("names the variable and the element for bad table lists", () => {
        // given bad EXPORT_TABLES values
        const cases: [string, RegExp][] = [
            ["sales.orders", /^EXPORT_TABLES: not JSON/],
            ['[{"schema": "sales"}]', /^EXPORT_TABLES\[0\]\.table: /],
            ['[{"schema": "sales", "table": "orders", "colum": "x"}]', /^EXPORT_TABLES\[0\]: .*colum/],
        ];
        for (const [value, message] of cases) {
            // when parsed
            // then the message points at the problem
            assert.throws(() => parseExportTables(value), (e: unknown) => e instanceof EnvError && message.test(e.message), value);
        }
        assert.throws(
            () => loadExportConfig({ ...BASE, EXPORT_TABLES: '[{"schema": "sales", "table": "a;b"}]' }),
            (e: unknown) => e instanceof EnvError && /^EXPORT_TABLES\[0\]\.table: "a;b" is not allowed/.test(e.message),
        );
        assert.throws(() => loadExportConfig({ ...BASE, EXPORT_GZIP_LEVEL: "0" }), /EXPORT_GZIP_LEVEL: 0 is out of range 1\.\.9/);
        assert.throws(
            () => loadExportConfig({ ...BASE, EXPORT_BUCKET: "Not_A_Bucket" }),
            (e: unknown) => e instanceof EnvError && /^EXPORT_BUCKET: "Not_A_Bucket" is not a valid S3 bucket name/.test(e.message),
        );
    });
});

describe("export safety lag", () => {
    const exporting = { "aws.databases[0].exportTables": [{ table: "sales.orders", watermarkColumn: "updated_at" }], "schedules.export": "rate(1 hour)" };

    it("goes from the stack config through the function environment to the handler, with the same default", () => {
        // given a stack without the key and one with 900 s
        const byDefault = stackConfig(validConfig(exporting)).functions.exportSafetyLagSeconds;
        const set = stackConfig(validConfig({ ...exporting, "functions.exportSafetyLagSeconds": 900 })).functions.exportSafetyLagSeconds;
        // when each is written into the export function's environment and loaded by the handler
        const load = (lag: number): number =>
            loadExportConfig(
                exportEnvironment({
                    bucketName: "b-exports", prefix: "exports", database: "orders", secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db",
                    kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/1", tables: [{ table: "sales.orders", watermarkColumn: "updated_at" }], partSizeMiB: 16,
                    safetyLagSeconds: lag, metricsNamespace: "PgBackupStack",
                }) as Record<string, string>,
            ).settings.safetyLagSeconds;
        // then the handler uses them, and the stack's default is the handler's own
        assert.equal(load(set), 900);
        assert.equal(load(byDefault), loadExportConfig(BASE).settings.safetyLagSeconds);
        assert.equal(loadExportConfig(BASE).settings.safetyLagSeconds, 300);
    });

    it("accepts 0..86400 and names the key, the value and the range otherwise", () => {
        // given the bounds and one past each
        // when validated as stack config and as the function's variable
        // then the bounds pass and the rest are refused with the key and the value
        for (const ok of [0, 86_400]) {
            assert.deepEqual(errorsOf(validConfig({ ...exporting, "functions.exportSafetyLagSeconds": ok })), [], String(ok));
            assert.equal(loadExportConfig({ ...BASE, EXPORT_SAFETY_LAG_SECONDS: String(ok) }).settings.safetyLagSeconds, ok);
        }
        for (const [bad, message] of [[-1, /must be at least 0/], [86_401, /must be at most 86400/], [1.5, /whole number|int/]] as const) {
            const errors = errorsOf(validConfig({ ...exporting, "functions.exportSafetyLagSeconds": bad }));
            assert.equal(errors.length, 1, String(bad));
            assert.equal(errors[0]?.path, "functions.exportSafetyLagSeconds");
            assert.equal(errors[0]?.value, bad);
            assert.match(errors[0]?.message ?? "", message);
        }
        assert.throws(() => loadExportConfig({ ...BASE, EXPORT_SAFETY_LAG_SECONDS: "86401" }), /^EnvError: EXPORT_SAFETY_LAG_SECONDS: 86401 is out of range 0\.\.86400$/);
        assert.throws(() => loadExportConfig({ ...BASE, EXPORT_SAFETY_LAG_SECONDS: "-1" }), /EXPORT_SAFETY_LAG_SECONDS: -1 is out of range 0\.\.86400/);
        const direct = { database: "shop", bucket: "acme-exports", tables: [{ schema: "sales", table: "orders", column: "updated_at" }] };
        assert.equal(exportSettings({ ...direct, safetyLagSeconds: 86_400 }).safetyLagSeconds, 86_400);
        assert.throws(() => exportSettings({ ...direct, safetyLagSeconds: 86_401 }), (e: unknown) => e instanceof ExportConfigError && e.message === "safetyLagSeconds: 86401 is out of range 0..86400");
        assert.throws(() => exportSettings({ ...direct, safetyLagSeconds: -1 }), /safetyLagSeconds: -1 is out of range 0\.\.86400/);
    });
});
