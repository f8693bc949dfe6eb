import * as assert from "assert";
import type * as awsTypes from "@pulumi/aws";
import type { BackupBucket as BackupBucketClass, BackupBucketArgs } from "../../../../components/aws/backupBucket";
import type { BackupKey as BackupKeyClass } from "../../../../components/aws/backupKey";
import type { ReplicaBucket as ReplicaBucketClass, ReplicaBucketArgs } from "../../../../components/aws/replicaBucket";
import type { RetentionTiers as RetentionTiersClass } from "../../../../components/aws/retentionTiers";
import { assertAllParented, MockState, policyOf, RecordedResource, settle, setupMocks, unwrap } from "../../../helpers/mocks";

const T = {
    bucket: "aws:s3/bucket:Bucket",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    pab: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    policy: "aws:s3/bucketPolicy:BucketPolicy",
    lock: "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    replication: "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
};
const COMPONENT = "pg-backup-stack:aws:ReplicaBucket";
const DR_PROVIDER = /pulumi:providers:aws::dr::/;

interface ReplicationRule {
    deleteMarkerReplication: { status: string };
    sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: string } };
    destination: { bucket: string; storageClass: string; encryptionConfiguration: { replicaKmsKeyId: string }; replicationTime?: unknown };
}

describe("ReplicaBucket (under Pulumi mocks)", () => {
    let mocks: MockState;
    let aws: typeof awsTypes;
    let BackupBucket: typeof BackupBucketClass;
    let BackupKey: typeof BackupKeyClass;
    let ReplicaBucket: typeof ReplicaBucketClass;
    let drRegionProblem: (source: string, dr: string) => string | undefined;
    let RetentionTiers: typeof RetentionTiersClass;

    beforeEach(async () => {
        mocks = setupMocks();
        aws = await import("@pulumi/aws");
        ({ BackupBucket } = await import("../../../../components/aws/backupBucket"));
        ({ BackupKey } = await import("../../../../components/aws/backupKey"));
        ({ ReplicaBucket, drRegionProblem } = await import("../../../../components/aws/replicaBucket"));
        ({ RetentionTiers } = await import("../../../../components/aws/retentionTiers"));
    });

    /** A key with its DR replica, a source bucket and its replica, as the program wires them. */
    async function build(source: Partial<BackupBucketArgs> = {}, replica: Partial<ReplicaBucketArgs> = {}, drRegion = "us-west-2") {
        const dr = new aws.Provider("dr", { region: drRegion });
        const key = new BackupKey("key", { drProvider: dr });
        const bucket = new BackupBucket("backups", { kmsKeyArn: key.keyArn, tiers: RetentionTiers.gfs(), ...source });
        assert.ok(key.replicaKeyArn);
        const copy = new ReplicaBucket("backups-dr", { source: bucket, replicaKmsKeyArn: key.replicaKeyArn, drProvider: dr, ...replica });
        await unwrap(copy.bucketArn);
        await settle(mocks);
        return {
            sourceArn: await unwrap(bucket.bucketArn),
            replicaArn: await unwrap(copy.bucketArn),
            sourceKeyArn: await unwrap(key.keyArn),
            replicaKeyArn: await unwrap(key.replicaKeyArn),
            roleArn: await unwrap(copy.replicationRoleArn),
        };
    }

    const inDr = (r: RecordedResource) => assert.match(r.provider ?? "", DR_PROVIDER, `${r.type} ${r.name} is not created through the DR provider`);

    it("creates the replica bucket in the DR region with the same protections, encrypted with the replica key", async () => {
        // given a source and its replica
        const { replicaArn, replicaKeyArn } = await build();
        // then every replica bucket resource goes through the DR provider
        for (const [type, name] of [[T.bucket, "backups-dr-bucket"], [T.versioning, "backups-dr-versioning"], [T.sse, "backups-dr-encryption"], [T.pab, "backups-dr-public-access"], [T.ownership, "backups-dr-ownership"], [T.policy, "backups-dr-policy"], [T.lifecycle, "backups-dr-lifecycle"]] as const) {
            inDr(mocks.one(type, name));
        }
        // and it is versioned, private, ACL-free and SSE-KMS with the replica key
        assert.deepStrictEqual(mocks.one(T.versioning, "backups-dr-versioning").inputs["versioningConfiguration"], { status: "Enabled" });
        const pab = mocks.one(T.pab, "backups-dr-public-access").inputs;
        assert.deepStrictEqual([pab["blockPublicAcls"], pab["blockPublicPolicy"], pab["ignorePublicAcls"], pab["restrictPublicBuckets"]], [true, true, true, true]);
        assert.deepStrictEqual(mocks.one(T.ownership, "backups-dr-ownership").inputs["rule"], { objectOwnership: "BucketOwnerEnforced" });
        assert.deepStrictEqual(mocks.one(T.sse, "backups-dr-encryption").inputs["rules"], [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: replicaKeyArn }, bucketKeyEnabled: true }]);
        // and its policy is TLS-only and accepts only the replica key
        const policy = policyOf(mocks.one(T.policy, "backups-dr-policy"));
        assert.deepStrictEqual(policy.Statement.find((s) => s.Sid === "DenyInsecureTransport")?.Resource, [replicaArn, `${replicaArn}/*`]);
        assert.deepStrictEqual(policy.Statement.find((s) => s.Sid === "DenyOtherKmsKeys")?.Condition?.["StringNotEquals"], { "s3:x-amz-server-side-encryption-aws-kms-key-id": replicaKeyArn });
    });

    it("mirrors the source's lifecycle and readers; nobody writes but replication", async () => {
        // given a source with an export retention, a writer and a reader
        const verify = "arn:aws:iam::123456789012:role/verify";
        await build({ exportKeepDays: 9, writerRoleArns: ["arn:aws:iam::123456789012:role/dump"], readerRoleArns: [verify] });
        // then both buckets carry the same lifecycle rules
        assert.deepStrictEqual(mocks.one(T.lifecycle, "backups-dr-lifecycle").inputs["rules"], mocks.one(T.lifecycle, "backups-lifecycle").inputs["rules"]);
        // and the replica restricts reads to the same readers and names no writer (replicas arrive by s3:ReplicateObject)
        const policy = policyOf(mocks.one(T.policy, "backups-dr-policy"));
        assert.deepStrictEqual(policy.Statement.find((s) => s.Sid === "DenyReadsByOtherPrincipals")?.Condition, { ArnNotLike: { "aws:PrincipalArn": [verify] } });
        assert.strictEqual(policy.Statement.find((s) => s.Sid === "DenyWritesByOtherPrincipals"), undefined);
    });

    it("configures replication on the source: KMS objects, the replica key, delete markers off, Standard class", async () => {
        // given the defaults
        const { replicaArn, replicaKeyArn, roleArn } = await build();
        // then the configuration sits on the source bucket, through the primary provider, with the role
        const config = mocks.one(T.replication, "backups-dr-replication");
        assert.strictEqual(config.inputs["bucket"], "backups-bucket-id");
        assert.strictEqual(config.inputs["role"], roleArn);
        assert.doesNotMatch(config.provider ?? "", DR_PROVIDER);
        // and its rule replicates SSE-KMS objects re-encrypted with the replica key
        const [rule] = config.inputs["rules"] as ReplicationRule[];
        assert.deepStrictEqual(rule?.sourceSelectionCriteria, { sseKmsEncryptedObjects: { status: "Enabled" } });
        assert.strictEqual(rule?.destination.bucket, replicaArn);
        assert.deepStrictEqual(rule?.destination.encryptionConfiguration, { replicaKmsKeyId: replicaKeyArn });
        assert.strictEqual(rule?.destination.storageClass, "STANDARD");
        assert.deepStrictEqual(rule?.deleteMarkerReplication, { status: "Disabled" });
        assert.strictEqual(rule?.destination.replicationTime, undefined);
    });

    it("passes storage class, delete-marker replication and Replication Time Control through", async () => {
        // given non-default replication settings
        await build({}, { storageClass: "GLACIER_IR", replicateDeleteMarkers: true, replicationTimeControl: true });
        // then the rule carries them
        const [rule] = mocks.one(T.replication, "backups-dr-replication").inputs["rules"] as ReplicationRule[];
        assert.strictEqual(rule?.destination.storageClass, "GLACIER_IR");
        assert.deepStrictEqual(rule?.deleteMarkerReplication, { status: "Enabled" });
        assert.deepStrictEqual(rule?.destination.replicationTime, { status: "Enabled", time: { minutes: 15 } });
    });

    it("gives the replication role only the replication actions, each key through S3 of its own region", async () => {
        // given a source with Object Lock
        const { sourceArn, replicaArn, sourceKeyArn, replicaKeyArn } = await build({ objectLock: { mode: "COMPLIANCE", days: 7 } });
        // then only S3 can assume the role
        const trust = policyOf(mocks.one(T.role, "backups-dr-replication-role"), "assumeRolePolicy");
        assert.deepStrictEqual(trust.Statement.map((s) => [s.Principal, s.Action]), [[{ Service: ["s3.amazonaws.com"] }, ["sts:AssumeRole"]]]);
        // and the role policy grants exactly these actions on exactly these resources
        const policy = policyOf(mocks.one(T.rolePolicy, "backups-dr-replication-policy"));
        const grants = policy.Statement.flatMap((s) => s.Action.flatMap((a) => (s.Resource ?? []).map((r) => `${a} ${r}`))).sort();
        assert.deepStrictEqual(grants, [
            `kms:Decrypt ${sourceKeyArn}`,
            `kms:Encrypt ${replicaKeyArn}`,
            `s3:GetObjectLegalHold ${sourceArn}/*`,
            `s3:GetObjectRetention ${sourceArn}/*`,
            `s3:GetObjectVersionAcl ${sourceArn}/*`,
            `s3:GetObjectVersionForReplication ${sourceArn}/*`,
            `s3:GetObjectVersionTagging ${sourceArn}/*`,
            `s3:GetReplicationConfiguration ${sourceArn}`,
            `s3:ListBucket ${sourceArn}`,
            `s3:ReplicateDelete ${replicaArn}/*`,
            `s3:ReplicateObject ${replicaArn}/*`,
            `s3:ReplicateTags ${replicaArn}/*`,
        ]);
        const via = (action: string) => policy.Statement.find((s) => s.Action.includes(action))?.Condition?.["StringEquals"];
        assert.deepStrictEqual(via("kms:Decrypt"), { "kms:ViaService": "s3.eu-west-1.amazonaws.com" });
        assert.deepStrictEqual(via("kms:Encrypt"), { "kms:ViaService": "s3.us-west-2.amazonaws.com" });
    });

    it("locks the replica like the source when the source has Object Lock", async () => {
        // given a source with GOVERNANCE for 20 days
        await build({ objectLock: { mode: "GOVERNANCE", days: 20 } });
        // then the replica is created with Object Lock and the same default retention, in the DR region
        assert.strictEqual(mocks.one(T.bucket, "backups-dr-bucket").inputs["objectLockEnabled"], true);
        const lock = mocks.one(T.lock, "backups-dr-object-lock");
        assert.deepStrictEqual(lock.inputs["rule"], { defaultRetention: { mode: "GOVERNANCE", days: 20 } });
        inDr(lock);
    });

    it("has no Object Lock on the replica when the source has none", async () => {
        // given a source without Object Lock / then neither bucket is locked
        await build();
        assert.strictEqual(mocks.one(T.bucket, "backups-dr-bucket").inputs["objectLockEnabled"], false);
        assert.strictEqual(mocks.ofType(T.lock).length, 0);
    });

    it("parents every child to the component", async () => {
        // given a replica
        await build();
        // then its children (and only they) are parented to it
        const mine = mocks.resources.filter((r) => r.name.startsWith("backups-dr"));
        assert.ok(mine.length >= 10, `only ${mine.length} resources named backups-dr*`);
        assertAllParented({ ...mocks, resources: mine }, COMPONENT, "backups-dr");
    });

    it("does not declare the replication for a DR provider in the source's region", async () => {
        // given a "DR" provider in the source region (eu-west-1 under the mocks)
        const dr = new aws.Provider("dr", { region: "eu-west-1" });
        const bucket = new BackupBucket("src", { kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/0c9a2f0e-1111-4222-8333-944455556666", tiers: RetentionTiers.gfs() });
        new ReplicaBucket("same", { source: bucket, replicaKmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/0c9a2f0e-1111-4222-8333-944455556666", drProvider: dr });
        await settle(mocks);
        // then the role policy (and so the replication, which waits for it) fails instead of being declared
        assert.deepStrictEqual(mocks.ofType(T.rolePolicy), []);
        assert.deepStrictEqual(mocks.ofType(T.replication), []);
        // and the message names the argument and the region
        assert.strictEqual(drRegionProblem("eu-west-1", "eu-west-1"), "drProvider: region eu-west-1 is the source bucket's region; a DR replica must live in another region");
        assert.strictEqual(drRegionProblem("eu-west-1", "eu-central-1"), undefined);
    });

    it("refuses an unknown storage class and a missing DR provider before creating anything", async () => {
        // given a source bucket
        const bucket = new BackupBucket("src", { kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/0c9a2f0e-1111-4222-8333-944455556666", tiers: RetentionTiers.gfs() });
        const dr = new aws.Provider("dr", { region: "us-west-2" });
        const replicaKey = "arn:aws:kms:us-west-2:123456789012:key/0c9a2f0e-1111-4222-8333-944455556666";
        // when a replica is asked for in ONEZONE_IA / then it is refused with the allowed classes
        assert.throws(() => new ReplicaBucket("bad", { source: bucket, replicaKmsKeyArn: replicaKey, drProvider: dr, storageClass: "ONEZONE_IA" as never }),
            /storageClass: "ONEZONE_IA" is not allowed; give one of STANDARD, STANDARD_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE/);
        // and without a DR provider it is refused naming drProvider
        assert.throws(() => new ReplicaBucket("bad2", { source: bucket, replicaKmsKeyArn: replicaKey } as unknown as ReplicaBucketArgs), /drProvider: \(missing\) is required/);
        await settle(mocks);
        assert.deepStrictEqual(mocks.ofType(T.replication), []);
        assert.ok(!mocks.resources.some((r) => r.name.startsWith("bad-") || r.name.startsWith("bad2-")));
    });
});
