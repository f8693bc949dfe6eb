import { vaultLockBounds } from "../components/aws/documents/awsBackup";
import type { AuditControlsInput } from "../components/aws/documents/auditFramework";
import { TIER_NAMES } from "./schema";
import { backupSelectionTag, type StackScope } from "./scope";
import { ScheduleError, longestGapMinutes, parseSchedule } from "./schedule";
import type { StackConfig } from "./validate";

/**
 * The AWS Backup Audit Manager framework's parameters, derived from the same configuration as
 * the AWS Backup plan they audit; undefined when the stack deploys no plan (AWS Backup off or no
 * database instance managed by the stack), as the framework would then audit nothing of it.
 */
export function auditFrameworkInput(c: StackConfig, scope: StackScope): AuditControlsInput | undefined {
    const b = c.aws.backup;
    const regions = c.regions;
    if (regions === undefined || !b.enabled || !c.aws.databases.some((d) => d.instance !== undefined)) return undefined;
    const keeps = Object.fromEntries(TIER_NAMES.map((t) => [t, { keepDays: c.retention[t].keepDays }])) as Parameters<typeof vaultLockBounds>[1];
    return {
        planIntervalMinutes: intervalMinutes(b.schedule),
        minRetentionDays: Math.min(...TIER_NAMES.map((t) => c.retention[t].keepDays)),
        vaultLock: vaultLockBounds(b.vaultLock, keeps),
        drRegion: regions.dr,
        ...(b.restoreTesting.enabled ? { restoreTimeTargetMinutes: c.objectives.rtoMinutes } : {}),
        selectionTag: backupSelectionTag(b.selectionTag, scope),
    };
}

/** Validation has accepted the schedule; a day is the fallback only for a pattern that never repeats. */
function intervalMinutes(expression: string): number {
    try {
        const gap = longestGapMinutes(parseSchedule(expression));
        return Number.isFinite(gap) ? gap : 1440;
    } catch (err) {
        if (err instanceof ScheduleError) return 1440;
        throw err;
    }
}
