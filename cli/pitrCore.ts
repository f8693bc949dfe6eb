import {
    DescribeDBInstanceAutomatedBackupsCommand,
    DescribeDBInstancesCommand,
    RestoreDBInstanceToPointInTimeCommand,
    type DBInstance,
    type DBInstanceAutomatedBackup,
    type RDSClient,
    type RestoreDBInstanceToPointInTimeCommandInput,
} from "@aws-sdk/client-rds";
import type { Server } from "@azure/arm-postgresql-flexible";

/**
 * Point-in-time restore into a NEW RDS instance or Azure Flexible Server. The source is only
 * read; a target that already exists is refused; the restore time must lie in the source's
 * restorable window. The SDK clients are parameters, so the same code runs against AWS/Azure
 * and against fakes in the tests.
 */

/** A refusal: the restore cannot or must not start (window, existing target, missing backups). */
export class PitrError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PitrError";
    }
}

/** The RDS calls used: DescribeDBInstances, DescribeDBInstanceAutomatedBackups, RestoreDBInstanceToPointInTime. */
export type RdsApi = Pick<RDSClient, "send">;

/** An RDS client for a region (the primary, or the DR region with --from-dr). */
export type RdsClientFactory = (region: string) => RdsApi;

export interface RestoreWindow {
    readonly earliest: Date;
    readonly latest: Date;
}

/** `--latest`, or `--time` as typed (checked against the window here, so that refusals can say it). */
export type RestorePoint = { readonly latest: true } | { readonly time: string };

/** Tags every restored instance or server carries. */
export const RESTORED_FROM_TAG = "restored-from";
export const RESTORE_TIME_TAG = "restore-time";

export function formatWindow(w: RestoreWindow): string {
    return `${w.earliest.toISOString()} .. ${w.latest.toISOString()}`;
}

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;
const ISO_WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?$/;

/**
 * The restore time of `--time`: an ISO-8601 time with a zone, not in the future, inside the
 * window. Every refusal names --time, the value and the window.
 */
export function restoreTimeWithin(text: string, window: RestoreWindow, now: Date, what: string): Date {
    const allowed = `expected an ISO-8601 time with a zone (e.g. ${window.latest.toISOString()}) within the restorable window of ${what}: ${formatWindow(window)}`;
    if (ISO_WITHOUT_ZONE.test(text)) {
        throw new PitrError(`--time: "${text}" has no time zone; ${allowed}`);
    }
    const t = Date.parse(text);
    if (!ISO_WITH_ZONE.test(text) || Number.isNaN(t)) {
        throw new PitrError(`--time: "${text}" is not an ISO-8601 time; ${allowed}`);
    }
    const time = new Date(t);
    if (time.getTime() > now.getTime()) {
        throw new PitrError(`--time: "${text}" is in the future (now ${now.toISOString()}); ${allowed}`);
    }
    if (time.getTime() > window.latest.getTime()) {
        throw new PitrError(`--time: "${text}" is after the latest restorable time; ${allowed}`);
    }
    if (time.getTime() < window.earliest.getTime()) {
        throw new PitrError(`--time: "${text}" is before the earliest restorable time; ${allowed}`);
    }
    return time;
}

// ---------------------------------------------------------------------------------------------
// RDS

export interface RdsPitrRequest {
    readonly source: string;
    readonly target: string;
    readonly point: RestorePoint;
    /** Region of the source instance. */
    readonly region: string;
    /** Restore in this region from the replicated automated backups. */
    readonly drRegion?: string;
    readonly instanceClass?: string;
    readonly subnetGroup?: string;
    readonly securityGroups?: readonly string[];
}

export interface RdsPitrPlan {
    /** Where the new instance is created. */
    readonly region: string;
    readonly window: RestoreWindow;
    /** undefined: the latest restorable time. */
    readonly restoreTime?: Date;
    /** The key the restored instance is encrypted with: the source's, or for DR the replicated backups' (not part of the request: RDS inherits it). */
    readonly kmsKeyId?: string;
    readonly input: RestoreDBInstanceToPointInTimeCommandInput;
    /** Things the on-call engineer must know (fallbacks, settings not carried over). */
    readonly notes: readonly string[];
}

