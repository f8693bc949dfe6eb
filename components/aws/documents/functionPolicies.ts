import { viaServiceHost } from "./keyPolicy";
import { PolicyDocument, PolicyStatement, policyDocument, sortedUnique } from "./policyDocument";

/**
 * IAM documents of the backup functions and their schedules: one least-privilege policy per
 * function kind, the trust policies, the scheduler's invoke policy, and the ECR repository and
 * lifecycle policies of the function image. Pure functions of plain values, deterministic JSON.
 */

/** The three scheduled functions; each gets its own role, schedule and dead-letter queue. */
export type FunctionKind = "dump" | "export" | "verify";
export const FUNCTION_KINDS: readonly FunctionKind[] = ["dump", "export", "verify"];

/** What a function role is built from: plain values, already resolved. */
export interface FunctionPolicyInput {
    /** Region the bucket, key, queue and log group live in: `kms:ViaService` names it. */
    readonly region: string;
    /** DNS suffix of the partition's service endpoints (`amazonaws.com`). */
    readonly dnsSuffix: string;
    /** `arn:aws:s3:::<bucket>`. */
    readonly bucketArn: string;
    /** Key prefix the function works under: the dumps' prefix (dump, verify) or the exports' prefix (export). */
    readonly prefix: string;
    /** The backup CMK: SSE-KMS of the objects and of the dead-letter queue. */
    readonly kmsKeyArn: string;
    /** Secrets the function reads connections from: the databases (dump, export) or the verification server (verify). */
    readonly secretArns: readonly string[];
    /** Customer-managed keys those secrets are encrypted with (none when they use the aws/secretsmanager key). */
    readonly secretKmsKeyArns: readonly string[];
    /** Where the role runs, and what it then does itself. */
    readonly runtime: RoleRuntime;
}

/**
 * A Lambda function's role writes its own log group, creates and deletes the function's VPC
 * interfaces, and sends failed asynchronous invocations to its dead-letter queue (Lambda
 * Developer Guide, "Lambda execution role" and "Giving Lambda functions access to resources in
 * an Amazon VPC"). A Fargate task's role does none of these: ECS creates the task's awsvpc
 * interface, the execution role writes the awslogs stream, and EventBridge Scheduler sends dead
 * letters with its own role (Amazon ECS Developer Guide, "Amazon ECS task execution IAM role";
 * EventBridge Scheduler User Guide, "Configuring a dead-letter queue").
 */
export type RoleRuntime =
    | {
        readonly kind: "lambda";
        /** The function's own log group (`arn:...:log-group:/aws/lambda/<fn>`, without `:*`). */
        readonly logGroupArn: string;
        /** The dead-letter queue failed asynchronous invocations are sent to. */
        readonly deadLetterQueueArn: string;
    }
    | { readonly kind: "fargate" };

/**
 * Object actions that write a dump or an export: a new object (multipart or not), its tags, and
 * the clean-up of an unfinished multipart upload. No delete, no retention change.
 */
export const WRITE_OBJECT_ACTIONS: readonly string[] = [
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
    "s3:PutObject",
    "s3:PutObjectTagging",
];

/**
 * The dump function sets each dump's and manifest's Object Lock retention at upload (mode and
 * retain-until date of its tier), which S3 authorizes as s3:PutObjectRetention. That permission
 * only sets or extends a retention: shortening or removing a GOVERNANCE one also needs
 * s3:BypassGovernanceRetention (always denied below), and a COMPLIANCE one cannot be shortened
 * at all. Amazon S3 User Guide, "Object Lock considerations" (permissions, bypassing governance
 * mode): https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html
 */
export const LOCK_OBJECT_ACTIONS: readonly string[] = ["s3:PutObjectRetention"];

/** Read-only object access of the verify function (GetObject also covers HeadObject). */
export const READ_OBJECT_ACTIONS: readonly string[] = ["s3:GetObject"];

/**
 * Denied to the writing roles on the whole bucket, so that no other policy attached later can
 * let a function destroy or unprotect backups.
 */
export const WRITER_DENIED_ACTIONS: readonly string[] = [
    "s3:BypassGovernanceRetention",
    "s3:Delete*",
    "s3:PutBucket*",
    "s3:PutEncryptionConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:PutObjectLegalHold",
    "s3:PutObjectRetention",
    "s3:PutReplicationConfiguration",
];

/** Denied to the dump role on the whole bucket: the writers' list, less the retention it sets on its own prefix. */
export const DUMP_DENIED_ACTIONS: readonly string[] = WRITER_DENIED_ACTIONS.filter((a) => !LOCK_OBJECT_ACTIONS.includes(a));

