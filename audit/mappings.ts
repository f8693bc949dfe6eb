import type { AuditManagerControlName, ControlId, ControlMapping } from "./model";

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

export function mappingOf(id: ControlId): ControlMapping {
    const m = MAP[id];
    return {
        auditManager: m.am,
        securityHub: m.sh.map((shId) => ({ id: shId, title: SH[shId] })),
        checklist: m.cl.map((item) => CHECKLIST[item]),
    };
}
