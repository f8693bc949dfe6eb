import { PolicyDocument, PolicyStatement, policyDocument, sortedUnique } from "./policyDocument";

/** What the key policy of a backup key is built from: plain values, already resolved. */
export interface BackupKeyPolicyInput {
    /** Account that owns the key; its root gets full access so that IAM policies can delegate. */
    readonly accountId: string;
    /** AWS partition (`aws`, `aws-cn`, `aws-us-gov`). */
    readonly partition: string;
    /** Region the key lives in: the `kms:ViaService` values name it. */
    readonly region: string;
    /** DNS suffix of the partition's service endpoints (`amazonaws.com`). */
    readonly dnsSuffix: string;
    /** Principals that manage the key (never use it). */
    readonly administratorArns: readonly string[];
    /** Roles that may use the key, and only through the services in `viaServices`. */
    readonly userRoleArns: readonly string[];
    /** Services the roles use the key through, e.g. `s3`, `backup`, `sns`, `logs`. */
    readonly viaServices: readonly string[];
    /**
     * Service principals that use the key themselves: the publishers to encrypted topics
     * (ENCRYPTED_TOPIC_PUBLISHERS) and `logs.<region>.amazonaws.com`. Any other is refused, as
     * it would use the key unscoped.
     */
    readonly servicePrincipals: readonly string[];
}

/** Everything a key administrator needs to manage, rotate, replicate and retire the key, and no data-plane use. */
export const KEY_ADMIN_ACTIONS: readonly string[] = [
    "kms:CancelKeyDeletion",
    "kms:Create*",
    "kms:Delete*",
    "kms:Describe*",
    "kms:Disable*",
    "kms:Enable*",
    "kms:Get*",
    "kms:List*",
    "kms:Put*",
    "kms:ReplicateKey",
    "kms:Revoke*",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:Update*",
];

/** What a role needs to write and read SSE-KMS objects (and AWS Backup recovery points) with the key. */
export const KEY_USAGE_ACTIONS: readonly string[] = [
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
];

/** Grants let services that keep encrypted resources (AWS Backup, RDS) use the key later on the role's behalf. */
export const KEY_GRANT_ACTIONS: readonly string[] = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"];

/**
 * What CloudWatch Logs needs of the key of an encrypted log group, as its user guide lists it:
 * it describes the key when the group is associated with it, and encrypts and decrypts events.
 */
export const LOGS_KEY_ACTIONS: readonly string[] = [
    "kms:Decrypt*",
    "kms:Describe*",
    "kms:Encrypt*",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
];

/**
 * Services that publish to the stack's KMS-encrypted SNS topics: CloudWatch (alarm actions) and
 * AWS Backup (vault notifications). SNS encrypts with the publisher's use of the key, so each
 * needs kms:GenerateDataKey* and kms:Decrypt; SNS names the topic in the encryption context
 * (`aws:sns:topicArn`), which scopes that use to this account's topics without relying on a
 * source key the service may not send. Amazon SNS Developer Guide, "Enable compatibility between
 * event sources from AWS services and encrypted topics":
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
 */
export const ENCRYPTED_TOPIC_PUBLISHERS: readonly string[] = ["backup.amazonaws.com", "cloudwatch.amazonaws.com"];

/** What a publisher needs of the key of an encrypted topic (same document). */
export const TOPIC_PUBLISHER_KEY_ACTIONS: readonly string[] = ["kms:Decrypt", "kms:GenerateDataKey*"];

/** `logs.<region>.amazonaws.com` (regional, unlike other service principals): its region, or undefined for another principal. */
function logsPrincipalRegion(principal: string): string | undefined {
    return /^logs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(principal)?.[1];
}

/** `s3.eu-west-1.amazonaws.com`: the value of `kms:ViaService` when a service calls KMS in a region. */
export function viaServiceHost(service: string, region: string, dnsSuffix: string): string {
    return `${service}.${region}.${dnsSuffix}`;
}

