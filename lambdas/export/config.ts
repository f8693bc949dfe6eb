/**
 * The export function's configuration, read from environment variables once at cold start.
 * EXPORT_ENV lists every variable with its meaning and default.
 */
import { z } from "zod";
import { S3_ENV, s3SettingsFromEnv, type S3Settings } from "../shared/awsClients";
import { AZURE_IDENTITY_ENV } from "../shared/azureIdentity";
import { CONNECTION_ENV, connectionFromEnv, type ConnectionConfig } from "../shared/connectionEnv";
import { EnvError, integer, optionalString, requireString, type Env } from "../shared/env";
import { kmsKeyFromEnv, STORAGE_ENV, storageFromEnv, storageName, type StorageSettings } from "../shared/storage/env";
import { DEFAULT_SAFETY_LAG_SECONDS, exportSettings, ExportConfigError, MAX_SAFETY_LAG_SECONDS, type ExportSettings } from "./settings";

export const EXPORT_ENV: Readonly<Record<string, string>> = {
    EXPORT_BUCKET: "bucket the exports go to (required with STORAGE_PROVIDER=s3; with azure-blob the exports go to BACKUP_CONTAINER)",
    EXPORT_PREFIX: 'key prefix of all exports (default "exports")',
    DATABASE_NAME: "logical database name: key segment and metric dimension (required)",
    ...CONNECTION_ENV,
    KMS_KEY_ID: "KMS key id, ARN or alias for SSE-KMS on every object (required with STORAGE_PROVIDER=s3, refused with azure-blob)",
    EXPORT_TABLES:
        'JSON list of tables: [{"schema": "sales", "table": "orders", "column": "updated_at"}, ...]; without "column" the whole table is exported every run (required)',
    EXPORT_GZIP_LEVEL: "gzip level 1..9 (default 6)",
    EXPORT_PART_SIZE_MIB: "multipart part size in MiB, 5..5120 (default 16)",
    EXPORT_UPLOAD_CONCURRENCY: "parts uploaded in parallel, 1..16 (default 2)",
    EXPORT_SAFETY_MARGIN_SECONDS: "no table is started, and a running one is stopped, when less than this is left before the Lambda timeout (default 30)",
    EXPORT_SAFETY_LAG_SECONDS: `date and timestamp watermarks stay this far behind the database's clock, so transactions that commit up to this long after taking their timestamp are exported, 0..${MAX_SAFETY_LAG_SECONDS} (default ${DEFAULT_SAFETY_LAG_SECONDS})`,
    ...S3_ENV,
    ...AZURE_IDENTITY_ENV,
    ...STORAGE_ENV,
    METRICS_NAMESPACE: 'CloudWatch namespace of the metrics (default "PgBackupStack")',
    POWERTOOLS_SERVICE_NAME: 'service name in the structured logs (default "pg-backup-export")',
};

const TABLES = z.array(
    z.strictObject({
        schema: z.string(),
        table: z.string(),
        column: z.string().optional(),
    }),
);

export interface ExportFunctionConfig {
    readonly settings: ExportSettings;
    readonly connection: ConnectionConfig;
    readonly s3: S3Settings;
    readonly storage: StorageSettings;
    readonly metricsNamespace: string;
    readonly serviceName: string;
}

/** Parses EXPORT_TABLES; the error names the variable and the first problem. */
export function parseExportTables(text: string): z.infer<typeof TABLES> {
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch {
        throw new EnvError(`EXPORT_TABLES: not JSON; expected [{"schema": "...", "table": "...", "column": "updated_at"}]`);
    }
    const parsed = TABLES.safeParse(doc);
    if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const path = issue === undefined ? "" : issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
        throw new EnvError(`EXPORT_TABLES${path}: ${issue?.message ?? "invalid"}; expected [{"schema": "...", "table": "...", "column": "updated_at"}]`);
    }
    return parsed.data;
}

export function loadExportConfig(env: Env): ExportFunctionConfig {
    const connection = connectionFromEnv(env);
    const storage = storageFromEnv(env, "EXPORT_BUCKET");
    const tables = parseExportTables(requireString(env, "EXPORT_TABLES"));
    let settings: ExportSettings;
    try {
        settings = exportSettings({
            database: requireString(env, "DATABASE_NAME"),
            bucket: storageName(storage),
            prefix: optionalString(env, "EXPORT_PREFIX") ?? "exports",
            kmsKeyId: kmsKeyFromEnv(env, storage),
            tables: tables.map((t) => (t.column === undefined ? { schema: t.schema, table: t.table } : { schema: t.schema, table: t.table, column: t.column })),
            gzipLevel: integer(env, "EXPORT_GZIP_LEVEL", { min: 1, max: 9, default: 6 }),
            partSizeBytes: integer(env, "EXPORT_PART_SIZE_MIB", { min: 5, max: 5120, default: 16 }) * 1024 * 1024,
            uploadConcurrency: integer(env, "EXPORT_UPLOAD_CONCURRENCY", { min: 1, max: 16, default: 2 }),
            safetyMarginMs: integer(env, "EXPORT_SAFETY_MARGIN_SECONDS", { min: 0, max: 900, default: 30 }) * 1000,
            safetyLagSeconds: integer(env, "EXPORT_SAFETY_LAG_SECONDS", { min: 0, max: MAX_SAFETY_LAG_SECONDS, default: DEFAULT_SAFETY_LAG_SECONDS }),
        });
    } catch (err) {
        if (err instanceof ExportConfigError) {
            throw new EnvError(renameSetting(err.message));
        }
        throw err;
    }
    return {
        settings,
        connection,
        s3: s3SettingsFromEnv(env),
        storage,
        metricsNamespace: optionalString(env, "METRICS_NAMESPACE") ?? "PgBackupStack",
        serviceName: optionalString(env, "POWERTOOLS_SERVICE_NAME") ?? "pg-backup-export",
    };
}

const VARIABLE_OF_SETTING: Readonly<Record<string, string>> = {
    database: "DATABASE_NAME",
    bucket: "EXPORT_BUCKET",
    prefix: "EXPORT_PREFIX",
    tables: "EXPORT_TABLES",
};

/** `tables[1].column: ...` -> `EXPORT_TABLES[1].column: ...`, `bucket: ...` -> `EXPORT_BUCKET: ...`. */
function renameSetting(message: string): string {
    const m = /^([A-Za-z]+)/.exec(message);
    const variable = m?.[1] === undefined ? undefined : VARIABLE_OF_SETTING[m[1]];
    return variable === undefined ? message : `${variable}${message.slice(m?.[1]?.length ?? 0)}`;
}
