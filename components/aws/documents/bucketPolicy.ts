import { PolicyDocument, PolicyStatement, policyDocument, sortedUnique } from "./policyDocument";

/** What a backup (or replica) bucket's policy is built from: plain values, already resolved. */
export interface BackupBucketPolicyInput {
    readonly bucketArn: string;
    /** ARN of the bucket's CMK: an upload naming another key is refused. */
    readonly kmsKeyArn: string;
    /** Role ARNs (or ARN patterns with `*`) that may write and tag objects; when given, nobody else may. */
    readonly writerRoleArns: readonly string[];
    /** Role ARNs (or ARN patterns with `*`) that may read object data; when given, nobody else may. */
    readonly readerRoleArns: readonly string[];
}

/** Object write actions only the writer roles may use once writers are named (re-tagging moves an object to another tier). */
export const WRITE_ACTIONS: readonly string[] = ["s3:PutObject", "s3:PutObjectTagging", "s3:PutObjectVersionTagging"];
/** Object data reads only the reader roles may use once readers are named. */
export const READ_ACTIONS: readonly string[] = ["s3:GetObject", "s3:GetObjectVersion"];

/** Refuses every request that does not come over TLS, on the bucket and its objects. */
export function denyInsecureTransport(bucketArn: string): PolicyStatement {
    return {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: ["s3:*"],
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
    };
}

/**
 * Policy of a backup bucket or its replica.
 *
 * Encryption: an upload that asks for anything but SSE-KMS, or for another KMS key, is refused.
 * An upload that names no encryption is let through to the bucket default (SSE-KMS with the
 * bucket's CMK): UploadPart requests are `s3:PutObject` too and never carry the header, so
 * denying a missing header would refuse every multipart upload.
 *
 * Roles: writers and readers are restricted by denying everyone else (`aws:PrincipalArn`
 * condition), not granted by name. A condition does not require the roles to exist when the
 * policy is written, so the bucket and the roles that need the bucket's ARN can be created in
 * any order; the roles get their permissions from their own IAM policies.
 */
export function backupBucketPolicy(input: BackupBucketPolicyInput): PolicyDocument {
    const objects = `${input.bucketArn}/*`;
    const writers = sortedUnique(input.writerRoleArns);
    const readers = sortedUnique(input.readerRoleArns);
    const statements: (PolicyStatement | undefined)[] = [
        denyInsecureTransport(input.bucketArn),
        {
            Sid: "DenyEncryptionOtherThanKms",
            Effect: "Deny",
            Principal: "*",
            Action: ["s3:PutObject"],
            Resource: [objects],
            Condition: {
                StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
                Null: { "s3:x-amz-server-side-encryption": "false" },
            },
        },
        {
            Sid: "DenyOtherKmsKeys",
            Effect: "Deny",
            Principal: "*",
            Action: ["s3:PutObject"],
            Resource: [objects],
            Condition: {
                StringNotEquals: { "s3:x-amz-server-side-encryption-aws-kms-key-id": input.kmsKeyArn },
                Null: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "false" },
            },
        },
        writers.length === 0 ? undefined : {
            Sid: "DenyWritesByOtherPrincipals",
            Effect: "Deny",
            Principal: "*",
            Action: WRITE_ACTIONS,
            Resource: [objects],
            Condition: { ArnNotLike: { "aws:PrincipalArn": writers } },
        },
        readers.length === 0 ? undefined : {
            Sid: "DenyReadsByOtherPrincipals",
            Effect: "Deny",
            Principal: "*",
            Action: READ_ACTIONS,
            Resource: [objects],
            Condition: { ArnNotLike: { "aws:PrincipalArn": readers } },
        },
    ];
    return policyDocument(statements);
}

/** What the access-log bucket's policy is built from. */
export interface LogBucketPolicyInput {
    readonly logBucketArn: string;
    /** Buckets whose server access logs land here. */
    readonly sourceBucketArns: readonly string[];
    /** Account of the source buckets (confused-deputy guard on the logging service). */
    readonly accountId: string;
    /** Key prefix the logs are written under, e.g. `s3-access/`. */
    readonly targetPrefix: string;
}

/**
 * Policy of the access-log bucket: TLS only, and S3 log delivery (`logging.s3.amazonaws.com`)
 * may write under the log prefix for the named source buckets of this account only. The bucket
 * uses Bucket owner enforced ownership, so a policy is the only way to grant log delivery.
 */
export function logBucketPolicy(input: LogBucketPolicyInput): PolicyDocument {
    return policyDocument([
        denyInsecureTransport(input.logBucketArn),
        {
            Sid: "AllowServerAccessLogDelivery",
            Effect: "Allow",
            Principal: { Service: ["logging.s3.amazonaws.com"] },
            Action: ["s3:PutObject"],
            Resource: [`${input.logBucketArn}/${input.targetPrefix}*`],
            Condition: {
                ArnLike: { "aws:SourceArn": sortedUnique(input.sourceBucketArns) },
                StringEquals: { "aws:SourceAccount": input.accountId },
            },
        },
    ]);
}
