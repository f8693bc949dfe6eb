import { STACK_TAG_KEY } from "../scope";
import { Finding, Rule, error, warning } from "../findings";
import { TIER_NAMES } from "../schema";
import { ScheduleError, parseSchedule } from "../schedule";
import { BackupDocumentError, COLD_STORAGE_MINIMUM_DAYS, dailyStart, effectiveVaultLockMode, vaultLockBounds } from "../../components/aws/documents/awsBackup";
import { bucketNameProblem } from "../../components/aws/documents/fileBackup";

/** The weekly and monthly rules start at the daily rule's time, so the schedule must be one fixed daily time. */
export const backupScheduleDaily: Rule = (c) => {
    if (!c.aws.backup.enabled) return [];
    try {
        dailyStart(c.aws.backup.schedule);
        return [];
    } catch (err) {
        if (!(err instanceof BackupDocumentError)) throw err;
        return [error("aws.backup.schedule", c.aws.backup.schedule, err.message.replace(/^schedule: "[^"]*" /, ""))];
    }
};

/** AWS Backup keeps a recovery point in cold storage for at least 90 days before it may be deleted. */
export const coldStorageMinimum: Rule = (c) => TIER_NAMES.flatMap((tier) => {
    const cold = c.aws.backup.coldStorageAfterDays[tier];
    const keep = c.retention[tier].keepDays;
    if (cold === undefined || keep >= cold + COLD_STORAGE_MINIMUM_DAYS) return [];
    return [error(`aws.backup.coldStorageAfterDays.${tier}`, cold,
        `needs retention.${tier}.keepDays of at least ${cold + COLD_STORAGE_MINIMUM_DAYS} (cold storage + ${COLD_STORAGE_MINIMUM_DAYS} days); ` +
            `it is ${keep}: use at most ${keep - COLD_STORAGE_MINIMUM_DAYS > 0 ? keep - COLD_STORAGE_MINIMUM_DAYS : "none (omit it)"}`)];
});

/** RDS snapshots are not among the resource types AWS Backup moves to cold storage. */
export const coldStorageNotForRds: Rule = (c) => {
    if (!c.aws.backup.enabled || !c.aws.databases.some((db) => db.instance !== undefined)) return [];
    return TIER_NAMES.flatMap((tier) => {
        const cold = c.aws.backup.coldStorageAfterDays[tier];
        return cold === undefined ? [] : [warning(`aws.backup.coldStorageAfterDays.${tier}`, cold,
            "has no effect on RDS snapshots, which AWS Backup keeps in warm storage for the whole retention; it applies only to other tagged resource types that support cold storage")];
    });
};

/** AWS Backup fails every job whose retention falls outside the vault lock's bounds. */
export const vaultLockCoversTiers: Rule = (c) => {
    if (!c.aws.backup.enabled) return [];
    const lock = vaultLockBounds(c.aws.backup.vaultLock, c.retention);
    if (lock.minRetentionDays > lock.maxRetentionDays) {
        return [error("aws.backup.vaultLock.minRetentionDays", lock.minRetentionDays, `must not exceed aws.backup.vaultLock.maxRetentionDays (${lock.maxRetentionDays})`)];
    }
    const out: Finding[] = [];
    for (const tier of TIER_NAMES) {
        const keep = c.retention[tier].keepDays;
        if (keep < lock.minRetentionDays) {
            out.push(error("aws.backup.vaultLock.minRetentionDays", lock.minRetentionDays,
                `is more than retention.${tier}.keepDays (${keep}); AWS Backup would fail the ${tier} jobs: use at most ${keep}`));
        }
        if (keep > lock.maxRetentionDays) {
            out.push(error("aws.backup.vaultLock.maxRetentionDays", lock.maxRetentionDays,
                `is less than retention.${tier}.keepDays (${keep}); AWS Backup would fail the ${tier} jobs: use at least ${keep}`));
        }
    }
    return out;
};

/** In prod the vault lock is COMPLIANCE (the default there): a GOVERNANCE lock can be lifted by an administrator. */
export const prodVaultLockCompliance: Rule = (c) => {
    if (c.environment !== "prod" || !c.aws.backup.enabled) return [];
    const mode = effectiveVaultLockMode(c.aws.backup.vaultLock.mode, c.environment);
    return mode === "COMPLIANCE" ? [] : [error("aws.backup.vaultLock.mode", c.aws.backup.vaultLock.mode,
        "must be COMPLIANCE in prod (or omitted, which means COMPLIANCE): a GOVERNANCE lock can be removed by anyone with backup:DeleteBackupVaultLockConfiguration")];
};

/** A job must be able to run after it starts: the completion window ends after the start window. */
export const backupWindowsOrder: Rule = (c) => {
    const b = c.aws.backup;
    if (!b.enabled || b.completionWindowMinutes > b.startWindowMinutes) return [];
    return [error("aws.backup.completionWindowMinutes", b.completionWindowMinutes, `must be greater than aws.backup.startWindowMinutes (${b.startWindowMinutes})`)];
};

/** Restore testing plans take cron expressions only. */
export const restoreTestingSchedule: Rule = (c) => {
    const t = c.aws.backup.restoreTesting;
    if (!c.aws.backup.enabled || !t.enabled) return [];
    try {
        const parsed = parseSchedule(t.schedule);
        return parsed.kind === "cron" ? [] : [error("aws.backup.restoreTesting.schedule", t.schedule, "must be a cron(...) expression, e.g. cron(0 6 ? * SAT *)")];
    } catch (err) {
        if (!(err instanceof ScheduleError)) throw err;
        return [error("aws.backup.restoreTesting.schedule", t.schedule, err.message)];
    }
};

/** AWS Backup selects by tag; the stack tags only the instances it manages. */
export const unmanagedDatabasesNeedTag: Rule = (c) => {
    if (!c.aws.backup.enabled) return [];
    const tag = c.aws.backup.selectionTag;
    const selection = `${tag !== undefined ? `${tag.key}=${tag.value}` : "backup-plan=pg-backup-<stack>"} and ${STACK_TAG_KEY}=<stack>`;
    return c.aws.databases.flatMap((db, i) => db.instance !== undefined ? [] : [warning(`aws.databases[${i}].instance`, undefined,
        `is not managed here, so AWS Backup covers it only if you tag the instance ${selection} yourself`)]);
};

/** Application buckets are protected by the AWS Backup plan, so they need it, and real bucket names, once each. */
export const fileBucketsProtectable: Rule = (c) => {
    const buckets = c.aws.backup.fileBuckets;
    if (buckets.length === 0) return [];
    if (!c.aws.backup.enabled) {
        return [error("aws.backup.fileBuckets", buckets.join(", "), "needs aws.backup.enabled: true; the buckets are backed up by the AWS Backup plan")];
    }
    return buckets.flatMap((bucket, i) => {
        const problem = bucketNameProblem(bucket);
        if (problem !== undefined) return [error(`aws.backup.fileBuckets[${i}]`, bucket, problem)];
        return buckets.indexOf(bucket) < i ? [error(`aws.backup.fileBuckets[${i}]`, bucket, `repeats aws.backup.fileBuckets[${buckets.indexOf(bucket)}]`)] : [];
    });
};

export const rules: readonly Rule[] = [
    backupScheduleDaily,
    coldStorageMinimum,
    coldStorageNotForRds,
    vaultLockCoversTiers,
    prodVaultLockCompliance,
    backupWindowsOrder,
    restoreTestingSchedule,
    unmanagedDatabasesNeedTag,
    fileBucketsProtectable,
];