export interface RdsDeps {
    readonly rdsFor: RdsClientFactory;
    readonly now: () => Date;
}

/** Storage types whose IOPS are provisioned and carried over; gp3's baseline is set by RDS from the size. */
const PROVISIONED_IOPS = new Set(["io1", "io2"]);

/** Reads the source and its backups, checks the window and the target, and builds the restore request. Sends nothing that changes anything. */
export async function planRdsPitr(req: RdsPitrRequest, deps: RdsDeps): Promise<RdsPitrPlan> {
    if (req.target.toLowerCase() === req.source.toLowerCase()) {
        throw new PitrError(`--target: "${req.target}" is the source instance; a point-in-time restore always goes into a NEW instance, give a new identifier`);
    }
    return req.drRegion === undefined ? planInRegion(req, deps) : planFromDr(req, req.drRegion, deps);
}

async function planInRegion(req: RdsPitrRequest, deps: RdsDeps): Promise<RdsPitrPlan> {
    const rds = deps.rdsFor(req.region);
    const source = await describeInstance(rds, req.source);
    if (source === undefined) {
        throw new PitrError(`--source: DB instance "${req.source}" not found in ${req.region}`);
    }
    checkRestorable(source, req.source);
    const latest = source.LatestRestorableTime;
    if (latest === undefined) {
        throw new PitrError(`--source: "${req.source}" has no restorable time yet (status ${source.DBInstanceStatus ?? "unknown"}); wait for its first automated backup`);
    }
    const backups = await describeAutomatedBackups(rds, { DbiResourceId: source.DbiResourceId });
    const own = backups.find((b) => arnRegion(b.DBInstanceAutomatedBackupsArn) === req.region && b.RestoreWindow?.EarliestTime !== undefined);
    const earliest = own?.RestoreWindow?.EarliestTime;
    if (earliest === undefined) {
        throw new PitrError(`--source: no automated backups of "${req.source}" found in ${req.region} (DescribeDBInstanceAutomatedBackups); cannot tell the earliest restorable time`);
    }
    const window = { earliest, latest };
    const restoreTime = resolvePoint(req.point, window, deps.now(), `${req.source} in ${req.region}`);
    await refuseExistingTarget(rds, req.target, req.region);

    const notes: string[] = [];
    if (source.StorageEncrypted !== true) {
        notes.push(`the source is not encrypted at rest; the restored instance will not be either`);
    }
    const securityGroups = req.securityGroups !== undefined && req.securityGroups.length > 0
        ? [...req.securityGroups]
        : (source.VpcSecurityGroups ?? []).flatMap((g) => (g.VpcSecurityGroupId === undefined ? [] : [g.VpcSecurityGroupId]));
    if (req.subnetGroup !== undefined && (req.securityGroups === undefined || req.securityGroups.length === 0)) {
        notes.push(`the source's security groups are kept; they must belong to the VPC of subnet group ${req.subnetGroup} (else give --security-group)`);
    }
    const parameterGroup = source.DBParameterGroups?.[0]?.DBParameterGroupName;
    const storageType = source.StorageType;
    const input: RestoreDBInstanceToPointInTimeCommandInput = {
        SourceDBInstanceIdentifier: req.source,
        TargetDBInstanceIdentifier: req.target,
        ...(restoreTime === undefined ? { UseLatestRestorableTime: true } : { RestoreTime: restoreTime }),
        ...optional("DBSubnetGroupName", req.subnetGroup ?? source.DBSubnetGroup?.DBSubnetGroupName),
        ...(securityGroups.length > 0 ? { VpcSecurityGroupIds: securityGroups } : {}),
        ...optional("DBInstanceClass", req.instanceClass ?? source.DBInstanceClass),
        MultiAZ: source.MultiAZ === true,
        ...optional("StorageType", storageType),
        ...(storageType !== undefined && PROVISIONED_IOPS.has(storageType) ? optional("Iops", source.Iops) : {}),
        ...optional("DBParameterGroupName", parameterGroup),
        ...optional("Port", source.Endpoint?.Port ?? source.DbInstancePort),
        PubliclyAccessible: source.PubliclyAccessible === true,
        CopyTagsToSnapshot: source.CopyTagsToSnapshot === true,
        DeletionProtection: true,
        ...optional("EnableIAMDatabaseAuthentication", source.IAMDatabaseAuthenticationEnabled),
        ...((source.EnabledCloudwatchLogsExports ?? []).length > 0 ? { EnableCloudwatchLogsExports: [...(source.EnabledCloudwatchLogsExports ?? [])] } : {}),
        ...optional("MaxAllocatedStorage", source.MaxAllocatedStorage),
        ...(source.MasterUserSecret !== undefined
            ? { ManageMasterUserPassword: true, ...optional("MasterUserSecretKmsKeyId", source.MasterUserSecret.KmsKeyId) }
            : {}),
        Tags: restoreTags(source.DBInstanceArn ?? `${req.region}/${req.source}`, restoreTime),
    };
    return { region: req.region, window, ...(restoreTime === undefined ? {} : { restoreTime }), ...optional("kmsKeyId", source.KmsKeyId), input, notes };
}

