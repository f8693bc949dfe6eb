import * as crypto from "crypto";
import type { FunctionKind } from "../../aws/documents/functionPolicies";

/**
 * Documents of the Azure runner: the sizes and schedules Container Apps jobs accept, the jobs'
 * names and environment, the identity's role definitions, and the log search queries of the
 * jobs' alerts. Pure functions of plain values, deterministic output.
 */

/**
 * CPU (vCPU) and memory (GiB) a container may have on the Consumption profile: 0.25 vCPU steps up
 * to 4 vCPU, with twice as many GiB of memory ("Containers in Azure Container Apps", Allocations,
 * https://learn.microsoft.com/azure/container-apps/containers#allocations: "0.25 vCPU 0.5Gi" to
 * "4.0 vCPU 8.0Gi"; consulted 2026-11-30).
 */
export const CONSUMPTION_CPUS: readonly number[] = Array.from({ length: 16 }, (_, i) => (i + 1) / 4);

/** The one memory size the Consumption profile allows with `cpu`, GiB. */
export function consumptionMemoryGi(cpu: number): number {
    return cpu * 2;
}

/** One thing wrong with a Consumption size: the key, its value, and what is allowed. */
export interface SizeProblem {
    readonly key: "cpu" | "memoryGi";
    readonly value: number;
    readonly message: string;
}

/** What is wrong with a Consumption size; empty when the profile offers it. */
export function consumptionSizeProblems(cpu: number, memoryGi: number): SizeProblem[] {
    if (!CONSUMPTION_CPUS.includes(cpu)) {
        return [{ key: "cpu", value: cpu, message: `is not a Consumption-profile size; allowed: ${CONSUMPTION_CPUS.join(", ")} (vCPU)` }];
    }
    const memory = consumptionMemoryGi(cpu);
    return memoryGi === memory ? [] : [{ key: "memoryGi", value: memoryGi, message: `is not allowed with cpu ${cpu}; the Consumption profile allows ${memory} only (2 GiB per vCPU)` }];
}

/** The memory value Container Apps takes: `"1.5Gi"`. */
export function memoryQuantity(memoryGi: number): string {
    return `${memoryGi}Gi`;
}

const CRON_FIELDS: readonly { readonly name: string; readonly min: number; readonly max: number }[] = [
    { name: "minute", min: 0, max: 59 },
    { name: "hour", min: 0, max: 23 },
    { name: "day of month", min: 1, max: 31 },
    { name: "month", min: 1, max: 12 },
    { name: "day of week", min: 0, max: 6 },
];

/**
 * Why a schedule is refused, or undefined: Container Apps scheduled jobs take a standard
 * five-field cron expression (minute hour day-of-month month day-of-week), evaluated in UTC ("Jobs
 * in Azure Container Apps", Scheduled jobs, https://learn.microsoft.com/azure/container-apps/jobs#scheduled-jobs:
 * "Cron expressions in scheduled jobs are evaluated in Coordinated Universal Time (UTC)").
 * Numbers, `*`, ranges, lists and steps only: names (`MON`) and `?` are not standard cron.
 */
