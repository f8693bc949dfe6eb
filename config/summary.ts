import { effectiveVaultLockMode, vaultLockBounds } from "../components/aws/documents/awsBackup";
import { tierTimeline } from "../components/aws/documents/lifecycle";
import { drCredentials } from "./drCredentials";
import { effectiveServerName, effectiveVaultImmutability } from "./rules/azure";
import { pitrMeetsRpo } from "./rules/foundation";
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
        {
            control: "Regions",
            value: c.regions !== undefined
                ? `primary ${c.regions.primary}, DR ${c.regions.dr}${c.storage.replication ? " (dumps replicated)" : " (no replication)"}`
                : `Azure only: ${c.azure?.location ?? "no location"} (no AWS resource)`,
        },
    ];
    for (const tier of TIER_NAMES) {
        out.push({ control: `Retention ${tier}`, value: `${c.retention[tier].keepDays} days: ${tierTimeline(c.retention[tier])}` });
    }
    out.push({ control: "Promotion", value: `weekly: first dump of ${c.retention.weeklyOn}; monthly: first dump of day ${c.retention.monthlyOn} (UTC)` });
    const regions = c.regions;
    if (regions !== undefined) out.push(...awsGuarantees(c, regions));
    out.push(...azureGuarantees(c));
    out.push({ control: "Alerts", value: `${c.alerts.emails.length} email(s), ${c.alerts.webhookUrls.length} webhook(s), ${c.alerts.slack.length} Slack and ${c.alerts.teams.length} Teams channel(s)` });
    return out;
}

function awsGuarantees(c: StackConfig, regions: NonNullable<StackConfig["regions"]>): Guarantee[] {
    const out: Guarantee[] = [];
    const lock = c.storage.objectLock;
    out.push({
        control: "Immutability",
        value: lock?.mode !== undefined
            ? `Object Lock ${lock.mode}: each dump locked for its tier's keep days (${TIER_NAMES.map((t) => `${t} ${c.retention[t].keepDays}`).join(", ")}), other objects ${lock.days ?? 0} days; versioning on, noncurrent versions kept ${c.storage.noncurrentVersionExpireDays} days`
            : `versioning on, noncurrent versions kept ${c.storage.noncurrentVersionExpireDays} days; no Object Lock`,
    });
    out.push({ control: "Encryption", value: "SSE-KMS with a customer-managed key (rotation on), TLS-only bucket policy" });
    for (const db of c.aws.databases) {
        const pitr = db.instance === undefined
            ? "instance not managed by this stack"
            : db.instance.backupRetentionDays > 0
                ? `RDS point-in-time recovery ${db.instance.backupRetentionDays} days${db.instance.replicateBackupsToDr ? `, replicated to ${regions.dr}` : ""}`
                : "RDS automated backups OFF";
        out.push({ control: `Database ${db.name}`, value: `${pitr}; dumps${db.verify ? " restore-verified" : ""}${db.exportTables.length > 0 ? `; ${db.exportTables.length} table export(s)` : ""}` });
    }
    for (const credentials of drCredentials(c)) out.push({ control: `Credentials in DR ${credentials.database}`, value: credentials.statement });
    if (c.aws.backup.enabled && c.aws.databases.some((d) => d.instance !== undefined)) {
        const bounds = vaultLockBounds(c.aws.backup.vaultLock, c.retention);
        const mode = effectiveVaultLockMode(c.aws.backup.vaultLock.mode, c.environment);
        out.push({ control: "AWS Backup", value: `plan ${c.aws.backup.schedule}, vault lock ${mode} ${bounds.minRetentionDays}..${bounds.maxRetentionDays} days, copy to ${regions.dr}` });
    }
    return out;
}

function azureGuarantees(c: StackConfig): Guarantee[] {
    const out: Guarantee[] = [];
    for (const s of c.azure?.servers ?? []) {
        out.push({
            control: `Azure server ${s.name}`,
            value: `${effectiveServerName(c, s)}, backup retention ${s.backupRetentionDays} days, geo-redundant backup ${(s.geoRedundantBackup ?? c.isProd) ? "on" : "off"}, ` +
                `HA ${s.highAvailability}, ${networkPath(s.network)}`,
        });
    }
    if (c.azure?.storage !== undefined) {
        const st = c.azure.storage;
        const immutable = st.immutabilityDays !== undefined ? `, immutable ${st.immutabilityDays} days (${st.immutabilityLocked ? "policy locked" : "policy unlocked"})` : "";
        const perBlob = st.versionLevelImmutability
            ? `, each dump immutable for its tier's keep days (${TIER_NAMES.map((t) => `${t} ${c.retention[t].keepDays}`).join(", ")}; ${c.storage.objectLock?.mode === "COMPLIANCE" ? "locked" : "unlocked"} policies)`
            : "";
        const key = c.azure.keyVault !== undefined ? ", customer-managed key (Key Vault, purge protection, rotation)" : ", Microsoft-managed keys";
        out.push({ control: "Azure storage", value: `${st.redundancy}, soft delete ${st.softDeleteDays} days${immutable}${perBlob}${key}` });
    }
    const v = c.azure?.backupVault;
    if (v !== undefined) {
        out.push({
            control: "Azure Backup vault",
            value: `${v.redundancy}, immutability ${effectiveVaultImmutability(c, v)}, soft delete ${v.softDelete} ${v.softDeleteDays} days; weekly backups kept ${c.retention.weekly.keepDays} days, ` +
                `monthly ${c.retention.monthly.keepDays}${v.yearlyKeepDays !== undefined ? `, yearly ${v.yearlyKeepDays}` : ""}`,
        });
    }
    return out;
}

/** How clients reach an Azure server, in words. */
function networkPath(network: NonNullable<StackConfig["azure"]>["servers"][number]["network"]): string {
    if (network.delegatedSubnetId !== undefined) return "private access (VNet integration)";
    const rules = network.firewallRules.length;
    return rules > 0 ? `public access from ${rules} firewall rule(s)` : "no network path";
}