async function planFromDr(req: RdsPitrRequest, drRegion: string, deps: RdsDeps): Promise<RdsPitrPlan> {
    const notes: string[] = [];
    let source: DBInstance | undefined;
    try {
        source = await describeInstance(deps.rdsFor(req.region), req.source);
        if (source === undefined) {
            notes.push(`"${req.source}" no longer exists in ${req.region}; restoring from its retained replicated backups with the settings they record`);
        }
    } catch (err) {
        notes.push(`${req.region} could not be read (${messageOf(err)}); restoring with the settings the replicated backups record`);
    }
    if (source !== undefined) {
        checkRestorable(source, req.source);
    }
    if (req.subnetGroup === undefined) {
        throw new PitrError(`--subnet-group: missing; with --from-dr the new instance is created in ${drRegion}, where the source's subnet group does not exist: give a DB subnet group of ${drRegion}`);
    }
    if (source === undefined && req.instanceClass === undefined) {
        throw new PitrError(`--instance-class: missing; the source's class cannot be read from ${req.region}: give one, e.g. db.m6g.large`);
    }
    const dr = deps.rdsFor(drRegion);
    const filter = source?.DbiResourceId !== undefined ? { DbiResourceId: source.DbiResourceId } : { DBInstanceIdentifier: req.source };
    const replicated = (await describeAutomatedBackups(dr, filter)).filter((b) => arnRegion(b.DBInstanceAutomatedBackupsArn) === drRegion);
    const known = new Set((source?.DBInstanceAutomatedBackupsReplications ?? []).map((r) => r.DBInstanceAutomatedBackupsArn));
    const backup = replicated.find((b) => known.has(b.DBInstanceAutomatedBackupsArn)) ?? replicated[0];
    const arn = backup?.DBInstanceAutomatedBackupsArn;
    const earliest = backup?.RestoreWindow?.EarliestTime;
    const latest = backup?.RestoreWindow?.LatestTime;
    if (backup === undefined || arn === undefined) {
        throw new PitrError(
            `--from-dr: no replicated automated backups of "${req.source}" in ${drRegion}; cross-region backup replication must be on (aws.databases[].instance.replicateBackupsToDr) and have completed`,
        );
    }
    if (earliest === undefined || latest === undefined) {
        throw new PitrError(`--from-dr: the replicated backups of "${req.source}" in ${drRegion} (${arn}) have no restore window yet (status ${backup.Status ?? "unknown"})`);
    }
    const window = { earliest, latest };
    const restoreTime = resolvePoint(req.point, window, deps.now(), `the replicated backups of ${req.source} in ${drRegion}`);
    await refuseExistingTarget(dr, req.target, drRegion);

    if (req.securityGroups === undefined || req.securityGroups.length === 0) {
        notes.push(`no --security-group given: the instance gets the default security group of the subnet group's VPC in ${drRegion}`);
    }
    notes.push(`the source's parameter group does not exist in ${drRegion}: the instance starts with the default one; apply a TLS-only parameter group (rds.force_ssl = 1) there`);
    const storageType = source?.StorageType ?? backup.StorageType;
    const input: RestoreDBInstanceToPointInTimeCommandInput = {
        SourceDBInstanceAutomatedBackupsArn: arn,
        TargetDBInstanceIdentifier: req.target,
        ...(restoreTime === undefined ? { UseLatestRestorableTime: true } : { RestoreTime: restoreTime }),
        DBSubnetGroupName: req.subnetGroup,
        ...(req.securityGroups !== undefined && req.securityGroups.length > 0 ? { VpcSecurityGroupIds: [...req.securityGroups] } : {}),
        ...optional("DBInstanceClass", req.instanceClass ?? source?.DBInstanceClass),
        MultiAZ: source?.MultiAZ === true,
        ...optional("StorageType", storageType),
        ...(storageType !== undefined && PROVISIONED_IOPS.has(storageType) ? optional("Iops", source?.Iops ?? backup.Iops) : {}),
        ...optional("Port", source?.Endpoint?.Port ?? source?.DbInstancePort ?? backup.Port),
        PubliclyAccessible: false,
        CopyTagsToSnapshot: source?.CopyTagsToSnapshot ?? true,
        DeletionProtection: true,
        ...optional("EnableIAMDatabaseAuthentication", source?.IAMDatabaseAuthenticationEnabled ?? backup.IAMDatabaseAuthenticationEnabled),
        ...(source === undefined || source.MasterUserSecret !== undefined
            ? { ManageMasterUserPassword: true, ...optional("MasterUserSecretKmsKeyId", backup.KmsKeyId) }
            : {}),
        Tags: restoreTags(source?.DBInstanceArn ?? backup.DBInstanceArn ?? `${req.region}/${req.source}`, restoreTime),
    };
    return { region: drRegion, window, ...(restoreTime === undefined ? {} : { restoreTime }), ...optional("kmsKeyId", backup.KmsKeyId), input, notes };
}

