import { Finding, Rule, error, warning } from "../findings";
import type { ParsedConfig } from "../schema";
import { Schedule, ScheduleError, parseSchedule } from "../schedule";
import { DailyWindow, dailyOverlapsWeekly, dailyWindowsOverlap, formatClock, parseDailyWindow, parseWeeklyWindow } from "../windows";
import { SUPPORTED_MAJORS, engineMajor, minMaxAllocatedStorageGb } from "../../components/aws/documents/rds";

type Database = ParsedConfig["aws"]["databases"][number];
type Instance = NonNullable<Database["instance"]>;

/** Each database that has an instance, with its key path. */
function instances(c: ParsedConfig): { db: Database; instance: Instance; base: string; i: number }[] {
    return c.aws.databases.flatMap((db, i) =>
        db.instance === undefined ? [] : [{ db, instance: db.instance, base: `aws.databases[${i}].instance`, i }]);
}

/**
 * Start windows of the AWS Backup plan: each firing time of its schedule, open for
 * startWindowMinutes. Empty when AWS Backup is off or its schedule does not parse (the
 * AWS Backup rules report that).
 */
function awsBackupStartWindows(c: ParsedConfig): DailyWindow[] {
    if (!c.aws.backup.enabled) return [];
    const parsed = parsedOrUndefined(c.aws.backup.schedule);
    if (parsed?.kind !== "cron") return [];
    const { hours, minutes } = parsed.cron;
    return [...hours].sort((a, b) => a - b).flatMap((h) => [...minutes].sort((a, b) => a - b).map((m) => ({
        startMinute: h * 60 + m,
        lengthMinutes: c.aws.backup.startWindowMinutes,
    })));
}

function parsedOrUndefined(expression: string): Schedule | undefined {
    try {
        return parseSchedule(expression);
    } catch (err) {
        if (err instanceof ScheduleError) return undefined;
        throw err;
    }
}

function describeWindow(w: DailyWindow): string {
    return `${formatClock(w.startMinute)}-${formatClock(w.startMinute + w.lengthMinutes)}`;
}

/**
 * AWS Backup cannot snapshot an RDS instance while RDS takes its own automated backup: the
 * plan's start window must stay clear of every instance's backup window.
 */
export const awsBackupClearOfRdsBackupWindow: Rule = (c) => {
    const starts = awsBackupStartWindows(c);
    return instances(c).flatMap(({ instance, base }) => {
        const backup = parseDailyWindow(instance.backupWindow);
        if (typeof backup === "string") return [];
        const clash = starts.find((s) => dailyWindowsOverlap(s, backup));
        return clash === undefined ? [] : [error(`${base}.backupWindow`, instance.backupWindow,
            `overlaps the AWS Backup start window ${describeWindow(clash)} UTC (aws.backup.schedule "${c.aws.backup.schedule}", ` +
                `startWindowMinutes ${c.aws.backup.startWindowMinutes}); AWS Backup cannot snapshot an instance during its automated backup: move one of them`)];
    });
};

/** A snapshot started during maintenance waits for it (or expires): a warning, not an error. */
export const awsBackupClearOfMaintenance: Rule = (c) => {
    const starts = awsBackupStartWindows(c);
    return instances(c).flatMap(({ instance, base }) => {
        const maintenance = parseWeeklyWindow(instance.maintenanceWindow);
        if (typeof maintenance === "string") return [];
        const clash = starts.find((s) => dailyOverlapsWeekly(s, maintenance));
        return clash === undefined ? [] : [warning(`${base}.maintenanceWindow`, instance.maintenanceWindow,
            `overlaps the AWS Backup start window ${describeWindow(clash)} UTC; that day's backup may start late or expire`)];
    });
};

/** Automated backups off means no point-in-time recovery; prod's minimum of 7 days is checked elsewhere. */
export const automatedBackupsOff: Rule = (c) => {
    if (c.environment === "prod") return [];
    return instances(c).flatMap(({ instance, base }) => instance.backupRetentionDays !== 0 ? [] : [warning(`${base}.backupRetentionDays`, 0,
        "turns automated backups off: no point-in-time recovery for this database (allowed in non-prod stacks; prod needs 7..35)")]);
};

/**
 * Cross-region replication copies automated backups: with none, there is nothing to replicate
 * and the stack skips it (the DR region itself is checked with the regions).
 */
export const replicationNeedsBackups: Rule = (c) => instances(c).flatMap(({ instance, base }) => {
    if (instance.replicateBackupsToDr && instance.backupRetentionDays === 0) {
        return [warning(`${base}.replicateBackupsToDr`, true,
            "has nothing to replicate while backupRetentionDays is 0; the DR copy of automated backups is skipped")];
    }
    if (!instance.replicateBackupsToDr && instance.drBackupRetentionDays !== undefined) {
        return [warning(`${base}.drBackupRetentionDays`, instance.drBackupRetentionDays, "has no effect while replicateBackupsToDr is false")];
    }
    return [];
});

const AURORA_ONLY: readonly { key: "backtrackWindowHours" | "serverlessV2" | "globalClusterIdentifier"; why: string }[] = [
    { key: "backtrackWindowHours", why: "Backtrack exists only for Aurora MySQL clusters; use point-in-time recovery (backupRetentionDays) instead" },
    { key: "serverlessV2", why: "Serverless v2 scaling exists only for Aurora clusters; choose an instanceClass instead" },
    { key: "globalClusterIdentifier", why: "global databases exist only for Aurora clusters; cross-region recovery of an instance comes from replicateBackupsToDr" },
];

