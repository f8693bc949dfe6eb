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
    /** Service principals that use the key themselves, e.g. `cloudwatch.amazonaws.com`. */
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

/** `logs.<region>.amazonaws.com` (regional, unlike other service principals): its region, or undefined for another principal. */
function logsPrincipalRegion(principal: string): string | undefined {
    return /^logs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(principal)?.[1];
}

/** `s3.eu-west-1.amazonaws.com`: the value of `kms:ViaService` when a service calls KMS in a region. */
export function viaServiceHost(service: string, region: string, dnsSuffix: string): string {
    return `${service}.${region}.${dnsSuffix}`;
}

/**
 * Key policy of the backup key: the account root (so IAM policies can grant, as for the
 * replication role), optional administrators, the backup roles through the listed services only,
 * and optional service principals (CloudWatch Logs with what it needs for this account's log
 * groups). Principal lists are sorted, so the JSON does not depend on the order the roles were
 * given in.
 */
export function backupKeyPolicy(input: BackupKeyPolicyInput): PolicyDocument {
    const root = `arn:${input.partition}:iam::${input.accountId}:root`;
    const admins = sortedUnique(input.administratorArns);
    const users = sortedUnique(input.userRoleArns);
    const logs = sortedUnique(input.servicePrincipals.filter((p) => logsPrincipalRegion(p) !== undefined));
    const services = sortedUnique(input.servicePrincipals.filter((p) => logsPrincipalRegion(p) === undefined));
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
        services.length === 0 ? undefined : {
            Sid: "ServicePrincipalsUse",
            Effect: "Allow",
            Principal: { Service: services },
            Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
            Resource: ["*"],
        },
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
