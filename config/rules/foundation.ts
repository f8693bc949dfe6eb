import { Finding, Rule, error, warning } from "../findings";
import { AWS_REGIONS } from "../regions";
import { ParsedConfig, TIER_NAMES, TierConfig } from "../schema";
import { ScheduleError, formatMinutes, longestGapMinutes, parseSchedule } from "../schedule";
import { tierProblems } from "../../components/aws/documents/lifecycle";
import { dailyOverlapsWeekly, parseDailyWindow, parseWeeklyWindow } from "../windows";

export const regionsKnownAndDistinct: Rule = (c) => {
    const regions = c.regions;
    if (regions === undefined) return [];
    const out: Finding[] = [];
    for (const key of ["primary", "dr"] as const) {
        if (!AWS_REGIONS.includes(regions[key])) {
            out.push(error(`regions.${key}`, regions[key], `is not a known AWS region (e.g. ${AWS_REGIONS.slice(0, 4).join(", ")}, ...)`));
        }
    }
    if (regions.dr === regions.primary) {
        out.push(error("regions.dr", regions.dr, "must differ from regions.primary: a DR copy in the same region does not survive a regional outage"));
    }
    return out;
};

/**
 * S3 lifecycle ordering per tier, as the backup bucket checks it (`tierProblems`): its errors,
 * and expiry before the minimum storage duration of the last class unless `allowEarlyDeletion`.
 */
export const lifecycleOrdering: Rule = (c) => TIER_NAMES.flatMap((tier) => tierLifecycleFindings(tier, c.retention[tier]));

export function tierLifecycleFindings(tier: string, t: TierConfig): Finding[] {
    const base = `retention.${tier}`;
    return tierProblems(t).flatMap((p) => {
        if (p.kind === "error") return [error(`${base}.${p.field}`, p.value, p.message)];
        return t.allowEarlyDeletion ? [] : [error(`${base}.${p.field}`, p.value, `${p.message}; or set ${base}.allowEarlyDeletion: true to accept the charge`)];
    });
}

/** Longer tiers should outlive shorter ones, or they add nothing. */
export const tiersGrowLonger: Rule = (c) => {
    const out: Finding[] = [];
    const { daily, weekly, monthly } = c.retention;
    if (weekly.keepDays <= daily.keepDays) {
        out.push(warning("retention.weekly.keepDays", weekly.keepDays, `is not longer than retention.daily.keepDays (${daily.keepDays}): weekly backups add no history`));
    }
    if (monthly.keepDays <= weekly.keepDays) {
        out.push(warning("retention.monthly.keepDays", monthly.keepDays, `is not longer than retention.weekly.keepDays (${weekly.keepDays}): monthly backups add no history`));
    }
    return out;
};

/** Production keeps at least a week of automated RDS backups (and so of point-in-time recovery). */
export const prodRdsRetention: Rule = (c) => {
    if (c.environment !== "prod") return [];
    return c.aws.databases.flatMap((db, i) =>
        db.instance !== undefined && db.instance.backupRetentionDays < 7
            ? [error(`aws.databases[${i}].instance.backupRetentionDays`, db.instance.backupRetentionDays, "must be at least 7 in prod (allowed 7..35): a week of point-in-time recovery is the production minimum")]
            : [],
    );
};

/** RDS windows: parseable, at least 30 minutes, and the backup window clear of the maintenance window. */
export const rdsWindows: Rule = (c) =>
    c.aws.databases.flatMap((db, i) => {
        if (db.instance === undefined) return [];
        const base = `aws.databases[${i}].instance`;
        const out: Finding[] = [];
        const backup = parseDailyWindow(db.instance.backupWindow);
        const maintenance = parseWeeklyWindow(db.instance.maintenanceWindow);
        if (typeof backup === "string") out.push(error(`${base}.backupWindow`, db.instance.backupWindow, backup));
        else if (backup.lengthMinutes < 30) out.push(error(`${base}.backupWindow`, db.instance.backupWindow, `is ${backup.lengthMinutes} minutes long; RDS needs at least 30`));
        if (typeof maintenance === "string") out.push(error(`${base}.maintenanceWindow`, db.instance.maintenanceWindow, maintenance));
        else if (maintenance.lengthMinutes < 30) out.push(error(`${base}.maintenanceWindow`, db.instance.maintenanceWindow, `is ${maintenance.lengthMinutes} minutes long; RDS needs at least 30`));
        if (typeof backup !== "string" && typeof maintenance !== "string" && dailyOverlapsWeekly(backup, maintenance)) {
            out.push(error(`${base}.backupWindow`, db.instance.backupWindow, `overlaps the maintenance window ${db.instance.maintenanceWindow}; RDS requires them apart`));
        }
        return out;
    });

/** Both RDS and Flexible Server ship transaction logs every 5 minutes: their PITR meets an RPO of 5 or more. */
export const PITR_RPO_MINUTES = 5;

