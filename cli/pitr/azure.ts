/**
 * Point-in-time restore of an Azure Database for PostgreSQL Flexible Server into a NEW server,
 * or a geo-restore into the paired region. The source is only read; a target that already
 * exists is refused. The servers client is a parameter, so the tests run against fakes.
 */
import type { Server } from "@azure/arm-postgresql-flexible";
import { optional, PitrError, restoreTimeWithin, RESTORED_FROM_TAG, RESTORE_TIME_TAG, type RestorePoint, type RestoreWindow } from "./shared";

/** What `client.servers` of `PostgreSQLManagementFlexibleServerClient` offers and the restore uses. */
export interface AzureServersApi {
    get(resourceGroupName: string, serverName: string): Promise<Server>;
    beginCreateOrUpdate(resourceGroupName: string, serverName: string, parameters: Server): Promise<AzureServerPoller>;
}

export interface AzureServerPoller {
    pollUntilDone(options?: { abortSignal?: AbortSignal }): Promise<Server>;
}

export interface AzurePitrRequest {
    readonly subscription: string;
    readonly resourceGroup: string;
    readonly source: string;
    readonly target: string;
    readonly point: RestorePoint;
    readonly location?: string;
    /** Geo-restore from the geo-redundant backups into the paired region. */
    readonly geo: boolean;
}

export interface AzurePitrPlan {
    readonly resourceGroup: string;
    readonly target: string;
    readonly window: RestoreWindow;
    readonly restoreTime: Date;
    readonly latest: boolean;
    readonly parameters: Server;
    readonly notes: readonly string[];
}

/**
 * Azure region pairs (programmatic names): where geo-redundant Flexible Server backups are kept
 * and a geo-restore goes. Regions without a pair need `--location`.
 */
export const AZURE_PAIRED_REGIONS: Readonly<Record<string, string>> = {
    eastus: "westus", westus: "eastus", eastus2: "centralus", centralus: "eastus2",
    northcentralus: "southcentralus", southcentralus: "northcentralus", westus2: "westcentralus", westcentralus: "westus2",
    westus3: "eastus", canadacentral: "canadaeast", canadaeast: "canadacentral", brazilsouth: "southcentralus",
    northeurope: "westeurope", westeurope: "northeurope", uksouth: "ukwest", ukwest: "uksouth",
    francecentral: "francesouth", germanywestcentral: "germanynorth", switzerlandnorth: "switzerlandwest",
    norwayeast: "norwaywest", swedencentral: "swedensouth", eastasia: "southeastasia", southeastasia: "eastasia",
    japaneast: "japanwest", japanwest: "japaneast", koreacentral: "koreasouth", koreasouth: "koreacentral",
    australiaeast: "australiasoutheast", australiasoutheast: "australiaeast", australiacentral: "australiacentral2",
    centralindia: "southindia", southindia: "centralindia", westindia: "southindia",
    uaenorth: "uaecentral", southafricanorth: "southafricawest",
};

