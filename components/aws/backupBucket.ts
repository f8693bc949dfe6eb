import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { backupBucketPolicy, logBucketPolicy } from "./documents/bucketPolicy";
import { LifecycleInput, RetentionTierSet, lifecycleProblems, lifecycleRules, logBucketLifecycleRules } from "./documents/lifecycle";
import { invalidRoleArnPatterns, policyJson } from "./documents/policyDocument";
import { awsContext, definedOnly, plainStrings, regionOf } from "./context";
import { ObjectLockRetention, protectedBucket } from "./protectedBucket";

/** Object Lock as the stack configuration writes it: both keys or neither. */
export interface ObjectLockArgs {
    readonly mode?: "GOVERNANCE" | "COMPLIANCE";
    readonly days?: number;
}

export interface BackupBucketArgs {
    /** ARN of the CMK for SSE-KMS (e.g. `BackupKey.keyArn`); uploads naming another key are refused. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** Retention tiers (e.g. `RetentionTiers.gfs()`); objects are assigned by their `tier` tag. */
    readonly tiers: RetentionTierSet;
    /**
     * Key prefix of the dumps; tier rules apply below it.
     * @default "backups"
     */
    readonly prefix?: string;
    /**
     * Key prefix of the table exports.
     * @default "exports"
     */
    readonly exportPrefix?: string;
    /**
     * Days the table exports are kept; without it they are kept until deleted.
     * @default none
     */
    readonly exportKeepDays?: number;
    /**
     * Days a replaced or deleted object version is kept.
     * @default 30
     */
    readonly noncurrentVersionExpireDays?: number;
    /**
     * Days after which an unfinished multipart upload is aborted.
     * @default 1
     */
    readonly abortIncompleteUploadDays?: number;
    /**
     * Object Lock default retention (mode and days); S3 can only enable it when the bucket is created.
     * @default none
     */
    readonly objectLock?: ObjectLockArgs;
    /**
     * Days the server access logs are kept.
     * @default 365
     */
    readonly accessLogExpireDays?: number;
    /**
     * Role ARNs or patterns that write dumps and exports; when given, no other principal may write or re-tag objects.
     * @default none (IAM decides)
     */
    readonly writerRoleArns?: readonly pulumi.Input<string>[];
    /**
     * Role ARNs or patterns that read dumps (verify, export watermark, restore operators); when given, no other principal may read object data.
     * @default none (IAM decides)
     */
    readonly readerRoleArns?: readonly pulumi.Input<string>[];
    /**
     * Let `pulumi destroy` delete the buckets with their objects (never for production).
     * @default false
     */
    readonly forceDestroy?: boolean;
    /**
     * Tags on the buckets.
     * @default none
     */
    readonly tags?: Readonly<Record<string, string>>;
}

/** The settings a bucket was built with, defaults filled in: what a replica mirrors. */
export interface BackupBucketSettings {
    readonly lifecycle: LifecycleInput;
    readonly objectLock?: ObjectLockRetention;
    readonly readerRoleArns: readonly pulumi.Input<string>[];
    readonly forceDestroy: boolean;
    readonly tags: Readonly<Record<string, string>>;
}

interface ResolvedBucketArgs {
    readonly kmsKeyArn: pulumi.Input<string>;
    readonly tiers: RetentionTierSet;
    readonly prefix: string;
    readonly exportPrefix: string;
    readonly exportKeepDays?: number;
    readonly noncurrentVersionExpireDays: number;
    readonly abortIncompleteUploadDays: number;
    readonly objectLock?: ObjectLockArgs;
    readonly accessLogExpireDays: number;
    readonly writerRoleArns: readonly pulumi.Input<string>[];
    readonly readerRoleArns: readonly pulumi.Input<string>[];
    readonly forceDestroy: boolean;
    readonly tags: Readonly<Record<string, string>>;
}

function withDefaults(args: BackupBucketArgs): ResolvedBucketArgs {
    const merged = {
        prefix: "backups",
        exportPrefix: "exports",
        noncurrentVersionExpireDays: 30,
        abortIncompleteUploadDays: 1,
        accessLogExpireDays: 365,
        writerRoleArns: [],
        readerRoleArns: [],
        forceDestroy: false,
        tags: {},
        ...definedOnly(args),
    } as ResolvedBucketArgs;
    return { ...merged, prefix: trimSlashes(merged.prefix), exportPrefix: trimSlashes(merged.exportPrefix) };
}

