import { TIER_NAMES, type TierName } from "../../../lambdas/shared/tiers";
import { parseSchedule, type Schedule, ScheduleError } from "./schedule";

/**
 * AWS Backup documents: plan rules per retention tier, vault lock settings, restore testing
 * selection and the backup role's policies. Pure functions of plain values, deterministic JSON.
 */

export type Weekday = "MON" | "TUE" | "WED" | "THU" | "FRI" | "SAT" | "SUN";
export type VaultLockMode = "COMPLIANCE" | "GOVERNANCE";

/** AWS Backup keeps a recovery point in cold storage for at least this many days. */
export const COLD_STORAGE_MINIMUM_DAYS = 90;

/** A document cannot be built from these values; the message names the value and what is allowed. */
export class BackupDocumentError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "BackupDocumentError";
    }
}

/** Retention of one tier's recovery points. */
export interface PlanTier {
    /** Days a recovery point is kept. */
    readonly keepDays: number;
    /** Days after which it moves to cold storage; omitted: never. */
    readonly coldStorageAfterDays?: number;
}

export type PlanTiers = Readonly<Record<TierName, PlanTier>>;

export interface RecoveryPointLifecycle {
    readonly coldStorageAfter?: number;
    readonly deleteAfter: number;
}

/**
 * Lifecycle of a tier's recovery points. Cold storage is only allowed where the point stays
 * there for the 90-day minimum: AWS Backup refuses a lifecycle with deleteAfter < coldStorageAfter + 90.
 */
export function recoveryPointLifecycle(tier: TierName, t: PlanTier): RecoveryPointLifecycle {
    if (!Number.isInteger(t.keepDays) || t.keepDays < 1) {
        throw new BackupDocumentError(`${tier}.keepDays: ${t.keepDays} must be a whole number of days, at least 1`);
    }
    const cold = t.coldStorageAfterDays;
    if (cold === undefined) return { deleteAfter: t.keepDays };
    if (!Number.isInteger(cold) || cold < 1) {
        throw new BackupDocumentError(`${tier}.coldStorageAfterDays: ${cold} must be a whole number of days, at least 1`);
    }
    if (t.keepDays < cold + COLD_STORAGE_MINIMUM_DAYS) {
        throw new BackupDocumentError(
            `${tier}.coldStorageAfterDays: ${cold} needs keepDays of at least ${cold + COLD_STORAGE_MINIMUM_DAYS} ` +
                `(cold storage + ${COLD_STORAGE_MINIMUM_DAYS} days); keepDays is ${t.keepDays}`,
        );
    }
    return { coldStorageAfter: cold, deleteAfter: t.keepDays };
}

/** UTC time of day a daily schedule starts. */
export interface DailyStart {
    readonly hour: number;
    readonly minute: number;
}

/**
 * The start time of a daily cron schedule (`cron(M H * * ? *)` or `cron(M H ? * * *)`); throws
 * for anything else, since the weekly and monthly rules are derived from it.
 */
export function dailyStart(schedule: string): DailyStart {
    const wanted = `must be a daily cron at one fixed UTC time, e.g. cron(0 1 * * ? *)`;
    const parsed = parseOrExplain(schedule);
    if (parsed.kind !== "cron") throw new BackupDocumentError(`schedule: "${schedule}" ${wanted}`);
    const c = parsed.cron;
    const everyDay =
        (c.dayOfMonth.kind === "any" && c.dayOfWeek.kind === "days" && c.dayOfWeek.days.size === 7) ||
        (c.dayOfWeek.kind === "any" && c.dayOfMonth.kind === "days" && c.dayOfMonth.days.size === 31);
    const [minute] = [...c.minutes];
    const [hour] = [...c.hours];
    if (c.minutes.size !== 1 || c.hours.size !== 1 || c.months.size !== 12 || c.years !== "any" || !everyDay ||
        minute === undefined || hour === undefined) {
        throw new BackupDocumentError(`schedule: "${schedule}" ${wanted}`);
    }
    return { hour, minute };
}

function parseOrExplain(schedule: string): Schedule {
    try {
        return parseSchedule(schedule);
    } catch (err) {
        if (err instanceof ScheduleError) throw new BackupDocumentError(`schedule: "${schedule}" ${err.message}`);
        throw err;
    }
}

/** The daily, weekly (on `weeklyOn`) and monthly (on day `monthlyOn`) schedules, all at the daily start time. */
export function tierSchedules(schedule: string, weeklyOn: Weekday, monthlyOn: number): Readonly<Record<TierName, string>> {
    if (!Number.isInteger(monthlyOn) || monthlyOn < 1 || monthlyOn > 28) {
        throw new BackupDocumentError(`monthlyOn: ${monthlyOn} is out of range 1..28`);
    }
    const { hour, minute } = dailyStart(schedule);
    return {
        daily: `cron(${minute} ${hour} * * ? *)`,
        weekly: `cron(${minute} ${hour} ? * ${weeklyOn} *)`,
        monthly: `cron(${minute} ${hour} ${monthlyOn} * ? *)`,
    };
}