/** The stack creates RDS instances, not Aurora clusters: Aurora-only settings would be silently meaningless. */
export const auroraOnlyOptions: Rule = (c) => instances(c).flatMap(({ instance, base }) =>
    AURORA_ONLY.filter(({ key }) => instance[key] !== undefined)
        .map(({ key, why }) => error(`${base}.${key}`, instance[key], `is an Aurora setting and is not allowed on an RDS instance: ${why}`)));

/** Database names are object-key segments and resource names; instance identifiers are unique per region. */
export const databaseNamesUnique: Rule = (c) => {
    const out: Finding[] = [];
    const names = new Map<string, number>();
    const identifiers = new Map<string, number>();
    c.aws.databases.forEach((db, i) => {
        const first = names.get(db.name);
        if (first !== undefined) out.push(error(`aws.databases[${i}].name`, db.name, `is already the name of aws.databases[${first}]; names must be unique`));
        else names.set(db.name, i);
        const id = db.instance?.identifier;
        if (id === undefined) return;
        const firstId = identifiers.get(id);
        if (firstId !== undefined) {
            out.push(error(`aws.databases[${i}].instance.identifier`, id, `is already the identifier of aws.databases[${firstId}].instance; identifiers are unique per region`));
        } else identifiers.set(id, i);
    });
    return out;
};

/** A database without an instance is one the stack does not manage: it needs its endpoint and credentials. */
export const databaseEndpoint: Rule = (c) => c.aws.databases.flatMap((db, i) => {
    const base = `aws.databases[${i}]`;
    if (db.instance !== undefined) {
        return db.host === undefined ? [] : [error(`${base}.host`, db.host,
            "is only for databases the stack does not manage; this one has an instance, whose endpoint the stack knows: remove host, or remove instance")];
    }
    const out: Finding[] = [];
    if (db.host === undefined) out.push(error(`${base}.host`, undefined, "is required when the database has no instance: give the endpoint of the existing server"));
    if (db.credentialsSecretArn === undefined) {
        out.push(error(`${base}.credentialsSecretArn`, undefined, "is required when the database has no instance: give the Secrets Manager secret with its username and password"));
    }
    return out;
});

/** Majors the stack supports on RDS (parameter group family postgres13..postgres17). */
export const engineVersionSupported: Rule = (c) => instances(c).flatMap(({ instance, base }) => {
    const major = engineMajor(instance.engineVersion);
    return major !== undefined && SUPPORTED_MAJORS.includes(major) ? [] : [error(`${base}.engineVersion`, instance.engineVersion,
        `has major ${major ?? "?"}; supported PostgreSQL majors are ${SUPPORTED_MAJORS.join(", ")}`)];
});

/** Instance-level limits RDS applies that the schema cannot express. */
export const instanceLimits: Rule = (c) => instances(c).flatMap(({ db, instance, base, i }) => {
    const out: Finding[] = [];
    const max = instance.maxAllocatedStorageGb;
    if (max !== undefined && max < minMaxAllocatedStorageGb(instance.allocatedStorageGb)) {
        out.push(error(`${base}.maxAllocatedStorageGb`, max,
            `must be at least ${minMaxAllocatedStorageGb(instance.allocatedStorageGb)} (10 % above allocatedStorageGb ${instance.allocatedStorageGb}) for storage autoscaling; omit it to turn autoscaling off`));
    }
    if (db.port < 1150) {
        out.push(error(`aws.databases[${i}].port`, db.port, "is below 1150; RDS instances listen on ports 1150..65535"));
    }
    if (!/^[A-Za-z]/.test(db.databaseName)) {
        out.push(error(`aws.databases[${i}].databaseName`, db.databaseName, "must start with a letter for the database RDS creates"));
    }
    return out;
});

/** A DB subnet group needs two subnets (in two availability zones). */
export const instanceSubnets: Rule = (c) => instances(c).flatMap(({ instance, base }) => {
    const subnets = instance.subnetIds ?? c.aws.network?.subnetIds ?? [];
    if (subnets.length >= 2) return [];
    const source = instance.subnetIds !== undefined ? `${base}.subnetIds` : c.aws.network !== undefined ? "aws.network.subnetIds" : `${base}.subnetIds`;
    return [error(source, instance.subnetIds ?? c.aws.network?.subnetIds,
        `gives ${subnets.length} subnet(s) for the instance; a DB subnet group needs at least 2, in different availability zones (set ${base}.subnetIds or aws.network.subnetIds)`)];
});

/**
 * A stack-owned master secret is replicated to the DR region under the replica key, the key
 * `storage.replication` puts there: without both there is nowhere to replicate it to.
 */
export const replicatedMasterSecret: Rule = (c) => instances(c).flatMap(({ instance, base }) => {
    if (instance.masterCredentials !== "replicated") return [];
    if (c.regions === undefined) {
        return [error(`${base}.masterCredentials`, instance.masterCredentials, "needs regions.dr to replicate the secret to; set regions, or masterCredentials to \"rds-managed\"")];
    }
    if (!c.storage.replication) {
        return [error(`${base}.masterCredentials`, instance.masterCredentials,
            `needs the replica key of the backup key in ${c.regions.dr}, which storage.replication provides; set storage.replication to true, or masterCredentials to "rds-managed"`)];
    }
    return [];
});

export const rules: readonly Rule[] = [
    awsBackupClearOfRdsBackupWindow,
    awsBackupClearOfMaintenance,
    automatedBackupsOff,
    replicationNeedsBackups,
    auroraOnlyOptions,
    databaseNamesUnique,
    databaseEndpoint,
    engineVersionSupported,
    instanceLimits,
    instanceSubnets,
    replicatedMasterSecret,
];
