import { denyInsecureTransport } from "./bucketPolicy";
import { policyDocument, type PolicyDocument } from "./policyDocument";

/**
 * AWS Backup Audit Manager: the framework's controls and the report bucket's policy, as plain
 * values. Control names and input parameter names are those of the AWS Backup Developer Guide
 * ("Choosing your controls", "Creating frameworks using the AWS Backup API":
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-frameworks-api.html) and of
 * the AWS Config managed rules behind them (for example
 * https://docs.aws.amazon.com/config/latest/developerguide/backup-plan-min-frequency-and-min-retention-check.html:
 * requiredFrequencyUnit "hours" | "days", requiredFrequencyValue at most 24 hours or 31 days).
 */

export interface AuditControl {
    readonly name: string;
    readonly inputParameters: readonly { readonly name: string; readonly value: string }[];
    /** Limits the control to resources with this tag (the stack's AWS Backup selection tag). */
    readonly scopeTag?: { readonly key: string; readonly value: string };
}

export interface AuditControlsInput {
    /** Longest gap between two runs of the AWS Backup plan's daily rule, minutes. */
    readonly planIntervalMinutes: number;
    /** Retention of the daily rule (the shortest tier), days. */
    readonly minRetentionDays: number;
    /** Vault lock bounds, days. */
    readonly vaultLock: { readonly minRetentionDays: number; readonly maxRetentionDays: number };
    readonly drRegion: string;
    /** The RTO, minutes; present when AWS Backup restore testing runs (the control reads its restore jobs). */
    readonly restoreTimeTargetMinutes?: number;
    readonly selectionTag: { readonly key: string; readonly value: string };
}

/** The frequency as the controls take it: whole hours up to 24, else whole days up to 31. */
export function frequencyParameters(intervalMinutes: number): { unit: "hours" | "days"; value: number } {
    const hours = Math.ceil(intervalMinutes / 60);
    if (hours <= 24) return { unit: "hours", value: Math.max(1, hours) };
    return { unit: "days", value: Math.min(31, Math.ceil(intervalMinutes / 1440)) };
}

/**
 * The controls that match what the stack configures: the plan's frequency and retention, the
 * recovery points' minimum retention and encryption, protection by the plan, manual deletion
 * disabled and the vault lock bounds, the cross-Region copy, the newest recovery point no older
 * than the plan's interval, and (with restore testing) the restore time against the RTO.
 */
export function auditFrameworkControls(input: AuditControlsInput): AuditControl[] {
    const freq = frequencyParameters(input.planIntervalMinutes);
    // BACKUP_LAST_RECOVERY_POINT_CREATED takes up to 744 hours or 31 days.
    const age = freq.unit === "hours" ? { unit: "hours", value: freq.value } : { unit: "days", value: freq.value };
    const scopeTag = input.selectionTag;
    const p = (name: string, value: string | number): { name: string; value: string } => ({ name, value: String(value) });
    return [
        {
            name: "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK",
            inputParameters: [p("requiredFrequencyUnit", freq.unit), p("requiredFrequencyValue", freq.value), p("requiredRetentionDays", input.minRetentionDays)],
        },
        { name: "BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK", inputParameters: [p("requiredRetentionDays", input.minRetentionDays)] },
        { name: "BACKUP_RECOVERY_POINT_ENCRYPTED", inputParameters: [] },
        { name: "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN", inputParameters: [], scopeTag },
        { name: "BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED", inputParameters: [] },
        {
            name: "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK",
            inputParameters: [p("minRetentionDays", input.vaultLock.minRetentionDays), p("maxRetentionDays", input.vaultLock.maxRetentionDays)],
            scopeTag,
        },
        { name: "BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION", inputParameters: [p("crossRegionList", input.drRegion)], scopeTag },
        { name: "BACKUP_LAST_RECOVERY_POINT_CREATED", inputParameters: [p("recoveryPointAgeUnit", age.unit), p("recoveryPointAgeValue", age.value)], scopeTag },
        ...(input.restoreTimeTargetMinutes === undefined
            ? []
            : [{ name: "RESTORE_TIME_FOR_RESOURCES_MEET_TARGET", inputParameters: [p("maxRestoreTime", input.restoreTimeTargetMinutes)], scopeTag }]),
    ];
}

/**
 * Framework and report plan names: unique per account and Region, so they carry the stack;
 * 1..256 characters, a letter first, then letters, numbers and underscores only (AWS Backup
 * API reference, CreateFramework / CreateReportPlan).
 */
export function auditNames(environment: string): { framework: string; reportPlan: string } {
    const stack = environment.replace(/[^A-Za-z0-9_]/g, "_");
    return { framework: `pg_backup_stack_${stack}`, reportPlan: `pg_backup_stack_${stack}_controls` };
}

/** Key prefix of the delivered reports; AWS Backup appends `Backup/<region>/<yyyy>/<mm>/<dd>/<report>`. */
export const AUDIT_REPORT_PREFIX = "audit-reports";

/** The service-linked role that delivers Audit Manager reports. */
export function backupReportsRoleArn(partition: string, accountId: string): string {
    return `arn:${partition}:iam::${accountId}:role/aws-service-role/reports.backup.amazonaws.com/AWSServiceRoleForBackupReports`;
}

/**
 * The report bucket's policy: TLS only, and the Backup Audit Manager service-linked role may put
 * reports under the prefix with `bucket-owner-full-control` (AWS Backup Developer Guide,
 * "Creating report plans using the console", sample bucket policy). The role is matched with
 * aws:PrincipalArn rather than named as principal, because it only exists once the first report
 * has been created and a policy naming a missing role is refused ("Invalid principal").
 */
export function auditReportBucketPolicy(input: { bucketArn: string; reportsRoleArn: string; accountId: string; partition: string }): PolicyDocument {
    return policyDocument([
        denyInsecureTransport(input.bucketArn),
        {
            Sid: "BackupAuditManagerReports",
            Effect: "Allow",
            Principal: { AWS: [`arn:${input.partition}:iam::${input.accountId}:root`] },
            Action: ["s3:PutObject"],
            Resource: [`${input.bucketArn}/${AUDIT_REPORT_PREFIX}/*`],
            Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control" }, ArnEquals: { "aws:PrincipalArn": input.reportsRoleArn } },
        },
    ]);
}

/**
 * The report key's policy: the account administers the key through IAM, and the Backup Audit
 * Manager service-linked role may generate data keys and decrypt, as a KMS-encrypted report
 * bucket requires (AWS Backup Developer Guide, "Creating report plans using the AWS Backup API":
 * kms:GenerateDataKey and kms:Decrypt at minimum). The role is matched by aws:PrincipalArn for
 * the same reason as in the bucket policy: it may not exist yet.
 */
export function auditReportKeyPolicy(input: { reportsRoleArn: string; accountId: string; partition: string }): PolicyDocument {
    return policyDocument([
        {
            Sid: "AccountAdministersKey",
            Effect: "Allow",
            Principal: { AWS: [`arn:${input.partition}:iam::${input.accountId}:root`] },
            Action: ["kms:*"],
            Resource: ["*"],
        },
        {
            Sid: "BackupAuditManagerReports",
            Effect: "Allow",
            Principal: "*",
            Action: ["kms:Decrypt", "kms:GenerateDataKey"],
            Resource: ["*"],
            Condition: { ArnEquals: { "aws:PrincipalArn": input.reportsRoleArn }, StringEquals: { "kms:CallerAccount": input.accountId } },
        },
    ]);
}

