import * as assert from "assert";
import { backupBucketPolicy, logBucketPolicy } from "../../../../../components/aws/documents/bucketPolicy";
import { PolicyDocument, PolicyStatement } from "../../../../../components/aws/documents/policyDocument";

const BUCKET = "arn:aws:s3:::prod-backups";
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/0c9a2f0e-1111-4222-8333-944455556666";
const OTHER_KEY = "arn:aws:kms:eu-west-1:123456789012:key/99999999-1111-4222-8333-944455556666";
const DUMP = "arn:aws:iam::123456789012:role/dump";
const EXPORT = "arn:aws:iam::123456789012:role/export";
const VERIFY = "arn:aws:iam::123456789012:role/verify";
const INTRUDER = "arn:aws:iam::123456789012:role/someone-else";

/** One request as the policy sees it: principal, action, resource and request context keys. */
interface Request {
    readonly principal: { readonly AWS?: string; readonly Service?: string };
    readonly action: string;
    readonly resource: string;
    readonly context: Readonly<Record<string, string>>;
}

const wildcard = (pattern: string, value: string): boolean =>
    new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, "\\$&")).join(".*")}$`).test(value);

/** IAM condition semantics for the operators these policies use; a missing key fails positive operators and passes negated ones. */
function conditionHolds(operator: string, key: string, expected: string | readonly string[], context: Readonly<Record<string, string>>): boolean {
    const values = typeof expected === "string" ? [expected] : expected;
    const actual = context[key];
    switch (operator) {
        case "Null": return (actual === undefined) === (values[0] === "true");
        case "Bool": case "StringEquals": return actual !== undefined && values.includes(actual);
        case "StringNotEquals": return actual === undefined || !values.includes(actual);
        case "ArnLike": case "StringLike": return actual !== undefined && values.some((v) => wildcard(v, actual));
        case "ArnNotLike": return actual === undefined || !values.some((v) => wildcard(v, actual));
        default: throw new Error(`operator ${operator} not modelled`);
    }
}

function matches(s: PolicyStatement, r: Request): boolean {
    const principalOk = s.Principal === "*"
        || (r.principal.AWS !== undefined && (s.Principal?.AWS ?? []).includes(r.principal.AWS))
        || (r.principal.Service !== undefined && (s.Principal?.Service ?? []).includes(r.principal.Service));
    return principalOk
        && s.Action.some((a) => wildcard(a, r.action))
        && (s.Resource ?? []).some((res) => wildcard(res, r.resource))
        && Object.entries(s.Condition ?? {}).every(([op, keys]) => Object.entries(keys).every(([k, v]) => conditionHolds(op, k, v, r.context)));
}

const deniedBy = (doc: PolicyDocument, r: Request): string[] => doc.Statement.filter((s) => s.Effect === "Deny" && matches(s, r)).map((s) => s.Sid);
const allowedBy = (doc: PolicyDocument, r: Request): string[] => doc.Statement.filter((s) => s.Effect === "Allow" && matches(s, r)).map((s) => s.Sid);

function put(principal: string, headers: Record<string, string>, tls = true): Request {
    return { principal: { AWS: principal }, action: "s3:PutObject", resource: `${BUCKET}/backups/app/daily/x.dump`, context: { "aws:SecureTransport": String(tls), "aws:PrincipalArn": principal, ...headers } };
}

const KMS = { "s3:x-amz-server-side-encryption": "aws:kms", "s3:x-amz-server-side-encryption-aws-kms-key-id": KEY };

describe("backup bucket policy (documents/bucketPolicy)", () => {
    const policy = backupBucketPolicy({ bucketArn: BUCKET, kmsKeyArn: KEY, writerRoleArns: [EXPORT, DUMP], readerRoleArns: [VERIFY] });

    it("denies every request without TLS, on the bucket and on objects", () => {
        // given requests over plain HTTP / then both are denied by the TLS statement
        assert.deepStrictEqual(deniedBy(policy, { ...put(DUMP, KMS, false) }), ["DenyInsecureTransport"]);
        assert.deepStrictEqual(deniedBy(policy, { principal: { AWS: VERIFY }, action: "s3:ListBucket", resource: BUCKET, context: { "aws:SecureTransport": "false", "aws:PrincipalArn": VERIFY } }), ["DenyInsecureTransport"]);
        // and the statement is the classic aws:SecureTransport=false deny
        const tls = policy.Statement.find((s) => s.Sid === "DenyInsecureTransport");
        assert.deepStrictEqual(tls, { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: ["s3:*"], Resource: [BUCKET, `${BUCKET}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } });
    });

    it("lets a writer upload with SSE-KMS and the bucket's key", () => {
        // given the dump role uploading with aws:kms and the CMK / then no statement denies it
        assert.deepStrictEqual(deniedBy(policy, put(DUMP, KMS)), []);
        // and no statement names a role as principal (the roles may not exist yet when the policy is set)
        assert.deepStrictEqual(policy.Statement.filter((s) => s.Principal !== "*").map((s) => s.Sid), []);
    });

    it("denies an upload asking for SSE-S3", () => {
        // given an upload with AES256 / then the SSE-KMS statement denies it
        assert.deepStrictEqual(deniedBy(policy, put(DUMP, { "s3:x-amz-server-side-encryption": "AES256" })), ["DenyEncryptionOtherThanKms"]);
    });

    it("denies an upload naming another KMS key", () => {
        // given aws:kms with a foreign key / then the key statement denies it
        assert.deepStrictEqual(deniedBy(policy, put(DUMP, { ...KMS, "s3:x-amz-server-side-encryption-aws-kms-key-id": OTHER_KEY })), ["DenyOtherKmsKeys"]);
    });

    it("lets a multipart part (s3:PutObject without encryption headers) through to the bucket default", () => {
        // given an UploadPart by the writer, which carries no SSE header / then it is not denied
        assert.deepStrictEqual(deniedBy(policy, put(DUMP, {})), []);
    });

    it("denies uploads and re-tagging by principals that are not writers", () => {
        // given another role of the account with a perfect SSE-KMS upload / then it is denied
        assert.deepStrictEqual(deniedBy(policy, put(INTRUDER, KMS)), ["DenyWritesByOtherPrincipals"]);
        // and changing a tier tag (which shortens retention) is denied too
        assert.deepStrictEqual(deniedBy(policy, { ...put(INTRUDER, {}), action: "s3:PutObjectTagging" }), ["DenyWritesByOtherPrincipals"]);
        // while the export role, also a writer, is not
        assert.deepStrictEqual(deniedBy(policy, put(EXPORT, KMS)), []);
    });

    it("denies object reads by principals that are not readers", () => {
        // given reads by the verify role, by another role and by a writer
        const get = (principal: string): Request => ({ principal: { AWS: principal }, action: "s3:GetObject", resource: `${BUCKET}/backups/x`, context: { "aws:SecureTransport": "true", "aws:PrincipalArn": principal } });
        // then only the reader gets through
        assert.deepStrictEqual(deniedBy(policy, get(VERIFY)), []);
        assert.deepStrictEqual(deniedBy(policy, get(INTRUDER)), ["DenyReadsByOtherPrincipals"]);
        assert.deepStrictEqual(deniedBy(policy, { ...get(DUMP), action: "s3:GetObjectVersion" }), ["DenyReadsByOtherPrincipals"]);
        // and listing the bucket is left to IAM
        assert.deepStrictEqual(deniedBy(policy, { ...get(INTRUDER), action: "s3:ListBucket", resource: BUCKET }), []);
        // and writing is still denied to the reader
        assert.deepStrictEqual(deniedBy(policy, put(VERIFY, KMS)), ["DenyWritesByOtherPrincipals"]);
    });

    it("accepts role ARN patterns, as for SSO permission-set roles", () => {
        // given readers named by a pattern
        const sso = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_BackupOperator_*";
        const withSso = backupBucketPolicy({ bucketArn: BUCKET, kmsKeyArn: KEY, writerRoleArns: [DUMP], readerRoleArns: [VERIFY, sso] });
        const operator = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_BackupOperator_0123abcd";
        // then a matching session role reads, another does not
        const get = (principal: string): Request => ({ principal: { AWS: principal }, action: "s3:GetObject", resource: `${BUCKET}/backups/x`, context: { "aws:SecureTransport": "true", "aws:PrincipalArn": principal } });
        assert.deepStrictEqual(deniedBy(withSso, get(operator)), []);
        assert.deepStrictEqual(deniedBy(withSso, get(operator.replace("BackupOperator", "Developer"))), ["DenyReadsByOtherPrincipals"]);
    });

    it("without writers, restricts nobody's writes but still enforces TLS and the key", () => {
        // given no writer roles
        const open = backupBucketPolicy({ bucketArn: BUCKET, kmsKeyArn: KEY, writerRoleArns: [], readerRoleArns: [] });
        // then only the three protective statements remain
        assert.deepStrictEqual(open.Statement.map((s) => s.Sid), ["DenyInsecureTransport", "DenyEncryptionOtherThanKms", "DenyOtherKmsKeys"]);
        assert.deepStrictEqual(deniedBy(open, put(INTRUDER, KMS)), []);
    });

    it("does not depend on the order of the roles", () => {
        // given the same roles in another order / then the JSON is the same
        const again = backupBucketPolicy({ bucketArn: BUCKET, kmsKeyArn: KEY, writerRoleArns: [DUMP, EXPORT, DUMP], readerRoleArns: [VERIFY] });
        assert.strictEqual(JSON.stringify(again), JSON.stringify(policy));
    });
});

