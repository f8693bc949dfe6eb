import assert from "node:assert/strict";
import { EnvError } from "../../../../lambdas/shared/env";
import { VERIFY_ENV, verifyConfigFromEnv } from "../../../../lambdas/verify/config";
import type { Env } from "../../../../lambdas/shared/env";
import { coldStart, restoreEnv } from "../../../helpers/lambda";

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
    describe("at cold start", () => {
        const HANDLER = require.resolve("../../../../lambdas/verify/handler");
        afterEach(() => {
            restoreEnv();
            delete require.cache[HANDLER];
        });

        it("loading the handler fails naming a bad variable, before any invocation", () => {
            // given the minimal environment with an RTO that is not a number
            // when the handler module is loaded, as the Lambda runtime does at cold start
            // then loading fails and names the variable and its value
            assert.throws(() => coldStart(HANDLER, { ...MINIMAL, RTO_MINUTES: "soon" }), (err: unknown) => err instanceof EnvError && /RTO_MINUTES/.test(err.message) && /soon/.test(err.message));
        });

        it("loading the handler fails naming a missing required variable", () => {
            assert.throws(() => coldStart(HANDLER, MINIMAL, ["VERIFY_DATABASES"]), (err: unknown) => err instanceof EnvError && /VERIFY_DATABASES/.test(err.message));
        });

        it("a good environment loads the handler without invoking anything", () => {
            assert.strictEqual(typeof coldStart(HANDLER, MINIMAL), "function");
        });
    });

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
        // and every catalog entry but PG_BIN (looked up at each restore) and AZURE_CLIENT_ID (read by functionRuntime) is read at cold start
        const elsewhere = ["PG_BIN", "AZURE_CLIENT_ID"];
        assert.deepEqual(Object.keys(VERIFY_ENV).filter((name) => !elsewhere.includes(name) && !read.includes(name)), []);
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

    it("reads the verification server's Key Vault secret or Entra role, with sslmode require", () => {
        // given the verification server configured with a Key Vault secret, and with an Entra role
        const keyVault = verifyConfigFromEnv({ ...MINIMAL, VERIFY_DB_SECRET_ARN: undefined, VERIFY_DB_KEYVAULT_SECRET_URI: "https://kv-verify.vault.azure.net/secrets/verify-db" });
        const entra = verifyConfigFromEnv({ ...MINIMAL, VERIFY_DB_SECRET_ARN: undefined, VERIFY_DB_ENTRA_USER: "pgbs-verify-mi", VERIFY_DB_HOST: "verify.postgres.database.azure.com" });
        // then each is its source, named by its variable, and the connection is encrypted
        assert.deepEqual(keyVault.server, {
            kind: "keyvault",
            name: "VERIFY_DB_KEYVAULT_SECRET_URI",
            secret: { uri: "https://kv-verify.vault.azure.net/secrets/verify-db", vaultUrl: "https://kv-verify.vault.azure.net", secretName: "verify-db" },
        });
        assert.equal(keyVault.serverOverrides.sslmode, "require");
        assert.deepEqual(entra.server, { kind: "entra", user: "pgbs-verify-mi", name: "VERIFY_DB_ENTRA_USER" });
        assert.deepEqual(entra.serverOverrides, { database: "postgres", host: "verify.postgres.database.azure.com", sslmode: "require" });
    });

    const refusals: [string, Record<string, string | undefined>, RegExp][] = [
        ["no bucket", { BACKUP_BUCKET: undefined }, /^BACKUP_BUCKET is not set; it is required$/],
        ["no maximum backup age", { VERIFY_MAX_BACKUP_AGE_MINUTES: undefined }, /^VERIFY_MAX_BACKUP_AGE_MINUTES is not set; it is required \(an integer in 1\.\.44640\)$/],
        ["an RPO in place of the maximum backup age", { VERIFY_MAX_BACKUP_AGE_MINUTES: undefined, RPO_MINUTES: "1440" }, /^VERIFY_MAX_BACKUP_AGE_MINUTES is not set; it is required \(an integer in 1\.\.44640\)$/],
        ["an RTO of zero", { RTO_MINUTES: "0" }, /^RTO_MINUTES: 0 is out of range 1\.\.44640$/],
        ["both server sources", { VERIFY_DB_URL: "postgres://u@h/postgres" }, /^VERIFY_DB_SECRET_ARN and VERIFY_DB_URL are both set; set exactly one of VERIFY_DB_SECRET_ARN, VERIFY_DB_URL, VERIFY_DB_KEYVAULT_SECRET_URI, VERIFY_DB_ENTRA_USER$/],
        ["a secret and an Entra role", { VERIFY_DB_ENTRA_USER: "verify-mi" }, /^VERIFY_DB_SECRET_ARN and VERIFY_DB_ENTRA_USER are both set; set exactly one of /],
        ["no server source", { VERIFY_DB_SECRET_ARN: undefined }, /^none of VERIFY_DB_SECRET_ARN, VERIFY_DB_URL, VERIFY_DB_KEYVAULT_SECRET_URI, VERIFY_DB_ENTRA_USER is set; set exactly one$/],
        ["a Key Vault URI of another host", { VERIFY_DB_SECRET_ARN: undefined, VERIFY_DB_KEYVAULT_SECRET_URI: "https://kv.example.com/secrets/db" }, /^VERIFY_DB_KEYVAULT_SECRET_URI: "https:\/\/kv\.example\.com\/secrets\/db" is not a Key Vault secret URI; expected https:\/\/<vault>\.vault\.azure\.net\/secrets\/<name>\[\/<version>\]$/],
        ["an Entra role without the server's host", { VERIFY_DB_SECRET_ARN: undefined, VERIFY_DB_ENTRA_USER: "verify-mi" }, /^VERIFY_DB_HOST is not set; it is required with VERIFY_DB_ENTRA_USER$/],
        ["an Entra role over an unencrypted connection", { VERIFY_DB_SECRET_ARN: undefined, VERIFY_DB_ENTRA_USER: "verify-mi", VERIFY_DB_HOST: "h", VERIFY_DB_SSLMODE: "prefer" }, /^VERIFY_DB_SSLMODE: "prefer" is not allowed with VERIFY_DB_ENTRA_USER; expected one of require, verify-ca, verify-full$/],
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
