import { effectiveVaultLockMode, vaultLockBounds } from "../components/aws/documents/awsBackup";
import { pitrMeetsRpo, tierTimeline } from "./rules/foundation";
import { TIER_NAMES } from "./schema";
import { formatMinutes, longestGapMinutes, parseSchedule } from "./schedule";
import type { StackConfig } from "./validate";

/** One guarantee of the stack, as `validate` prints it and the audit report lists it. */
export interface Guarantee {
    readonly control: string;
    readonly value: string;
}

/** What a valid stack promises, in words an auditor can check against the config. */
export function guarantees(c: StackConfig): Guarantee[] {
    const dumpGap = longestGapMinutes(parseSchedule(c.schedules.dump));
    const out: Guarantee[] = [
        { control: "Environment", value: `${c.environment}${c.protect ? " (deletion protection on)" : ""}` },
        {
            control: "RPO",
            value: `${formatMinutes(c.objectives.rpoMinutes)}; ${pitrMeetsRpo(c) ? "met by point-in-time recovery; " : ""}dumps ${c.schedules.dump}, at most ${formatMinutes(dumpGap)} apart`,
        },
        { control: "RTO", value: `${formatMinutes(c.objectives.rtoMinutes)}; restore time measured by every verification` },
        { control: "Regions", value: `primary ${c.regions.primary}, DR ${c.regions.dr}${c.storage.replication ? " (dumps replicated)" : " (no replication)"}` },
    ];
    for (const tier of TIER_NAMES) {
        out.push({ control: `Retention ${tier}`, value: `${c.retention[tier].keepDays} days: ${tierTimeline(c.retention[tier])}` });
    }
    out.push({ control: "Promotion", value: `weekly: first dump of ${c.retention.weeklyOn}; monthly: first dump of day ${c.retention.monthlyOn} (UTC)` });
    const lock = c.storage.objectLock;
    out.push({
        control: "Immutability",
        value: lock?.mode !== undefined ? `Object Lock ${lock.mode}, ${lock.days ?? 0} days; versioning on, noncurrent versions kept ${c.storage.noncurrentVersionExpireDays} days` : `versioning on, noncurrent versions kept ${c.storage.noncurrentVersionExpireDays} days; no Object Lock`,
    });
    out.push({ control: "Encryption", value: "SSE-KMS with a customer-managed key (rotation on), TLS-only bucket policy" });
    for (const db of c.aws.databases) {
        const pitr = db.instance === undefined
            ? "instance not managed by this stack"
            : db.instance.backupRetentionDays > 0
                ? `RDS point-in-time recovery ${db.instance.backupRetentionDays} days${db.instance.replicateBackupsToDr ? `, replicated to ${c.regions.dr}` : ""}`
                : "RDS automated backups OFF";
        out.push({ control: `Database ${db.name}`, value: `${pitr}; dumps${db.verify ? " restore-verified" : ""}${db.exportTables.length > 0 ? `; ${db.exportTables.length} table export(s)` : ""}` });
    }
    if (c.aws.backup.enabled && c.aws.databases.some((d) => d.instance !== undefined)) {
        const bounds = vaultLockBounds(c.aws.backup.vaultLock, c.retention);
        const mode = effectiveVaultLockMode(c.aws.backup.vaultLock.mode, c.environment);
        out.push({ control: "AWS Backup", value: `plan ${c.aws.backup.schedule}, vault lock ${mode} ${bounds.minRetentionDays}..${bounds.maxRetentionDays} days, copy to ${c.regions.dr}` });
    }
    for (const s of c.azure?.servers ?? []) {
        out.push({ control: `Azure server ${s.name}`, value: `backup retention ${s.backupRetentionDays} days, geo-redundant backup ${(s.geoRedundantBackup ?? c.isProd) ? "on" : "off"}, HA ${s.highAvailability}` });
    }
    if (c.azure?.storage !== undefined) {
        out.push({ control: "Azure storage", value: `${c.azure.storage.redundancy}, soft delete ${c.azure.storage.softDeleteDays} days${c.azure.storage.immutabilityDays !== undefined ? `, immutable ${c.azure.storage.immutabilityDays} days` : ""}` });
    }
    out.push({ control: "Alerts", value: `${c.alerts.emails.length} email(s), ${c.alerts.webhookUrls.length} webhook(s), ${c.alerts.slack.length} Slack and ${c.alerts.teams.length} Teams channel(s)` });
    return out;
}
