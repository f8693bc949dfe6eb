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

/** A server firewall rule: public access for one range of IPv4 addresses. */
export interface FirewallRange {
    readonly name: string;
    readonly startIpAddress: string;
    /** @default startIpAddress - a single address */
    readonly endIpAddress?: string;
}

/** How clients reach a server: firewall rules (public access) or VNet integration (private access). */
export interface ServerNetwork {
    readonly firewallRules?: readonly FirewallRange[];
    readonly delegatedSubnetId?: string;
    readonly privateDnsZoneId?: string;
}

/** One problem of a network declaration: the key below `network`, its value, what is allowed. */
export interface NetworkProblem {
    readonly key: string;
    readonly value: unknown;
    readonly message: string;
}

/** Largest range a firewall rule may open: a /16. */
export const MAX_FIREWALL_RANGE_ADDRESSES = 65536;

/** A dotted-quad IPv4 address. */
export const IPV4 = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function ipv4Number(address: string): number {
    return address.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}

/**
 * What is wrong with a network declaration. Refused: a range covering every address or more
 * than a /16, and 0.0.0.0-0.0.0.0, which Azure reads as "allow every Azure service", any
 * tenant's ("Firewall rules in Azure Database for PostgreSQL - Flexible Server",
 * https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-firewall-rules); firewall
 * rules together with VNet integration, which has no public access ("Networking with private
 * access (VNet integration)", https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-networking-private).
 */
export function networkProblems(network: ServerNetwork): NetworkProblem[] {
    const problems: NetworkProblem[] = [];
    const rules = network.firewallRules ?? [];
    const names = new Set<string>();
    rules.forEach((rule, i) => {
        const key = `firewallRules[${i}]`;
        const end = rule.endIpAddress ?? rule.startIpAddress;
        if (names.has(rule.name)) problems.push({ key: `${key}.name`, value: rule.name, message: "is used twice; firewall rule names must be unique" });
        names.add(rule.name);
        for (const [field, address] of [["startIpAddress", rule.startIpAddress], ["endIpAddress", end]] as const) {
            if (!IPV4.test(address)) problems.push({ key: `${key}.${field}`, value: address, message: "must be an IPv4 address (a.b.c.d)" });
        }
        if (!IPV4.test(rule.startIpAddress) || !IPV4.test(end)) return;
        const [from, to] = [ipv4Number(rule.startIpAddress), ipv4Number(end)];
        if (from === 0 && to === 0) {
            problems.push({ key, value: `${rule.startIpAddress}-${end}`, message: "means \"allow every Azure service\", of any tenant; allowed: the egress addresses of your own clients" });
        } else if (to < from) {
            problems.push({ key: `${key}.endIpAddress`, value: end, message: `is before startIpAddress (${rule.startIpAddress}); allowed: an address at or after it` });
        } else if (to - from + 1 > MAX_FIREWALL_RANGE_ADDRESSES) {
            problems.push({
                key, value: `${rule.startIpAddress}-${end}`,
                message: `opens ${to - from + 1} addresses${from === 0 && to === 2 ** 32 - 1 ? " (the whole internet)" : ""}; ` +
                    `allowed: at most ${MAX_FIREWALL_RANGE_ADDRESSES} (a /16): the egress addresses of your own clients`,
            });
        }
    });
    if (network.delegatedSubnetId !== undefined && network.privateDnsZoneId === undefined) {
        problems.push({ key: "privateDnsZoneId", value: undefined, message: "is required with delegatedSubnetId: a VNet-integrated server needs a private DNS zone linked to the VNet" });
    }
    if (network.privateDnsZoneId !== undefined && network.delegatedSubnetId === undefined) {
        problems.push({ key: "delegatedSubnetId", value: undefined, message: "is required with privateDnsZoneId: the private DNS zone serves a VNet-integrated server only" });
    }
    if (network.delegatedSubnetId !== undefined && rules.length > 0) {
        problems.push({ key: "firewallRules", value: rules.map((r) => r.name), message: "must be empty with delegatedSubnetId: a VNet-integrated server has no public access, so firewall rules do not apply" });
    }
    return problems;
}

/** Whether a network declaration gives clients any way in. */
export function hasNetworkPath(network: ServerNetwork): boolean {
    return (network.firewallRules ?? []).length > 0 || network.delegatedSubnetId !== undefined;
}

/** The server's `network` block, or undefined when nothing is declared. */
export function serverNetworkBlock(network: ServerNetwork): {
    readonly publicNetworkAccess: "Enabled" | "Disabled";
    readonly delegatedSubnetResourceId?: string;
    readonly privateDnsZoneArmResourceId?: string;
} | undefined {
    if (network.delegatedSubnetId !== undefined) {
        return {
            publicNetworkAccess: "Disabled",
            delegatedSubnetResourceId: network.delegatedSubnetId,
            ...(network.privateDnsZoneId !== undefined ? { privateDnsZoneArmResourceId: network.privateDnsZoneId } : {}),
        };
    }
    return (network.firewallRules ?? []).length > 0 ? { publicNetworkAccess: "Enabled" } : undefined;
}

/** Domain of every Flexible Server host name. */
export const SERVER_HOST_SUFFIX = ".postgres.database.azure.com";

/** Host name of a server in the public Azure cloud. */
export function serverHostName(serverName: string): string {
    return `${serverName}${SERVER_HOST_SUFFIX}`;
}

/** Azure server names are DNS labels. */
export const SERVER_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