function trimSlashes(prefix: string): string {
    return prefix.replace(/^\/+|\/+$/g, "");
}

/** Key prefix of the server access logs in the log bucket. */
export const ACCESS_LOG_PREFIX = "s3-access/";

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(mrk-)?[0-9a-f-]{32,36}$/;
const OBJECT_LOCK_MODES = ["GOVERNANCE", "COMPLIANCE"];

/** The lifecycle input of a bucket, from its resolved arguments. */
function lifecycleInput(a: ResolvedBucketArgs): LifecycleInput {
    return {
        tiers: a.tiers,
        prefix: a.prefix,
        noncurrentVersionExpireDays: a.noncurrentVersionExpireDays,
        abortIncompleteUploadDays: a.abortIncompleteUploadDays,
        ...(a.exportKeepDays !== undefined ? { exports: { prefix: a.exportPrefix, expireDays: a.exportKeepDays } } : {}),
    };
}

/** Object Lock default retention from the arguments (none when neither key is set), or the problems that stop it. */
export function objectLockRetention(lock: ObjectLockArgs | undefined): { readonly retention?: ObjectLockRetention; readonly problems: readonly string[] } {
    if (lock === undefined || (lock.mode === undefined && lock.days === undefined)) return { problems: [] };
    const problems: string[] = [];
    if (lock.mode === undefined) problems.push("objectLock.mode: (missing) is required with objectLock.days; give GOVERNANCE or COMPLIANCE");
    else if (!OBJECT_LOCK_MODES.includes(lock.mode)) problems.push(`objectLock.mode: ${JSON.stringify(lock.mode)} is not allowed; give GOVERNANCE or COMPLIANCE`);
    if (lock.days === undefined) problems.push("objectLock.days: (missing) is required with objectLock.mode; give 1..36500");
    else if (!Number.isInteger(lock.days) || lock.days < 1 || lock.days > 36500) problems.push(`objectLock.days: ${lock.days} is out of range 1..36500`);
    if (problems.length > 0 || lock.mode === undefined || lock.days === undefined) return { problems };
    return { retention: { mode: lock.mode, days: lock.days }, problems };
}

/** Every problem with the arguments, as `<arg>: <value> ...` messages. */
export function backupBucketArgProblems(a: ResolvedBucketArgs): string[] {
    const out = a.tiers === undefined
        ? [`tiers: (missing) is required; give at least one of daily, weekly, monthly (e.g. RetentionTiers.gfs())`]
        : [...lifecycleProblems(lifecycleInput(a))];
    if (a.kmsKeyArn === undefined) {
        out.push("kmsKeyArn: (missing) is required; give the ARN of the bucket's KMS key");
    } else if (typeof a.kmsKeyArn === "string" && !KMS_KEY_ARN.test(a.kmsKeyArn)) {
        out.push(`kmsKeyArn: ${JSON.stringify(a.kmsKeyArn)} is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>); a key id or alias would not match the bucket policy`);
    }
    if (!Number.isInteger(a.accessLogExpireDays) || a.accessLogExpireDays < 1) {
        out.push(`accessLogExpireDays: ${a.accessLogExpireDays} is not allowed; give a positive whole number of days`);
    }
    out.push(...objectLockRetention(a.objectLock).problems);
    for (const [arg, arns] of [["writerRoleArns", a.writerRoleArns], ["readerRoleArns", a.readerRoleArns]] as const) {
        for (const arn of invalidRoleArnPatterns(plainStrings(arns))) out.push(`${arg}: ${JSON.stringify(arn)} is not an IAM role ARN or pattern (arn:aws:iam::<account>:role/<name>, * allowed in the name)`);
    }
    return out;
}

/**
 * The backup bucket: versioned, SSE-KMS with the CMK and an S3 Bucket Key, public access
 * blocked, ACLs disabled, TLS-only and KMS-only bucket policy, optional Object Lock, lifecycle
 * per retention tier (selected by the `tier` object tag), and server access logs delivered to a
 * separate log bucket. The log bucket has the same protections except Object Lock (S3 cannot
 * deliver logs to a bucket with Object Lock) and encrypts with SSE-S3, the default encryption
 * the S3 User Guide names for server access log targets (it rules out SSE-KMS there), which
 * also keeps the logging service out of the backup key's policy.
 */
