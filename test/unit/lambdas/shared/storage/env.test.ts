import { strict as assert } from "node:assert";
import { loadDumpConfig } from "../../../../../lambdas/dump/config";
import { loadExportConfig } from "../../../../../lambdas/export/config";
import { EnvError } from "../../../../../lambdas/shared/env";
import { blockId, immutabilityPolicy } from "../../../../../lambdas/shared/storage/azureBlob";
import { kmsKeyFromEnv, storageFromEnv } from "../../../../../lambdas/shared/storage/env";

const BLOB = {
    STORAGE_PROVIDER: "azure-blob",
    AZURE_BLOB_ENDPOINT: "https://acct.blob.core.windows.net",
    BACKUP_CONTAINER: "pg-backups",
    AZURE_CLIENT_ID: "11111111-2222-3333-4444-555555555555",
};

function refused(env: Record<string, string | undefined>, pattern: RegExp): void {
    assert.throws(() => storageFromEnv(env, "BACKUP_BUCKET"), (err: unknown) => err instanceof EnvError && pattern.test(err.message));
}

describe("storage environment", () => {
    it("defaults to S3 with BACKUP_BUCKET", () => {
        assert.deepEqual(storageFromEnv({ BACKUP_BUCKET: "prod-backups" }, "BACKUP_BUCKET"), { provider: "s3", bucket: "prod-backups" });
        refused({}, /^BACKUP_BUCKET is not set/);
    });

    it("reads Azure Blob with the managed identity", () => {
        assert.deepEqual(storageFromEnv(BLOB, "BACKUP_BUCKET"), {
            provider: "azure-blob",
            endpoint: "https://acct.blob.core.windows.net",
            container: "pg-backups",
            credential: { kind: "managed-identity", clientId: BLOB.AZURE_CLIENT_ID },
            maxTries: 5,
        });
    });

    it("names the variable of every bad value", () => {
        refused({ ...BLOB, STORAGE_PROVIDER: "gcs" }, /^STORAGE_PROVIDER: "gcs" is not allowed; expected one of s3, azure-blob/);
        refused({ ...BLOB, AZURE_BLOB_ENDPOINT: undefined }, /^AZURE_BLOB_ENDPOINT is not set/);
        refused({ ...BLOB, AZURE_BLOB_ENDPOINT: "acct.blob.core.windows.net" }, /^AZURE_BLOB_ENDPOINT: "acct.blob.core.windows.net" is not a URL/);
        refused({ ...BLOB, AZURE_BLOB_ENDPOINT: "http://acct.blob.core.windows.net" }, /^AZURE_BLOB_ENDPOINT: .* is not allowed; .*\(http only on a loopback address\)/);
        refused({ ...BLOB, AZURE_BLOB_ENDPOINT: "https://acct.blob.core.windows.net/?sv=2024&sig=x" }, /^AZURE_BLOB_ENDPOINT: must not carry a query/);
        refused({ ...BLOB, BACKUP_CONTAINER: "Pg_Backups" }, /^BACKUP_CONTAINER: "Pg_Backups" is not a valid container name/);
        refused({ ...BLOB, BACKUP_CONTAINER: "pg--backups" }, /^BACKUP_CONTAINER: "pg--backups" is not a valid container name/);
        refused({ ...BLOB, AZURE_CLIENT_ID: undefined }, /^AZURE_CLIENT_ID is not set; it is required with STORAGE_PROVIDER=azure-blob/);
        refused({ ...BLOB, AZURE_BLOB_MAX_TRIES: "0" }, /^AZURE_BLOB_MAX_TRIES: 0 is out of range 1..10/);
        refused({ BACKUP_BUCKET: "b", BACKUP_CONTAINER: "pg-backups" }, /^BACKUP_CONTAINER is set but STORAGE_PROVIDER is s3/);
    });

    it("takes the local account key only for a loopback endpoint", () => {
        const local = { ...BLOB, AZURE_CLIENT_ID: undefined, AZURE_BLOB_LOCAL_ACCOUNT_KEY: "a2V5", AZURE_BLOB_ENDPOINT: "http://127.0.0.1:10000/devstoreaccount1" };
        const s = storageFromEnv(local, "BACKUP_BUCKET");
        assert.ok(s.provider === "azure-blob" && s.credential.kind === "local-account-key");
        refused({ ...local, AZURE_BLOB_ENDPOINT: "https://acct.blob.core.windows.net" }, /^AZURE_BLOB_LOCAL_ACCOUNT_KEY: refused with AZURE_BLOB_ENDPOINT https:\/\/acct\.blob\.core\.windows\.net/);
        refused({ ...local, AZURE_BLOB_ENDPOINT: "http://10.0.0.4:10000/devstoreaccount1" }, /^AZURE_BLOB_ENDPOINT: .* is not allowed; .*\(http only on a loopback address\)/);
        // and the key never appears in a message
        assert.throws(() => storageFromEnv({ ...local, AZURE_BLOB_ENDPOINT: "https://acct.blob.core.windows.net" }, "BACKUP_BUCKET"), (err: unknown) => err instanceof Error && !err.message.includes("a2V5"));
    });

    it("requires KMS_KEY_ID with S3 and refuses it with Blob", () => {
        assert.equal(kmsKeyFromEnv({ KMS_KEY_ID: "alias/k" }, { provider: "s3", bucket: "b" }), "alias/k");
        assert.throws(() => kmsKeyFromEnv({}, { provider: "s3", bucket: "b" }), /^EnvError: KMS_KEY_ID is not set/);
        const blob = storageFromEnv(BLOB, "BACKUP_BUCKET");
        assert.equal(kmsKeyFromEnv({}, blob), undefined);
        assert.throws(() => kmsKeyFromEnv({ KMS_KEY_ID: "alias/k" }, blob), /KMS_KEY_ID is set but STORAGE_PROVIDER is azure-blob/);
    });

    it("maps GOVERNANCE to an Unlocked and COMPLIANCE to a Locked immutability policy until the retain-until time", () => {
        const until = new Date("2026-12-07T00:00:00Z");
        assert.deepEqual(immutabilityPolicy({ mode: "GOVERNANCE", retainUntil: until }), { expiriesOn: until, policyMode: "Unlocked" });
        assert.deepEqual(immutabilityPolicy({ mode: "COMPLIANCE", retainUntil: until }), { expiriesOn: until, policyMode: "Locked" });
    });

    it("gives every block of a blob an id of the same length", () => {
        const lengths = new Set([0, 9, 10, 12_345, 49_999].map((i) => blockId(i).length));
        assert.equal(lengths.size, 1);
        assert.notEqual(blockId(1), blockId(10));
    });
});

