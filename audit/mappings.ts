import type { AuditManagerControlName, Cloud, ControlId, ControlMapping } from "./model";

/**
 * What each report control answers in the vocabularies auditors already use:
 *
 * - AWS Backup Audit Manager controls, by their API names (AWS Backup Developer Guide,
 *   "Choosing your controls" and "Creating frameworks using the AWS Backup API":
 *   https://docs.aws.amazon.com/aws-backup/latest/devguide/choosing-controls.html,
 *   https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-frameworks-api.html).
 *   The stack deploys them in its framework (components/aws/auditFramework.ts).
 * - AWS Security Hub CSPM control IDs (Security Hub User Guide, control reference:
 *   https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html, rds-controls.html,
 *   backup-controls.html, kms-controls.html).
 * - Azure Policy built-in definitions, by their definition GUIDs (Azure Policy built-in
 *   definitions, https://learn.microsoft.com/azure/governance/policy/samples/built-in-policies:
 *   Key Vault, Storage, Backup), and the Microsoft cloud security benchmark v1 controls they sit
 *   under (https://learn.microsoft.com/security/benchmark/azure/mcsb-backup-recovery,
 *   mcsb-data-protection; the Backup vault policies are mapped to BR-2 there).
 * - The verification checklists of the backup procedures this stack replaces: the restore
 *   checklist, the monthly test restore and the size and checksum checks.
 */
const SH = {
    "Backup.1": "AWS Backup recovery points should be encrypted at rest",
    "KMS.4": "AWS KMS key rotation should be enabled",
    "RDS.3": "RDS DB instances should have encryption at-rest enabled",
    "RDS.11": "RDS instances should have automatic backups enabled",
    "RDS.26": "RDS DB instances should be protected by a backup plan",
    "S3.5": "S3 general purpose buckets should require requests to use SSL",
    "S3.7": "S3 general purpose buckets should use cross-Region replication",
    "S3.14": "S3 general purpose buckets should have versioning enabled",
    "S3.15": "S3 general purpose buckets should have Object Lock enabled",
    "S3.17": "S3 general purpose buckets should be encrypted at rest with AWS KMS keys",
} as const;

type SecurityHubId = keyof typeof SH;

const AZURE_POLICY = {
    "0b60c0b2-2dc2-4e1c-b5c9-abbed971de53": "Key vaults should have deletion protection enabled",
    "12d4fa5e-1f9f-4c21-97a9-b99b3c6611b5": "Azure Key Vault should use RBAC permission model",
    "6fac406b-40ca-413b-bf8e-0bf964659c25": "Storage accounts should use customer-managed key for encryption",
    "bf045164-79ba-4215-8f95-f8048dc1780b": "Geo-redundant storage should be enabled for Storage Accounts",
    "2514263b-bc0d-4b06-ac3e-f262c0979018": "[Preview]: Immutability must be enabled for backup vaults",
    "9798d31d-6028-4dee-8643-46102185c016": "[Preview]: Soft delete should be enabled for Backup Vaults",
} as const;
type AzurePolicyId = keyof typeof AZURE_POLICY;

const MCSB = {
    "BR-1": "Ensure regular automated backups",
    "BR-2": "Protect backup and recovery data",
    "BR-3": "Monitor backups",
    "BR-4": "Regularly test backup",
    "DP-3": "Encrypt sensitive data in transit",
    "DP-5": "Use customer-managed key option in data at rest encryption when required",
    "DP-6": "Use a secure key management process",
    "PA-7": "Follow just enough administration (least privilege) principle",
} as const;
type BenchmarkId = keyof typeof MCSB;

/** Azure Policy definitions and benchmark controls per report control. */
const AZURE_MAP: Readonly<Record<ControlId, { ap: readonly AzurePolicyId[]; mcsb: readonly BenchmarkId[] }>> = {
    rpo: { ap: [], mcsb: ["BR-1"] },
    rto: { ap: [], mcsb: ["BR-4"] },
    retention: { ap: [], mcsb: ["BR-1"] },
    "encryption-at-rest": { ap: ["6fac406b-40ca-413b-bf8e-0bf964659c25", "0b60c0b2-2dc2-4e1c-b5c9-abbed971de53", "12d4fa5e-1f9f-4c21-97a9-b99b3c6611b5"], mcsb: ["DP-5", "DP-6"] },
    "encryption-in-transit": { ap: [], mcsb: ["DP-3"] },
    immutability: { ap: ["2514263b-bc0d-4b06-ac3e-f262c0979018", "9798d31d-6028-4dee-8643-46102185c016"], mcsb: ["BR-2"] },
    "geo-redundancy": { ap: ["bf045164-79ba-4215-8f95-f8048dc1780b"], mcsb: ["BR-1"] },
    "point-in-time-recovery": { ap: [], mcsb: ["BR-1"] },
    "restore-testing": { ap: [], mcsb: ["BR-4"] },
    verification: { ap: [], mcsb: ["BR-3", "BR-4"] },
    alerting: { ap: [], mcsb: ["BR-3"] },
    "least-privilege": { ap: [], mcsb: ["PA-7"] },
};