/** Denied to the verify role on the whole bucket: it reads, and never writes, tags or deletes. */
export const READER_DENIED_ACTIONS: readonly string[] = [
    "s3:Abort*",
    "s3:BypassGovernanceRetention",
    "s3:Delete*",
    "s3:Put*",
    "s3:Replicate*",
    "s3:Restore*",
];

/**
 * S3 SSE-KMS: GenerateDataKey to write; Decrypt to read, and also to write with multipart upload
 * (S3 decrypts the data key to assemble the parts). kms:Encrypt is not used by S3.
 */
export const S3_WRITE_KMS_ACTIONS: readonly string[] = ["kms:Decrypt", "kms:GenerateDataKey"];
export const S3_READ_KMS_ACTIONS: readonly string[] = ["kms:Decrypt"];

/** Sending to a KMS-encrypted SQS queue needs both (SQS caches the data key it generates). */
export const SQS_SEND_KMS_ACTIONS: readonly string[] = ["kms:Decrypt", "kms:GenerateDataKey"];

/**
 * The elastic network interfaces a function in a VPC needs: what the AWS managed policy
 * AWSLambdaVPCAccessExecutionRole grants (EC2 does not scope Describe* to resources).
 */
export const VPC_ENI_ACTIONS: readonly string[] = [
    "ec2:AssignPrivateIpAddresses",
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:UnassignPrivateIpAddresses",
];

/** Writing to its own log group; no logs:CreateLogGroup, so Lambda cannot create an unencrypted one. */
export const LOG_ACTIONS: readonly string[] = ["logs:CreateLogStream", "logs:PutLogEvents"];

const S3_BUCKET_ARN = /^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
const PREFIX = /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/;

/** `/backups/` -> `backups`; refuses an empty prefix, which would grant the whole bucket. */
export function normalizePrefix(prefix: string, name = "prefix"): string {
    const trimmed = prefix.replace(/^\/+|\/+$/g, "");
    if (!PREFIX.test(trimmed) || trimmed.includes("*")) {
        throw new RangeError(`${name}: "${prefix}" is not allowed; expected a non-empty key prefix such as "backups" or "team/backups", without wildcards`);
    }
    return trimmed;
}

function check(name: string, value: string, pattern: RegExp, expected: string): void {
    if (!pattern.test(value)) {
        throw new RangeError(`${name}: "${value}" is not allowed; expected ${expected}`);
    }
}

