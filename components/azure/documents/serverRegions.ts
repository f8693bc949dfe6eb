/**
 * What Azure Database for PostgreSQL Flexible Server offers in each region, for the features
 * the backup stack depends on: zone-redundant high availability and geo-redundant backup.
 *
 * Source: "Azure Database for PostgreSQL flexible server - Overview", section "Azure regions"
 * (its region table), https://learn.microsoft.com/azure/postgresql/flexible-server/overview#azure-regions
 * (table dated 2025-11-18, consulted 2026-11-30). Regions absent from the table offer neither.
 */

/** A region's offer: zone-redundant HA, geo-redundant backup. */
export interface ServerRegionCapabilities {
    readonly zoneRedundantHa: boolean;
    readonly geoRedundantBackup: boolean;
}

const BOTH = { zoneRedundantHa: true, geoRedundantBackup: true } as const;
const GEO_ONLY = { zoneRedundantHa: false, geoRedundantBackup: true } as const;
const ZONE_ONLY = { zoneRedundantHa: true, geoRedundantBackup: false } as const;

/** Programmatic region name -> capabilities, for every region the stack accepts. */
export const SERVER_REGION_CAPABILITIES: Readonly<Record<string, ServerRegionCapabilities>> = {
    eastus: BOTH, eastus2: BOTH, centralus: BOTH, northcentralus: GEO_ONLY, southcentralus: BOTH,
    westcentralus: GEO_ONLY, westus: GEO_ONLY, westus2: BOTH, westus3: ZONE_ONLY,
    canadacentral: BOTH, canadaeast: GEO_ONLY, brazilsouth: ZONE_ONLY,
    northeurope: BOTH, westeurope: BOTH, uksouth: BOTH, ukwest: GEO_ONLY, francecentral: BOTH,
    germanywestcentral: BOTH, switzerlandnorth: BOTH, norwayeast: BOTH, swedencentral: BOTH,
    polandcentral: ZONE_ONLY, italynorth: ZONE_ONLY, spaincentral: ZONE_ONLY,
    eastasia: BOTH, southeastasia: BOTH, japaneast: BOTH, japanwest: GEO_ONLY, koreacentral: BOTH,
    koreasouth: GEO_ONLY, australiaeast: BOTH, australiasoutheast: GEO_ONLY, australiacentral: GEO_ONLY,
    centralindia: BOTH, southindia: BOTH,
    uaenorth: BOTH, qatarcentral: ZONE_ONLY, israelcentral: ZONE_ONLY, southafricanorth: BOTH,
};

const NONE: ServerRegionCapabilities = { zoneRedundantHa: false, geoRedundantBackup: false };

/** The capabilities of a region; none for a region the table does not list. */
export function serverRegionCapabilities(location: string): ServerRegionCapabilities {
    return SERVER_REGION_CAPABILITIES[location] ?? NONE;
}

/** Regions that offer a capability, for messages that say where it is available. */
export function regionsOffering(capability: keyof ServerRegionCapabilities): string[] {
    return Object.entries(SERVER_REGION_CAPABILITIES).filter(([, c]) => c[capability]).map(([r]) => r);
}