describe("the functions' configuration on Azure Blob", () => {
    const DB = { DATABASE_NAME: "orders", DB_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db", PG_DUMP_PATH: "/usr/bin/pg_dump" };

    it("writes dumps to the container, without SSE-KMS", () => {
        const config = loadDumpConfig({ ...DB, ...BLOB });
        assert.equal(config.settings.bucket, "pg-backups");
        assert.equal(config.settings.kmsKeyId, undefined);
        assert.equal(config.storage.provider, "azure-blob");
        assert.throws(() => loadDumpConfig({ ...DB, ...BLOB, KMS_KEY_ID: "alias/k" }), /KMS_KEY_ID is set but STORAGE_PROVIDER is azure-blob/);
    });

    it("writes exports to the same container, EXPORT_BUCKET unused", () => {
        const config = loadExportConfig({ ...DB, ...BLOB, EXPORT_TABLES: '[{"schema":"public","table":"t"}]' });
        assert.equal(config.settings.bucket, "pg-backups");
        assert.equal(config.settings.kmsKeyId, undefined);
    });

    it("keeps S3 exactly as before when STORAGE_PROVIDER is unset", () => {
        const config = loadDumpConfig({ ...DB, BACKUP_BUCKET: "prod-backups", KMS_KEY_ID: "alias/k" });
        assert.deepEqual([config.settings.bucket, config.settings.kmsKeyId, config.storage], ["prod-backups", "alias/k", { provider: "s3", bucket: "prod-backups" }]);
    });
});
