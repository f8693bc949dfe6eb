import { strict as assert } from "node:assert";
import fc from "fast-check";
import { CredentialsError, resolveTarget, targetFromSecret, type SecretReader } from "../../../lambdas/shared/credentials";
import { EnvError, exactlyOne, integer, oneOf, optionalString, requireString } from "../../../lambdas/shared/env";
import { verifyConfigFromEnv } from "../../../lambdas/verify/config";
import { choosePartSize, DEFAULT_PART_SIZE, MAX_PARTS, MIN_PART_SIZE, taggingHeader, uploadParams } from "../../../lambdas/shared/upload";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe("env helpers", () => {
    it("read required, optional, integer and enumerated variables", () => {
        // given an environment
        const env = { A: "x", N: " 42 ", E: "Zstd", BLANK: "  " };
        // when read
        // then values come back trimmed, defaults fill unset or blank ones
        assert.equal(requireString(env, "A"), "x");
        assert.equal(optionalString(env, "BLANK"), undefined);
        assert.equal(integer(env, "N", { min: 1, max: 100 }), 42);
        assert.equal(integer(env, "MISSING", { min: 1, max: 100, default: 7 }), 7);
        assert.equal(oneOf(env, "E", ["gzip", "zstd"] as const), "zstd");
        assert.equal(oneOf(env, "MISSING", ["gzip", "zstd"] as const, "gzip"), "gzip");
    });

    it("fail fast naming the variable, the value and what is allowed", () => {
        // given bad or missing values
        const env = { N: "4.5", BIG: "1000", E: "brotli", A: "1", B: "2" };
        // when read
        // then each error says which variable and why
        assert.throws(() => requireString(env, "DB_BUCKET"), (e: unknown) => e instanceof EnvError && e.message === "DB_BUCKET is not set; it is required");
        assert.throws(() => integer(env, "N", { min: 1, max: 10 }), /N: "4\.5" is not an integer; expected 1\.\.10/);
        assert.throws(() => integer(env, "BIG", { min: 1, max: 10 }), /BIG: 1000 is out of range 1\.\.10/);
        assert.throws(() => integer(env, "UNSET", { min: 1, max: 10 }), /UNSET is not set; it is required \(an integer in 1\.\.10\)/);
        assert.throws(() => oneOf(env, "E", ["gzip", "zstd"] as const), /E: "brotli" is not allowed; expected one of gzip, zstd/);
        assert.throws(() => exactlyOne(env, "A", "B"), /A and B are both set; set exactly one/);
        assert.throws(() => exactlyOne(env, "C", "D"), /neither C nor D is set/);
        assert.deepEqual(exactlyOne({ D: "v" }, "C", "D"), { name: "D", value: "v" });
    });
});

describe("credentials from a secret", () => {
    const secret = JSON.stringify({ username: "backup", password: "s3cr3t!", host: "db.example.internal", port: 5432, dbname: "app", engine: "postgres" });

    it("reads an RDS-style secret, with configuration overriding host, port and database", () => {
        // given an RDS secret and overrides
        // when resolved
        const plain = targetFromSecret(secret, "arn:secret:db");
        const overridden = targetFromSecret(secret, "arn:secret:db", { host: "proxy.internal", port: 6432, database: "other", sslmode: "verify-full" });
        // then the secret's fields are used unless overridden
        assert.deepEqual(plain, { host: "db.example.internal", port: 5432, user: "backup", password: "s3cr3t!", database: "app" });
        assert.deepEqual(overridden, { host: "proxy.internal", port: 6432, user: "backup", password: "s3cr3t!", database: "other", sslmode: "verify-full" });
    });

    it("accepts an RDS-managed master secret (username and password only) when host and database are configured", () => {
        // given a secret with only username and password
        const managed = JSON.stringify({ username: "postgres", password: "pw" });
        // when resolved without and with configuration
        // then the missing field is named, and the configured one fills it
        assert.throws(() => targetFromSecret(managed, "arn:m"), /secret arn:m has no "host" and no host is configured \(DB_HOST\)/);
        assert.throws(() => targetFromSecret(managed, "arn:m", { host: "h" }), /has no "dbname" and no database is configured \(DB_NAME\)/);
        assert.equal(targetFromSecret(managed, "arn:m", { host: "h", database: "d" }).port, 5432);
    });

    it("never quotes the secret's value in its errors", () => {
        // given malformed secrets that contain a password
        const bad = ['{"username": "u", "password": "hunter2", "port": "nope", "host": "h", "dbname": "d"}', "password=hunter2", '["hunter2"]'];
        for (const s of bad) {
            // when parsed
            // then the error names the secret and the problem but not the password
            assert.throws(
                () => targetFromSecret(s, "arn:x"),
                (e: unknown) => e instanceof CredentialsError && e.message.includes("arn:x") && !e.message.includes("hunter2"),
            );
        }
    });

    it("reads the secret through the injected reader and reports a failed read", async () => {
        // given a reader that serves one secret and fails for another
        const reader: SecretReader = {
            getSecretString: async (id) => {
                if (id === "good") {
                    return secret;
                }
                throw Object.assign(new Error("User is not authorized"), { name: "AccessDeniedException" });
            },
        };
        // when both are resolved
        // then the good one resolves and the bad one names the secret and the reason
        assert.equal((await resolveTarget({ kind: "secret", secretId: "good" }, { secrets: reader })).user, "backup");
        await assert.rejects(resolveTarget({ kind: "secret", secretId: "bad" }, { secrets: reader }), /secret bad could not be read \(AccessDeniedException: User is not authorized\)/);
    });
});

