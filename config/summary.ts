import { effectiveVaultLockMode, vaultLockBounds } from "../components/aws/documents/awsBackup";
import { tierTimeline } from "../components/aws/documents/lifecycle";
import { blobTierTimeline } from "../components/azure/documents/lifecycle";
import { cronLongestGapMinutes } from "../components/azure/documents/jobs";
import { drCredentials } from "./drCredentials";
import { effectiveServerName, effectiveVaultImmutability, tierBlobLifecycles } from "./rules/azure";
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
    const azureDump = c.regions === undefined ? c.azure?.runner?.schedules.dump : undefined;
    const dumpGap = azureDump !== undefined ? cronLongestGapMinutes(azureDump) : longestGapMinutes(parseSchedule(c.schedules.dump));
    const out: Guarantee[] = [
        { control: "Environment", value: `${c.environment}${c.protect ? " (deletion protection on)" : ""}` },
        {
            control: "RPO",
            value: `${formatMinutes(c.objectives.rpoMinutes)}; ${pitrMeetsRpo(c) ? "met by point-in-time recovery; " : ""}dumps ${azureDump !== undefined ? `"${azureDump}" (UTC, Container Apps jobs)` : c.schedules.dump}, at most ${formatMinutes(dumpGap)} apart`,
        },
        { control: "RTO", value: `${formatMinutes(c.objectives.rtoMinutes)}; restore time measured by every verification` },
        {
            control: "Regions",
            value: c.regions !== undefined
                ? `primary ${c.regions.primary}, DR ${c.regions.dr}${c.storage.replication ? " (dumps replicated)" : " (no replication)"}`
                : `Azure only: ${c.azure?.location ?? "no location"} (no AWS resource)`,
        },
    ];
    out.push(...retentionGuarantees(c));
    out.push({ control: "Promotion", value: `weekly: first dump of ${c.retention.weeklyOn}; monthly: first dump of day ${c.retention.monthlyOn} (UTC)` });
    const regions = c.regions;
    if (regions !== undefined) out.push(...awsGuarantees(c, regions));
    out.push(...azureGuarantees(c));
    out.push({ control: "Alerts", value: `${c.alerts.emails.length} email(s), ${c.alerts.webhookUrls.length} webhook(s), ${c.alerts.slack.length} Slack and ${c.alerts.teams.length} Teams channel(s)` });
    return out;
}

/**
 * One line per retention tier: the S3 storage classes when the dumps are in S3 (a stack with
 * `regions`), else the Blob access tiers of `azure.storage.tierLifecycle` and each dump's lock.
 */
function retentionGuarantees(c: StackConfig): Guarantee[] {
    const blobTiers = c.regions === undefined ? tierBlobLifecycles(c) : undefined;
    return TIER_NAMES.map((tier) => {
        const t = blobTiers?.[tier];
        const words = t === undefined ? tierTimeline(c.retention[tier]) : `${blobTierTimeline(t)}${blobLockWords(c, tier)}`;
        return { control: `Retention ${tier}`, value: `${c.retention[tier].keepDays} days: ${words}` };
    });
}

/** The per-blob lock of a tier's dumps (version-level immutability), or nothing. */
function blobLockWords(c: StackConfig, tier: (typeof TIER_NAMES)[number]): string {
    if (c.azure?.storage?.versionLevelImmutability !== true) return "; no per-blob lock";
    // A locked time-based retention policy can be extended but not shortened or deleted, and the
    // blob version cannot be deleted until it expires ("Store business-critical blob data with
    // immutable storage", https://learn.microsoft.com/azure/storage/blobs/immutable-time-based-retention-policy-overview).
    const policy = c.storage.objectLock?.mode === "COMPLIANCE" ? "locked policy: it cannot be shortened or removed" : "unlocked policy";
    return `; each dump immutable for ${c.retention[tier].keepDays} days (${policy})`;
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
    const runner = c.azure?.runner;
    if (runner !== undefined) out.push({ control: "Azure runner", value: runnerWords(c, runner) });
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

type RunnerConfig = NonNullable<NonNullable<StackConfig["azure"]>["runner"]>;

/**
 * What the Azure runner runs and where: the Container Apps jobs per server with their schedules,
 * the identity, registry and logs they use, and the alerts on failed or missing runs (the same
 * choices as program/azure.ts and ContainerJobs: export jobs only for targets with tables and an
 * export schedule; "missing" alerts for dump and verify).
 */
function runnerWords(c: StackConfig, runner: RunnerConfig): string {
    const exportSchedule = runner.schedules.export;
    const targets = runner.targets.map((t) => {
        const kinds = ["dump", ...(t.exportTables.length > 0 && exportSchedule !== undefined ? ["export"] : []), "verify"];
        const login = t.keyVaultLogin !== undefined ? `login from Key Vault secret ${t.keyVaultLogin}` : `Entra role ${t.entraUser ?? ""}`;
        return `${kinds.join(", ")} of ${t.server}/${t.databaseName} (${login})`;
    });
    const schedules = [
        `dump ${cronWords(runner.schedules.dump)}`,
        ...(exportSchedule !== undefined ? [`export ${cronWords(exportSchedule)}`] : []),
        `verify ${cronWords(runner.schedules.verify)}`,
    ];
    const vault = c.azure?.keyVault !== undefined ? "the stack's Key Vault" : runner.keyVaultId !== undefined ? "azure.runner.keyVaultId" : "no Key Vault";
    const subnet = runner.network.infrastructureSubnetId !== undefined
        ? `in subnet ${runner.network.infrastructureSubnetId.split("/").pop() ?? ""}${runner.network.egressIpAddresses.length > 0 ? ` leaving from ${runner.network.egressIpAddresses.join(", ")}` : ""}`
        : "without a subnet (Azure-chosen egress addresses)";
    return `Container Apps jobs in ${c.azure?.location ?? "no location"}, ${subnet}: ${targets.join("; ")}; ${schedules.join(", ")}; ` +
        `one user-assigned managed identity (AcrPull, blob writer on the backup container, secrets from ${vault}); image in the stack's container registry; ` +
        `logs kept ${runner.logRetentionDays} days in Log Analytics; alerts on a failed run or execution and when no successful dump or verify in ${runner.maxBackupAgeHours} hours`;
}

/** A five-field cron schedule in words: `daily at 02:00 UTC`, else the expression and its longest gap. */
function cronWords(expression: string): string {
    const daily = /^(\d+) (\d+) \* \* \*$/.exec(expression.trim());
    if (daily !== null) return `daily at ${daily[2]!.padStart(2, "0")}:${daily[1]!.padStart(2, "0")} UTC`;
    return `"${expression}" UTC, at most ${formatMinutes(cronLongestGapMinutes(expression))} apart`;
}

/** How clients reach an Azure server, in words. */
function networkPath(network: NonNullable<StackConfig["azure"]>["servers"][number]["network"]): string {
    if (network.delegatedSubnetId !== undefined) return "private access (VNet integration)";
    const rules = network.firewallRules.length;
    return rules > 0 ? `public access from ${rules} firewall rule(s)` : "no network path";
}
