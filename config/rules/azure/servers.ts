/** Rules of the Flexible Servers: location, names, versions and sizes the region offers, geo-redundant backup, high availability, network path and Entra administrators. */
import type { Finding, Rule } from "../../findings";
import { error } from "../../findings";
import { AZURE_LOCATIONS } from "../../regions";
import { SERVER_NAME, defaultGeoRedundantBackup, geoRedundancyChange, networkProblems, storageSizeProblem } from "../../../components/azure/documents/flexibleServer";
import { regionsOffering, serverRegionCapabilities } from "../../../components/azure/documents/serverRegions";
import type { ParsedConfig } from "../../schema";
import { type ServerConfig, isProd } from "./shared";

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
