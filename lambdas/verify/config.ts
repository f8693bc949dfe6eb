/**
 * The verify function's configuration, read from environment variables once at cold start.
 * Every variable is listed in VERIFY_ENV with its meaning and default, for the infrastructure
 * code and docs/functions-environment.md.
 */
import { AZURE_IDENTITY_ENV } from "../shared/azureIdentity";
import { credentialCatalog, credentialFromEnv, type CredentialVariables } from "../shared/connectionEnv";
import type { CredentialSource } from "../shared/credentials";
import { EnvError, integer, optionalString, requireString, type Env } from "../shared/env";
import type { SslMode } from "../shared/pgTarget";
import { STORAGE_ENV, storageFromEnv, storageName, type StorageSettings } from "../shared/storage/env";
import { DEFAULT_SIZE_BOUNDS } from "./settings";
import type { AzureServerTarget, VerifyConfig } from "./types";

/** The verification server's credential variables. */
const VERIFY_DB_VARIABLES: CredentialVariables = {
    secretArn: "VERIFY_DB_SECRET_ARN",
    url: "VERIFY_DB_URL",
    keyVaultSecretUri: "VERIFY_DB_KEYVAULT_SECRET_URI",
    entraUser: "VERIFY_DB_ENTRA_USER",
    host: "VERIFY_DB_HOST",
    sslmode: "VERIFY_DB_SSLMODE",
};

/** Every variable the verify handler reads: name -> meaning and default. */
export const VERIFY_ENV: Readonly<Record<string, string>> = {
    BACKUP_BUCKET: "bucket of the dumps (required with STORAGE_PROVIDER=s3)",
    BACKUP_PREFIX: 'key prefix of the dumps (default "backups")',
    VERIFY_DATABASES: 'comma-separated logical database names of 1..63 letters, digits, "_" or "-" whose newest dump is restored and checked (required unless AZURE_SERVERS is set)',
    VERIFY_MAX_BACKUP_AGE_MINUTES:
        "minutes the newest backup may age before the freshness check fails: the RPO, or the dump interval when point-in-time recovery carries the RPO, 1..44640 (required)",
    RTO_MINUTES: "recovery time objective in minutes: a restore that takes longer fails, 1..44640 (required)",
    SIZE_WINDOW: "previous dumps in the size baseline, 1..50 (default 7)",
    SIZE_MIN_PERCENT: "smallest size accepted, in % of the median of the previous dumps, 1..100 (default 50)",
    SIZE_MAX_PERCENT: "largest size accepted, in % of the median of the previous dumps, 100..100000 (default 300)",
    RESTORE_JOBS: "parallel pg_restore jobs, 1..16 (default 2)",
    ...credentialCatalog(VERIFY_DB_VARIABLES, "the verification server"),
    VERIFY_DB_HOST: "verification server host; overrides the secret's host (required with VERIFY_DB_ENTRA_USER)",
    VERIFY_DB_PORT: "verification server port, 1..65535; overrides the secret's port",
    VERIFY_DB_MAINTENANCE_DATABASE: 'database on the verification server connected to for CREATE and DROP DATABASE (default "postgres")',
    VERIFY_DB_SSLMODE:
        "disable, allow, prefer, require, verify-ca or verify-full (default require with a secret or an Entra role, which accepts only require, verify-ca or verify-full; the URL's own with VERIFY_DB_URL)",
    AZURE_SUBSCRIPTION_ID: "Azure subscription of the servers in AZURE_SERVERS (required with AZURE_SERVERS)",
    AZURE_SERVERS:
        'JSON list of Azure flexible servers whose snapshots are checked: [{"name": ..., "resourceGroup": ..., "serverName": ..., "maxSnapshotAgeHours"?: 24..744, default 30}]; read through the Azure Resource Manager API as AZURE_CLIENT_ID, which needs the Reader role on each server\'s resource group (default: unset, no Azure checks)',
    ...AZURE_IDENTITY_ENV,
    METRICS_NAMESPACE: 'CloudWatch namespace of the metrics (default "PgBackupStack")',
    POWERTOOLS_SERVICE_NAME: 'service name in the structured logs (default "pg-backup-verify")',
    SCRATCH_DIR: "directory the dumps are downloaded to; size ephemeral storage for the largest dump (default: the system's temporary directory)",
    S3_ENDPOINT: "S3 endpoint for S3-compatible servers, path-style, for local runs (default: AWS)",
    ...STORAGE_ENV,
    SAFETY_MARGIN_SECONDS: "time kept before the Lambda timeout when pg_restore is stopped, so the scratch database can still be dropped, 0..600 (default 60)",
    PG_BIN: "directory of pg_restore, looked up at each restore (default: the newest /usr/lib/postgresql/<n>/bin, else PATH)",
};

/** The verify function's configuration, as read from VERIFY_ENV. */
export interface VerifyFunctionConfig {
    /** The bucket or container of the dumps. */
    readonly bucket: string;
    readonly storage: StorageSettings;
    readonly prefix: string;
    readonly databases: readonly string[];
    readonly maxBackupAgeSeconds: number;
    readonly rtoSeconds: number;
    readonly size: VerifyConfig["size"];
    readonly jobs: number;
    readonly server: CredentialSource;
    readonly serverOverrides: { readonly host?: string; readonly port?: number; readonly database: string; readonly sslmode?: SslMode };
    readonly azure?: { readonly subscriptionId: string; readonly servers: readonly AzureServerTarget[] };
    readonly metricsNamespace: string;
    readonly serviceName: string;
    readonly tempDir?: string;
    /** S3-compatible endpoint (path-style); unset on AWS. */
    readonly s3Endpoint?: string;
    /** Left before the Lambda deadline when pg_restore is stopped, so the scratch database can still be dropped. */
    readonly safetyMarginMs: number;
}

