/**
 * The one home of the logical names the program gives its components (the Pulumi resource
 * names, part of every child's URN): the program declares them, the audit report names them,
 * `backup --stack` invokes the dump function by its name. A name changed here changes both
 * sides at once; renaming a deployed component needs an alias on the component.
 */
import type { StackConfig } from "./validate";
import type { StackScope } from "./scope";

/** Components declared once per stack, under a fixed logical name. */
export const COMPONENT_NAMES = {
    primaryProvider: "primary",
    drProvider: "dr",
    backupKey: "backups",
    backupBucket: "backups",
    stackConfigRecord: "stack-config",
    replicaBucket: "backups-dr",
    alertTopic: "alerts",
    chatChannels: "alerts-chat",
    awsBackupPlan: "rds",
    fileBucketBackup: "files",
    auditFramework: "audit",
    azureFiles: "azure-files",
    azureAlerts: "azure-alerts",
    azureKeys: "azure-keys",
    azureVault: "azure-vault",
    azureRunner: "azure-runner",
    fargateTaskEvents: "fargate-task-events",
    s3GatewayEndpoint: "backups-s3",
} as const;

/** Logical name of the RdsPostgres a database's instance is declared as: the database's configured name. */
export function rdsPostgresName(database: string): string {
    return database;
}

/** Logical name of the FlexibleServerBackup of an Azure server: the server's configured name. */
export function flexibleServerName(server: string): string {
    return server;
}

/** Name of a database's dump function or task in a stack: what `pulumi up` creates and `backup --stack` invokes. */
export function dumpFunctionName(scope: StackScope, database: string): string {
    return `${scope.stem}-dump-${database}`;
}

/** Name of a database's export function. */
export function exportFunctionName(scope: StackScope, database: string): string {
    return `${scope.stem}-export-${database}`;
}

/** Name of the verify function: one for every database on the verification server, else one per database. */
export function verifyFunctionName(scope: StackScope, database?: string): string {
    return database === undefined ? `${scope.stem}-verify` : `${scope.stem}-verify-${database}`;
}

/** Name of the functions' image. */
export function functionImageName(scope: StackScope): string {
    return `${scope.stem}-image`;
}

/** Name of the stack's BackupAlarms and of its BackupDashboard. */
export function monitoringName(scope: StackScope): string {
    return scope.stem;
}

/** A scheduled run the program declares: the component that runs it and the databases it covers. */
export interface ScheduledRun {
    readonly kind: "dump" | "export" | "verify";
    readonly component: "BackupFunction" | "FargateRunner";
    readonly name: string;
    readonly databases: readonly string[];
}

/**
 * Every scheduled run of a stack with its component and name: a dump per database on its
 * runner, an export where tables are listed and an export schedule is set, and verification on
 * the verification server (one function) or per verified database on its runner. None without a
 * network or a database.
 */
export function scheduledRuns(config: StackConfig, scope: StackScope): ScheduledRun[] {
    if (config.aws.network === undefined) return [];
    const databases = config.aws.databases;
    const component = (runner: "lambda" | "fargate"): ScheduledRun["component"] => (runner === "fargate" ? "FargateRunner" : "BackupFunction");
    const runs: ScheduledRun[] = databases.flatMap((db) => [
        { kind: "dump" as const, component: component(db.runner), name: dumpFunctionName(scope, db.name), databases: [db.name] },
        ...(db.exportTables.length > 0 && config.schedules.export !== undefined
            ? [{ kind: "export" as const, component: "BackupFunction" as const, name: exportFunctionName(scope, db.name), databases: [db.name] }]
            : []),
    ]);
    const verified = databases.filter((d) => d.verify);
    if (config.functions.verification.credentialsSecretArn !== undefined && verified.length > 0) {
        return [...runs, { kind: "verify", component: "BackupFunction", name: verifyFunctionName(scope), databases: verified.map((d) => d.name) }];
    }
    return [...runs, ...verified.map((db) => ({ kind: "verify" as const, component: component(db.runner), name: verifyFunctionName(scope, db.name), databases: [db.name] }))];
}
