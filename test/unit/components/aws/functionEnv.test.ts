import * as assert from "assert";
import { DUMP_ENV, loadDumpConfig } from "../../../../lambdas/dump/config";
import { EXPORT_ENV, loadExportConfig } from "../../../../lambdas/export/config";
import { VERIFY_ENV, verifyConfigFromEnv } from "../../../../lambdas/verify/config";
import { dumpEnvironment, environmentProblems, exportEnvironment, verifyEnvironment } from "../../../../components/aws/functionEnv";

const KEY = "arn:aws:kms:eu-west-1:123456789012:key/1111-2222";
const SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-orders-AbCdEf";

/** The builders return Inputs; these tests only pass plain strings, so every value is a string. */
function plain(env: Record<string, unknown>): Record<string, string> {
    for (const [name, value] of Object.entries(env)) assert.strictEqual(typeof value, "string", `${name} is a plain string here`);
    return env as Record<string, string>;
}

describe("function environments, read back by the handlers' own loaders", () => {
    it("dump: the handler reads the bucket, database, secret, key, GFS days, compression and part size the stack set", () => {
        // given the dump settings of a stack
        const env = plain(dumpEnvironment({
            bucketName: "pg-backups-prod", prefix: "backups", database: "orders", secretArn: SECRET, port: 5433, kmsKeyArn: KEY,
            weeklyOn: "WED", monthlyOnDay: 15, compression: { method: "zstd", level: 3 }, partSizeMiB: 64, maxDumpSizeGiB: 300.5, metricsNamespace: "Backups/Prod",
        }));
        // when the dump handler loads them
        const config = loadDumpConfig({ ...env, PG_DUMP_PATH: "/usr/bin/pg_dump" });
        // then every setting arrives as intended, and every variable is one the handler documents
        assert.deepStrictEqual(Object.keys(env).filter((name) => !(name in DUMP_ENV)), []);
        assert.strictEqual(config.settings.bucket, "pg-backups-prod");
        assert.strictEqual(config.settings.database, "orders");
        assert.strictEqual(config.settings.kmsKeyId, KEY);
        assert.deepStrictEqual(config.settings.gfs, { weeklyOn: "wednesday", monthlyOnDay: 15 });
        assert.deepStrictEqual(config.settings.compression, { method: "zstd", level: 3 });
        assert.strictEqual(config.settings.partSizeBytes, 64 * 1024 * 1024);
        assert.strictEqual(config.settings.expectedMaxBytes, 301 * 1024 ** 3);
        assert.deepStrictEqual(config.source, { kind: "secret", secretId: SECRET });
        assert.deepStrictEqual(config.overrides, { port: 5433, sslmode: "require" });
        assert.strictEqual(config.metricsNamespace, "Backups/Prod");
    });

    it("dump: the handler reads the per-object lock: the mode and each tier's keep days", () => {
        // given a stack with Object Lock and its tiers' keep days
        const env = plain(dumpEnvironment({
            bucketName: "pg-backups-prod", prefix: "backups", database: "orders", secretArn: SECRET, kmsKeyArn: KEY,
            weeklyOn: "SUN", monthlyOnDay: 1, compression: { method: "gzip", level: 1 }, partSizeMiB: 16, metricsNamespace: "PgBackupStack",
            objectLock: { mode: "GOVERNANCE", keepDays: { daily: 14, weekly: 60, monthly: 400 } },
        }));
        // when the dump handler loads them
        const config = loadDumpConfig({ ...env, PG_DUMP_PATH: "/usr/bin/pg_dump" });
        // then each dump will be locked in that mode for its tier's keep days, from variables the handler documents
        assert.deepStrictEqual(Object.keys(env).filter((name) => !(name in DUMP_ENV)), []);
        assert.deepStrictEqual(config.settings.objectLock, { mode: "GOVERNANCE", keepDays: { daily: 14, weekly: 60, monthly: 400 } });
        // and without a lock the handler sets none
        const unlocked = plain(dumpEnvironment({
            bucketName: "pg-backups-prod", prefix: "backups", database: "orders", secretArn: SECRET, kmsKeyArn: KEY,
            weeklyOn: "SUN", monthlyOnDay: 1, compression: { method: "gzip", level: 1 }, partSizeMiB: 16, metricsNamespace: "PgBackupStack",
        }));
        assert.strictEqual(loadDumpConfig({ ...unlocked, PG_DUMP_PATH: "/usr/bin/pg_dump" }).settings.objectLock, undefined);
    });

    it("dump: the handler reads a database's directory format and the workers it runs", () => {
        // given a database dumped in directory format with four workers
        const env = plain(dumpEnvironment({
            bucketName: "pg-backups-prod", prefix: "backups", database: "orders", secretArn: SECRET, kmsKeyArn: KEY,
            weeklyOn: "SUN", monthlyOnDay: 1, compression: { method: "gzip", level: 1 }, partSizeMiB: 16, metricsNamespace: "PgBackupStack",
            dumpFormat: "directory", dumpJobs: 4,
        }));
        // when the dump handler loads them
        const config = loadDumpConfig({ ...env, PG_DUMP_PATH: "/usr/bin/pg_dump" });
        // then the dump runs in directory format with four workers, from variables the handler documents
        assert.deepStrictEqual(Object.keys(env).filter((name) => !(name in DUMP_ENV)), []);
        assert.deepStrictEqual([config.settings.format, config.settings.jobs], ["directory", 4]);
    });

    it("no function environment turns the SDK's checksums off, and one that tries is refused", () => {
        // given the environments the stack builds
        const common = { bucketName: "b-prod", prefix: "backups", database: "orders", secretArn: SECRET, kmsKeyArn: KEY, metricsNamespace: "N" };
        const envs = [
            dumpEnvironment({ ...common, weeklyOn: "SUN", monthlyOnDay: 1, compression: { method: "gzip", level: 1 }, partSizeMiB: 16, objectLock: { mode: "COMPLIANCE", keepDays: { daily: 7, weekly: 35, monthly: 400 } } }),
            exportEnvironment({ ...common, prefix: "exports", tables: [{ table: "public.orders" }], partSizeMiB: 16 }),
            verifyEnvironment({ bucketName: "b-prod", prefix: "backups", databases: ["orders"], maxBackupAgeMinutes: 60, rtoMinutes: 60, sizeBounds: { window: 7, minRatio: 0.5, maxRatio: 2 }, restoreJobs: 2, serverSecretArn: SECRET, metricsNamespace: "N" }),
        ];
        // then none names a checksum setting
        for (const env of envs) assert.deepStrictEqual(Object.keys(env).filter((n) => /CHECKSUM/.test(n)), []);
        // and the component refuses one given explicitly
        for (const name of ["AWS_REQUEST_CHECKSUM_CALCULATION", "AWS_RESPONSE_CHECKSUM_VALIDATION"]) {
            assert.deepStrictEqual(environmentProblems({ [name]: "WHEN_REQUIRED" }), [
                `environment.${name}: not allowed; the functions keep the SDK's default checksums, which uploads to an Object Lock bucket need`,
            ]);
        }
    });

    it("dump: gzip level 1 and no compression are spelled as the handler expects", () => {
        // given the two other compression settings; when built and loaded
        const base = { bucketName: "pg-backups", prefix: "backups", database: "orders", secretArn: SECRET, kmsKeyArn: KEY, weeklyOn: "SUN", monthlyOnDay: 1, partSizeMiB: 16, metricsNamespace: "PgBackupStack" };
        const gzip = loadDumpConfig({ ...plain(dumpEnvironment({ ...base, compression: { method: "gzip", level: 1 } })), PG_DUMP_PATH: "/usr/bin/pg_dump" });
        const none = loadDumpConfig({ ...plain(dumpEnvironment({ ...base, compression: { method: "none", level: 0 } })), PG_DUMP_PATH: "/usr/bin/pg_dump" });
        // then the handler reads back exactly those
        assert.deepStrictEqual(gzip.settings.compression, { method: "gzip", level: 1 });
        assert.deepStrictEqual(none.settings.compression.method, "none");
        assert.throws(() => dumpEnvironment({ ...base, weeklyOn: "SUNDAY", compression: { method: "gzip", level: 1 } }), /weeklyOn: "SUNDAY" is not allowed/);
    });

    it("export: the handler reads the tables, split into schema and table, with their watermark columns", () => {
        // given export settings as the stack config writes tables
        const env = plain(exportEnvironment({
            bucketName: "pg-backups-prod", prefix: "exports", database: "orders", secretArn: SECRET, kmsKeyArn: KEY,
            tables: [{ table: "sales.orders", watermarkColumn: "updated_at" }, { table: "payments" }], partSizeMiB: 32, metricsNamespace: "PgBackupStack",
        }));
        // when the export handler loads them
        const config = loadExportConfig(env);
        // then the tables and the rest arrive as intended
        assert.deepStrictEqual(Object.keys(env).filter((name) => !(name in EXPORT_ENV)), []);
        assert.deepStrictEqual(config.settings.tables, [{ schema: "sales", table: "orders", column: "updated_at" }, { schema: "public", table: "payments" }]);
        assert.strictEqual(config.settings.bucket, "pg-backups-prod");
        assert.strictEqual(config.settings.prefix, "exports");
        assert.strictEqual(config.settings.kmsKeyId, KEY);
        assert.strictEqual(config.settings.partSizeBytes, 32 * 1024 * 1024);
    });

    it("verify: the handler reads the databases, maximum backup age, RTO, size bounds in percent and the verification server's secret", () => {
        // given verify settings
        const env = plain(verifyEnvironment({
            bucketName: "pg-backups-prod", prefix: "backups", databases: ["orders", "billing"], maxBackupAgeMinutes: 60, rtoMinutes: 45,
            sizeBounds: { window: 5, minRatio: 0.6, maxRatio: 2.5 }, restoreJobs: 4, serverSecretArn: SECRET, metricsNamespace: "PgBackupStack",
        }));
        // when the verify handler loads them
        const loaded = verifyConfigFromEnv(env);
        // then each is in the handler's catalog and arrives as intended
        assert.deepStrictEqual(Object.keys(env).filter((name) => !(name in VERIFY_ENV)), []);
        assert.deepStrictEqual(loaded.databases, ["orders", "billing"]);
        assert.strictEqual(loaded.maxBackupAgeSeconds, 3600);
        assert.strictEqual(loaded.rtoSeconds, 2700);
        assert.deepStrictEqual(loaded.size, { window: 5, minRatio: 0.6, maxRatio: 2.5 });
        assert.strictEqual(loaded.jobs, 4);
        assert.deepStrictEqual(loaded.server, { kind: "secret", secretId: SECRET });
        assert.strictEqual(loaded.serverOverrides.sslmode, "require");
    });

    it("no builder output trips the component's credential check, and the check catches credentials", () => {
        // given the builders' outputs and two environments that carry a credential
        const dump = dumpEnvironment({ bucketName: "b", prefix: "backups", database: "orders", secretArn: SECRET, kmsKeyArn: KEY, weeklyOn: "SUN", monthlyOnDay: 1, compression: { method: "gzip", level: 1 }, partSizeMiB: 16, metricsNamespace: "PgBackupStack" });
        // when checked
        // then the builders' are clean and the others are refused, naming the variable
        assert.deepStrictEqual(environmentProblems(dump), []);
        assert.deepStrictEqual(environmentProblems({ VERIFY_DB_URL: "postgres://verify@host/postgres" }).length, 1);
        assert.match(environmentProblems({ DB_PASSWORD: "x" })[0] ?? "", /environment\.DB_PASSWORD: a credential may not be passed/);
        assert.match(environmentProblems({ TARGET: "postgresql://app:hunter2@db:5432/app" })[0] ?? "", /environment\.TARGET: the value holds a URL with a password/);
        assert.match(environmentProblems({ "db-host": "x" })[0] ?? "", /environment\.db-host: the name is not allowed/);
    });
});