/** Sends the restore request. */
export async function startRdsPitr(plan: RdsPitrPlan, deps: Pick<RdsDeps, "rdsFor">): Promise<DBInstance> {
    const out = await deps.rdsFor(plan.region).send(new RestoreDBInstanceToPointInTimeCommand(plan.input));
    if (out.DBInstance === undefined) {
        throw new Error(`RestoreDBInstanceToPointInTime returned no instance for ${plan.input.TargetDBInstanceIdentifier ?? "(no target)"}`);
    }
    return out.DBInstance;
}

export interface WaitOptions {
    readonly maxWaitMs: number;
    readonly intervalMs: number;
    readonly sleep: (ms: number) => Promise<void>;
    readonly now: () => Date;
    readonly progress: (line: string) => void;
}

/** Statuses an instance does not leave by itself: waiting longer does not help. */
const RDS_FAILED_STATES = new Set([
    "failed",
    "incompatible-restore",
    "incompatible-parameters",
    "incompatible-network",
    "incompatible-option-group",
    "inaccessible-encryption-credentials",
    "inaccessible-encryption-credentials-recoverable",
    "restore-error",
    "storage-full",
]);

/** Polls the new instance until it is available; bounded by maxWaitMs; a progress line per status change and every few polls. */
export async function waitForRdsInstance(rds: RdsApi, id: string, o: WaitOptions): Promise<DBInstance> {
    const started = o.now().getTime();
    const maxPolls = Math.ceil(o.maxWaitMs / o.intervalMs) + 1;
    let last = "";
    for (let poll = 0; poll < maxPolls; poll++) {
        const instance = await describeInstance(rds, id);
        const status = instance?.DBInstanceStatus ?? "not visible yet";
        const minutes = Math.floor((o.now().getTime() - started) / 60_000);
        if (status !== last || poll % 10 === 0) {
            o.progress(`${id}: ${status} (${minutes} min)`);
            last = status;
        }
        if (instance !== undefined && status === "available") {
            return instance;
        }
        if (RDS_FAILED_STATES.has(status)) {
            throw new PitrError(`${id}: the restore ended in status "${status}"; see the RDS events of the instance`);
        }
        if (o.now().getTime() - started >= o.maxWaitMs) {
            break;
        }
        await o.sleep(o.intervalMs);
    }
    throw new PitrError(`${id}: not available after ${Math.round(o.maxWaitMs / 60_000)} min (status ${last}); the restore continues in RDS, check it with: aws rds wait db-instance-available --db-instance-identifier ${id}`);
}

