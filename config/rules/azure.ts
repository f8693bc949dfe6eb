import type { Finding, Rule } from "../findings";
import { error, warning } from "../findings";
import { AZURE_LOCATIONS } from "../regions";
import {
    GEO_REDUNDANCIES,
    READ_ACCESS_GEO_REDUNDANCIES,
    lifecycleProblems,
    pointInTimeRestoreProblem,
    redundancyProblems,
} from "../../components/azure/documents/lifecycle";
import {
    SERVER_NAME,
    defaultGeoRedundantBackup,
    geoRedundancyChange,
    hasNetworkPath,
    networkProblems,
    serverHostName,
    storageSizeProblem,
} from "../../components/azure/documents/flexibleServer";
import { regionsOffering, serverRegionCapabilities } from "../../components/azure/documents/serverRegions";
import type { ParsedConfig } from "../schema";

type AzureConfig = NonNullable<ParsedConfig["azure"]>;
type ServerConfig = AzureConfig["servers"][number];

const isProd = (config: ParsedConfig): boolean => config.environment === "prod";

/** What the component will set: the explicit value, else the environment's default. */
export function effectiveGeoRedundantBackup(config: ParsedConfig, server: ServerConfig): boolean {
    return server.geoRedundantBackup ?? defaultGeoRedundantBackup(isProd(config));
}

/**
 * The server's Azure name: the explicit one, else `<name>-<environment>`. Fixed, so that the
 * functions' host names can be written in config, and scoped to the environment, because
 * server names are unique across all of postgres.database.azure.com.
 */
export function effectiveServerName(config: ParsedConfig, server: ServerConfig): string {
    return server.serverName ?? `${server.name}-${config.environment}`;
}

/** `azure.location` must be a programmatic Azure region that offers Flexible Server. */
export const azureLocationKnown: Rule = (config) => {
    const location = config.azure?.location;
    if (location === undefined || AZURE_LOCATIONS.includes(location)) return [];
    const hint = AZURE_LOCATIONS.find((l) => l === location.toLowerCase().replace(/[\s_-]/g, ""));
    return [error("azure.location", location,
        `is not a known Azure location${hint !== undefined ? ` (did you mean "${hint}"?)` : ""}; ` +
        `use a programmatic name such as eastus or westeurope (the list is in config/regions.ts)`)];
};

/** Prod servers keep their backups in the paired region too. */
export const prodServersGeoRedundant: Rule = (config) => {
    if (!isProd(config)) return [];
    const location = config.azure?.location ?? "";
    const offered = serverRegionCapabilities(location).geoRedundantBackup;
    return (config.azure?.servers ?? []).flatMap((server, i) =>
        effectiveGeoRedundantBackup(config, server) ? [] : [error(`azure.servers[${i}].geoRedundantBackup`, server.geoRedundantBackup,
            "must be true in prod: without it, losing the region loses the server's backups (it is the default in prod; " +
            `remove the key or set it to true)${offered ? "" : `, and ${location} does not offer it: move azure.location to one of ` +
                `${regionsOffering("geoRedundantBackup").join(", ")}`}`)]);
};

/** Prod file backups live in a storage account replicated to the paired region. */
export const prodStorageGeoRedundant: Rule = (config) => {
    const storage = config.azure?.storage;
    if (!isProd(config) || storage === undefined || GEO_REDUNDANCIES.includes(storage.redundancy)) return [];
    return [error("azure.storage.redundancy", storage.redundancy,
        `is not geo-redundant; prod needs one of ${GEO_REDUNDANCIES.join(", ")} (Standard_GRS or Standard_RAGRS if the Archive tier is used)`)];
};

/** Prod backup blobs cannot be deleted or overwritten before their retention ends. */
export const prodStorageImmutable: Rule = (config) => {
    const storage = config.azure?.storage;
    if (!isProd(config) || storage === undefined || storage.immutabilityDays !== undefined) return [];
    return [error("azure.storage.immutabilityDays", undefined,
        "is required in prod: without a time-based immutability policy, anyone with write access can delete the backups; " +
        `allowed: 1..${storage.lifecycle.deleteAfterDays} (at most lifecycle.deleteAfterDays)`)];
};