const LOGICAL_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/** Reads and validates the whole configuration; throws EnvError naming the variable on the first problem. */
export function verifyConfigFromEnv(env: Env): VerifyFunctionConfig {
    const databases = (optionalString(env, "VERIFY_DATABASES") ?? "")
        .split(",")
        .map((d) => d.trim())
        .filter((d) => d !== "");
    for (const d of databases) {
        if (!LOGICAL_NAME.test(d)) {
            throw new EnvError(`VERIFY_DATABASES: "${d}" is not allowed; expected comma-separated names of 1..63 letters, digits, "_" or "-"`);
        }
    }
    const { source: server, sslmode } = credentialFromEnv(env, VERIFY_DB_VARIABLES);
    const host = optionalString(env, "VERIFY_DB_HOST");
    const portText = optionalString(env, "VERIFY_DB_PORT");
    const port = portText === undefined ? undefined : integer(env, "VERIFY_DB_PORT", { min: 1, max: 65535 });
    const minPercent = integer(env, "SIZE_MIN_PERCENT", { min: 1, max: 100, default: Math.round(DEFAULT_SIZE_BOUNDS.minRatio * 100) });
    const maxPercent = integer(env, "SIZE_MAX_PERCENT", { min: 100, max: 100_000, default: Math.round(DEFAULT_SIZE_BOUNDS.maxRatio * 100) });
    const azure = loadAzure(env);
    if (databases.length === 0 && azure === undefined) {
        throw new EnvError("VERIFY_DATABASES is not set and neither is AZURE_SERVERS; set at least one (comma-separated logical database names)");
    }
    const tempDir = optionalString(env, "SCRATCH_DIR");
    const s3Endpoint = optionalString(env, "S3_ENDPOINT");
    const storage = storageFromEnv(env, "BACKUP_BUCKET");
    return {
        bucket: storageName(storage),
        storage,
        prefix: optionalString(env, "BACKUP_PREFIX") ?? "backups",
        databases,
        maxBackupAgeSeconds: integer(env, "VERIFY_MAX_BACKUP_AGE_MINUTES", { min: 1, max: 44640 }) * 60,
        rtoSeconds: integer(env, "RTO_MINUTES", { min: 1, max: 44640 }) * 60,
        size: { window: integer(env, "SIZE_WINDOW", { min: 1, max: 50, default: DEFAULT_SIZE_BOUNDS.window }), minRatio: minPercent / 100, maxRatio: maxPercent / 100 },
        jobs: integer(env, "RESTORE_JOBS", { min: 1, max: 16, default: 2 }),
        server,
        serverOverrides: {
            database: optionalString(env, "VERIFY_DB_MAINTENANCE_DATABASE") ?? "postgres",
            ...(host === undefined ? {} : { host }),
            ...(port === undefined ? {} : { port }),
            ...(sslmode === undefined ? {} : { sslmode }),
        },
        ...(azure === undefined ? {} : { azure }),
        metricsNamespace: optionalString(env, "METRICS_NAMESPACE") ?? "PgBackupStack",
        serviceName: optionalString(env, "POWERTOOLS_SERVICE_NAME") ?? "pg-backup-verify",
        ...(tempDir === undefined ? {} : { tempDir }),
        ...(s3Endpoint === undefined ? {} : { s3Endpoint }),
        safetyMarginMs: integer(env, "SAFETY_MARGIN_SECONDS", { min: 0, max: 600, default: 60 }) * 1000,
    };
}

/** AZURE_SERVERS: JSON array of {"name", "resourceGroup", "serverName", "maxSnapshotAgeHours"?}; needs AZURE_SUBSCRIPTION_ID. */
function loadAzure(env: Env): VerifyFunctionConfig["azure"] {
    const text = optionalString(env, "AZURE_SERVERS");
    if (text === undefined) {
        return undefined;
    }
    const subscriptionId = requireString(env, "AZURE_SUBSCRIPTION_ID");
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch {
        throw new EnvError(`AZURE_SERVERS: not JSON; expected [{"name": ..., "resourceGroup": ..., "serverName": ..., "maxSnapshotAgeHours"?: ...}]`);
    }
    if (!Array.isArray(parsed) || parsed.length === 0) {
        throw new EnvError("AZURE_SERVERS: expected a non-empty JSON array of servers");
    }
    const servers = parsed.map((item: unknown, i): AzureServerTarget => {
        const o = typeof item === "object" && item !== null ? (item as Record<string, unknown>) : {};
        const text = (field: string): string => {
            const v = o[field];
            if (typeof v !== "string" || v.trim() === "") {
                throw new EnvError(`AZURE_SERVERS[${i}].${field}: ${JSON.stringify(v)} is not allowed; expected a non-empty string`);
            }
            return v;
        };
        const hours = o.maxSnapshotAgeHours;
        if (hours !== undefined && (typeof hours !== "number" || !Number.isInteger(hours) || hours < 24 || hours > 744)) {
            throw new EnvError(`AZURE_SERVERS[${i}].maxSnapshotAgeHours: ${JSON.stringify(hours)} is out of range; expected an integer 24..744 (Azure takes one snapshot a day)`);
        }
        return { name: text("name"), resourceGroup: text("resourceGroup"), serverName: text("serverName"), ...(hours === undefined ? {} : { maxSnapshotAgeSeconds: hours * 3600 }) };
    });
    return { subscriptionId, servers };
}