export class BackupBucket extends pulumi.ComponentResource {
    /** The backup bucket. */
    readonly bucket: aws.s3.Bucket;
    /** Name of the backup bucket. */
    readonly bucketName: pulumi.Output<string>;
    /** ARN of the backup bucket. */
    readonly bucketArn: pulumi.Output<string>;
    /** Versioning of the bucket: replication must wait for it. */
    readonly versioning: aws.s3.BucketVersioning;
    /** ARN of the key the bucket encrypts with (the `kmsKeyArn` argument). */
    readonly kmsKeyArn: pulumi.Output<string>;
    /** The bucket the server access logs are delivered to. */
    readonly logBucket: aws.s3.Bucket;
    /** Name of the log bucket. */
    readonly logBucketName: pulumi.Output<string>;
    /** ARN of the log bucket. */
    readonly logBucketArn: pulumi.Output<string>;
    /** Region the bucket lives in. */
    readonly region: pulumi.Output<string>;
    /** The settings a ReplicaBucket mirrors: lifecycle, Object Lock retention, readers, forceDestroy and tags. */
    readonly settings: BackupBucketSettings;

    constructor(name: string, args: BackupBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-backup-stack:aws:BackupBucket", name, {}, opts);
        const a = withDefaults(args);
        const problems = backupBucketArgProblems(a);
        if (problems.length > 0) throw new pulumi.ResourceError(`BackupBucket ${name}: ${problems.join("; ")}`, this);
        const objectLock = objectLockRetention(a.objectLock).retention;
        const lifecycle = lifecycleInput(a);
        this.settings = {
            lifecycle,
            ...(objectLock !== undefined ? { objectLock } : {}),
            readerRoleArns: a.readerRoleArns,
            forceDestroy: a.forceDestroy,
            tags: a.tags,
        };
        const ctx = awsContext(this);
        this.region = regionOf(this);
        this.kmsKeyArn = pulumi.output(a.kmsKeyArn);

        const main = protectedBucket(name, {
            encryption: { kmsKeyArn: a.kmsKeyArn },
            ...(objectLock !== undefined ? { objectLock } : {}),
            forceDestroy: a.forceDestroy,
            tags: a.tags,
            lifecycleRules: lifecycleRules(lifecycle),
            policy: (bucketArn) => pulumi.all([bucketArn, a.kmsKeyArn, pulumi.all([...a.writerRoleArns]), pulumi.all([...a.readerRoleArns])])
                .apply(([arn, kmsKeyArn, writerRoleArns, readerRoleArns]) => policyJson(backupBucketPolicy({ bucketArn: arn, kmsKeyArn, writerRoleArns, readerRoleArns }))),
        }, { parent: this });

        const logs = protectedBucket(`${name}-logs`, {
            encryption: "SSE-S3",
            forceDestroy: a.forceDestroy,
            tags: a.tags,
            lifecycleRules: logBucketLifecycleRules(a.accessLogExpireDays, a.noncurrentVersionExpireDays, a.abortIncompleteUploadDays),
            policy: (logBucketArn) => pulumi.all([logBucketArn, main.bucket.arn, ctx.accountId])
                .apply(([arn, sourceArn, accountId]) => policyJson(logBucketPolicy({ logBucketArn: arn, sourceBucketArns: [sourceArn], accountId, targetPrefix: ACCESS_LOG_PREFIX }))),
        }, { parent: this });

        new aws.s3.BucketLogging(`${name}-logging`, {
            bucket: main.bucket.id,
            targetBucket: logs.bucket.id,
            targetPrefix: ACCESS_LOG_PREFIX,
        }, { parent: this, dependsOn: [logs.policy] });

        this.bucket = main.bucket;
        this.bucketName = main.bucket.bucket;
        this.bucketArn = main.bucket.arn;
        this.versioning = main.versioning;
        this.logBucket = logs.bucket;
        this.logBucketName = logs.bucket.bucket;
        this.logBucketArn = logs.bucket.arn;
        this.registerOutputs({
            bucketName: this.bucketName,
            bucketArn: this.bucketArn,
            logBucketName: this.logBucketName,
            logBucketArn: this.logBucketArn,
        });
    }
}