/** The service principals a key policy cannot scope to this account (none of the supported ones). */
export function unsupportedServicePrincipals(principals: readonly string[]): string[] {
    return principals.filter((p) => !ENCRYPTED_TOPIC_PUBLISHERS.includes(p) && logsPrincipalRegion(p) === undefined);
}

/**
 * Key policy of the backup key: the account root (so IAM policies can grant, as for the
 * replication role), optional administrators, the backup roles through the listed services only,
 * and the service principals, each scoped to this account by the encryption context its use of
 * the key carries: publishers to this account's topics in the key's region, CloudWatch Logs for
 * this account's log groups (the functions' and RDS's `/aws/rds/instance/...`). Principal lists
 * are sorted, so the JSON does not depend on the order the roles were given in.
 */
export function backupKeyPolicy(input: BackupKeyPolicyInput): PolicyDocument {
    const unsupported = unsupportedServicePrincipals(input.servicePrincipals);
    if (unsupported.length > 0) {
        throw new RangeError(`servicePrincipals: ${unsupported.join(", ")} cannot be scoped to this account; supported are ${ENCRYPTED_TOPIC_PUBLISHERS.join(", ")} and logs.<region>.amazonaws.com`);
    }
    const root = `arn:${input.partition}:iam::${input.accountId}:root`;
    const admins = sortedUnique(input.administratorArns);
    const users = sortedUnique(input.userRoleArns);
    const logs = sortedUnique(input.servicePrincipals.filter((p) => logsPrincipalRegion(p) !== undefined));
    const publishers = sortedUnique(input.servicePrincipals.filter((p) => ENCRYPTED_TOPIC_PUBLISHERS.includes(p)));
    const logGroups = logs.map((p) => `arn:${input.partition}:logs:${logsPrincipalRegion(p) ?? ""}:${input.accountId}:log-group:*`);
    const via = sortedUnique(input.viaServices).map((s) => viaServiceHost(s, input.region, input.dnsSuffix));
    const viaCondition = { StringEquals: { "kms:ViaService": via } };
    const statements: (PolicyStatement | undefined)[] = [
        {
            Sid: "AccountRootFullAccess",
            Effect: "Allow",
            Principal: { AWS: [root] },
            Action: ["kms:*"],
            Resource: ["*"],
        },
        admins.length === 0 ? undefined : {
            Sid: "KeyAdministration",
            Effect: "Allow",
            Principal: { AWS: admins },
            Action: KEY_ADMIN_ACTIONS,
            Resource: ["*"],
        },
        users.length === 0 || via.length === 0 ? undefined : {
            Sid: "BackupRolesUseThroughServices",
            Effect: "Allow",
            Principal: { AWS: users },
            Action: KEY_USAGE_ACTIONS,
            Resource: ["*"],
            Condition: viaCondition,
        },
        users.length === 0 || via.length === 0 ? undefined : {
            Sid: "BackupRolesGrantToServices",
            Effect: "Allow",
            Principal: { AWS: users },
            Action: KEY_GRANT_ACTIONS,
            Resource: ["*"],
            Condition: { Bool: { "kms:GrantIsForAWSResource": "true" }, ...viaCondition },
        },
        publishers.length === 0 ? undefined : {
            Sid: "PublishToThisAccountsEncryptedTopics",
            Effect: "Allow",
            Principal: { Service: publishers },
            Action: TOPIC_PUBLISHER_KEY_ACTIONS,
            Resource: ["*"],
            Condition: { StringLike: { "kms:EncryptionContext:aws:sns:topicArn": [`arn:${input.partition}:sns:${input.region}:${input.accountId}:*`] } },
        },
        // CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS": the key
        // policy names the regional principal and scopes it with kms:EncryptionContext:aws:logs:arn.
        // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
        logs.length === 0 ? undefined : {
            Sid: "CloudWatchLogsUse",
            Effect: "Allow",
            Principal: { Service: logs },
            Action: LOGS_KEY_ACTIONS,
            Resource: ["*"],
            Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": logGroups } },
        },
    ];
    return policyDocument(statements);
}
