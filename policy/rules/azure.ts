import { DEFAULTS, record, type ResourceRule, show, TYPES } from "./common";

/** The rules of Azure resources: Flexible Server backups, storage accounts, Key Vault and the Backup vault. */

/** Flexible Server backups kept at least `minDays` days; unset is the service default of 7. */
export function azurePostgresBackupRetention(minDays: number = DEFAULTS.minAzureRetentionDays): ResourceRule {
    return (type, props) => {
        if (type !== TYPES.azurePostgresServer) return [];
        const value = record(props["backup"])["backupRetentionDays"];
        const days = value === undefined ? 7 : value;
        return typeof days === "number" && days >= minDays
            ? []
            : [`backup.backupRetentionDays: ${show(value)}${value === undefined ? " (the service default, 7)" : ""} must be at least ${minDays}`];
    };
}

/** Flexible Server backups copied to the paired region (unset is the service default, Disabled). */
export const azurePostgresGeoRedundantBackup: ResourceRule = (type, props) => {
    if (type !== TYPES.azurePostgresServer) return [];
    const value = record(props["backup"])["geoRedundantBackup"];
    return value === "Enabled" ? [] : [`backup.geoRedundantBackup: ${show(value)} must be "Enabled" (set when the server is created; changing it replaces the server)`];
};

/** TLS 1.2 or newer (unset is the service's TLS 1.0). */
export const storageAccountMinimumTls: ResourceRule = (type, props) => {
    if (type !== TYPES.azureStorageAccount) return [];
    const value = props["minimumTlsVersion"];
    return value === "TLS1_2" || value === "TLS1_3" ? [] : [`minimumTlsVersion: ${show(value)} must be "TLS1_2" (or "TLS1_3")`];
};

/** No anonymous blob access; unset is accepted (the service default is false). */
export const storageAccountNoPublicBlobs: ResourceRule = (type, props) => {
    if (type !== TYPES.azureStorageAccount) return [];
    const value = props["allowBlobPublicAccess"];
    return value === undefined || value === false ? [] : [`allowBlobPublicAccess: ${show(value)} must be false`];
};

/** HTTPS only; unset is accepted (the service default is true). */
export const storageAccountHttpsOnly: ResourceRule = (type, props) => {
    if (type !== TYPES.azureStorageAccount) return [];
    const value = props["enableHttpsTrafficOnly"];
    return value === undefined || value === true ? [] : [`enableHttpsTrafficOnly: ${show(value)} must be true`];
};

/**
 * A Data Protection backup vault keeps its recovery points immutable: immutability `Locked` when
 * `locked` (irreversible), else `Unlocked` or `Locked`; soft delete not `Off` (Azure Backup,
 * "Immutable vault for Azure Backup").
 */
export function azureBackupVaultImmutable(locked: boolean): ResourceRule {
    return (type, props) => {
        if (type !== TYPES.azureBackupVault) return [];
        const security = record(record(props["properties"])["securitySettings"]);
        const state = record(security["immutabilitySettings"])["state"];
        const allowed = locked ? ["Locked"] : ["Unlocked", "Locked"];
        const out = allowed.includes(state as string) ? [] : [`properties.securitySettings.immutabilitySettings.state: ${show(state)} must be ${allowed.map((a) => `"${a}"`).join(" or ")}`];
        const softDelete = record(security["softDeleteSettings"])["state"];
        if (softDelete === "Off") out.push(`properties.securitySettings.softDeleteSettings.state: "Off" must be "On" or "AlwaysOn"`);
        return out;
    };
}

/**
 * A Key Vault that can hold backup keys: purge protection and soft delete (Azure Storage refuses a
 * customer-managed key in a vault without them, "Customer-managed keys for Azure Storage
 * encryption"), and RBAC authorization rather than access policies (Azure Policy
 * 0b60c0b2-2dc2-4e1c-b5c9-abbed971de53 and 12d4fa5e-1f9f-4c21-97a9-b99b3c6611b5).
 */
export const azureKeyVaultProtected: ResourceRule = (type, props) => {
    if (type !== TYPES.azureKeyVault) return [];
    const p = record(props["properties"]);
    return [
        ...(p["enablePurgeProtection"] === true ? [] : [`properties.enablePurgeProtection: ${show(p["enablePurgeProtection"])} must be true (once on, it cannot be turned off)`]),
        ...(p["enableSoftDelete"] === false ? ["properties.enableSoftDelete: false must be true (or unset)"] : []),
        ...(p["enableRbacAuthorization"] === true ? [] : [`properties.enableRbacAuthorization: ${show(p["enableRbacAuthorization"])} must be true`]),
    ];
};

/** The account is encrypted with a customer-managed key from Key Vault (Azure Policy 6fac406b-40ca-413b-bf8e-0bf964659c25). */
export const azureStorageCustomerManagedKey: ResourceRule = (type, props) => {
    if (type !== TYPES.azureStorageAccount) return [];
    const source = record(props["encryption"])["keySource"];
    return source === "Microsoft.Keyvault" ? [] : [`encryption.keySource: ${show(source)} must be "Microsoft.Keyvault" (a customer-managed key)`];
};

/** A backup container carries version-level immutability, so each blob keeps its own retention. */
export function azureBackupContainerImmutable(backupContainers: readonly string[]): ResourceRule {
    return (type, props) => {
        if (type !== TYPES.azureBlobContainer || !backupContainers.includes(props["containerName"] as string)) return [];
        const enabled = record(props["immutableStorageWithVersioning"])["enabled"];
        return enabled === true ? [] : [`immutableStorageWithVersioning.enabled: ${show(enabled)} must be true on backup container ${show(props["containerName"])}`];
    };
}

/** Days of an ISO 8601 duration of whole days, weeks, months or years (months 30, years 365 days: the shorter reading). */
function durationDays(duration: unknown): number | undefined {
    const m = typeof duration === "string" ? /^P(\d+)([DWMY])$/.exec(duration) : null;
    if (m === null) return undefined;
    return Number(m[1]) * { D: 1, W: 7, M: 30, Y: 365 }[m[2] as "D" | "W" | "M" | "Y"];
}

/** Every retention rule of a Data Protection backup policy keeps recovery points at least `minDays` days. */
export function azureBackupPolicyRetention(minDays: number = DEFAULTS.minVaultRetentionDays): ResourceRule {
    return (type, props) => {
        if (type !== TYPES.azureBackupPolicy) return [];
        const rules = record(props["properties"])["policyRules"];
        return (Array.isArray(rules) ? rules : []).flatMap((rule: unknown, i) => {
            const r = record(rule);
            if (r["objectType"] !== "AzureRetentionRule") return [];
            const lifecycles = r["lifecycles"];
            return (Array.isArray(lifecycles) ? lifecycles : []).flatMap((lc: unknown, j) => {
                const duration = record(record(lc)["deleteAfter"])["duration"];
                const days = durationDays(duration);
                return days !== undefined && days >= minDays ? [] : [`properties.policyRules[${i}].lifecycles[${j}].deleteAfter.duration: ${show(duration)} must be at least ${minDays} days (P${minDays}D)`];
            });
        });
    };
}
