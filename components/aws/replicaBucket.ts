import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { BackupBucket } from "./backupBucket";
import { backupBucketPolicy } from "./documents/bucketPolicy";
import { lifecycleRules } from "./documents/lifecycle";
import { policyJson } from "./documents/policyDocument";
import { REPLICA_STORAGE_CLASSES, ReplicaStorageClass, replicationAssumeRolePolicy, replicationRolePolicy, replicationRules } from "./documents/replication";
import { awsContext, definedOnly, regionOf } from "./context";
import { protectedBucket } from "./protectedBucket";

export interface ReplicaBucketArgs {
    /** The bucket to replicate; its lifecycle, Object Lock and readers are mirrored. */
    readonly source: BackupBucket;
    /** ARN of the key replicas are encrypted with, in the DR region (`BackupKey.replicaKeyArn`). */
    readonly replicaKmsKeyArn: pulumi.Input<string>;
    /** Provider of the DR region; the replica bucket and its settings are created through it. */
    readonly drProvider: aws.Provider;
    /**
     * Storage class of the replicas; the lifecycle then moves them like the source's.
     * @default "STANDARD"
     */
    readonly storageClass?: ReplicaStorageClass;
    /**
     * Replicate delete markers; off, a delete in the source leaves the DR copy visible.
     * @default false
     */
    readonly replicateDeleteMarkers?: boolean;
    /**
     * S3 Replication Time Control (15-minute SLA, with replication metrics).
     * @default false
     */
    readonly replicationTimeControl?: boolean;
    /**
     * Let `pulumi destroy` delete the replica bucket with its objects.
     * @default the source's forceDestroy
     */
    readonly forceDestroy?: boolean;
    /**
     * Tags on the replica bucket and the replication role.
     * @default the source's tags
     */
    readonly tags?: Readonly<Record<string, string>>;
}

type ResolvedReplicaArgs = Required<ReplicaBucketArgs>;

function withDefaults(args: ReplicaBucketArgs): ResolvedReplicaArgs {
    return {
        storageClass: "STANDARD",
        replicateDeleteMarkers: false,
        replicationTimeControl: false,
        forceDestroy: args.source?.settings.forceDestroy ?? false,
        tags: args.source?.settings.tags ?? {},
        ...definedOnly(args),
    } as ResolvedReplicaArgs;
}

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(mrk-)?[0-9a-f-]{32,36}$/;

/** Every problem with the arguments, as `<arg>: <value> ...` messages. */
export function replicaBucketArgProblems(a: ResolvedReplicaArgs): string[] {
    const out: string[] = [];
    if (!(a.source instanceof BackupBucket)) out.push("source: (missing) is required; give the BackupBucket to replicate");
    if (!(a.drProvider instanceof aws.Provider)) out.push("drProvider: (missing) is required; give an aws.Provider for the DR region");
    if (a.replicaKmsKeyArn === undefined) out.push("replicaKmsKeyArn: (missing) is required; give BackupKey.replicaKeyArn");
    else if (typeof a.replicaKmsKeyArn === "string" && !KMS_KEY_ARN.test(a.replicaKmsKeyArn)) {
        out.push(`replicaKmsKeyArn: ${JSON.stringify(a.replicaKmsKeyArn)} is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)`);
    }
    if (!(REPLICA_STORAGE_CLASSES as readonly string[]).includes(a.storageClass)) {
        out.push(`storageClass: ${JSON.stringify(a.storageClass)} is not allowed; give one of ${REPLICA_STORAGE_CLASSES.join(", ")}`);
    }
    return out;
}

/** The problem with replicating from `sourceRegion` to `drRegion`, if any. */
export function drRegionProblem(sourceRegion: string, drRegion: string): string | undefined {
    return sourceRegion === drRegion
        ? `drProvider: region ${drRegion} is the source bucket's region; a DR replica must live in another region`
        : undefined;
}

/**
 * Cross-region replica of a `BackupBucket`: a bucket in the DR region with the same protections
 * (versioning, SSE-KMS with the replica key, public access block, ACLs disabled, TLS-only and
 * KMS-only policy, the source's Object Lock and lifecycle), the replication configuration on the
 * source, and a role that can only replicate between the two.
 *
 * Children in the DR region use `drProvider`; the replication configuration on the source
 * bucket uses this component's own provider, so create the component with the provider (or
 * `providers`) the source bucket was created with.
 */
