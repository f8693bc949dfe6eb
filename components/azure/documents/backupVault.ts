/**
 * Azure Backup (Data Protection) for Flexible Server: the Backup vault's settings and the
 * backup policy built from the stack's retention tiers. Pure functions of plain values, shared by
 * the configuration rules and the component.
 *
 * What Azure offers for this datasource (Az.DataProtection manifest AzureDatabaseForPGFlexServer.json,
 * policySettings; "Azure Database for PostgreSQL flexible server backup overview",
 * https://learn.microsoft.com/azure/backup/backup-azure-database-postgresql-flex-overview): whole-server
 * logical backups into the vault store only (`VaultStore`), scheduled weekly or daily, with
 * retention tags Weekly, Monthly and Yearly, kept up to 10 years.
 */

/** The datasource type of a Flexible Server in Azure Backup. */
export const FLEXIBLE_SERVER_DATASOURCE = "Microsoft.DBforPostgreSQL/flexibleServers";

/** Longest retention Azure Backup keeps a Flexible Server backup: 10 years, in days. */
export const MAX_VAULT_RETENTION_DAYS = 3650;

/** Shortest default retention this project accepts: a weekly backup kept less than a week leaves weeks with none. */
export const MIN_WEEKLY_RETENTION_DAYS = 7;

/**
 * Days a soft-deleted backup stays recoverable ("Secure by default with soft delete for Azure
 * Backup", https://learn.microsoft.com/azure/backup/secure-by-default: 14..180 days).
 */
export const VAULT_SOFT_DELETE_RANGE = { min: 14, max: 180 } as const;

export const VAULT_REDUNDANCIES = ["LocallyRedundant", "ZoneRedundant", "GeoRedundant"] as const;
export type VaultRedundancy = (typeof VAULT_REDUNDANCIES)[number];

/**
 * Immutable vault states ("Immutable vault for Azure Backup",
 * https://learn.microsoft.com/azure/backup/backup-azure-immutable-vault-concept): `Unlocked` refuses
 * operations that would lose recovery points but can be turned off; `Locked` cannot be undone.
 */
export const VAULT_IMMUTABILITY_STATES = ["Disabled", "Unlocked", "Locked"] as const;
export type VaultImmutability = (typeof VAULT_IMMUTABILITY_STATES)[number];

/** Soft delete: `AlwaysOn` cannot be turned off again; `On` can. */
export const VAULT_SOFT_DELETE_STATES = ["Off", "On", "AlwaysOn"] as const;
export type VaultSoftDelete = (typeof VAULT_SOFT_DELETE_STATES)[number];

export interface VaultSettings {
    readonly redundancy: VaultRedundancy;
    readonly immutability: VaultImmutability;
    readonly softDelete: VaultSoftDelete;
    readonly softDeleteDays: number;
}

/** The `properties` of a Backup vault; cross-region restore only where the vault is geo-redundant. */
export function backupVaultProperties(s: VaultSettings): {
    readonly storageSettings: { readonly datastoreType: "VaultStore"; readonly type: VaultRedundancy }[];
    readonly securitySettings: {
        readonly immutabilitySettings: { readonly state: VaultImmutability };
        readonly softDeleteSettings: { readonly state: VaultSoftDelete; readonly retentionDurationInDays: number };
    };
    readonly featureSettings: { readonly crossRegionRestoreSettings: { readonly state: "Enabled" | "Disabled" } };
    readonly monitoringSettings: { readonly azureMonitorAlertSettings: { readonly alertsForAllJobFailures: "Enabled" } };
} {
    const { min, max } = VAULT_SOFT_DELETE_RANGE;
    if (!Number.isInteger(s.softDeleteDays) || s.softDeleteDays < min || s.softDeleteDays > max) {
        throw new RangeError(`softDeleteDays: ${s.softDeleteDays} is out of range ${min}..${max}`);
    }
    return {
        storageSettings: [{ datastoreType: "VaultStore", type: s.redundancy }],
        securitySettings: {
            immutabilitySettings: { state: s.immutability },
            softDeleteSettings: { state: s.softDelete, retentionDurationInDays: s.softDeleteDays },
        },
        // Cross-region restore reads the paired region's copy, which only a GRS vault keeps
        // ("Cross Region Restore for PostgreSQL flexible server", Backup vault settings).
        featureSettings: { crossRegionRestoreSettings: { state: s.redundancy === "GeoRedundant" ? "Enabled" : "Disabled" } },
        // A failed backup job raises an Azure Monitor alert (built-in alerts of Backup vaults).
        monitoringSettings: { azureMonitorAlertSettings: { alertsForAllJobFailures: "Enabled" } },
    };
}

/** Retention of the vaulted backups, days: every weekly backup, then the first of each month and of each year longer. */
export interface VaultRetention {
    /** Every backup (one a week). */
    readonly weeklyKeepDays: number;
    /** The first backup of each month; omitted: no monthly rule. */
    readonly monthlyKeepDays?: number;
    /** The first backup of each year; omitted: no yearly rule. */
    readonly yearlyKeepDays?: number;
}
export type VaultRetentionKey = keyof VaultRetention;

