import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { LifecycleRule } from "./documents/lifecycle";

/** Object Lock default retention of a bucket. */
export interface ObjectLockRetention {
    readonly mode: "GOVERNANCE" | "COMPLIANCE";
    readonly days: number;
}

/** How one hardened bucket is built; shared by the backup, log and replica buckets. */
export interface ProtectedBucketSpec {
    /** SSE-KMS with this key (and an S3 Bucket Key), or SSE-S3 where KMS cannot be used. */
    readonly encryption: { readonly kmsKeyArn: pulumi.Input<string> } | "SSE-S3";
    /** Object Lock with a default retention; only at creation, S3 cannot add it later. */
    readonly objectLock?: ObjectLockRetention;
    readonly forceDestroy: boolean;
    readonly tags: Readonly<Record<string, string>>;
    readonly lifecycleRules: readonly LifecycleRule[];
    /** The bucket policy, built from the bucket's ARN. */
    readonly policy: (bucketArn: pulumi.Output<string>) => pulumi.Input<string>;
}

/** The resources of one hardened bucket. */
export interface ProtectedBucket {
    readonly bucket: aws.s3.Bucket;
    readonly versioning: aws.s3.BucketVersioning;
    readonly encryption: aws.s3.BucketServerSideEncryptionConfiguration;
    readonly publicAccessBlock: aws.s3.BucketPublicAccessBlock;
    readonly ownershipControls: aws.s3.BucketOwnershipControls;
    readonly policy: aws.s3.BucketPolicy;
    readonly objectLockConfiguration?: aws.s3.BucketObjectLockConfiguration;
    readonly lifecycle: aws.s3.BucketLifecycleConfiguration;
}

/**
 * Declares a bucket with versioning, default encryption, all four public access blocks,
 * ACLs disabled (Bucket owner enforced), a policy, optional Object Lock and lifecycle rules.
 * Every resource is named `<name>-<part>` and created with `opts` (parent, provider).
 */
export function protectedBucket(name: string, spec: ProtectedBucketSpec, opts: pulumi.CustomResourceOptions): ProtectedBucket {
    const bucket = new aws.s3.Bucket(`${name}-bucket`, {
        forceDestroy: spec.forceDestroy,
        objectLockEnabled: spec.objectLock !== undefined,
        tags: { ...spec.tags },
    }, opts);
    const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, {
        bucket: bucket.id,
        versioningConfiguration: { status: "Enabled" },
    }, opts);
    const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, {
        bucket: bucket.id,
        rules: [spec.encryption === "SSE-S3"
            ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }
            : { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: spec.encryption.kmsKeyArn }, bucketKeyEnabled: true }],
    }, opts);
    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(`${name}-public-access`, {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
    }, opts);
    const ownershipControls = new aws.s3.BucketOwnershipControls(`${name}-ownership`, {
        bucket: bucket.id,
        rule: { objectOwnership: "BucketOwnerEnforced" },
    }, opts);
    // S3 rejects concurrent changes to one bucket's policy and public access block.
    const policy = new aws.s3.BucketPolicy(`${name}-policy`, {
        bucket: bucket.id,
        policy: spec.policy(bucket.arn),
    }, { ...opts, dependsOn: [publicAccessBlock, ownershipControls] });
    const objectLockConfiguration = spec.objectLock === undefined ? undefined : new aws.s3.BucketObjectLockConfiguration(`${name}-object-lock`, {
        bucket: bucket.id,
        objectLockEnabled: "Enabled",
        rule: { defaultRetention: { mode: spec.objectLock.mode, days: spec.objectLock.days } },
    }, { ...opts, dependsOn: [versioning] });
    const lifecycle = new aws.s3.BucketLifecycleConfiguration(`${name}-lifecycle`, {
        bucket: bucket.id,
        rules: spec.lifecycleRules.map(toRuleArgs),
    }, { ...opts, dependsOn: [versioning] });
    return { bucket, versioning, encryption, publicAccessBlock, ownershipControls, policy, objectLockConfiguration, lifecycle };
}

/** A plain rule as the provider's input type, which wants a mutable transition list. */
function toRuleArgs(rule: LifecycleRule): aws.types.input.s3.BucketLifecycleConfigurationRule {
    const { transitions, ...rest } = rule;
    return transitions === undefined ? rest : { ...rest, transitions: [...transitions] };
}