/** Reads the source server, checks the window and the target, and builds the create request. */
export async function planAzurePitr(req: AzurePitrRequest, servers: AzureServersApi, now: Date): Promise<AzurePitrPlan> {
    if (req.target === req.source) {
        throw new PitrError(`--target: "${req.target}" is the source server; a point-in-time restore always creates a NEW server, give a new name`);
    }
    const where = `resource group ${req.resourceGroup} (subscription ${req.subscription})`;
    const source = await getServer(servers, req.resourceGroup, req.source);
    if (source === undefined) {
        throw new PitrError(`--source: server "${req.source}" not found in ${where}`);
    }
    const earliest = source.backup?.earliestRestoreDate;
    if (earliest === undefined) {
        throw new PitrError(`--source: server "${req.source}" reports no earliest restore date (backup.earliestRestoreDate); its first backup may not have completed`);
    }
    if (source.id === undefined || source.location === undefined) {
        throw new PitrError(`--source: server "${req.source}" came back without its id or location`);
    }
    const window = { earliest: new Date(earliest), latest: now };
    const restoreTime = "time" in req.point ? restoreTimeWithin(req.point.time, window, now, `server ${req.source}`) : now;
    const sourceLocation = normalizeLocation(source.location);
    const notes: string[] = [];
    let location: string;
    if (req.geo) {
        if (source.backup?.geoRedundantBackup !== "Enabled") {
            throw new PitrError(`--geo: server "${req.source}" does not keep geo-redundant backups (backup.geoRedundantBackup ${source.backup?.geoRedundantBackup ?? "unset"}); only a point-in-time restore in ${sourceLocation} is possible`);
        }
        const paired = AZURE_PAIRED_REGIONS[sourceLocation];
        const chosen = req.location ?? paired;
        if (chosen === undefined) {
            throw new PitrError(`--location: missing; ${sourceLocation} has no known paired region: give the region that holds the geo-redundant backups`);
        }
        if (chosen === sourceLocation) {
            throw new PitrError(`--location: "${chosen}" is the source's own region; a geo-restore goes to the paired region${paired === undefined ? "" : ` (${paired})`}; drop --geo for a restore in ${sourceLocation}`);
        }
        if (paired !== undefined && chosen !== paired) {
            notes.push(`${chosen} is not ${sourceLocation}'s paired region (${paired}); Azure accepts a geo-restore only where the backups are kept`);
        }
        if (source.network?.delegatedSubnetResourceId !== undefined) {
            notes.push(`the source is in a virtual network of ${sourceLocation}; this request sets no network for ${chosen}: if Azure refuses it, geo-restore with a delegated subnet of ${chosen} (az postgres flexible-server geo-restore --subnet ...)`);
        }
        location = chosen;
    } else {
        if (req.location !== undefined && req.location !== sourceLocation) {
            throw new PitrError(`--location: "${req.location}" is not allowed without --geo; a point-in-time restore stays in the source's region "${sourceLocation}"`);
        }
        location = sourceLocation;
    }
    await refuseExistingServer(servers, req.resourceGroup, req.target, where);
    const sameNetwork = !req.geo && source.network?.delegatedSubnetResourceId !== undefined
        ? {
              network: {
                  delegatedSubnetResourceId: source.network.delegatedSubnetResourceId,
                  ...optional("privateDnsZoneArmResourceId", source.network.privateDnsZoneArmResourceId),
              },
          }
        : {};
    const parameters: Server = {
        location,
        createMode: req.geo ? "GeoRestore" : "PointInTimeRestore",
        sourceServerResourceId: source.id,
        pointInTimeUTC: restoreTime,
        ...sameNetwork,
        tags: { [RESTORED_FROM_TAG]: source.id, [RESTORE_TIME_TAG]: restoreTime.toISOString() },
    };
    return { resourceGroup: req.resourceGroup, target: req.target, window, restoreTime, latest: !("time" in req.point), parameters, notes };
}

/** Starts the create; returns its poller (the operation goes on in Azure when nobody waits). */
export async function startAzurePitr(plan: AzurePitrPlan, servers: AzureServersApi): Promise<AzureServerPoller> {
    return servers.beginCreateOrUpdate(plan.resourceGroup, plan.target, plan.parameters);
}

async function getServer(servers: AzureServersApi, resourceGroup: string, name: string): Promise<Server | undefined> {
    try {
        return await servers.get(resourceGroup, name);
    } catch (err) {
        if (isAzureNotFound(err)) {
            return undefined;
        }
        throw err;
    }
}

async function refuseExistingServer(servers: AzureServersApi, resourceGroup: string, target: string, where: string): Promise<void> {
    const existing = await getServer(servers, resourceGroup, target);
    if (existing !== undefined) {
        throw new PitrError(`--target: server "${target}" already exists in ${where} (state ${existing.state ?? "unknown"}); a point-in-time restore never replaces a server: give a new name`);
    }
}

export function isAzureNotFound(err: unknown): boolean {
    if (typeof err !== "object" || err === null) {
        return false;
    }
    const e = err as { statusCode?: unknown; code?: unknown };
    return e.statusCode === 404 || e.code === "ResourceNotFound";
}

/** `West Europe` and `westeurope` name the same region. */
function normalizeLocation(location: string): string {
    return location.replace(/\s+/g, "").toLowerCase();
}
