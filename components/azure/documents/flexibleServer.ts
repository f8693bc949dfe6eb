/**
 * The backup-relevant blocks of a PostgreSQL Flexible Server, as pure functions of plain values,
 * shared by the component and the configuration rules.
 */

/**
 * Major versions a new server may run: the azure-native `PostgresMajorVersion` enum (API
 * 2025-08-01) from 13 on, 18 included.
 */
export const POSTGRES_VERSIONS = ["13", "14", "15", "16", "17", "18"] as const;
export type PostgresVersion = (typeof POSTGRES_VERSIONS)[number];

export const SKU_TIERS = ["Burstable", "GeneralPurpose", "MemoryOptimized"] as const;
export type SkuTier = (typeof SKU_TIERS)[number];

export const HIGH_AVAILABILITY_MODES = ["Disabled", "SameZone", "ZoneRedundant"] as const;
export type HighAvailabilityMode = (typeof HIGH_AVAILABILITY_MODES)[number];

/** Backup retention Azure accepts for Flexible Server, days. */
export const BACKUP_RETENTION_RANGE = { min: 7, max: 35 } as const;

/**
 * Disk sizes a Premium SSD server can have, GiB; Azure refuses any other size.
 * Source: "Compute and storage options in Azure Database for PostgreSQL - Flexible Server",
 * storage table, https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-compute-storage
 * (consulted 2026-11-30).
 */
export const PREMIUM_SSD_SIZES_GB: readonly number[] = [32, 64, 128, 256, 512, 1024, 2048, 4095, 4096, 8192, 16384, 32767];

/** Why a storage size is refused, or undefined when Premium SSD offers it. */
export function storageSizeProblem(sizeGb: number): string | undefined {
    return PREMIUM_SSD_SIZES_GB.includes(sizeGb)
        ? undefined
        : `is not a Premium SSD size; allowed: ${PREMIUM_SSD_SIZES_GB.join(", ")} (GiB)`;
}

/** Login names Azure reserves; the server refuses them as administrator login. */
export const RESERVED_ADMIN_LOGINS: readonly string[] = [
    "azure_superuser", "azure_pg_admin", "admin", "administrator", "root", "guest", "public",
];

/**
 * Whether a server gets geo-redundant backups when the configuration does not say: yes for
 * production, where losing the region must not lose the backups; no elsewhere, to save cost.
 */
export function defaultGeoRedundantBackup(production: boolean): boolean {
    return production;
}

/** The server's `backup` block. */
export interface ServerBackupBlock {
    readonly backupRetentionDays: number;
    readonly geoRedundantBackup: "Enabled" | "Disabled";
}

export function serverBackupBlock(retentionDays: number, geoRedundant: boolean): ServerBackupBlock {
    if (!Number.isInteger(retentionDays) || retentionDays < BACKUP_RETENTION_RANGE.min || retentionDays > BACKUP_RETENTION_RANGE.max) {
        throw new RangeError(
            `backupRetentionDays: ${retentionDays} is out of range ${BACKUP_RETENTION_RANGE.min}..${BACKUP_RETENTION_RANGE.max}`,
        );
    }
    return { backupRetentionDays: retentionDays, geoRedundantBackup: geoRedundant ? "Enabled" : "Disabled" };
}

/** The Microsoft Entra administrator of a server. */
export interface EntraAdministrator {
    readonly tenantId: string;
    readonly objectId: string;
    readonly principalName: string;
    readonly principalType: "user" | "group" | "servicePrincipal";
}

/** The server's `authConfig` block: password, Microsoft Entra, or both. */
export interface ServerAuthBlock {
    readonly passwordAuth: "Enabled" | "Disabled";
    readonly activeDirectoryAuth: "Enabled" | "Disabled";
    readonly tenantId?: string;
}

export function serverAuthBlock(passwordAuth: boolean, entraAdmin: EntraAdministrator | undefined): ServerAuthBlock {
    if (!passwordAuth && entraAdmin === undefined) {
        throw new RangeError("passwordAuth: false needs an entraAdmin, or nobody could log in to the server");
    }
    return {
        passwordAuth: passwordAuth ? "Enabled" : "Disabled",
        activeDirectoryAuth: entraAdmin === undefined ? "Disabled" : "Enabled",
        ...(entraAdmin === undefined ? {} : { tenantId: entraAdmin.tenantId }),
    };
}

/**
 * Why a change of geo-redundant backup is refused, or undefined when there is no change. Azure
 * sets it only when a server is created, so a different value replaces the server: a new, empty
 * server, with the old one's point-in-time backups gone with it.
 */
export function geoRedundancyChange(createdWith: boolean | undefined, wanted: boolean): string | undefined {
    if (createdWith === undefined || createdWith === wanted) return undefined;
    return (
        `differs from createdWithGeoRedundantBackup (${createdWith}): Azure sets geo-redundant backup only when a ` +
        `server is created, so this would replace the server with a new, empty one and lose its point-in-time ` +
        `backups. To change it, restore the server into a new one created with the wanted setting, point ` +
        `serverName at it (pulumi import), and set createdWithGeoRedundantBackup to ${wanted}`
    );
}
