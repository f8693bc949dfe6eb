import * as assert from "assert";
import {
    ReplicationRolePolicyInput,
    replicationAssumeRolePolicy,
    replicationRolePolicy,
    replicationRules,
} from "../../../../../components/aws/documents/replication";

const SOURCE = "arn:aws:s3:::prod-backups";
const DEST = "arn:aws:s3:::prod-backups-dr";
const SOURCE_KEY = "arn:aws:kms:eu-west-1:123456789012:key/mrk-0c9a2f0e111142228333944455556666";
const REPLICA_KEY = "arn:aws:kms:eu-central-1:123456789012:key/mrk-0c9a2f0e111142228333944455556666";

function roleInput(objectLock: boolean): ReplicationRolePolicyInput {
    return {
        sourceBucketArn: SOURCE, destinationBucketArn: DEST, sourceKmsKeyArn: SOURCE_KEY, replicaKmsKeyArn: REPLICA_KEY,
        sourceRegion: "eu-west-1", destinationRegion: "eu-central-1", dnsSuffix: "amazonaws.com", objectLock,
    };
}

/** Every (action, resource) pair a policy allows, as `action on resource` strings. */
function grants(objectLock: boolean): string[] {
    return replicationRolePolicy(roleInput(objectLock)).Statement.flatMap((s) => {
        assert.strictEqual(s.Effect, "Allow");
        return s.Action.flatMap((a) => (s.Resource ?? []).map((r) => `${a} on ${r}`));
    }).sort();
}

describe("replication documents (documents/replication)", () => {
    it("role policy: exactly the replication actions on exactly the two buckets and two keys", () => {
        // given buckets without Object Lock / when the role policy is built
        // then it grants these pairs and nothing else
        assert.deepStrictEqual(grants(false), [
            `kms:Decrypt on ${SOURCE_KEY}`,
            `kms:Encrypt on ${REPLICA_KEY}`,
            `s3:GetObjectVersionAcl on ${SOURCE}/*`,
            `s3:GetObjectVersionForReplication on ${SOURCE}/*`,
            `s3:GetObjectVersionTagging on ${SOURCE}/*`,
            `s3:GetReplicationConfiguration on ${SOURCE}`,
            `s3:ListBucket on ${SOURCE}`,
            `s3:ReplicateDelete on ${DEST}/*`,
            `s3:ReplicateObject on ${DEST}/*`,
            `s3:ReplicateTags on ${DEST}/*`,
        ]);
    });

    it("role policy: reads Object Lock retention and legal hold when the source has Object Lock", () => {
        // given Object Lock / then exactly two more source-object actions appear
        const extra = grants(true).filter((g) => !grants(false).includes(g));
        assert.deepStrictEqual(extra, [`s3:GetObjectLegalHold on ${SOURCE}/*`, `s3:GetObjectRetention on ${SOURCE}/*`]);
    });

    it("role policy: each key is usable only through S3 in its own region and for its own bucket", () => {
        // given the role policy
        const doc = replicationRolePolicy(roleInput(false));
        // then decrypt is bound to S3 in the source region, encrypt to S3 in the DR region
        const decrypt = doc.Statement.find((s) => s.Action.includes("kms:Decrypt"));
        const encrypt = doc.Statement.find((s) => s.Action.includes("kms:Encrypt"));
        assert.deepStrictEqual(decrypt?.Condition, {
            StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" },
            StringLike: { "kms:EncryptionContext:aws:s3:arn": [SOURCE, `${SOURCE}/*`] },
        });
        assert.deepStrictEqual(encrypt?.Condition, {
            StringEquals: { "kms:ViaService": "s3.eu-central-1.amazonaws.com" },
            StringLike: { "kms:EncryptionContext:aws:s3:arn": [DEST, `${DEST}/*`] },
        });
    });

    it("trust policy: only S3 assumes the role", () => {
        // given the trust policy / then S3 is the one principal and sts:AssumeRole the one action
        assert.deepStrictEqual(replicationAssumeRolePolicy(), {
            Version: "2012-10-17",
            Statement: [{ Sid: "S3AssumesForReplication", Effect: "Allow", Principal: { Service: ["s3.amazonaws.com"] }, Action: ["sts:AssumeRole"] }],
        });
    });

    it("rule: KMS-encrypted objects are selected and re-encrypted with the replica key", () => {
        // given the defaults a DR copy uses
        const [rule, ...more] = replicationRules({ destinationBucketArn: DEST, replicaKmsKeyArn: REPLICA_KEY, storageClass: "STANDARD", replicateDeleteMarkers: false, replicationTimeControl: false });
        // then one rule over the whole bucket, SSE-KMS objects included, replica key on the destination
        assert.strictEqual(more.length, 0);
        assert.deepStrictEqual(rule, {
            id: "replicate-all",
            priority: 1,
            status: "Enabled",
            filter: { prefix: "" },
            deleteMarkerReplication: { status: "Disabled" },
            sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
            destination: { bucket: DEST, storageClass: "STANDARD", encryptionConfiguration: { replicaKmsKeyId: REPLICA_KEY } },
        });
    });

    it("rule: delete markers, storage class and Replication Time Control follow the input", () => {
        // given delete-marker replication, Standard-IA and RTC
        const [rule] = replicationRules({ destinationBucketArn: DEST, replicaKmsKeyArn: REPLICA_KEY, storageClass: "STANDARD_IA", replicateDeleteMarkers: true, replicationTimeControl: true });
        // then the rule carries them, with RTC's 15-minute time and metrics
        assert.deepStrictEqual(rule?.deleteMarkerReplication, { status: "Enabled" });
        assert.strictEqual(rule?.destination.storageClass, "STANDARD_IA");
        assert.deepStrictEqual(rule?.destination.replicationTime, { status: "Enabled", time: { minutes: 15 } });
        assert.deepStrictEqual(rule?.destination.metrics, { status: "Enabled", eventThreshold: { minutes: 15 } });
    });
});
