import * as assert from "assert";
import type { BackupBucket as BackupBucketClass } from "../../../../components/aws/backupBucket";
import type { BackupKey as BackupKeyClass } from "../../../../components/aws/backupKey";
import type { RetentionTiers as RetentionTiersClass } from "../../../../components/aws/retentionTiers";
import { assertAllParented, MockState, policyOf, RecordedResource, settle, setupMocks, unwrap } from "../../../helpers/mocks";
import { stackConfig, validConfig } from "../../../helpers/config";

const T = {
    bucket: "aws:s3/bucket:Bucket",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    pab: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    policy: "aws:s3/bucketPolicy:BucketPolicy",
    lock: "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    logging: "aws:s3/bucketLogging:BucketLogging",
};
const COMPONENT = "pg-backup-stack:aws:BackupBucket";
const KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/0c9a2f0e-1111-4222-8333-944455556666";
const DUMP = "arn:aws:iam::123456789012:role/dump";

interface Rule { id: string; filter: unknown; transitions?: { days: number; storageClass: string }[]; expiration?: { days?: number }; noncurrentVersionExpiration?: unknown; abortIncompleteMultipartUpload?: unknown }
const rulesOf = (r: RecordedResource): Rule[] => r.inputs["rules"] as Rule[];

describe("BackupBucket (under Pulumi mocks)", () => {
    let mocks: MockState;
    let BackupBucket: typeof BackupBucketClass;
    let BackupKey: typeof BackupKeyClass;
    let RetentionTiers: typeof RetentionTiersClass;

    beforeEach(async () => {
        mocks = setupMocks();
        ({ BackupBucket } = await import("../../../../components/aws/backupBucket"));
        ({ BackupKey } = await import("../../../../components/aws/backupKey"));
        ({ RetentionTiers } = await import("../../../../components/aws/retentionTiers"));
    });

    async function build(args: Partial<ConstructorParameters<typeof BackupBucketClass>[1]> = {}): Promise<BackupBucketClass> {
        const bucket = new BackupBucket("backups", { kmsKeyArn: KEY_ARN, tiers: RetentionTiers.gfs(), ...args });
        await unwrap(bucket.bucketArn);
        await settle(mocks);
        return bucket;
    }

    it("encrypts with the CMK from a BackupKey, with an S3 Bucket Key", async () => {
        // given a key component and a bucket using its ARN
        const key = new BackupKey("backup-key", {});
        await build({ kmsKeyArn: key.keyArn });
        // then default encryption is SSE-KMS with that key's ARN and the bucket key on
        const sse = mocks.one(T.sse, "backups-encryption");
        assert.deepStrictEqual(sse.inputs["rules"], [{
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:kms:eu-west-1:123456789012:key/backup-key-key-key-id" },
            bucketKeyEnabled: true,
        }]);
    });

    it("versions the bucket, blocks all public access and disables ACLs", async () => {
        // given the defaults
        await build();
        // then versioning is on, all four public access blocks are set and ownership is enforced
        assert.deepStrictEqual(mocks.one(T.versioning, "backups-versioning").inputs["versioningConfiguration"], { status: "Enabled" });
        const pab = mocks.one(T.pab, "backups-public-access").inputs;
        assert.deepStrictEqual([pab["blockPublicAcls"], pab["blockPublicPolicy"], pab["ignorePublicAcls"], pab["restrictPublicBuckets"]], [true, true, true, true]);
        assert.deepStrictEqual(mocks.one(T.ownership, "backups-ownership").inputs["rule"], { objectOwnership: "BucketOwnerEnforced" });
        // and nothing is force-destroyed or locked by default
        assert.strictEqual(mocks.one(T.bucket, "backups-bucket").inputs["forceDestroy"], false);
        assert.strictEqual(mocks.one(T.bucket, "backups-bucket").inputs["objectLockEnabled"], false);
        assert.strictEqual(mocks.ofType(T.lock).length, 0);
    });

    it("attaches a policy that denies non-TLS access and uploads with other encryption or keys, for this bucket", async () => {
        // given a writer role and a reader role
        const bucket = await build({ writerRoleArns: [DUMP], readerRoleArns: ["arn:aws:iam::123456789012:role/verify"] });
        const arn = await unwrap(bucket.bucketArn);
        // then the policy's statements target this bucket's ARN and the CMK
        const policy = policyOf(mocks.one(T.policy, "backups-policy"));
        const tls = policy.Statement.find((s) => s.Sid === "DenyInsecureTransport");
        assert.deepStrictEqual(tls?.Resource, [arn, `${arn}/*`]);
        assert.deepStrictEqual(tls?.Condition, { Bool: { "aws:SecureTransport": "false" } });
        const kms = policy.Statement.find((s) => s.Sid === "DenyEncryptionOtherThanKms");
        assert.deepStrictEqual(kms?.Condition?.["StringNotEquals"], { "s3:x-amz-server-side-encryption": "aws:kms" });
        const key = policy.Statement.find((s) => s.Sid === "DenyOtherKmsKeys");
        assert.deepStrictEqual(key?.Condition?.["StringNotEquals"], { "s3:x-amz-server-side-encryption-aws-kms-key-id": KEY_ARN });
        const writers = policy.Statement.find((s) => s.Sid === "DenyWritesByOtherPrincipals");
        assert.deepStrictEqual(writers?.Condition, { ArnNotLike: { "aws:PrincipalArn": [DUMP] } });
        const readers = policy.Statement.find((s) => s.Sid === "DenyReadsByOtherPrincipals");
        assert.deepStrictEqual(readers?.Condition, { ArnNotLike: { "aws:PrincipalArn": ["arn:aws:iam::123456789012:role/verify"] } });
    });

    it("gives each tier its transitions and expiry, selected by the tier tag under the prefix", async () => {
        // given explicit tiers and housekeeping days
        await build({
            prefix: "pg/",
            tiers: {
                daily: { keepDays: 8 },
                weekly: { keepDays: 70, standardIaAfterDays: 30 },
                monthly: { keepDays: 800, standardIaAfterDays: 45, glacierAfterDays: 100, deepArchiveAfterDays: 200 },
            },
            noncurrentVersionExpireDays: 14,
            abortIncompleteUploadDays: 2,
        });
        // then the lifecycle holds exactly those transitions and expiries
        const rules = rulesOf(mocks.one(T.lifecycle, "backups-lifecycle"));
        const summary = rules.filter((r) => r.id.startsWith("tier-")).map((r) => ({ id: r.id, filter: r.filter, transitions: r.transitions ?? [], expire: r.expiration?.days }));
        assert.deepStrictEqual(summary, [
            { id: "tier-daily", filter: { and: { prefix: "pg/", tags: { tier: "daily" } } }, transitions: [], expire: 8 },
            { id: "tier-weekly", filter: { and: { prefix: "pg/", tags: { tier: "weekly" } } }, transitions: [{ days: 30, storageClass: "STANDARD_IA" }], expire: 70 },
            {
                id: "tier-monthly",
                filter: { and: { prefix: "pg/", tags: { tier: "monthly" } } },
                transitions: [{ days: 45, storageClass: "STANDARD_IA" }, { days: 100, storageClass: "GLACIER" }, { days: 200, storageClass: "DEEP_ARCHIVE" }],
                expire: 800,
            },
        ]);
        const housekeeping = rules.find((r) => r.id === "housekeeping");
        assert.deepStrictEqual(housekeeping?.noncurrentVersionExpiration, { noncurrentDays: 14 });
        assert.deepStrictEqual(housekeeping?.abortIncompleteMultipartUpload, { daysAfterInitiation: 2 });
    });

    it("enables Object Lock at creation with the default retention mode and days", async () => {
        // given COMPLIANCE for 30 days
        await build({ objectLock: { mode: "COMPLIANCE", days: 30 } });
        // then the bucket is created with Object Lock and the configuration carries the retention
        assert.strictEqual(mocks.one(T.bucket, "backups-bucket").inputs["objectLockEnabled"], true);
        const lock = mocks.one(T.lock, "backups-object-lock");
        assert.strictEqual(lock.inputs["objectLockEnabled"], "Enabled");
        assert.deepStrictEqual(lock.inputs["rule"], { defaultRetention: { mode: "COMPLIANCE", days: 30 } });
        // and the log bucket has no Object Lock (S3 cannot deliver logs into one)
        assert.strictEqual(mocks.one(T.bucket, "backups-logs-bucket").inputs["objectLockEnabled"], false);
        assert.deepStrictEqual(mocks.ofType(T.lock).map((r) => r.name), ["backups-object-lock"]);
    });

    it("logs access into a separate, protected log bucket with SSE-S3, a log-delivery policy and its own expiry", async () => {
        // given a 90-day log retention
        const bucket = await build({ accessLogExpireDays: 90 });
        const [sourceArn, logsName] = [await unwrap(bucket.bucketArn), await unwrap(bucket.logBucketName)];
        // then logging targets the log bucket under the access-log prefix
        const logging = mocks.one(T.logging, "backups-logging");
        assert.strictEqual(logging.inputs["bucket"], "backups-bucket-id");
        assert.strictEqual(logging.inputs["targetBucket"], "backups-logs-bucket-id");
        assert.strictEqual(logging.inputs["targetPrefix"], "s3-access/");
        assert.notStrictEqual(logsName, await unwrap(bucket.bucketName));
        // and the log bucket is versioned, private, ACL-free and SSE-S3 encrypted
        assert.deepStrictEqual(mocks.one(T.versioning, "backups-logs-versioning").inputs["versioningConfiguration"], { status: "Enabled" });
        assert.strictEqual(mocks.one(T.pab, "backups-logs-public-access").inputs["restrictPublicBuckets"], true);
        assert.deepStrictEqual(mocks.one(T.ownership, "backups-logs-ownership").inputs["rule"], { objectOwnership: "BucketOwnerEnforced" });
        assert.deepStrictEqual(mocks.one(T.sse, "backups-logs-encryption").inputs["rules"], [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
        // and only S3 log delivery for the backup bucket of this account may write there
        const delivery = policyOf(mocks.one(T.policy, "backups-logs-policy")).Statement.find((s) => s.Sid === "AllowServerAccessLogDelivery");
        assert.deepStrictEqual(delivery?.Principal, { Service: ["logging.s3.amazonaws.com"] });
        assert.deepStrictEqual(delivery?.Condition, { ArnLike: { "aws:SourceArn": [sourceArn] }, StringEquals: { "aws:SourceAccount": "123456789012" } });
        // and logs expire after 90 days
        const logRules = rulesOf(mocks.one(T.lifecycle, "backups-logs-lifecycle"));
        assert.strictEqual(logRules.find((r) => r.id === "access-logs")?.expiration?.days, 90);
    });

    it("takes its arguments straight from a validated stack configuration", async () => {
        // given a stack config with export retention and Object Lock
        const cfg = stackConfig(validConfig({ "storage.exportKeepDays": 10, "storage.objectLock": { mode: "GOVERNANCE", days: 5 } }));
        // when the bucket is built from its storage and retention sections
        await build({ ...cfg.storage, tiers: cfg.retention, kmsKeyArn: KEY_ARN });
        // then the config's tiers, export rule and lock arrive in the resources
        const rules = rulesOf(mocks.one(T.lifecycle, "backups-lifecycle"));
        assert.deepStrictEqual(rules.map((r) => r.id), ["tier-daily", "tier-weekly", "tier-monthly", "exports", "housekeeping"]);
        assert.strictEqual(rules.find((r) => r.id === "tier-monthly")?.expiration?.days, cfg.retention.monthly.keepDays);
        assert.strictEqual(rules.find((r) => r.id === "exports")?.expiration?.days, 10);
        assert.deepStrictEqual(mocks.one(T.lock, "backups-object-lock").inputs["rule"], { defaultRetention: { mode: "GOVERNANCE", days: 5 } });
    });

    it("parents every child to the component", async () => {
        // given a bucket with every optional part
        await build({ objectLock: { mode: "GOVERNANCE", days: 1 }, exportKeepDays: 7, writerRoleArns: [DUMP], readerRoleArns: [DUMP] });
        // then each recorded child has the component as parent
        assertAllParented(mocks, COMPONENT, "backups");
        assert.strictEqual(mocks.ofType(T.bucket).length, 2);
    });

    const refusals: { name: string; args: Record<string, unknown>; message: RegExp }[] = [
        { name: "Object Lock mode without days", args: { objectLock: { mode: "COMPLIANCE" } }, message: /objectLock\.days: \(missing\) is required with objectLock\.mode/ },
        { name: "an unknown Object Lock mode", args: { objectLock: { mode: "STRICT", days: 3 } }, message: /objectLock\.mode: "STRICT" is not allowed; give GOVERNANCE or COMPLIANCE/ },
        { name: "a key id instead of a key ARN", args: { kmsKeyArn: "0c9a2f0e-1111-4222-8333-944455556666" }, message: /kmsKeyArn: "0c9a2f0e-1111-4222-8333-944455556666" is not a KMS key ARN/ },
        { name: "Standard-IA before day 30", args: { tiers: { weekly: { keepDays: 90, standardIaAfterDays: 10 } } }, message: /tiers\.weekly\.standardIaAfterDays: 10 is out of range 30\.\./ },
        { name: "an access-log expiry of zero", args: { accessLogExpireDays: 0 }, message: /accessLogExpireDays: 0 is not allowed/ },
        { name: "a writer that is not a role ARN", args: { writerRoleArns: ["arn:aws:iam::123456789012:user/bob"] }, message: /writerRoleArns: "arn:aws:iam::123456789012:user\/bob" is not an IAM role ARN/ },
    ];
    for (const r of refusals) {
        it(`refuses ${r.name} before creating anything`, async () => {
            // given the bad argument / when the component is constructed / then it throws with the argument and value
            assert.throws(() => new BackupBucket("bad", { kmsKeyArn: KEY_ARN, tiers: RetentionTiers.gfs(), ...r.args }), (e: unknown) => e instanceof Error && r.message.test(e.message));
            await settle(mocks);
            // and no bucket was declared
            assert.strictEqual(mocks.ofType(T.bucket).length, 0);
        });
    }
});