/**
 * Whether point-in-time recovery alone meets the RPO: every AWS database is a managed instance
 * with automated backups on, or (for databases the stack does not manage) Azure Flexible Servers
 * with their always-on PITR are configured.
 */
export function pitrMeetsRpo(c: ParsedConfig): boolean {
    const azureServers = c.azure?.servers.length ?? 0;
    if (c.objectives.rpoMinutes < PITR_RPO_MINUTES || c.aws.databases.length + azureServers === 0) return false;
    return c.aws.databases.every((db) => (db.instance !== undefined ? db.instance.backupRetentionDays > 0 : azureServers > 0));
}

/** Every schedule parses; the dump runs at least as often as the RPO unless point-in-time recovery covers it. */
export const schedules: Rule = (c) => {
    const out: Finding[] = [];
    const entries: [string, string | undefined][] = [["dump", c.schedules.dump], ["export", c.schedules.export], ["verify", c.schedules.verify]];
    for (const [name, expression] of entries) {
        if (expression === undefined) continue;
        let parsed;
        try {
            parsed = parseSchedule(expression);
        } catch (err) {
            if (!(err instanceof ScheduleError)) throw err;
            out.push(error(`schedules.${name}`, expression, err.message));
            continue;
        }
        if (name === "dump" && !pitrMeetsRpo(c)) {
            const gap = longestGapMinutes(parsed);
            if (gap > c.objectives.rpoMinutes) {
                out.push(error("schedules.dump", expression,
                    `leaves up to ${formatMinutes(gap)} between dumps, longer than objectives.rpoMinutes (${c.objectives.rpoMinutes} = ${formatMinutes(c.objectives.rpoMinutes)}); run it at least every ${formatMinutes(c.objectives.rpoMinutes)}, or let point-in-time recovery carry the RPO (automated backups on for every database, RPO of at least ${PITR_RPO_MINUTES} minutes)`));
            }
        }
    }
    return out;
};

/**
 * Object Lock: mode and days come together; COMPLIANCE retention cannot outlast the objects it
 * protects (nobody could delete them on time, not even the root user).
 */
export const objectLock: Rule = (c) => {
    const lock = c.storage.objectLock;
    const out: Finding[] = [];
    if (lock === undefined) {
        return c.environment === "prod"
            ? [warning("storage.objectLock", undefined, "is not set in prod: backups can be deleted by anyone with s3:DeleteObjectVersion; set mode and days")]
            : [];
    }
    if ((lock.mode === undefined) !== (lock.days === undefined)) {
        const missing = lock.mode === undefined ? "mode" : "days";
        out.push(error(`storage.objectLock.${missing}`, undefined, "is required when Object Lock is configured: give both mode (GOVERNANCE or COMPLIANCE) and days"));
        return out;
    }
    if (lock.days === undefined) return out;
    const shortest = Math.min(...TIER_NAMES.map((t) => c.retention[t].keepDays));
    const shortestTier = TIER_NAMES.find((t) => c.retention[t].keepDays === shortest) ?? "daily";
    if (lock.days > shortest) {
        const msg = `is longer than retention.${shortestTier}.keepDays (${shortest}): locked objects would outlive their expiry`;
        out.push(lock.mode === "COMPLIANCE"
            ? error("storage.objectLock.days", lock.days, `${msg}, and COMPLIANCE cannot be shortened; use at most ${shortest}`)
            : warning("storage.objectLock.days", lock.days, `${msg}; expiry will wait for the GOVERNANCE lock to end`));
    }
    return out;
};

/** Production guards: nothing that lets a destroy or a typo remove backups. */
export const prodGuards: Rule = (c) => {
    if (c.environment !== "prod") return [];
    const out: Finding[] = [];
    if (c.storage.forceDestroy) out.push(error("storage.forceDestroy", true, "must be false in prod: it lets `pulumi destroy` delete buckets full of backups"));
    if (c.protect === false) out.push(warning("protect", false, "turns off deletion protection of stateful resources in prod"));
    if (!c.storage.replication) out.push(warning("storage.replication", false, "is off in prod: backups live in one region only"));
    return out;
};

/** The functions that dump, export and verify run in the databases' VPC: without it nothing would take a backup. */
export const functionsHaveNetwork: Rule = (c) =>
    c.aws.databases.length > 0 && c.aws.network === undefined
        ? [error("aws.network", undefined, "is required when aws.databases is not empty: the dump, export and verify functions run in the VPC given here (vpcId, subnetIds)")]
        : [];

export const rules: readonly Rule[] = [
    functionsHaveNetwork,
    regionsKnownAndDistinct,
    lifecycleOrdering,
    tiersGrowLonger,
    prodRdsRetention,
    rdsWindows,
    schedules,
    objectLock,
    prodGuards,
];