export interface PlanRulesInput {
    /** Daily schedule (cron, UTC); weekly and monthly run at the same time of day. */
    readonly schedule: string;
    readonly weeklyOn: Weekday;
    readonly monthlyOn: number;
    readonly tiers: PlanTiers;
    readonly startWindowMinutes: number;
    readonly completionWindowMinutes: number;
}

/** A tier's rule before its vaults are known: everything that can be checked from plain values. */
export interface PlanRuleTemplate {
    readonly ruleName: TierName;
    readonly schedule: string;
    readonly startWindow: number;
    readonly completionWindow: number;
    readonly lifecycle: RecoveryPointLifecycle;
    readonly recoveryPointTags: Readonly<Record<string, string>>;
}

export interface CopyActionDocument {
    readonly destinationVaultArn: string;
    readonly lifecycle: RecoveryPointLifecycle;
}

export interface PlanRuleDocument extends PlanRuleTemplate {
    readonly targetVaultName: string;
    readonly copyActions: readonly CopyActionDocument[];
}

/** Tag on every recovery point naming the tier whose rule created it. */
export const TIER_TAG_KEY = "pg-backup-stack:tier";

/**
 * One rule per tier, all starting at the same time of day. Where rules of one plan fall in the
 * same window AWS Backup runs a single job with the longest retention, so the weekday's backup
 * is kept as weekly and the month day's as monthly. Throws for values AWS Backup would refuse.
 */
export function planRuleTemplates(input: PlanRulesInput): PlanRuleTemplate[] {
    if (input.completionWindowMinutes <= input.startWindowMinutes) {
        throw new BackupDocumentError(
            `completionWindowMinutes: ${input.completionWindowMinutes} must be greater than startWindowMinutes (${input.startWindowMinutes})`,
        );
    }
    const schedules = tierSchedules(input.schedule, input.weeklyOn, input.monthlyOn);
    return TIER_NAMES.map((tier) => ({
        ruleName: tier,
        schedule: schedules[tier],
        startWindow: input.startWindowMinutes,
        completionWindow: input.completionWindowMinutes,
        lifecycle: recoveryPointLifecycle(tier, input.tiers[tier]),
        recoveryPointTags: { [TIER_TAG_KEY]: tier },
    }));
}

/** The rules with their target vault and, when given, a copy to the DR vault kept as long as the original. */
export function backupPlanRules(templates: readonly PlanRuleTemplate[], vaultName: string, drVaultArn?: string): PlanRuleDocument[] {
    return templates.map((t) => ({
        ...t,
        targetVaultName: vaultName,
        copyActions: drVaultArn === undefined ? [] : [{ destinationVaultArn: drVaultArn, lifecycle: t.lifecycle }],
    }));
}

export interface VaultLockInput {
    readonly mode: VaultLockMode;
    readonly minRetentionDays: number;
    readonly maxRetentionDays: number;
    /** Grace period before a COMPLIANCE lock becomes immutable (at least 3 days). */
    readonly changeableForDays: number;
}

export interface VaultLockSettings {
    readonly minRetentionDays: number;
    readonly maxRetentionDays: number;
    /** Present only in COMPLIANCE mode; a lock without it is in GOVERNANCE mode. */
    readonly changeableForDays?: number;
}

/**
 * Arguments of the vault lock. Every tier's retention must lie within [min, max], or AWS Backup
 * fails the tier's jobs.
 */
export function vaultLockSettings(lock: VaultLockInput, tiers: PlanTiers): VaultLockSettings {
    if (lock.minRetentionDays < 1 || lock.minRetentionDays > lock.maxRetentionDays) {
        throw new BackupDocumentError(
            `vaultLock.minRetentionDays: ${lock.minRetentionDays} must be at least 1 and at most maxRetentionDays (${lock.maxRetentionDays})`,
        );
    }
    for (const tier of TIER_NAMES) {
        const keep = tiers[tier].keepDays;
        if (keep < lock.minRetentionDays || keep > lock.maxRetentionDays) {
            throw new BackupDocumentError(
                `${tier}.keepDays: ${keep} is outside the vault lock's ${lock.minRetentionDays}..${lock.maxRetentionDays} days; ` +
                    `AWS Backup would fail these jobs`,
            );
        }
    }
    const base = { minRetentionDays: lock.minRetentionDays, maxRetentionDays: lock.maxRetentionDays };
    if (lock.mode === "GOVERNANCE") return base;
    if (!Number.isInteger(lock.changeableForDays) || lock.changeableForDays < 3) {
        throw new BackupDocumentError(`vaultLock.changeableForDays: ${lock.changeableForDays} must be at least 3 in COMPLIANCE mode`);
    }
    return { ...base, changeableForDays: lock.changeableForDays };
}

/** Vault lock bounds when none are given: 7..400 days, widened where a tier lies outside. */
export const DEFAULT_VAULT_LOCK_BOUNDS = { minRetentionDays: 7, maxRetentionDays: 400 } as const;

/**
 * Vault lock bounds: as given, else the defaults widened to the shortest and longest tier, so
 * that every tier fits. The defaults stay put while the tiers do: a COMPLIANCE lock cannot
 * change after its grace period.
 */