/** Why a retention is refused, naming its field: out of 7..3650 days, or a longer tag not longer than the one before. */
export function vaultRetentionProblems(r: VaultRetention): { readonly key: VaultRetentionKey; readonly value: number; readonly message: string }[] {
    const out: { key: VaultRetentionKey; value: number; message: string }[] = [];
    let previous: { key: VaultRetentionKey; value: number } | undefined;
    for (const key of ["weeklyKeepDays", "monthlyKeepDays", "yearlyKeepDays"] as const) {
        const value = r[key];
        if (value === undefined) continue;
        if (!Number.isInteger(value) || value < MIN_WEEKLY_RETENTION_DAYS || value > MAX_VAULT_RETENTION_DAYS) {
            out.push({ key, value, message: `is out of range ${MIN_WEEKLY_RETENTION_DAYS}..${MAX_VAULT_RETENTION_DAYS} (Azure Backup keeps Flexible Server backups up to 10 years)` });
        } else if (previous !== undefined && value <= previous.value) {
            out.push({ key, value, message: `must be longer than ${previous.key} (${previous.value}): a tag only extends the retention of the backups it selects` });
        }
        previous = { key, value };
    }
    return out;
}

const WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/**
 * The start of the weekly schedule: the first `weekday` of January 2025 at `time` UTC, a fixed
 * anchor so the policy does not change between runs (Azure repeats it every P1W from there).
 */
export function weeklyScheduleStart(weekday: Weekday, time: string): string {
    if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(time)) throw new RangeError(`time: "${time}" must be hh:mm (UTC)`);
    // 2025-01-05 is a Sunday.
    const day = 5 + WEEKDAYS.indexOf(weekday);
    return `2025-01-${String(day).padStart(2, "0")}T${time}:00+00:00`;
}

const VAULT_STORE = { dataStoreType: "VaultStore", objectType: "DataStoreInfoBase" } as const;

interface RetentionRule {
    readonly name: "Default" | "Monthly" | "Yearly";
    readonly objectType: "AzureRetentionRule";
    readonly isDefault: boolean;
    readonly lifecycles: {
        readonly deleteAfter: { readonly objectType: "AbsoluteDeleteOption"; readonly duration: string };
        readonly sourceDataStore: typeof VAULT_STORE;
        readonly targetDataStoreCopySettings: never[];
    }[];
}
interface TaggingCriterion {
    readonly tagInfo: { readonly tagName: "Default" | "Monthly" | "Yearly" };
    readonly taggingPriority: number;
    readonly isDefault: boolean;
    readonly criteria?: { readonly objectType: "ScheduleBasedBackupCriteria"; readonly absoluteCriteria: ("FirstOfMonth" | "FirstOfYear")[] }[];
}
interface BackupRule {
    readonly name: "BackupWeekly";
    readonly objectType: "AzureBackupRule";
    readonly backupParameters: { readonly objectType: "AzureBackupParams"; readonly backupType: "Full" };
    readonly dataStore: typeof VAULT_STORE;
    readonly trigger: {
        readonly objectType: "ScheduleBasedTriggerContext";
        readonly schedule: { readonly repeatingTimeIntervals: string[]; readonly timeZone: "UTC" };
        readonly taggingCriteria: TaggingCriterion[];
    };
}

/** The backup policy document of a Flexible Server: one full backup a week into the vault store, kept per {@link VaultRetention}. */
export function flexibleServerBackupPolicy(retention: VaultRetention, scheduleStart: string): {
    readonly objectType: "BackupPolicy";
    readonly datasourceTypes: string[];
    readonly policyRules: (BackupRule | RetentionRule)[];
} {
    const problems = vaultRetentionProblems(retention);
    if (problems.length > 0) throw new RangeError(problems.map((p) => `${p.key}: ${p.value} ${p.message}`).join("; "));
    const retentionRule = (name: RetentionRule["name"], days: number): RetentionRule => ({
        name,
        objectType: "AzureRetentionRule",
        isDefault: name === "Default",
        lifecycles: [{ deleteAfter: { objectType: "AbsoluteDeleteOption", duration: `P${days}D` }, sourceDataStore: VAULT_STORE, targetDataStoreCopySettings: [] }],
    });
    // Priorities as Azure's own policies number them: the lowest wins when a backup matches several tags.
    const tags: TaggingCriterion[] = [
        ...(retention.yearlyKeepDays !== undefined ? [{ tagInfo: { tagName: "Yearly" as const }, taggingPriority: 10, isDefault: false, criteria: [{ objectType: "ScheduleBasedBackupCriteria" as const, absoluteCriteria: ["FirstOfYear" as const] }] }] : []),
        ...(retention.monthlyKeepDays !== undefined ? [{ tagInfo: { tagName: "Monthly" as const }, taggingPriority: 15, isDefault: false, criteria: [{ objectType: "ScheduleBasedBackupCriteria" as const, absoluteCriteria: ["FirstOfMonth" as const] }] }] : []),
        { tagInfo: { tagName: "Default" }, taggingPriority: 99, isDefault: true },
    ];
    return {
        objectType: "BackupPolicy",
        datasourceTypes: [FLEXIBLE_SERVER_DATASOURCE],
        policyRules: [
            {
                name: "BackupWeekly",
                objectType: "AzureBackupRule",
                backupParameters: { objectType: "AzureBackupParams", backupType: "Full" },
                dataStore: VAULT_STORE,
                trigger: {
                    objectType: "ScheduleBasedTriggerContext",
                    schedule: { repeatingTimeIntervals: [`R/${scheduleStart}/P1W`], timeZone: "UTC" },
                    taggingCriteria: tags,
                },
            },
            retentionRule("Default", retention.weeklyKeepDays),
            ...(retention.monthlyKeepDays !== undefined ? [retentionRule("Monthly", retention.monthlyKeepDays)] : []),
            ...(retention.yearlyKeepDays !== undefined ? [retentionRule("Yearly", retention.yearlyKeepDays)] : []),
        ],
    };
}
