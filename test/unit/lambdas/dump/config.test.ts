import { strict as assert } from "node:assert";
import { DUMP_ENV, loadDumpConfig, parseDumpEvent } from "../../../../lambdas/dump/config";
import { EnvError } from "../../../../lambdas/shared/env";

const BASE = {
    BACKUP_BUCKET: "acme-backups",
    DATABASE_NAME: "orders",
    DB_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-db",
    KMS_KEY_ID: "alias/backups",
    PG_DUMP_PATH: "/opt/pg/bin/pg_dump",
};

describe("dump function configuration", () => {
    it("fills documented defaults from a minimal environment", () => {
        // given only the required variables
        // when loaded
        const c = loadDumpConfig(BASE);
        // then the defaults apply: gzip:1, 16 MiB parts, 2 uploads at a time, 60 s margin, TLS required for a secret
        assert.deepEqual(c.source, { kind: "secret", secretId: BASE.DB_SECRET_ARN });
        assert.deepEqual(c.overrides, { sslmode: "require" });
        assert.equal(c.settings.prefix, "backups");
        assert.deepEqual(c.settings.compression, { method: "gzip", level: 1 });
        assert.equal(c.settings.partSizeBytes, 16 * 1024 * 1024);
        assert.equal(c.settings.uploadConcurrency, 2);
        assert.equal(c.settings.safetyMarginMs, 60_000);
        assert.deepEqual([c.settings.format, c.settings.jobs, c.settings.tempDir], ["custom", 2, undefined]);
        assert.deepEqual(c.settings.gfs, { weeklyOn: "sunday", monthlyOnDay: 1 });
        assert.deepEqual(c.s3, { endpoint: undefined, maxAttempts: 5 });
        assert.equal(c.metricsNamespace, "PgBackupStack");
    });

    it("reads every setting it documents", () => {
        // given every optional variable set
        const env = {
            ...BASE,
            BACKUP_PREFIX: "pg",
            DB_HOST: "proxy.internal",
            DB_PORT: "6432",
            DB_NAME: "orders_prod",
            DB_SSLMODE: "verify-full",
            WEEKLY_ON: "Friday",
            MONTHLY_ON_DAY: "15",
            DUMP_COMPRESSION: "none",
            DUMP_EXPECTED_MAX_GIB: "500",
            DUMP_PART_SIZE_MIB: "64",
            DUMP_UPLOAD_CONCURRENCY: "4",
            DUMP_MIN_BYTES: "4096",
            DUMP_SAFETY_MARGIN_SECONDS: "120",
            DUMP_FORMAT: "Directory",
            DUMP_JOBS: "6",
            DUMP_TEMP_DIR: "/mnt/scratch",
            S3_ENDPOINT: "http://127.0.0.1:9000",
            S3_MAX_ATTEMPTS: "8",
            METRICS_NAMESPACE: "Backups",
            POWERTOOLS_SERVICE_NAME: "dump-orders",
        };
        // when loaded
        const c = loadDumpConfig(env);
        // then each lands where it belongs, and every variable read is documented
        assert.deepEqual(c.overrides, { host: "proxy.internal", port: 6432, database: "orders_prod", sslmode: "verify-full" });
        assert.equal(c.settings.prefix, "pg");
        assert.deepEqual(c.settings.gfs, { weeklyOn: "friday", monthlyOnDay: 15 });
        assert.deepEqual(c.settings.compression, { method: "none", level: 0 });
        assert.equal(c.settings.partSizeBytes, 64 * 1024 * 1024);
        assert.equal(c.settings.expectedMaxBytes, 500 * 1024 ** 3);
        assert.equal(c.settings.uploadConcurrency, 4);
        assert.equal(c.settings.minArchiveBytes, 4096);
        assert.equal(c.settings.safetyMarginMs, 120_000);
        assert.deepEqual([c.settings.format, c.settings.jobs, c.settings.tempDir], ["directory", 6, "/mnt/scratch"]);
        assert.deepEqual(c.s3, { endpoint: "http://127.0.0.1:9000", maxAttempts: 8 });
        assert.equal(c.serviceName, "dump-orders");
        for (const name of [...Object.keys(env), "DATABASE_URL"]) {
            assert.ok(name in DUMP_ENV, `${name} is documented`);
        }
    });

    it("uses a DATABASE_URL's own sslmode unless DB_SSLMODE is set", () => {
        // given a URL instead of a secret
        const { DB_SECRET_ARN: _secret, ...rest } = BASE;
        // when loaded
        const c = loadDumpConfig({ ...rest, DATABASE_URL: "postgres://u@localhost:5432/orders" });
        // then no TLS mode is imposed
        assert.deepEqual(c.source, { kind: "url", url: "postgres://u@localhost:5432/orders", name: "DATABASE_URL" });
        assert.deepEqual(c.overrides, {});
    });

    it("reads the per-object lock, and refuses a mode without every tier's keep days", () => {
        // given a mode and the three tiers' days / then the lock is set
        const lock = { OBJECT_LOCK_MODE: "compliance", RETAIN_DAYS_DAILY: "7", RETAIN_DAYS_WEEKLY: "35", RETAIN_DAYS_MONTHLY: "400" };
        assert.deepEqual(loadDumpConfig({ ...BASE, ...lock }).settings.objectLock, { mode: "COMPLIANCE", keepDays: { daily: 7, weekly: 35, monthly: 400 } });
        // given no mode / then no lock
        assert.equal(loadDumpConfig(BASE).settings.objectLock, undefined);
        // given a missing or out-of-range tier, or an unknown mode / then the variable is named
        const { RETAIN_DAYS_MONTHLY: _missing, ...withoutMonthly } = lock;
        assert.throws(() => loadDumpConfig({ ...BASE, ...withoutMonthly }), (e: unknown) => e instanceof EnvError && /RETAIN_DAYS_MONTHLY is not set/.test(e.message));
        assert.throws(() => loadDumpConfig({ ...BASE, ...lock, RETAIN_DAYS_DAILY: "0" }), (e: unknown) => e instanceof EnvError && /RETAIN_DAYS_DAILY/.test(e.message));
        assert.throws(() => loadDumpConfig({ ...BASE, ...lock, OBJECT_LOCK_MODE: "LEGAL_HOLD" }), (e: unknown) => e instanceof EnvError && /OBJECT_LOCK_MODE: "LEGAL_HOLD" is not allowed/.test(e.message));
    });

    it("fails naming the variable and the allowed values", () => {
        // given one bad variable at a time
        const cases: [Record<string, string>, RegExp][] = [
            [{ BACKUP_BUCKET: "" }, /BACKUP_BUCKET is not set; it is required/],
            [{ KMS_KEY_ID: " " }, /KMS_KEY_ID is not set/],
            [{ DATABASE_URL: "postgres://x@h/d" }, /DB_SECRET_ARN and DATABASE_URL are both set/],
            [{ WEEKLY_ON: "someday" }, /WEEKLY_ON: "someday" is not allowed; expected one of sunday, monday/],
            [{ MONTHLY_ON_DAY: "31" }, /MONTHLY_ON_DAY: 31 is out of range 1\.\.28/],
            [{ DUMP_COMPRESSION: "zstd:99" }, /DUMP_COMPRESSION: zstd level 99 is out of range 1\.\.22/],
            [{ DUMP_PART_SIZE_MIB: "6" }, /^DUMP_PART_SIZE_MIB: 6291456 bytes would need \d+ parts .* S3 allows 10000/],
            [{ DB_PORT: "70000" }, /DB_PORT: 70000 is out of range 1\.\.65535/],
            [{ DB_SSLMODE: "on" }, /DB_SSLMODE: "on" is not allowed/],
            [{ DATABASE_NAME: "orders/../x" }, /^DATABASE_NAME: "orders\/\.\.\/x" is not allowed/],
            [{ DUMP_FORMAT: "tar" }, /DUMP_FORMAT: "tar" is not allowed; expected one of custom, directory/],
            [{ DUMP_JOBS: "17" }, /DUMP_JOBS: 17 is out of range 1\.\.16/],
        ];
        for (const [over, message] of cases) {
            // when loaded
            // then an EnvError says what is wrong
            assert.throws(() => loadDumpConfig({ ...BASE, ...over }), (e: unknown) => e instanceof EnvError && message.test(e.message), JSON.stringify(over));
        }
    });
});

describe("dump events", () => {
    it("default to a scheduled run and accept an on-demand one with a reason", () => {
        // given the events a schedule and an operator send
        // when parsed
        // then
        assert.deepEqual(parseDumpEvent(undefined), { trigger: "schedule", reason: undefined });
        assert.deepEqual(parseDumpEvent({}), { trigger: "schedule", reason: undefined });
        assert.deepEqual(parseDumpEvent({ trigger: "on-demand", reason: "release 42" }), { trigger: "on-demand", reason: "release 42" });
    });

    it("refuse anything else with the field name", () => {
        // given malformed events
        // when parsed
        // then each is refused
        assert.throws(() => parseDumpEvent("go"), /event: expected an object/);
        assert.throws(() => parseDumpEvent({ trigger: 1 }), /event\.trigger: 1 is not allowed/);
        assert.throws(() => parseDumpEvent({ reason: 5 }), /event\.reason: expected a string/);
    });
});