/**
 * The immutability policy is created unlocked: until it is locked, anyone with Contributor on
 * the account can shorten or delete it ("Time-based retention policies for immutable blob
 * data", https://learn.microsoft.com/azure/storage/blobs/immutable-time-based-retention-policy-overview).
 */
export const prodImmutabilityLocked: Rule = (config) => {
    const storage = config.azure?.storage;
    if (storage === undefined) return [];
    if (storage.immutabilityLocked && storage.immutabilityDays === undefined) {
        return [error("azure.storage.immutabilityLocked", true, "needs azure.storage.immutabilityDays: there is no immutability policy to be locked")];
    }
    if (!isProd(config) || storage.immutabilityDays === undefined || storage.immutabilityLocked) return [];
    return [warning("azure.storage.immutabilityLocked", false,
        "the backups container's immutability policy is unlocked: anyone with Contributor on the storage account can shorten " +
        "or delete it. After `pulumi up`, lock it (docs/components.md, \"Locking the Azure immutability policy\") and set " +
        "azure.storage.immutabilityLocked: true")];
};

/** Point-in-time restore of blobs must end before their soft delete does. */
export const pointInTimeRestoreWithinSoftDelete: Rule = (config) => {
    const storage = config.azure?.storage;
    if (storage?.pointInTimeRestoreDays === undefined || storage.pointInTimeRestoreDays < storage.softDeleteDays) return [];
    return [error("azure.storage.pointInTimeRestoreDays", storage.pointInTimeRestoreDays, pointInTimeRestoreProblem(storage.softDeleteDays))];
};

/** Prod files are read from the paired region in a disaster: only RA-GRS and RA-GZRS allow that without a failover. */
export const prodStorageReadableInPairedRegion: Rule = (config) => {
    const storage = config.azure?.storage;
    if (!isProd(config) || storage === undefined || !GEO_REDUNDANCIES.includes(storage.redundancy) ||
        READ_ACCESS_GEO_REDUNDANCIES.includes(storage.redundancy)) return [];
    return [warning("azure.storage.redundancy", storage.redundancy,
        `keeps a copy in the paired region but cannot read it until a customer-managed failover of the account; ` +
        `for read access to the files during a regional outage use ${READ_ACCESS_GEO_REDUNDANCIES.join(" or ")}`)];
};

/** Archive is not offered on ZRS, GZRS and RA-GZRS accounts. */
export const archiveNeedsSupportedRedundancy: Rule = (config) => {
    const storage = config.azure?.storage;
    if (storage === undefined) return [];
    return redundancyProblems(storage.redundancy, storage.lifecycle).map((p) =>
        error(`azure.storage.lifecycle.${p.key}`, p.value, p.message));
};

/** Cool -> Cold -> Archive -> delete, each strictly later; early-deletion minimums as warnings. */
export const lifecycleOrder: Rule = (config) => {
    const storage = config.azure?.storage;
    if (storage === undefined) return [];
    return lifecycleProblems(storage.lifecycle).map((p) =>
        (p.severity === "error" ? error : warning)(`azure.storage.lifecycle.${p.key}`, p.value, p.message));
};

/** The lifecycle cannot delete a blob that is still immutable. */
export const immutabilityWithinRetention: Rule = (config) => {
    const storage = config.azure?.storage;
    if (storage?.immutabilityDays === undefined || storage.immutabilityDays <= storage.lifecycle.deleteAfterDays) return [];
    return [error("azure.storage.immutabilityDays", storage.immutabilityDays,
        `is longer than lifecycle.deleteAfterDays (${storage.lifecycle.deleteAfterDays}): an immutable blob cannot be ` +
        `deleted, so the lifecycle would fail to delete backups until their immutability ends and they would outlive ` +
        `their retention; allowed: at most ${storage.lifecycle.deleteAfterDays}`)];
};

