import { dailyOverlapsWeekly, parseDailyWindow, parseWeeklyWindow } from "./windows";

/**
 * RDS for PostgreSQL documents: parameter group settings, names and tags. Pure functions of
 * plain values, deterministic output.
 */

/** PostgreSQL major versions this stack supports on RDS. */
export const SUPPORTED_MAJORS: readonly number[] = [13, 14, 15, 16, 17];

/** RDS needs backup and maintenance windows of at least this many minutes. */
export const MIN_WINDOW_MINUTES = 30;

/** Tag naming the logical database on the instance, its snapshots and recovery points. */
export const DATABASE_TAG_KEY = "pg-backup-stack:database";

/** Logs published to CloudWatch Logs. */
export const CLOUDWATCH_LOG_EXPORTS: readonly string[] = ["postgresql", "upgrade"];

/**
 * The log group RDS publishes an instance's log of one type to. RDS creates
 * `/aws/rds/instance/<instance>/<log type>` itself when it does not exist, with no retention
 * (kept forever) and no customer-managed key (Amazon RDS User Guide, "Publishing PostgreSQL logs
 * to Amazon CloudWatch Logs",
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.Concepts.PostgreSQL.html#USER_LogAccess.Concepts.PostgreSQL.PublishtoCloudWatchLogs,
 * and "Publishing database logs to Amazon CloudWatch Logs",
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.Procedural.UploadtoCloudWatch.html);
 * declaring the groups first, with retention and the key, keeps them in the stack.
 */
export function rdsLogGroupName(identifier: string, logType: string): string {
    return `/aws/rds/instance/${identifier}/${logType}`;
}

/** The major version of `15` or `15.7`, or undefined when the text is not a version. */
export function engineMajor(version: string): number | undefined {
    const m = /^(\d+)(\.\d+)?$/.exec(version);
    return m === null ? undefined : Number(m[1]);
}

/** Parameter group family of a PostgreSQL engine version: `15.7` -> `postgres15`. */
export function parameterGroupFamily(version: string): string {
    const major = engineMajor(version);
    if (major === undefined || !SUPPORTED_MAJORS.includes(major)) {
        throw new RangeError(`engineVersion: "${version}" must be a PostgreSQL version with major ${SUPPORTED_MAJORS.join(", ")}`);
    }
    return `postgres${major}`;
}

export interface DbParameter {
    readonly name: string;
    readonly value: string;
    readonly applyMethod: "immediate" | "pending-reboot";
}

export interface RdsParameterInput {
    /** Log statements running at least this long (ms); omitted: not logged by duration. */
    readonly logMinDurationStatementMs?: number;
}

/**
 * Parameters of the instance's parameter group, sorted by name: TLS required for every
 * connection, and the logging an incident review needs (connections, lock waits, DDL, temp
 * files over 10 MB, slow autovacuum runs, optionally slow statements). All are dynamic.
 */
export function rdsParameters(input: RdsParameterInput): DbParameter[] {
    const ms = input.logMinDurationStatementMs;
    if (ms !== undefined && (!Number.isInteger(ms) || ms < 0)) {
        throw new RangeError(`logMinDurationStatementMs: ${ms} must be a whole number of milliseconds, 0 or more`);
    }
    const values: Record<string, string> = {
        "log_autovacuum_min_duration": "10000",
        "log_connections": "1",
        "log_disconnections": "1",
        "log_lock_waits": "1",
        "log_statement": "ddl",
        "log_temp_files": "10240",
        "rds.force_ssl": "1",
        ...(ms !== undefined ? { "log_min_duration_statement": String(ms) } : {}),
    };
    return Object.keys(values).sort().map((name) => ({ name, value: values[name] ?? "", applyMethod: "immediate" }));
}

/**
 * Identifier of the snapshot RDS takes when the instance is deleted. The suffix is random per
 * instance, so a second destroy of a re-created stack does not collide with the first one's
 * snapshot. Identifiers allow letters, digits and single hyphens, start with a letter, 255 max.
 */
export function finalSnapshotIdentifier(stem: string, suffix: string): string {
    return rdsIdentifier(`${stem}-final-${suffix}`, 255);
}

/** Identifier of an instance given none: the component name and a random suffix, within RDS's 63 characters. */
export function generatedInstanceIdentifier(name: string, suffix: string): string {
    return rdsIdentifier(`${rdsIdentifier(name, 62 - suffix.length)}-${suffix}`, 63);
}

