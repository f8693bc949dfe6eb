import { PolicyDocument, PolicyStatement, policyDocument, sortedUnique } from "./policyDocument";

/** What a backup (or replica) bucket's policy is built from: plain values, already resolved. */
export interface BackupBucketPolicyInput {
    readonly bucketArn: string;
    /** ARN of the bucket's CMK: an upload naming another key is refused. */
    readonly kmsKeyArn: string;
    /** Roles allowed to write and tag objects; when given, nobody else may. */
    readonly writerRoleArns: readonly string[];
    /** Roles allowed to list and read objects. */
    readonly readerRoleArns: readonly string[];
}

/** Object write actions only the writer roles may use once writers are named. */
export const WRITE_ACTIONS: readonly string[] = ["s3:PutObject", "s3:PutObjectTagging", "s3:PutObjectVersionTagging"];
/** What a writer role is allowed on objects: upload (multipart included), tag, abort its own uploads. */
export const WRITER_OBJECT_ACTIONS: readonly string[] = ["s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:PutObject", "s3:PutObjectTagging"];
/** What a reader role is allowed on objects. */
export const READER_OBJECT_ACTIONS: readonly string[] = ["s3:GetObject", "s3:GetObjectTagging", "s3:GetObjectVersion", "s3:GetObjectVersionTagging"];
/** What a reader role is allowed on the bucket itself. */
export const READER_BUCKET_ACTIONS: readonly string[] = ["s3:ListBucket", "s3:ListBucketVersions"];

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
 */
export function backupBucketPolicy(input: BackupBucketPolicyInput): PolicyDocument {
    const objects = `${input.bucketArn}/*`;
    const writers = sortedUnique(input.writerRoleArns);
    const readers = sortedUnique(input.readerRoleArns);
    const headerPresent = { "s3:x-amz-server-side-encryption": "false" };
    const statements: (PolicyStatement | undefined)[] = [
        denyInsecureTransport(input.bucketArn),
        {
            Sid: "DenyEncryptionOtherThanKms",
            Effect: "Deny",
            Principal: "*",
            Action: ["s3:PutObject"],
            Resource: [objects],
            Condition: { StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" }, Null: headerPresent },
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
        writers.length === 0 ? undefined : {
            Sid: "AllowWriterRoles",
            Effect: "Allow",
            Principal: { AWS: writers },
            Action: WRITER_OBJECT_ACTIONS,
            Resource: [objects],
        },
        readers.length === 0 ? undefined : {
            Sid: "AllowReaderRolesList",
            Effect: "Allow",
            Principal: { AWS: readers },
            Action: READER_BUCKET_ACTIONS,
            Resource: [input.bucketArn],
        },
        readers.length === 0 ? undefined : {
            Sid: "AllowReaderRolesRead",
            Effect: "Allow",
            Principal: { AWS: readers },
            Action: READER_OBJECT_ACTIONS,
            Resource: [objects],
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