export function cronProblem(expression: string): string | undefined {
    const fields = expression.trim().split(/\s+/);
    if (fields.length !== CRON_FIELDS.length) {
        return `"${expression}" has ${fields.length} fields; expected 5 (minute hour day-of-month month day-of-week, UTC), e.g. "0 2 * * *"`;
    }
    for (const [i, field] of fields.entries()) {
        const spec = CRON_FIELDS[i]!;
        for (const part of field.split(",")) {
            const m = /^(?:\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
            const outOfRange = (v: string | undefined): boolean => v !== undefined && (Number(v) < spec.min || Number(v) > spec.max);
            if (m === null || outOfRange(m[1]) || outOfRange(m[2]) || (m[2] !== undefined && Number(m[2]) < Number(m[1])) ||
                (m[3] !== undefined && Number(m[3]) < 1)) {
                return `"${expression}": the ${spec.name} field "${field}" is not allowed; expected *, numbers ${spec.min}..${spec.max}, ranges a-b, lists and /steps`;
            }
        }
    }
    return undefined;
}

/** The values one cron field allows (`*`, numbers, ranges, lists, steps); the expression is assumed valid. */
function cronFieldValues(field: string, min: number, max: number): Set<number> {
    const values = new Set<number>();
    for (const part of field.split(",")) {
        const m = /^(?:\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
        if (m === null) continue;
        const from = m[1] === undefined ? min : Number(m[1]);
        const to = m[2] !== undefined ? Number(m[2]) : m[1] !== undefined && m[3] === undefined ? from : max;
        for (let v = from; v <= to; v += m[3] === undefined ? 1 : Number(m[3])) values.add(v);
    }
    return values;
}

/**
 * The longest time between two runs of a five-field cron schedule, in minutes, over the 400 days
 * from 2028-01-01 UTC (a leap year and a few weeks past it, so that every month and weekday
 * pattern repeats); a schedule that runs at most once in that time is Infinity. Day of month and
 * day of week, when both are restricted, match either, as in standard cron.
 */
const SIMULATED_DAYS = 400;

export function cronLongestGapMinutes(expression: string): number {
    const problem = cronProblem(expression);
    if (problem !== undefined) throw new RangeError(problem);
    const fields = expression.trim().split(/\s+/);
    const [minutes, hours, days, months, weekdays] = fields.map((f, i) => cronFieldValues(f, CRON_FIELDS[i]!.min, CRON_FIELDS[i]!.max)) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
    const anyDay = fields[2] === "*";
    const anyWeekday = fields[4] === "*";
    const start = Date.UTC(2028, 0, 1);
    const runs: number[] = [];
    for (let day = 0; day < SIMULATED_DAYS; day++) {
        const date = new Date(start + day * 86_400_000);
        const dayMatches = anyDay && anyWeekday ? true
            : anyDay ? weekdays.has(date.getUTCDay())
            : anyWeekday ? days.has(date.getUTCDate())
            : days.has(date.getUTCDate()) || weekdays.has(date.getUTCDay());
        if (!months.has(date.getUTCMonth() + 1) || !dayMatches) continue;
        for (const h of [...hours].sort((a, b) => a - b)) {
            for (const m of [...minutes].sort((a, b) => a - b)) runs.push(day * 1440 + h * 60 + m);
        }
    }
    if (runs.length < 2) return Infinity;
    let longest = 0;
    for (let i = 1; i < runs.length; i++) longest = Math.max(longest, runs[i]! - runs[i - 1]!);
    return longest;
}

/**
 * Job names: lower-case letters, digits and '-', starting with a letter, ending with a letter or
 * digit, no '--', fewer than 32 characters (`az containerapp job`, --name:
 * https://learn.microsoft.com/cli/azure/containerapp/job).
 */
export const JOB_NAME = /^(?=.{2,31}$)[a-z](?:[a-z0-9]|-(?!-))*[a-z0-9]$/;

/**
 * The job of one kind for one target: `<target>-<environment>-<kind>`, or, when that is too long,
 * a cut of it with a hash of the whole, so that two targets never share a name.
 */
export function jobName(target: string, environment: string, kind: FunctionKind): string {
    const full = `${target}-${environment}-${kind}`;
    if (JOB_NAME.test(full)) return full;
    const hash = crypto.createHash("sha256").update(full).digest("hex").slice(0, 6);
    const room = 31 - kind.length - hash.length - 2;
    const stem = `${target}-${environment}`.slice(0, room).replace(/-+$/, "").replace(/--+/g, "-");
    return `${stem}-${hash}-${kind}`;
}

/**
 * Registry names: 5-50 letters and digits, unique across Azure ("Azure Container Registry
 * naming", https://learn.microsoft.com/azure/container-registry/container-registry-get-started-portal#create-a-container-registry).
 * `pgbackup<environment><suffix>`, the environment's letters and digits only.
 */
export function registryName(environment: string, suffix: string): string {
    if (!/^[a-z0-9]{4,16}$/.test(suffix)) throw new RangeError(`suffix: "${suffix}" must be 4-16 lower-case letters and digits`);
    return `pgbackup${environment.replace(/[^a-z0-9]/g, "")}`.slice(0, 50 - suffix.length) + suffix;
}

/** Seconds between the handler's own deadline (RUN_TIMEOUT_SECONDS) and the job's replica timeout. */
export const RUN_TIMEOUT_GRACE_SECONDS = 120;

/**
 * The job's replicaTimeout and the handler's RUN_TIMEOUT_SECONDS for a run expected to take at
 * most `timeoutMinutes`. Container Apps stops a replica at its timeout (DeadlineExceeded), and a
 * stopped replica writes no result line; the handler stops itself earlier, so that a run out of time
 * still reports a failed result and cleans up.
 */
export function jobTimeouts(timeoutMinutes: number): { readonly replicaTimeout: number; readonly runTimeoutSeconds: number } {
    if (!Number.isInteger(timeoutMinutes) || timeoutMinutes < 5) {
        throw new RangeError(`timeoutMinutes: ${timeoutMinutes} must be a whole number of minutes, at least 5`);
    }
    const replicaTimeout = timeoutMinutes * 60;
    return { replicaTimeout, runTimeoutSeconds: replicaTimeout - RUN_TIMEOUT_GRACE_SECONDS };
}

/**
 * Built-in role definition GUIDs, the same in every subscription ("Azure built-in roles",
 * https://learn.microsoft.com/azure/role-based-access-control/built-in-roles; consulted 2026-11-30).
 */
/** `/subscriptions/<id>/providers/Microsoft.Authorization/roleDefinitions/<guid>`. */
export function roleDefinitionId(subscriptionId: string, roleGuid: string): string {
    return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`;
}

const BLOBS = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs";

/**
 * Data actions of the runner's blob role: read, write and list blobs, read and write their index
 * tags, and set their immutability policies. Storage Blob Data Contributor would also carry
 * `blobs/delete` ("Azure built-in roles for Storage", Storage Blob Data Contributor,
 * https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/storage#storage-blob-data-contributor),
 * and no built-in role writes blobs without deleting them, hence a custom role. Setting a blob's
 * immutability policy takes `blobs/immutableStorage/runAsSuperUser/action` ("Authorize with
 * Microsoft Entra ID", permissions for Blob service operations: Set Immutability Policy,
 * https://learn.microsoft.com/rest/api/storageservices/authorize-with-azure-active-directory#permissions-for-blob-service-operations);
 * the same action deletes an unlocked policy, which is why the dumps of prod are locked
 * (COMPLIANCE -> Locked) and why no delete action is granted: without `blobs/delete` and
 * `blobs/deleteBlobVersion/action`, no version of a dump can be removed by the runner at all.
 */
export const BACKUP_BLOB_DATA_ACTIONS: readonly string[] = [
    `${BLOBS}/read`,
    `${BLOBS}/write`,
    `${BLOBS}/add/action`,
    `${BLOBS}/tags/read`,
    `${BLOBS}/tags/write`,
    `${BLOBS}/immutableStorage/runAsSuperUser/action`,
];

/** Data actions that remove data: the runner's role must hold none of them. */
export const BLOB_REMOVING_DATA_ACTIONS: readonly string[] = [
    `${BLOBS}/delete`,
    `${BLOBS}/deleteBlobVersion/action`,
    `${BLOBS}/permanentDelete/action`,
    `${BLOBS}/move/action`,
];

export interface CustomRoleDefinition {
    readonly roleName: string;
    readonly description: string;
    readonly permissions: [{ readonly actions: string[]; readonly notActions: string[]; readonly dataActions: string[]; readonly notDataActions: string[] }];
}

/**
 * The runner's blob role: only BACKUP_BLOB_DATA_ACTIONS, with the remove actions excluded too, so
 * that a later edit adding a wildcard still cannot delete. Role names are unique in the tenant,
 * so the name carries the environment and the resource group.
 */
export function backupBlobWriterRole(environment: string, resourceGroupName: string): CustomRoleDefinition {
    return {
        roleName: `pg-backup-stack blob writer (${environment}, ${resourceGroupName})`,
        description: "Write, read and tag backup blobs and set their immutability policies; never delete them",
        permissions: [{ actions: [], notActions: [], dataActions: [...BACKUP_BLOB_DATA_ACTIONS], notDataActions: [...BLOB_REMOVING_DATA_ACTIONS] }],
    };
}

/** ARM id of a blob container, the scope the blob role is assigned at. */
export function containerScope(accountId: string, containerName: string): string {
    return `${accountId}/blobServices/default/containers/${containerName}`;
}

/** ARM id of one Key Vault secret, the scope Key Vault Secrets User is assigned at. */
export function secretScope(vaultId: string, secretName: string): string {
    return `${vaultId}/secrets/${secretName}`;
}

/** `https://<vault>.vault.azure.net/secrets/<name>`: the value of DB_KEYVAULT_SECRET_URI. */
export function secretUri(vaultUri: string, secretName: string): string {
    return `${vaultUri.replace(/\/+$/, "")}/secrets/${secretName}`;
}

/** How a job authenticates to PostgreSQL: a Key Vault secret, or an Entra role mapped to the identity. */
export type DatabaseCredential =
    | { readonly keyVaultSecretName: string }
    | { readonly entraUser: string };

/** Variables of the credential, with prefix `DB_` or `VERIFY_DB_`. */
function credentialVariables(prefix: "DB_" | "VERIFY_DB_", credential: DatabaseCredential, vaultUri: string | undefined): Record<string, string> {
    if ("entraUser" in credential) return { [`${prefix}ENTRA_USER`]: credential.entraUser };
    if (vaultUri === undefined) {
        throw new RangeError(`keyVaultSecretName: "${credential.keyVaultSecretName}" needs a Key Vault; none was given`);
    }
    return { [`${prefix}KEYVAULT_SECRET_URI`]: secretUri(vaultUri, credential.keyVaultSecretName) };
}

/** What every job of the runner is told, resolved. */
export interface JobEnvironmentInput {
    readonly blobEndpoint: string;
    readonly containerName: string;
    readonly prefix: string;
    readonly clientId: string;
    readonly runTimeoutSeconds: number;
    /** Logical name of the target: the result line's `database` and the key segment. */
    readonly target: string;
    readonly host: string;
    readonly databaseName: string;
    readonly credential: DatabaseCredential;
    readonly vaultUri?: string;
    /** Where the server is, for verify's check of its own backups (AZURE_SERVERS; Reader on the resource group). */
    readonly server: { readonly subscriptionId: string; readonly resourceGroup: string; readonly serverName: string };
    /** The kind's own variables (WEEKLY_ON, EXPORT_TABLES, VERIFY_MAX_BACKUP_AGE_MINUTES, ...). */
    readonly settings: Readonly<Record<string, string>>;
}

/** Variables that name AWS resources (a job on Azure storing to S3 by mistake) or that the runner sets itself. */
const AWS_ONLY_VARIABLES = ["BACKUP_BUCKET", "EXPORT_BUCKET", "DB_SECRET_ARN", "VERIFY_DB_SECRET_ARN", "KMS_KEY_ID", "AZURE_SERVERS", "AZURE_SUBSCRIPTION_ID"];

/**
 * A job's variables, sorted by name: the storage contract (STORAGE_PROVIDER azure-blob,
 * AZURE_BLOB_ENDPOINT, BACKUP_CONTAINER, BACKUP_PREFIX), the identity (AZURE_CLIENT_ID), the
 * handler's deadline, the database (verify: the scratch server under VERIFY_DB_, and the server
 * whose own backups it checks) and the kind's settings. No key, password or connection string: the credential is a secret's URI or an Entra role.
 */
export function jobEnvironment(kind: FunctionKind, input: JobEnvironmentInput): { name: string; value: string }[] {
    const clash = Object.keys(input.settings).find((k) => AWS_ONLY_VARIABLES.includes(k) || k.startsWith("DB_") || k.startsWith("VERIFY_DB_"));
    if (clash !== undefined) throw new RangeError(`settings.${clash}: set by the runner or AWS-only; remove it`);
    const database = kind === "verify"
        ? {
            VERIFY_DB_HOST: input.host, VERIFY_DB_SSLMODE: "require",
            ...credentialVariables("VERIFY_DB_", input.credential, input.vaultUri),
            AZURE_SUBSCRIPTION_ID: input.server.subscriptionId,
            AZURE_SERVERS: JSON.stringify([{ name: input.target, resourceGroup: input.server.resourceGroup, serverName: input.server.serverName }]),
        }
        : { DATABASE_NAME: input.target, DB_HOST: input.host, DB_NAME: input.databaseName, DB_SSLMODE: "require", ...credentialVariables("DB_", input.credential, input.vaultUri) };
    const all: Record<string, string> = {
        ...input.settings,
        ...database,
        STORAGE_PROVIDER: "azure-blob",
        AZURE_BLOB_ENDPOINT: input.blobEndpoint.replace(/\/+$/, ""),
        BACKUP_CONTAINER: input.containerName,
        BACKUP_PREFIX: input.prefix,
        AZURE_CLIENT_ID: input.clientId,
        RUN_TIMEOUT_SECONDS: String(input.runTimeoutSeconds),
    };
    return Object.entries(all).sort(([a], [b]) => a.localeCompare(b)).map(([name, value]) => ({ name, value }));
}

/** Table and column the Container Apps environment writes the containers' stdout to in Log Analytics. */
export const CONSOLE_LOG_TABLE = "ContainerAppConsoleLogs_CL";
export const CONSOLE_LOG_COLUMN = "Log_s";
/** Table of the platform's own events (replica started, failed, timed out). */
export const SYSTEM_LOG_TABLE = "ContainerAppSystemLogs_CL";

/** The key of the result line every handler run writes (lambdas/shared/runOnce.ts). */
export const RESULT_KEY = "pgBackupStackResult";

/** Which result lines a query selects. */
export interface ResultLineFilter {
    readonly kind: FunctionKind;
    readonly database: string;
    readonly outcome: "succeeded" | "failed";
}

const KQL_SAFE = /^[a-z][a-z0-9-]{0,62}$/;

function kqlString(value: string, key: string): string {
    if (!KQL_SAFE.test(value)) throw new RangeError(`${key}: "${value}" is not allowed in a query; expected lower-case letters, digits and '-'`);
    return `"${value}"`;
}

/**
 * The result lines of one kind, database and outcome. `has` on the raw line first (an indexed
 * term search), then the line parsed with parse_json: a line that is not JSON parses to a string,
 * whose properties are null, so only real result objects match
 * ("parse_json()", https://learn.microsoft.com/kusto/query/parse-json-function).
 */
export function resultLineQuery(filter: ResultLineFilter): string {
    return [
        CONSOLE_LOG_TABLE,
        `| where ${CONSOLE_LOG_COLUMN} has "${RESULT_KEY}"`,
        `| extend result = parse_json(${CONSOLE_LOG_COLUMN}).${RESULT_KEY}`,
        `| where tostring(result.kind) == ${kqlString(filter.kind, "kind")}` +
            ` and tostring(result.database) == ${kqlString(filter.database, "database")}` +
            ` and tostring(result.outcome) == ${kqlString(filter.outcome, "outcome")}`,
    ].join("\n");
}

/**
 * Executions the platform itself gave up on, which may have written no result line: the replica
 * ran past its timeout (DeadlineExceeded) or failed more often than its retry limit
 * (BackoffLimitExceeded). Container Apps records both in ContainerAppSystemLogs_CL with the job's
 * name in JobName_s ("Troubleshooting failed job executions on Container App Jobs", Azure OSS
 * Developer Support, https://azureossd.github.io/2023/10/30/Troubleshooting-failed-job-executions-on-Container-App-Jobs/).
 */
export const FAILED_EXECUTION_REASONS = ["BackoffLimitExceeded", "DeadlineExceeded"] as const;

export function failedExecutionQuery(jobNames: readonly string[]): string {
    if (jobNames.length === 0) throw new RangeError("jobNames: [] is not allowed; expected at least one job");
    const names = [...jobNames].sort().map((n, i) => kqlString(n, `jobNames[${i}]`));
    return [
        SYSTEM_LOG_TABLE,
        `| where JobName_s in (${names.join(", ")})`,
        `| where Reason_s in (${FAILED_EXECUTION_REASONS.map((r) => `"${r}"`).join(", ")})`,
    ].join("\n");
}

/**
 * Longest look-back of a log search alert rule: two days ("Create or edit a log search alert
 * rule", https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-create-log-alert-rule,
 * "Query time range"; consulted 2026-11-30).
 */
export const MAX_LOG_ALERT_LOOKBACK_HOURS = 48;

/** A log search alert rule, without scopes, actions and names. */
export interface LogAlertDefinition {
    readonly description: string;
    readonly severity: 0 | 1 | 2 | 3 | 4;
    readonly evaluationFrequency: string;
    readonly windowSize: string;
    readonly overrideQueryTimeRange?: string;
    readonly autoMitigate: boolean;
    readonly criteria: {
        readonly allOf: [{
            readonly query: string;
            readonly timeAggregation: "Count";
            readonly operator: "GreaterThan" | "LessThan";
            readonly threshold: number;
            readonly failingPeriods: { readonly numberOfEvaluationPeriods: 1; readonly minFailingPeriodsToAlert: 1 };
        }];
    };
}

function countAlert(head: Omit<LogAlertDefinition, "criteria" | "autoMitigate">, query: string, operator: "GreaterThan" | "LessThan", threshold: number): LogAlertDefinition {
    return {
        ...head,
        autoMitigate: false,
        criteria: { allOf: [{ query, timeAggregation: "Count", operator, threshold, failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 } }] },
    };
}

/** Any failed result line of the kind and database in the last 15 minutes. */
export function failedJobAlert(kind: FunctionKind, database: string): LogAlertDefinition {
    return countAlert({
        description: `${database}: a ${kind} run failed (a failed result line in ${CONSOLE_LOG_TABLE})`,
        severity: 1,
        evaluationFrequency: "PT15M",
        windowSize: "PT15M",
    }, resultLineQuery({ kind, database, outcome: "failed" }), "GreaterThan", 0);
}

/**
 * No succeeded result line of the kind and database within `maxAgeHours`: the backup is missing
 * or stale, whatever the reason (the job never started, died before it logged, or failed). Zero
 * rows count as 0, below the threshold of 1.
 */
export function missingSuccessAlert(kind: FunctionKind, database: string, maxAgeHours: number): LogAlertDefinition {
    if (!Number.isInteger(maxAgeHours) || maxAgeHours < 1 || maxAgeHours > MAX_LOG_ALERT_LOOKBACK_HOURS) {
        throw new RangeError(`maxAgeHours: ${maxAgeHours} is out of range 1..${MAX_LOG_ALERT_LOOKBACK_HOURS} (a log search alert looks back at most two days)`);
    }
    return countAlert({
        description: `${database}: no successful ${kind} in the last ${maxAgeHours} hours (missing or stale backup)`,
        severity: 1,
        evaluationFrequency: "PT1H",
        windowSize: "PT1H",
        overrideQueryTimeRange: `PT${maxAgeHours}H`,
    }, resultLineQuery({ kind, database, outcome: "succeeded" }), "LessThan", 1);
}

/** Executions of the runner's jobs that the platform stopped or gave up on, in the last 15 minutes. */
export function failedExecutionAlert(jobNames: readonly string[]): LogAlertDefinition {
    return countAlert({
        description: `A backup job execution failed or timed out (${FAILED_EXECUTION_REASONS.join(", ")} in ${SYSTEM_LOG_TABLE})`,
        severity: 1,
        evaluationFrequency: "PT15M",
        windowSize: "PT15M",
    }, failedExecutionQuery(jobNames), "GreaterThan", 0);
}