/** `raw` as an RDS identifier: letters, digits and single hyphens, starting with a letter, at most `maxLength`. */
function rdsIdentifier(raw: string, maxLength: number): string {
    const cleaned = raw.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/-+/g, "-").replace(/^-+|-+$/g, "");
    const withLetter = /^[a-z]/.test(cleaned) ? cleaned : `db-${cleaned}`;
    return withLetter.slice(0, maxLength).replace(/-+$/, "");
}

/** RDS storage autoscaling needs a maximum at least 10 % above the allocated storage. */
export function minMaxAllocatedStorageGb(allocatedGb: number): number {
    return Math.ceil((allocatedGb * 11) / 10);
}

/** Whether an instance's automated backups are replicated to the DR region: asked for, and there are some. */
export function replicatesBackups(instance: { readonly replicateBackupsToDr: boolean; readonly backupRetentionDays: number }): boolean {
    return instance.replicateBackupsToDr && instance.backupRetentionDays > 0;
}

/** Burstable micro and small classes do not offer Performance Insights. */
export function supportsPerformanceInsights(instanceClass: string): boolean {
    return !/^db\.t[234]g?\.(micro|small)$/.test(instanceClass);
}

/**
 * Instance tags: the caller's, the logical database name, and the AWS Backup selection tag
 * (set last, so that no caller tag can take the instance out of the backup plan). Keys sorted.
 */
export function rdsTags(
    base: Readonly<Record<string, string>>,
    databaseName: string,
    selectionTag: { readonly key: string; readonly value: string },
): Record<string, string> {
    const merged: Record<string, string> = { ...base, [DATABASE_TAG_KEY]: databaseName, [selectionTag.key]: selectionTag.value };
    return Object.fromEntries(Object.keys(merged).sort().map((k) => [k, merged[k] ?? ""]));
}

/**
 * Problems with an instance's windows, each naming the argument: the backup window must be
 * `hh24:mi-hh24:mi`, the maintenance window `ddd:hh24:mi-ddd:hh24:mi`, both at least 30 minutes
 * long, and RDS refuses the two when they overlap.
 */
export function rdsWindowProblems(backupWindow: string, maintenanceWindow: string): string[] {
    const problems: string[] = [];
    const backup = parseDailyWindow(backupWindow);
    const maintenance = parseWeeklyWindow(maintenanceWindow);
    if (typeof backup === "string") problems.push(`backupWindow: "${backupWindow}" ${backup}`);
    else if (backup.lengthMinutes < MIN_WINDOW_MINUTES) {
        problems.push(`backupWindow: "${backupWindow}" is ${backup.lengthMinutes} minutes long; RDS needs at least ${MIN_WINDOW_MINUTES}`);
    }
    if (typeof maintenance === "string") problems.push(`maintenanceWindow: "${maintenanceWindow}" ${maintenance}`);
    else if (maintenance.lengthMinutes < MIN_WINDOW_MINUTES) {
        problems.push(`maintenanceWindow: "${maintenanceWindow}" is ${maintenance.lengthMinutes} minutes long; RDS needs at least ${MIN_WINDOW_MINUTES}`);
    }
    if (typeof backup !== "string" && typeof maintenance !== "string" && dailyOverlapsWeekly(backup, maintenance)) {
        problems.push(`maintenanceWindow: "${maintenanceWindow}" overlaps backupWindow "${backupWindow}"; RDS needs them apart`);
    }
    return problems;
}

/** Who owns an instance's master secret: RDS (not replicable) or the stack (replicated to the DR region). */
export type MasterSecretOwner = "rds-managed" | "replicated";

/**
 * Characters RDS for PostgreSQL accepts in a master password: printable ASCII but '/', '@', '"'
 * and space (CreateDBInstance, MasterUserPassword,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html).
 */
export const MASTER_PASSWORD_SPECIALS = "!#$%&*()-_=+[]{}<>:?";

/** The master secret's value: the JSON RDS-managed secrets hold and the functions read (lambdas/shared/credentials.ts). */
export interface MasterSecretValue {
    readonly username: string;
    readonly password: string;
    readonly host: string;
    readonly port: number;
    readonly dbname: string;
}

/** JSON of a stack-owned master secret, keys in a fixed order. */
export function masterSecretJson(v: MasterSecretValue): string {
    return JSON.stringify({ username: v.username, password: v.password, host: v.host, port: v.port, dbname: v.dbname });
}