function checkInput(kind: FunctionKind, input: FunctionPolicyInput): void {
    check("bucketArn", input.bucketArn, S3_BUCKET_ARN, "an S3 bucket ARN (arn:aws:s3:::<bucket>)");
    check("kmsKeyArn", input.kmsKeyArn, KMS_KEY_ARN, "a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)");
    check("region", input.region, /^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region such as eu-west-1");
    if (input.secretArns.length === 0) {
        const which = kind === "verify" ? "the verification server's secret" : "at least one database secret";
        throw new RangeError(`secretArns: [] is not allowed for the ${kind} function; expected ${which}`);
    }
    input.secretArns.forEach((arn, i) => check(`secretArns[${i}]`, arn, SECRET_ARN, "a Secrets Manager secret ARN"));
    input.secretKmsKeyArns.forEach((arn, i) => check(`secretKmsKeyArns[${i}]`, arn, KMS_KEY_ARN, "a KMS key ARN"));
}

/** What only a Lambda function's role needs: its log group, its VPC interfaces, its dead-letter queue. */
function lambdaStatements(input: FunctionPolicyInput): PolicyStatement[] {
    const runtime = input.runtime;
    if (runtime.kind !== "lambda") return [];
    return [
        { Sid: "WriteOwnLogGroup", Effect: "Allow", Action: LOG_ACTIONS, Resource: [`${runtime.logGroupArn}:*`] },
        { Sid: "VpcNetworkInterfaces", Effect: "Allow", Action: VPC_ENI_ACTIONS, Resource: ["*"] },
        { Sid: "SendFailedInvocationsToDeadLetterQueue", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [runtime.deadLetterQueueArn] },
        {
            Sid: "EncryptDeadLetterMessages",
            Effect: "Allow",
            Action: SQS_SEND_KMS_ACTIONS,
            Resource: [input.kmsKeyArn],
            Condition: { StringEquals: { "kms:ViaService": viaServiceHost("sqs", input.region, input.dnsSuffix) } },
        },
    ];
}

/** Statements every role has: the Lambda function's own (lambdaStatements) and its secrets. */
function commonStatements(input: FunctionPolicyInput): PolicyStatement[] {
    const secretKeys = sortedUnique(input.secretKmsKeyArns);
    return [
        ...lambdaStatements(input),
        { Sid: "ReadConnectionSecrets", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: sortedUnique(input.secretArns) },
        ...(secretKeys.length === 0
            ? []
            : [{
                Sid: "DecryptConnectionSecrets",
                Effect: "Allow" as const,
                Action: ["kms:Decrypt"],
                Resource: secretKeys,
                Condition: { StringEquals: { "kms:ViaService": viaServiceHost("secretsmanager", input.region, input.dnsSuffix) } },
            }]),
    ];
}

function listUnderPrefix(sid: string, bucketArn: string, prefix: string): PolicyStatement {
    return {
        Sid: sid,
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: [bucketArn],
        Condition: { StringLike: { "s3:prefix": [`${prefix}/*`] } },
    };
}

function s3Kms(sid: string, actions: readonly string[], input: FunctionPolicyInput): PolicyStatement {
    return {
        Sid: sid,
        Effect: "Allow",
        Action: actions,
        Resource: [input.kmsKeyArn],
        Condition: { StringEquals: { "kms:ViaService": viaServiceHost("s3", input.region, input.dnsSuffix) } },
    };
}

function deny(sid: string, actions: readonly string[], bucketArn: string): PolicyStatement {
    return { Sid: sid, Effect: "Deny", Action: actions, Resource: [bucketArn, `${bucketArn}/*`] };
}

/**
 * The dump role: writes new objects under `<prefix>/` (dumps, manifests, their tags) with their
 * Object Lock retention, lists that prefix (which day already has a weekly or monthly backup),
 * reads the database secrets. It can neither read nor delete an object, nor shorten or lift a lock.
 */
export function dumpRolePolicy(input: FunctionPolicyInput): PolicyDocument {
    checkInput("dump", input);
    const prefix = normalizePrefix(input.prefix);
    return policyDocument([
        { Sid: "WriteDumps", Effect: "Allow", Action: WRITE_OBJECT_ACTIONS, Resource: [`${input.bucketArn}/${prefix}/*`] },
        { Sid: "LockDumps", Effect: "Allow", Action: LOCK_OBJECT_ACTIONS, Resource: [`${input.bucketArn}/${prefix}/*`] },
        listUnderPrefix("ListDumps", input.bucketArn, prefix),
        s3Kms("EncryptDumps", S3_WRITE_KMS_ACTIONS, input),
        ...commonStatements(input),
        deny("NeverDeleteOrUnprotect", DUMP_DENIED_ACTIONS, input.bucketArn),
    ]);
}

/** Key pattern, below the export prefix, of the export function's watermarks (`<database>/_watermarks/<schema>.<table>.json`). */
export const WATERMARK_PATTERN = "*/_watermarks/*";

export interface ExportPolicyInput extends FunctionPolicyInput {
    /** Key pattern of the watermark objects below the export prefix (WATERMARK_PATTERN): the only objects the export role may read back. */
    readonly watermarkPattern: string;
}

/**
 * The export role: writes export objects and its watermarks under `<exportPrefix>/`, reads back
 * only the watermark objects, lists the prefix, reads the database secrets. Never deletes.
 */
export function exportRolePolicy(input: ExportPolicyInput): PolicyDocument {
    checkInput("export", input);
    const prefix = normalizePrefix(input.prefix, "exportPrefix");
    if (!/^[A-Za-z0-9!_.*'()/-]+$/.test(input.watermarkPattern) || input.watermarkPattern.startsWith("/") || input.watermarkPattern === "*") {
        throw new RangeError(`watermarkPattern: "${input.watermarkPattern}" is not allowed; expected a key pattern below the export prefix that names the watermark objects, such as "*/_watermarks/*"`);
    }
    return policyDocument([
        { Sid: "WriteExportsAndWatermarks", Effect: "Allow", Action: WRITE_OBJECT_ACTIONS, Resource: [`${input.bucketArn}/${prefix}/*`] },
        { Sid: "ReadWatermarks", Effect: "Allow", Action: READ_OBJECT_ACTIONS, Resource: [`${input.bucketArn}/${prefix}/${input.watermarkPattern}`] },
        listUnderPrefix("ListExports", input.bucketArn, prefix),
        s3Kms("EncryptExports", S3_WRITE_KMS_ACTIONS, input),
        ...commonStatements(input),
        deny("NeverDeleteOrUnprotect", WRITER_DENIED_ACTIONS, input.bucketArn),
    ]);
}

/**
 * The verify role: reads and lists the dumps and manifests under `<prefix>/`, decrypts them,
 * reads the verification server's secret. Every write to the bucket is denied.
 */
export function verifyRolePolicy(input: FunctionPolicyInput): PolicyDocument {
    checkInput("verify", input);
    const prefix = normalizePrefix(input.prefix);
    return policyDocument([
        { Sid: "ReadDumps", Effect: "Allow", Action: READ_OBJECT_ACTIONS, Resource: [`${input.bucketArn}/${prefix}/*`] },
        listUnderPrefix("ListDumps", input.bucketArn, prefix),
        s3Kms("DecryptDumps", S3_READ_KMS_ACTIONS, input),
        ...commonStatements(input),
        deny("NeverWrite", READER_DENIED_ACTIONS, input.bucketArn),
    ]);
}

/** A statement of a trust or resource policy: it names a principal and has no Resource element. */
export interface PrincipalStatement {
    readonly Sid: string;
    readonly Effect: "Allow";
    readonly Principal: { readonly Service: readonly string[] };
    readonly Action: readonly string[];
    readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface PrincipalPolicyDocument {
    readonly Version: "2012-10-17";
    readonly Statement: readonly PrincipalStatement[];
}

/** Trust policy of a function role: only the Lambda service assumes it. */
export function lambdaAssumeRolePolicy(): PrincipalPolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [{ Sid: "LambdaAssumesRole", Effect: "Allow", Principal: { Service: ["lambda.amazonaws.com"] }, Action: ["sts:AssumeRole"] }],
    };
}

/**
 * Trust policy of a schedule's execution role: EventBridge Scheduler, on behalf of this account
 * only (aws:SourceAccount guards against the confused deputy).
 */
export function schedulerAssumeRolePolicy(accountId: string): PrincipalPolicyDocument {
    check("accountId", accountId, /^\d{12}$/, "a 12-digit AWS account id");
    return serviceAssumeRolePolicy("SchedulerAssumesRole", "scheduler.amazonaws.com", accountId);
}

/** Trust policy letting one AWS service assume a role on behalf of this account only (aws:SourceAccount against the confused deputy). */
export function serviceAssumeRolePolicy(sid: string, service: string, accountId: string): PrincipalPolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [{
            Sid: sid,
            Effect: "Allow",
            Principal: { Service: [service] },
            Action: ["sts:AssumeRole"],
            Condition: { StringEquals: { "aws:SourceAccount": accountId } },
        }],
    };
}

