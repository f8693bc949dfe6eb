import assert from "node:assert/strict";
import { EnvError } from "../../lambdas/shared/env";
import { VERIFY_ENV, verifyConfigFromEnv } from "../../lambdas/verify/config";
import type { Env } from "../../lambdas/shared/env";

const MINIMAL = {
    BACKUP_BUCKET: "prod-backups",
    VERIFY_DATABASES: "orders, billing",
    VERIFY_MAX_BACKUP_AGE_MINUTES: "1440",
    RTO_MINUTES: "60",
    VERIFY_DB_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:verify-abc",
};

/** An environment that records the name of every variable read from it. */
function recording(values: Record<string, string | undefined>): { readonly env: Env; readonly read: Set<string> } {
    const read = new Set<string>();
    const env = new Proxy(values, {
        get(target, name) {
            if (typeof name === "string") read.add(name);
            return target[name as string];
        },
    });
    return { env, read };
}

describe("verify handler environment", () => {
    it("reads only variables its catalog VERIFY_ENV describes", () => {
        // given an environment with every optional variable set, and the minimal one
        const full = recording({
            ...MINIMAL,
            BACKUP_PREFIX: "b",
            VERIFY_DB_HOST: "verify.internal",
            VERIFY_DB_PORT: "6432",
            VERIFY_DB_MAINTENANCE_DATABASE: "maint",
            VERIFY_DB_SSLMODE: "verify-full",
            SIZE_WINDOW: "14",
            SIZE_MIN_PERCENT: "70",
            SIZE_MAX_PERCENT: "150",
            RESTORE_JOBS: "4",
            AZURE_SUBSCRIPTION_ID: "00000000-0000-0000-0000-000000000000",
            AZURE_SERVERS: '[{"name":"eu","resourceGroup":"rg","serverName":"pg-eu"}]',
            METRICS_NAMESPACE: "Ns",
            POWERTOOLS_SERVICE_NAME: "svc",
            SCRATCH_DIR: "/scratch",
            S3_ENDPOINT: "http://127.0.0.1:4568",
            SAFETY_MARGIN_SECONDS: "30",
        });
        const minimal = recording({ ...MINIMAL });
        const blob = recording({
            ...MINIMAL,
            BACKUP_BUCKET: undefined,
            STORAGE_PROVIDER: "azure-blob",
            AZURE_BLOB_ENDPOINT: "https://acct.blob.core.windows.net",
            BACKUP_CONTAINER: "backups",
            AZURE_CLIENT_ID: "11111111-1111-1111-1111-111111111111",
            AZURE_BLOB_MAX_TRIES: "3",
        });
        // when the configuration is read from each
        verifyConfigFromEnv(full.env);
        verifyConfigFromEnv(minimal.env);
        verifyConfigFromEnv(blob.env);
        // then every variable read is in the catalog
        const read = [...full.read, ...minimal.read, ...blob.read];
        assert.deepEqual(read.filter((name) => !(name in VERIFY_ENV)), []);
        // and every catalog entry but PG_BIN (looked up at each restore) is read at cold start
        assert.deepEqual(Object.keys(VERIFY_ENV).filter((name) => name !== "PG_BIN" && !read.includes(name)), []);
    });

    it("fills defaults for everything optional", () => {
        // given only the required variables
        // when read
        const env = verifyConfigFromEnv(MINIMAL);
        // then the defaults are those documented
        assert.deepEqual(env, {
            bucket: "prod-backups",
            storage: { provider: "s3", bucket: "prod-backups" },
            prefix: "backups",
            databases: ["orders", "billing"],
            maxBackupAgeSeconds: 86_400,
            rtoSeconds: 3600,
            size: { window: 7, minRatio: 0.5, maxRatio: 3 },
            jobs: 2,
            server: { kind: "secret", secretId: MINIMAL.VERIFY_DB_SECRET_ARN },
            serverOverrides: { database: "postgres", sslmode: "require" },
            metricsNamespace: "PgBackupStack",
            serviceName: "pg-backup-verify",
            safetyMarginMs: 60_000,
        });
    });

    it("reads the Azure servers and every override", () => {
        const env = verifyConfigFromEnv({
            ...MINIMAL,
            VERIFY_DB_SECRET_ARN: undefined,
            VERIFY_DB_URL: "postgres://verify@10.0.0.5/postgres",
            VERIFY_DB_HOST: "verify.internal",
            VERIFY_DB_PORT: "6432",
            VERIFY_DB_SSLMODE: "verify-full",
            SIZE_MIN_PERCENT: "70",
            SIZE_MAX_PERCENT: "150",
            SIZE_WINDOW: "14",
            RESTORE_JOBS: "4",
            AZURE_SUBSCRIPTION_ID: "00000000-0000-0000-0000-000000000000",
            AZURE_SERVERS: '[{"name":"eu","resourceGroup":"rg","serverName":"pg-eu","maxSnapshotAgeHours":36}]',
        });
        assert.deepEqual(env.serverOverrides, { database: "postgres", host: "verify.internal", port: 6432, sslmode: "verify-full" });
        assert.deepEqual(env.size, { window: 14, minRatio: 0.7, maxRatio: 1.5 });
        assert.equal(env.jobs, 4);
        assert.deepEqual(env.azure, { subscriptionId: "00000000-0000-0000-0000-000000000000", servers: [{ name: "eu", resourceGroup: "rg", serverName: "pg-eu", maxSnapshotAgeSeconds: 129_600 }] });
    });

    const refusals: [string, Record<string, string | undefined>, RegExp][] = [
        ["no bucket", { BACKUP_BUCKET: undefined }, /^BACKUP_BUCKET is not set; it is required$/],
        ["no maximum backup age", { VERIFY_MAX_BACKUP_AGE_MINUTES: undefined }, /^VERIFY_MAX_BACKUP_AGE_MINUTES is not set; it is required \(an integer in 1\.\.44640\)$/],
        ["an RPO in place of the maximum backup age", { VERIFY_MAX_BACKUP_AGE_MINUTES: undefined, RPO_MINUTES: "1440" }, /^VERIFY_MAX_BACKUP_AGE_MINUTES is not set; it is required \(an integer in 1\.\.44640\)$/],
        ["an RTO of zero", { RTO_MINUTES: "0" }, /^RTO_MINUTES: 0 is out of range 1\.\.44640$/],
        ["both server sources", { VERIFY_DB_URL: "postgres://u@h/postgres" }, /^VERIFY_DB_SECRET_ARN and VERIFY_DB_URL are both set; set exactly one$/],
        ["no server source", { VERIFY_DB_SECRET_ARN: undefined }, /^neither VERIFY_DB_SECRET_ARN nor VERIFY_DB_URL is set/],
        ["a bad database name", { VERIFY_DATABASES: "orders,bad name" }, /^VERIFY_DATABASES: "bad name" is not allowed/],
        ["nothing to verify", { VERIFY_DATABASES: " , " }, /^VERIFY_DATABASES is not set and neither is AZURE_SERVERS/],
        ["a lower bound above 100 %", { SIZE_MIN_PERCENT: "120" }, /^SIZE_MIN_PERCENT: 120 is out of range 1\.\.100$/],
        ["an unknown sslmode", { VERIFY_DB_SSLMODE: "on" }, /^VERIFY_DB_SSLMODE: "on" is not allowed; expected one of disable, allow, prefer, require, verify-ca, verify-full$/],
        ["Azure servers without a subscription", { AZURE_SERVERS: "[]" }, /^AZURE_SUBSCRIPTION_ID is not set; it is required$/],
        ["Azure servers that are not a list", { AZURE_SUBSCRIPTION_ID: "s", AZURE_SERVERS: "{}" }, /^AZURE_SERVERS: expected a non-empty JSON array of servers$/],
        ["an Azure server without a name", { AZURE_SUBSCRIPTION_ID: "s", AZURE_SERVERS: '[{"resourceGroup":"rg","serverName":"x"}]' }, /^AZURE_SERVERS\[0\]\.name: undefined is not allowed; expected a non-empty string$/],
    ];
    for (const [what, change, message] of refusals) {
        it(`refuses ${what}, naming the variable`, () => {
            // given the minimal environment with one change, when read, then the EnvError names the variable
            assert.throws(() => verifyConfigFromEnv({ ...MINIMAL, ...change }), (err: unknown) => err instanceof EnvError && message.test(err.message));
        });
    }
});