/** A geo-redundant backup setting different from the server's creation replaces the server. */
export const geoRedundantBackupUnchanged: Rule = (config) =>
    (config.azure?.servers ?? []).flatMap((server, i) => {
        const wanted = effectiveGeoRedundantBackup(config, server);
        const why = geoRedundancyChange(server.createdWithGeoRedundantBackup, wanted);
        return why === undefined ? [] : [error(`azure.servers[${i}].geoRedundantBackup`,
            server.geoRedundantBackup ?? wanted, `${why}${server.geoRedundantBackup === undefined ? " (this is the environment's default)" : ""}`)];
    });

/** Logical names and Azure server names appear once each. */
export const uniqueServerNames: Rule = (config) => {
    const servers = config.azure?.servers ?? [];
    const findings: Finding[] = [];
    for (const key of ["name", "serverName"] as const) {
        const first = new Map<string, number>();
        servers.forEach((server, i) => {
            const value = server[key];
            if (value === undefined) return;
            const earlier = first.get(value);
            if (earlier === undefined) first.set(value, i);
            else findings.push(error(`azure.servers[${i}].${key}`, value, `is already used by azure.servers[${earlier}]; ${key} must be unique`));
        });
    }
    return findings;
};

/** Entra-only authentication needs an Entra administrator. */
export const entraOnlyNeedsAdmin: Rule = (config) =>
    (config.azure?.servers ?? []).flatMap((server, i) =>
        server.authentication.password || server.authentication.entraAdmin !== undefined ? [] : [
            error(`azure.servers[${i}].authentication.password`, false,
                "turns password login off, so authentication.entraAdmin must name a Microsoft Entra administrator; " +
                "without one nobody could log in"),
        ]);

/** Burstable servers have no high availability. */
export const burstableWithoutHighAvailability: Rule = (config) =>
    (config.azure?.servers ?? []).flatMap((server, i) =>
        server.skuTier !== "Burstable" || server.highAvailability === "Disabled" ? [] : [
            error(`azure.servers[${i}].highAvailability`, server.highAvailability,
                'is not available on the Burstable tier; use skuTier GeneralPurpose or MemoryOptimized, or "Disabled"'),
        ]);

/** Premium SSD disks come in a fixed set of sizes. */
export const storageSizeOffered: Rule = (config) =>
    (config.azure?.servers ?? []).flatMap((server, i) => {
        const problem = storageSizeProblem(server.storageSizeGb);
        return problem === undefined ? [] : [error(`azure.servers[${i}].storageSizeGb`, server.storageSizeGb, problem)];
    });

/** Geo-redundant backup only where the region offers it (components/azure/documents/serverRegions.ts cites the table). */
export const regionOffersGeoRedundantBackup: Rule = (config) => {
    const location = config.azure?.location;
    if (location === undefined || serverRegionCapabilities(location).geoRedundantBackup) return [];
    return (config.azure?.servers ?? []).flatMap((server, i) => !effectiveGeoRedundantBackup(config, server) ? [] : [
        error(`azure.servers[${i}].geoRedundantBackup`, server.geoRedundantBackup ?? true,
            `is not offered in ${location} (Flexible Server region table); allowed here: false. ` +
            `Regions that offer geo-redundant backup: ${regionsOffering("geoRedundantBackup").join(", ")}` +
            `${server.geoRedundantBackup === undefined ? " (true is the environment's default)" : ""}`),
    ]);
};