/** What a schedule's execution role is built from. */
export interface SchedulerPolicyInput {
    readonly functionArn: string;
    readonly deadLetterQueueArn: string;
    readonly kmsKeyArn: string;
    readonly region: string;
    readonly dnsSuffix: string;
}

/** The schedule may invoke this one function (any version or alias of it) and write to its dead-letter queue. */
export function schedulerRolePolicy(input: SchedulerPolicyInput): PolicyDocument {
    check("kmsKeyArn", input.kmsKeyArn, KMS_KEY_ARN, "a KMS key ARN");
    return policyDocument([
        { Sid: "InvokeTheFunction", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [input.functionArn, `${input.functionArn}:*`] },
        { Sid: "SendToDeadLetterQueue", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [input.deadLetterQueueArn] },
        {
            Sid: "EncryptDeadLetterMessages",
            Effect: "Allow",
            Action: SQS_SEND_KMS_ACTIONS,
            Resource: [input.kmsKeyArn],
            Condition: { StringEquals: { "kms:ViaService": viaServiceHost("sqs", input.region, input.dnsSuffix) } },
        },
    ]);
}

/**
 * Repository policy of the function image: the Lambda service may pull it, for functions of
 * this account only. Nothing else is granted here; pushes use the deployer's IAM permissions.
 */
export function imageRepositoryPolicy(partition: string, region: string, accountId: string): PrincipalPolicyDocument {
    check("accountId", accountId, /^\d{12}$/, "a 12-digit AWS account id");
    check("partition", partition, /^aws[a-z-]*$/, "an AWS partition such as aws");
    check("region", region, /^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region such as eu-west-1");
    return {
        Version: "2012-10-17",
        Statement: [{
            Sid: "LambdaPullsImage",
            Effect: "Allow",
            Principal: { Service: ["lambda.amazonaws.com"] },
            Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            Condition: { StringLike: { "aws:sourceArn": `arn:${partition}:lambda:${region}:${accountId}:function:*` } },
        }],
    };
}

/** ECR lifecycle policy: keep the newest `keep` images, expire older ones (the functions pin theirs by digest). */
export function imageLifecyclePolicy(keep: number): string {
    if (!Number.isInteger(keep) || keep < 1 || keep > 1000) {
        throw new RangeError(`keepImages: ${keep} is out of range 1..1000`);
    }
    return JSON.stringify({
        rules: [
            {
                rulePriority: 1,
                description: `Keep the newest ${keep} image(s)`,
                selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keep },
                action: { type: "expire" },
            },
        ],
    });
}