describe("access-log bucket policy (documents/bucketPolicy)", () => {
    const LOGS = "arn:aws:s3:::prod-backups-logs";
    const policy = logBucketPolicy({ logBucketArn: LOGS, sourceBucketArns: [BUCKET], accountId: "123456789012", targetPrefix: "s3-access/" });
    const delivery = (sourceArn: string, account: string, key = "s3-access/2026-11-21-x"): Request => ({
        principal: { Service: "logging.s3.amazonaws.com" },
        action: "s3:PutObject",
        resource: `${LOGS}/${key}`,
        context: { "aws:SecureTransport": "true", "aws:SourceArn": sourceArn, "aws:SourceAccount": account },
    });

    it("lets S3 log delivery write under the prefix for the backup bucket of this account", () => {
        // given a delivery for the backup bucket / then it is allowed and not denied (no encryption header is required)
        assert.deepStrictEqual(allowedBy(policy, delivery(BUCKET, "123456789012")), ["AllowServerAccessLogDelivery"]);
        assert.deepStrictEqual(deniedBy(policy, delivery(BUCKET, "123456789012")), []);
    });

    it("does not let log delivery write for other buckets, other accounts or outside the prefix", () => {
        // given deliveries that do not fit / then none is allowed
        assert.deepStrictEqual(allowedBy(policy, delivery("arn:aws:s3:::someone-elses", "123456789012")), []);
        assert.deepStrictEqual(allowedBy(policy, delivery(BUCKET, "999999999999")), []);
        assert.deepStrictEqual(allowedBy(policy, delivery(BUCKET, "123456789012", "elsewhere/x")), []);
    });

    it("denies non-TLS access to the logs", () => {
        // given a read over plain HTTP / then it is denied
        assert.deepStrictEqual(deniedBy(policy, { principal: { AWS: VERIFY }, action: "s3:GetObject", resource: `${LOGS}/s3-access/x`, context: { "aws:SecureTransport": "false" } }), ["DenyInsecureTransport"]);
    });
});