function checkRestorable(source: DBInstance, id: string): void {
    if (source.DBClusterIdentifier !== undefined) {
        throw new PitrError(`--source: "${id}" belongs to the Aurora cluster "${source.DBClusterIdentifier}"; restore the cluster (RestoreDBClusterToPointInTime), not an instance`);
    }
    if ((source.BackupRetentionPeriod ?? 0) === 0) {
        throw new PitrError(`--source: "${id}" has automated backups turned off (backup retention 0 days), so it has no point-in-time recovery`);
    }
}

async function describeInstance(rds: RdsApi, id: string): Promise<DBInstance | undefined> {
    try {
        const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
        return out.DBInstances?.[0];
    } catch (err) {
        if (isDbInstanceNotFound(err)) {
            return undefined;
        }
        throw err;
    }
}

async function describeAutomatedBackups(
    rds: RdsApi,
    filter: { readonly DbiResourceId?: string | undefined; readonly DBInstanceIdentifier?: string },
): Promise<DBInstanceAutomatedBackup[]> {
    const out = await rds.send(new DescribeDBInstanceAutomatedBackupsCommand({ ...filter, MaxRecords: 100 }));
    return out.DBInstanceAutomatedBackups ?? [];
}

async function refuseExistingTarget(rds: RdsApi, target: string, region: string): Promise<void> {
    const existing = await describeInstance(rds, target);
    if (existing !== undefined) {
        throw new PitrError(
            `--target: DB instance "${target}" already exists in ${region} (status ${existing.DBInstanceStatus ?? "unknown"}); a point-in-time restore never replaces an instance: give a new identifier`,
        );
    }
}

export function isDbInstanceNotFound(err: unknown): boolean {
    if (typeof err !== "object" || err === null) {
        return false;
    }
    const e = err as { name?: unknown; Code?: unknown };
    return e.name === "DBInstanceNotFoundFault" || e.name === "DBInstanceNotFound" || e.Code === "DBInstanceNotFound";
}

function resolvePoint(point: RestorePoint, window: RestoreWindow, now: Date, what: string): Date | undefined {
    return "time" in point ? restoreTimeWithin(point.time, window, now, what) : undefined;
}

function restoreTags(from: string, time: Date | undefined): { Key: string; Value: string }[] {
    return [
        { Key: RESTORED_FROM_TAG, Value: from },
        { Key: RESTORE_TIME_TAG, Value: time === undefined ? "latest" : time.toISOString() },
    ];
}

/** `arn:aws:rds:<region>:<account>:auto-backup:...` -> region. */
function arnRegion(arn: string | undefined): string | undefined {
    return arn?.split(":")[3];
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
    return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function messageOf(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------------------------------------
// Azure

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