/** Zone-redundant high availability only where the region offers it. */
export const regionOffersZoneRedundantHa: Rule = (config) => {
    const location = config.azure?.location;
    if (location === undefined || serverRegionCapabilities(location).zoneRedundantHa) return [];
    return (config.azure?.servers ?? []).flatMap((server, i) => server.highAvailability !== "ZoneRedundant" ? [] : [
        error(`azure.servers[${i}].highAvailability`, server.highAvailability,
            `is not offered in ${location} (Flexible Server region table); allowed here: "Disabled", "SameZone". ` +
            `Regions that offer zone-redundant HA: ${regionsOffering("zoneRedundantHa").join(", ")}`),
    ]);
};

/** A server name derived from name and environment must still be a DNS label. */
export const derivedServerNameValid: Rule = (config) =>
    (config.azure?.servers ?? []).flatMap((server, i) => {
        const name = effectiveServerName(config, server);
        return server.serverName !== undefined || SERVER_NAME.test(name) ? [] : [
            error(`azure.servers[${i}].serverName`, undefined,
                `is missing and the name derived from name and environment ("${name}") is not 3-63 lower-case letters, digits ` +
                `and '-'; give serverName`),
        ];
    });

/** Firewall rules open only stated ranges; VNet integration is complete and exclusive. */
export const serverNetworkValid: Rule = (config) =>
    (config.azure?.servers ?? []).flatMap((server, i) =>
        networkProblems(server.network).map((p) => error(`azure.servers[${i}].network.${p.key}`, p.value, p.message)));

/**
 * A function that connects to an Azure server needs the server's real host name and a network
 * path to it: the functions run outside Azure, so without a firewall rule for their egress
 * addresses (or a private route into a VNet-integrated server) every dump fails to connect.
 */
export const functionsReachAzureServers: Rule = (config) => {
    const servers = config.azure?.servers ?? [];
    if (servers.length === 0) return [];
    const hosts = servers.map((server) => serverHostName(effectiveServerName(config, server)));
    return config.aws.databases.flatMap((db, j) => {
        if (db.host === undefined || !db.host.endsWith(".postgres.database.azure.com")) return [];
        const i = hosts.indexOf(db.host);
        const server = servers[i];
        if (server === undefined) {
            return [error(`aws.databases[${j}].host`, db.host, `names no server of azure.servers; allowed: ${hosts.join(", ")}`)];
        }
        return hasNetworkPath(server.network) ? [] : [
            error(`azure.servers[${i}].network`, {},
                `declares no network path, but aws.databases[${j}] (${db.name}) connects to ${db.host}: give firewallRules for ` +
                `the functions' egress addresses (the NAT gateway's public IPs of aws.network), or delegatedSubnetId and ` +
                `privateDnsZoneId with a private route from the functions' VPC`),
        ];
    });
};

/** Azure alerts need somebody to notify: an error in prod, a warning elsewhere. */
export const azureAlertsHaveReceivers: Rule = (config) => {
    const azure = config.azure;
    if (azure === undefined || (azure.servers.length === 0 && azure.storage === undefined)) return [];
    if (config.alerts.emails.length + config.alerts.webhookUrls.length > 0) return [];
    const message = "is empty and so is alerts.webhookUrls: the Azure alerts (server down, storage full, backup storage) would notify nobody";
    return [isProd(config) ? error("alerts.emails", [], message) : warning("alerts.emails", [], message)];
};

export const rules: readonly Rule[] = [
    azureLocationKnown,
    prodServersGeoRedundant,
    prodStorageGeoRedundant,
    prodStorageImmutable,
    prodImmutabilityLocked,
    pointInTimeRestoreWithinSoftDelete,
    prodStorageReadableInPairedRegion,
    archiveNeedsSupportedRedundancy,
    lifecycleOrder,
    immutabilityWithinRetention,
    geoRedundantBackupUnchanged,
    uniqueServerNames,
    entraOnlyNeedsAdmin,
    burstableWithoutHighAvailability,
    azureAlertsHaveReceivers,
    storageSizeOffered,
    regionOffersGeoRedundantBackup,
    regionOffersZoneRedundantHa,
    derivedServerNameValid,
    serverNetworkValid,
    functionsReachAzureServers,
];