export class ReplicaBucket extends pulumi.ComponentResource {
    /** The replica bucket in the DR region. */
    readonly bucket: aws.s3.Bucket;
    /** Name of the replica bucket. */
    readonly bucketName: pulumi.Output<string>;
    /** ARN of the replica bucket. */
    readonly bucketArn: pulumi.Output<string>;
    /** The role S3 replicates with. */
    readonly replicationRole: aws.iam.Role;
    /** ARN of the replication role. */
    readonly replicationRoleArn: pulumi.Output<string>;
    /** DR region the replica lives in. */
    readonly region: pulumi.Output<string>;

    constructor(name: string, args: ReplicaBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-backup-stack:aws:ReplicaBucket", name, {}, opts);
        const a = withDefaults(args);
        const problems = replicaBucketArgProblems(a);
        if (problems.length > 0) throw new pulumi.ResourceError(`ReplicaBucket ${name}: ${problems.join("; ")}`, this);
        const source = a.source;
        const objectLock = source.settings.objectLock;
        const ctx = awsContext(this);
        this.region = regionOf(this, a.drProvider);

        const replica = protectedBucket(name, {
            encryption: { kmsKeyArn: a.replicaKmsKeyArn },
            ...(objectLock !== undefined ? { objectLock } : {}),
            forceDestroy: a.forceDestroy,
            tags: a.tags,
            lifecycleRules: lifecycleRules(source.settings.lifecycle),
            policy: (bucketArn) => pulumi.all([bucketArn, a.replicaKmsKeyArn, pulumi.all([...source.settings.readerRoleArns])])
                .apply(([arn, kmsKeyArn, readerRoleArns]) => policyJson(backupBucketPolicy({ bucketArn: arn, kmsKeyArn, writerRoleArns: [], readerRoleArns }))),
        }, { parent: this, provider: a.drProvider });

        this.replicationRole = new aws.iam.Role(`${name}-replication-role`, {
            description: `S3 replication of the backups to the DR region (${name})`,
            assumeRolePolicy: policyJson(replicationAssumeRolePolicy()),
            tags: { ...a.tags },
        }, { parent: this });
        const rolePolicy = new aws.iam.RolePolicy(`${name}-replication-policy`, {
            role: this.replicationRole.id,
            policy: pulumi.all([source.bucketArn, replica.bucket.arn, source.kmsKeyArn, a.replicaKmsKeyArn, source.region, this.region, ctx.dnsSuffix])
                .apply(([sourceBucketArn, destinationBucketArn, sourceKmsKeyArn, replicaKmsKeyArn, sourceRegion, destinationRegion, dnsSuffix]) => {
                    const problem = drRegionProblem(sourceRegion, destinationRegion);
                    if (problem !== undefined) throw new pulumi.ResourceError(`ReplicaBucket ${name}: ${problem}`, this);
                    return policyJson(replicationRolePolicy({
                        sourceBucketArn, destinationBucketArn, sourceKmsKeyArn, replicaKmsKeyArn, sourceRegion, destinationRegion, dnsSuffix,
                        objectLock: objectLock !== undefined,
                    }));
                }),
        }, { parent: this });

        new aws.s3.BucketReplicationConfig(`${name}-replication`, {
            bucket: source.bucket.id,
            role: this.replicationRole.arn,
            rules: pulumi.all([replica.bucket.arn, a.replicaKmsKeyArn]).apply(([destinationBucketArn, replicaKmsKeyArn]) => replicationRules({
                destinationBucketArn,
                replicaKmsKeyArn,
                storageClass: a.storageClass,
                replicateDeleteMarkers: a.replicateDeleteMarkers,
                replicationTimeControl: a.replicationTimeControl,
            })),
        }, { parent: this, dependsOn: [source.versioning, replica.versioning, rolePolicy] });

        this.bucket = replica.bucket;
        this.bucketName = replica.bucket.bucket;
        this.bucketArn = replica.bucket.arn;
        this.replicationRoleArn = this.replicationRole.arn;
        this.registerOutputs({
            bucketName: this.bucketName,
            bucketArn: this.bucketArn,
            replicationRoleArn: this.replicationRoleArn,
            region: this.region,
        });
    }
}