describe("credentials from a URL", () => {
    it("applies the configured host, port, database and sslmode over the URL's own", async () => {
        // given a verification server URL and the maintenance database the verify function reads from its environment
        const env = verifyConfigFromEnv({
            BACKUP_BUCKET: "prod-backups",
            VERIFY_DATABASES: "orders",
            VERIFY_MAX_BACKUP_AGE_MINUTES: "1440",
            RTO_MINUTES: "60",
            VERIFY_DB_URL: "postgres://verify:pw@10.0.0.5:5433/postgres",
            VERIFY_DB_MAINTENANCE_DATABASE: "maint",
        });
        // when the URL is resolved with those overrides, and with every override given
        const maintenance = await resolveTarget(env.server, {}, env.serverOverrides);
        const all = await resolveTarget({ kind: "url", url: "postgres://u:pw@db.internal/app", name: "DATABASE_URL" }, {}, {
            host: "proxy.internal",
            port: 6432,
            database: "other",
            sslmode: "verify-full",
        });
        // then the configured values win and the credentials stay the URL's
        assert.deepEqual(maintenance, { host: "10.0.0.5", port: 5433, user: "verify", password: "pw", database: "maint" });
        assert.deepEqual(all, { host: "proxy.internal", port: 6432, user: "u", password: "pw", database: "other", sslmode: "verify-full" });
    });

    it("keeps the URL's own values without overrides, and rejects a configured database name PostgreSQL would truncate", async () => {
        // given a URL and no overrides, and a 64-byte database override
        const source = { kind: "url", url: "postgres://u@db.internal:5433/app?sslmode=require", name: "DATABASE_URL" } as const;
        // when resolved
        // then the URL is used as it is, and the long name is refused naming the source
        assert.deepEqual(await resolveTarget(source, {}), { host: "db.internal", port: 5433, user: "u", database: "app", sslmode: "require" });
        await assert.rejects(resolveTarget(source, {}, { database: "d".repeat(64) }), /DATABASE_URL database override: "d{64}" is 64 bytes; PostgreSQL identifiers are at most 63/);
    });
});

describe("multipart part size", () => {
    it("defaults to 16 MiB and grows in whole MiB to stay under 10,000 parts (property)", () => {
        fc.assert(
            fc.property(fc.integer({ min: 1, max: 40_000 * GiB }), (expected) => {
                // given any expected maximum up to ~40 TB
                // when the part size is chosen
                const size = choosePartSize(expected);
                // then it is at least 16 MiB, a whole MiB, and the expected size fits in the part limit
                return size >= DEFAULT_PART_SIZE && size % MiB === 0 && Math.ceil(expected / size) <= MAX_PARTS;
            }),
        );
    });

    it("accepts a configured size only within S3's limits and the expected maximum", () => {
        // given configured sizes
        // when checked against a 100 GiB expected maximum
        // then too small, too big and too few parts are refused with the needed size
        assert.equal(choosePartSize(100 * GiB, 64 * MiB), 64 * MiB);
        assert.throws(() => choosePartSize(100 * GiB, MIN_PART_SIZE - 1), /part size: 5242879 bytes is out of range 5242880\.\./);
        assert.throws(() => choosePartSize(100 * GiB, 8 * MiB), /would need 12800 parts .* S3 allows 10000\. Use at least 11 MiB/);
        assert.throws(() => choosePartSize(0), /expected maximum size: 0 is not a positive number/);
    });
});

describe("upload request parameters", () => {
    it("ask for SSE-KMS with the configured key and a bucket key, and carry the tier tag", () => {
        // given an upload request with a KMS key and a tier tag
        // when its parameters are built
        const params = uploadParams({ bucket: "b", key: "k", contentType: "application/octet-stream", kmsKeyId: "arn:aws:kms:eu-west-1:1:key/abc", tags: { tier: "weekly" } });
        // then they are what AWS needs for an encrypted, lifecycle-tagged object
        assert.deepEqual(params, {
            Bucket: "b",
            Key: "k",
            ContentType: "application/octet-stream",
            Tagging: "tier=weekly",
            ServerSideEncryption: "aws:kms",
            SSEKMSKeyId: "arn:aws:kms:eu-west-1:1:key/abc",
            BucketKeyEnabled: true,
        });
    });

    it("carry the Object Lock mode and retain-until date when a lock is given, and none otherwise", () => {
        // given a locked upload / when built / then CreateMultipartUpload or PutObject locks the object from its creation
        const retainUntil = new Date("2027-04-05T02:00:00.000Z");
        const params = uploadParams({ bucket: "b", key: "k", contentType: "application/json", kmsKeyId: undefined, tags: {}, objectLock: { mode: "GOVERNANCE", retainUntil } });
        assert.equal(params.ObjectLockMode, "GOVERNANCE");
        assert.equal(params.ObjectLockRetainUntilDate, retainUntil);
        // given no lock / then no lock parameter at all
        const plain = uploadParams({ bucket: "b", key: "k", contentType: "application/json", kmsKeyId: undefined, tags: {} });
        assert.deepEqual(Object.keys(plain).filter((k) => k.startsWith("ObjectLock")), []);
    });

    it("send no encryption headers when no key is configured, and encode tag values", () => {
        // given no KMS key and a tag that needs escaping
        // when built
        const params = uploadParams({ bucket: "b", key: "k", contentType: "text/csv", kmsKeyId: undefined, tags: { "run id": "a&b" } });
        // then
        assert.equal(params.ServerSideEncryption, undefined);
        assert.equal(params.SSEKMSKeyId, undefined);
        assert.equal(params.Tagging, "run%20id=a%26b");
        assert.equal(taggingHeader({}), "");
    });
});