/** Items of the seed procedures' checklists, worded as there. */
const CHECKLIST = {
    backupToday: "Database backup exists for today",
    integrity: "Database backup is not corrupted (integrity check: checksum)",
    size: "Database backup size is reasonable (compared with previous backups)",
    versioning: "S3 bucket has versioning enabled",
    retention: "Old backups cleaned up according to retention policy",
    crossRegion: "Cross-region replication verified",
    monthlyRestore: "Test restore completed successfully (monthly test restore)",
    criticalTables: "Restore checklist: all critical tables have data (row counts per table)",
    recoveryTime: "Recovery time tested and documented",
    encryption: "Backups encrypted (encryption verification)",
    logs: "Backup logs show no errors / backup completion status monitored",
} as const;

type ChecklistItem = keyof typeof CHECKLIST;

const MAP: Readonly<Record<ControlId, { am: readonly AuditManagerControlName[]; sh: readonly SecurityHubId[]; cl: readonly ChecklistItem[] }>> = {
    rpo: { am: ["BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK", "BACKUP_LAST_RECOVERY_POINT_CREATED"], sh: ["RDS.11"], cl: ["backupToday"] },
    rto: { am: ["RESTORE_TIME_FOR_RESOURCES_MEET_TARGET"], sh: [], cl: ["recoveryTime"] },
    retention: { am: ["BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK", "BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK"], sh: ["RDS.11"], cl: ["retention"] },
    "encryption-at-rest": { am: ["BACKUP_RECOVERY_POINT_ENCRYPTED"], sh: ["Backup.1", "S3.17", "RDS.3", "KMS.4"], cl: ["encryption"] },
    "encryption-in-transit": { am: [], sh: ["S3.5"], cl: [] },
    immutability: { am: ["BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED", "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK"], sh: ["S3.14", "S3.15"], cl: ["versioning"] },
    "geo-redundancy": { am: ["BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION"], sh: ["S3.7"], cl: ["crossRegion"] },
    "point-in-time-recovery": { am: ["BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN"], sh: ["RDS.11", "RDS.26"], cl: [] },
    "restore-testing": { am: ["RESTORE_TIME_FOR_RESOURCES_MEET_TARGET"], sh: [], cl: ["monthlyRestore", "criticalTables"] },
    verification: { am: ["BACKUP_LAST_RECOVERY_POINT_CREATED"], sh: [], cl: ["backupToday", "integrity", "size", "criticalTables"] },
    alerting: { am: [], sh: [], cl: ["logs"] },
    "least-privilege": { am: ["BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED"], sh: [], cl: [] },
};

/** The control's mapping in the vocabularies of the given clouds, and the checklists. */
export function mappingOf(id: ControlId, clouds: readonly Cloud[]): ControlMapping {
    const m = MAP[id];
    const az = AZURE_MAP[id];
    return {
        ...(clouds.includes("aws") ? { aws: { auditManager: m.am, securityHub: m.sh.map((shId) => ({ id: shId, title: SH[shId] })) } } : {}),
        ...(clouds.includes("azure")
            ? { azure: { azurePolicy: az.ap.map((apId) => ({ id: apId, title: AZURE_POLICY[apId] })), cloudSecurityBenchmark: az.mcsb.map((bId) => ({ id: bId, title: MCSB[bId] })) } }
            : {}),
        checklist: m.cl.map((item) => CHECKLIST[item]),
    };
}

/** The clouds a configuration uses: AWS when it declares regions (every AWS resource lives in them), Azure when it has an azure section. */
export function cloudsOf(c: { readonly regions?: unknown; readonly azure?: unknown }): Cloud[] {
    return [...(c.regions !== undefined ? ["aws" as const] : []), ...(c.azure !== undefined ? ["azure" as const] : [])];
}