export function vaultLockBounds(
    lock: { readonly minRetentionDays?: number; readonly maxRetentionDays?: number },
    tiers: PlanTiers,
): { minRetentionDays: number; maxRetentionDays: number } {
    const keeps = TIER_NAMES.map((t) => tiers[t].keepDays);
    return {
        minRetentionDays: lock.minRetentionDays ?? Math.min(DEFAULT_VAULT_LOCK_BOUNDS.minRetentionDays, ...keeps),
        maxRetentionDays: lock.maxRetentionDays ?? Math.max(DEFAULT_VAULT_LOCK_BOUNDS.maxRetentionDays, ...keeps),
    };
}

/** COMPLIANCE in prod unless set, GOVERNANCE elsewhere unless set. */
export function effectiveVaultLockMode(mode: VaultLockMode | undefined, environment: string): VaultLockMode {
    return mode ?? (environment === "prod" ? "COMPLIANCE" : "GOVERNANCE");
}

/**
 * Vault events sent to the alert topic. AWS Backup reports failed, aborted and expired backup
 * jobs (and failed restores, restore tests included) only as BACKUP_JOB_COMPLETED /
 * RESTORE_JOB_COMPLETED with their `State`; the alert topic's subscriptions drop `COMPLETED`.
 */
export const VAULT_NOTIFICATION_EVENTS: readonly string[] = ["BACKUP_JOB_COMPLETED", "COPY_JOB_FAILED", "RESTORE_JOB_COMPLETED"];

/** Restore testing plan and selection names allow only letters, digits and `_`, 1..50 characters. */
export function restoreTestingName(componentName: string, suffix: string): string {
    const raw = `${componentName}_${suffix}`.replace(/[^A-Za-z0-9_]/g, "_");
    const name = /^[A-Za-z]/.test(raw) ? raw : `rt_${raw}`;
    if (name.length > 50) {
        throw new BackupDocumentError(`restore testing name "${name}" is ${name.length} characters long; at most 50 are allowed (shorten the component name)`);
    }
    return name;
}

export interface RestoreOverridesInput {
    /** Instance class of test restores. */
    readonly dbInstanceClass?: string;
    /** Subnet group the test restores are placed in. */
    readonly dbSubnetGroupName?: string;
    /** Security groups of the test restores. */
    readonly vpcSecurityGroupIds?: readonly string[];
}

/** Restore metadata overrides of an RDS restore test, keys sorted; an empty list of groups is left out. */
export function restoreMetadataOverrides(input: RestoreOverridesInput): Record<string, string> {
    const out: Record<string, string> = {};
    if (input.dbInstanceClass !== undefined) out["dbInstanceClass"] = input.dbInstanceClass;
    if (input.dbSubnetGroupName !== undefined) out["dbSubnetGroupName"] = input.dbSubnetGroupName;
    if (input.vpcSecurityGroupIds !== undefined && input.vpcSecurityGroupIds.length > 0) {
        out["vpcSecurityGroupIds"] = JSON.stringify([...input.vpcSecurityGroupIds].sort());
    }
    return out;
}

/** A tag selecting resources; the same one selects them for backup and for restore testing. */
export interface SelectionTag {
    readonly key: string;
    readonly value: string;
}

/**
 * Tag conditions a resource must meet all of to be selected, for backup and for restore testing.
 * AWS Backup ANDs the conditions of a selection ("If you specify multiple conditions, the resources
 * much match all conditions (AND logic)": AWS Backup API reference, BackupSelection,
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupSelection.html), whereas it ORs
 * the tags of `ListOfTags`; so a stack tag among the conditions keeps a selection to that stack.
 */
export function tagConditions(tags: readonly SelectionTag[]): { stringEquals: { key: string; value: string }[] } {
    return { stringEquals: tags.map((tag) => ({ key: `aws:ResourceTag/${tag.key}`, value: tag.value })) };
}

/** AWS managed policies of the backup role: take backups, restore them (restore tests too). */
export function backupServiceRolePolicyArns(partition: string): Readonly<Record<"backup" | "restores", string>> {
    return {
        backup: `arn:${partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup`,
        restores: `arn:${partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores`,
    };
}

/** Trust policy of the backup role: AWS Backup only. */
export function backupAssumeRolePolicy(): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{
            Sid: "AwsBackupAssumesRole",
            Effect: "Allow",
            Principal: { Service: "backup.amazonaws.com" },
            Action: "sts:AssumeRole",
        }],
    });
}

/**
 * Use of the backup keys by the backup role: copying an encrypted snapshot into the DR vault
 * re-encrypts it with the DR key, and restores decrypt it. Grants only for AWS resources.
 */
export function backupRoleKmsPolicy(keyArns: readonly string[]): string {
    if (keyArns.length === 0) throw new BackupDocumentError("backupRoleKmsPolicy: at least one key ARN is needed");
    const resources = [...new Set(keyArns)].sort();
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "UseBackupKeys",
                Effect: "Allow",
                Action: ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
                Resource: resources,
            },
            {
                Sid: "GrantsForAwsResources",
                Effect: "Allow",
                Action: "kms:CreateGrant",
                Resource: resources,
                Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
            },
        ],
    });
}
