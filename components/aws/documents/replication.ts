import { PolicyDocument, policyDocument } from "./policyDocument";
import { viaServiceHost } from "./keyPolicy";
import { EVERY_OBJECT } from "./lifecycle";

/** Storage classes a replica may be written in (one-zone classes would defeat a DR copy). */
export const REPLICA_STORAGE_CLASSES = ["STANDARD", "STANDARD_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"] as const;
export type ReplicaStorageClass = (typeof REPLICA_STORAGE_CLASSES)[number];

/** What the replication role's policy is built from: plain values, already resolved. */
export interface ReplicationRolePolicyInput {
    readonly sourceBucketArn: string;
    readonly destinationBucketArn: string;
    readonly sourceKmsKeyArn: string;
    readonly replicaKmsKeyArn: string;
    readonly sourceRegion: string;
    readonly destinationRegion: string;
    readonly dnsSuffix: string;
    /** Source objects carry Object Lock retention, which the replica must receive too. */
    readonly objectLock: boolean;
}

/** Actions on the source bucket itself. */
export const REPLICATION_SOURCE_BUCKET_ACTIONS: readonly string[] = ["s3:GetReplicationConfiguration", "s3:ListBucket"];
/** Actions on source object versions. */
export const REPLICATION_SOURCE_OBJECT_ACTIONS: readonly string[] = ["s3:GetObjectVersionAcl", "s3:GetObjectVersionForReplication", "s3:GetObjectVersionTagging"];
/** Extra source object actions when Object Lock retention is replicated. */
export const REPLICATION_OBJECT_LOCK_ACTIONS: readonly string[] = ["s3:GetObjectLegalHold", "s3:GetObjectRetention"];
/** Actions on destination objects. */
export const REPLICATION_DESTINATION_ACTIONS: readonly string[] = ["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"];

/** Trust policy: only S3 may assume the replication role. */
export function replicationAssumeRolePolicy(): PolicyDocument {
    return policyDocument([{
        Sid: "S3AssumesForReplication",
        Effect: "Allow",
        Principal: { Service: ["s3.amazonaws.com"] },
        Action: ["sts:AssumeRole"],
    }]);
}

/**
 * Policy of the replication role: read what replication needs from the source, write replicas
 * to the destination, decrypt with the source key only through S3 in the source region and
 * encrypt with the replica key only through S3 in the destination region. The encryption
 * context names the bucket (S3 Bucket Keys) or an object in it.
 */
export function replicationRolePolicy(input: ReplicationRolePolicyInput): PolicyDocument {
    const objectActions = input.objectLock
        ? [...REPLICATION_SOURCE_OBJECT_ACTIONS, ...REPLICATION_OBJECT_LOCK_ACTIONS].sort()
        : [...REPLICATION_SOURCE_OBJECT_ACTIONS];
    return policyDocument([
        { Sid: "ReadReplicationConfiguration", Effect: "Allow", Action: REPLICATION_SOURCE_BUCKET_ACTIONS, Resource: [input.sourceBucketArn] },
        { Sid: "ReadSourceObjectVersions", Effect: "Allow", Action: objectActions, Resource: [`${input.sourceBucketArn}/*`] },
        { Sid: "WriteReplicas", Effect: "Allow", Action: REPLICATION_DESTINATION_ACTIONS, Resource: [`${input.destinationBucketArn}/*`] },
        {
            Sid: "DecryptSourceThroughS3",
            Effect: "Allow",
            Action: ["kms:Decrypt"],
            Resource: [input.sourceKmsKeyArn],
            Condition: {
                StringEquals: { "kms:ViaService": viaServiceHost("s3", input.sourceRegion, input.dnsSuffix) },
                StringLike: { "kms:EncryptionContext:aws:s3:arn": [input.sourceBucketArn, `${input.sourceBucketArn}/*`] },
            },
        },
        {
            Sid: "EncryptReplicasThroughS3",
            Effect: "Allow",
            Action: ["kms:Encrypt"],
            Resource: [input.replicaKmsKeyArn],
            Condition: {
                StringEquals: { "kms:ViaService": viaServiceHost("s3", input.destinationRegion, input.dnsSuffix) },
                StringLike: { "kms:EncryptionContext:aws:s3:arn": [input.destinationBucketArn, `${input.destinationBucketArn}/*`] },
            },
        },
    ]);
}

/** What the replication rule is built from. */
export interface ReplicationRuleInput {
    readonly destinationBucketArn: string;
    readonly replicaKmsKeyArn: string;
    readonly storageClass: ReplicaStorageClass;
    /** Replicate delete markers (a delete in the source then hides the replica too). */
    readonly replicateDeleteMarkers: boolean;
    /** S3 Replication Time Control: 15-minute replication SLA with its metrics. */
    readonly replicationTimeControl: boolean;
}

/** One rule, in the shape of `aws.s3.BucketReplicationConfig` rules. */
export interface ReplicationRule {
    readonly id: string;
    readonly priority: number;
    readonly status: "Enabled";
    readonly filter: { readonly prefix: string };
    readonly deleteMarkerReplication: { readonly status: "Enabled" | "Disabled" };
    readonly sourceSelectionCriteria: { readonly sseKmsEncryptedObjects: { readonly status: "Enabled" } };
    readonly destination: {
        readonly bucket: string;
        readonly storageClass: ReplicaStorageClass;
        readonly encryptionConfiguration: { readonly replicaKmsKeyId: string };
        readonly replicationTime?: { readonly status: "Enabled"; readonly time: { readonly minutes: number } };
        readonly metrics?: { readonly status: "Enabled"; readonly eventThreshold: { readonly minutes: number } };
    };
}

/** Replication Time Control's fixed threshold: S3 supports 15 minutes only. */
export const RTC_MINUTES = 15;

/**
 * The replication rule: every object of the bucket, selected by an explicit empty prefix (a rule
 * with delete-marker replication needs a Filter, and an empty filter object may reach S3 as
 * none), SSE-KMS objects included and re-encrypted with the replica key. Amazon S3 User Guide,
 * "Replication configuration file elements" (Filter, Prefix):
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-add-config.html
 *
 * Object Lock: replication copies each version's retention mode and retain-until date with it,
 * provided the destination bucket has Object Lock enabled (ReplicaBucket enables it whenever the
 * source has it) and the role may read them (REPLICATION_OBJECT_LOCK_ACTIONS). Amazon S3 User
 * Guide, "Object Lock considerations" (Using Object Lock with S3 Replication):
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html#object-lock-managing-replication
 */
export function replicationRules(input: ReplicationRuleInput): ReplicationRule[] {
    return [{
        id: "replicate-all",
        priority: 1,
        status: "Enabled",
        filter: EVERY_OBJECT,
        deleteMarkerReplication: { status: input.replicateDeleteMarkers ? "Enabled" : "Disabled" },
        sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
        destination: {
            bucket: input.destinationBucketArn,
            storageClass: input.storageClass,
            encryptionConfiguration: { replicaKmsKeyId: input.replicaKmsKeyArn },
            ...(input.replicationTimeControl
                ? {
                    replicationTime: { status: "Enabled", time: { minutes: RTC_MINUTES } },
                    metrics: { status: "Enabled", eventThreshold: { minutes: RTC_MINUTES } },
                }
                : {}),
        },
    }];
}
