/**
 * Point-in-time restore of an RDS instance into a NEW instance, in its region or, from the
 * replicated automated backups, in the DR region. The source is only read; a target that
 * already exists is refused. The RDS client is a parameter, so the tests run against fakes.
 */
import {
    DescribeDBInstanceAutomatedBackupsCommand,
    DescribeDBInstancesCommand,
    RestoreDBInstanceToPointInTimeCommand,
    type DBInstance,
    type DBInstanceAutomatedBackup,
    type RDSClient,
    type RestoreDBInstanceToPointInTimeCommandInput,
} from "@aws-sdk/client-rds";
import { optional, PitrError, restoreTimeWithin, RESTORED_FROM_TAG, RESTORE_TIME_TAG, type RestorePoint, type RestoreWindow } from "./shared";

/** The RDS calls used: DescribeDBInstances, DescribeDBInstanceAutomatedBackups, RestoreDBInstanceToPointInTime. */
export type RdsApi = Pick<RDSClient, "send">;

/** An RDS client for a region (the primary, or the DR region with --from-dr). */
export type RdsClientFactory = (region: string) => RdsApi;

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

function messageOf(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
}
