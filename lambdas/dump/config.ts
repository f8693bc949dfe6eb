/**
 * The dump function's configuration, read from environment variables once at cold start.
 * Every variable is listed in DUMP_ENV with its meaning and default, for the infrastructure
 * code and docs/functions-environment.md.
 */
import { S3_ENV, s3SettingsFromEnv, type S3Settings } from "../shared/awsClients";
import { AZURE_IDENTITY_ENV } from "../shared/azureIdentity";
import { CONNECTION_ENV, connectionFromEnv } from "../shared/connectionEnv";
import type { ConnectionOverrides, CredentialSource } from "../shared/credentials";
import { EnvError, integer, oneOf, optionalString, requireString, type Env } from "../shared/env";
import { findPgTool } from "../shared/pgTools";
import { kmsKeyFromEnv, STORAGE_ENV, storageFromEnv, storageName, type StorageSettings } from "../shared/storage/env";
import { TIER_NAMES, type TierName } from "../shared/tiers";
import { dumpSettings, type DumpObjectLock, type DumpSettings } from "./settings";
import { DumpConfigError } from "./errors";
import { WEEKDAYS } from "./gfs";
import { parseCompression } from "./pgDump";

/** Every variable the dump handler reads: name -> meaning and default. */
export const DUMP_ENV: Readonly<Record<string, string>> = {
    BACKUP_BUCKET: "bucket the dumps go to (required with STORAGE_PROVIDER=s3)",
    BACKUP_PREFIX: 'key prefix of all dumps (default "backups")',
    DATABASE_NAME: "logical database name: key segment and metric dimension (required)",
    ...CONNECTION_ENV,
    KMS_KEY_ID: "KMS key id, ARN or alias for SSE-KMS on every object (required with STORAGE_PROVIDER=s3, refused with azure-blob)",
    WEEKLY_ON: "UTC weekday whose first scheduled backup is kept as weekly (default sunday)",
    MONTHLY_ON_DAY: "UTC day of the month, 1..28, whose first scheduled backup is kept as monthly (default 1)",
    OBJECT_LOCK_MODE: "GOVERNANCE or COMPLIANCE: every dump and manifest is locked in this mode from its upload until RETAIN_DAYS_<TIER> days after the dump's start (default: unset, no per-object lock; the bucket's default retention applies)",
    RETAIN_DAYS_DAILY: "days a daily dump stays locked, 1..36500: the daily tier's keep days (required with OBJECT_LOCK_MODE)",
    RETAIN_DAYS_WEEKLY: "days a weekly dump stays locked, 1..36500: the weekly tier's keep days (required with OBJECT_LOCK_MODE)",
    RETAIN_DAYS_MONTHLY: "days a monthly dump stays locked, 1..36500: the monthly tier's keep days (required with OBJECT_LOCK_MODE)",
    DUMP_COMPRESSION: "gzip[:1-9], lz4[:1-12] or zstd[:1-22] (lz4/zstd need a PostgreSQL 16+ client), or none (default gzip:1)",
    DUMP_FORMAT:
        "custom (one archive streamed to S3) or directory (pg_dump --format=directory --jobs=DUMP_JOBS into local temporary storage, each file uploaded as its own object while pg_dump writes it and deleted once stored; /tmp holds the files being written and those waiting for an upload, at worst the whole compressed dump) (default custom)",
    DUMP_JOBS: "pg_dump parallel workers with DUMP_FORMAT=directory, 1..16; each holds a database connection (default 2)",
    DUMP_TEMP_DIR: "where a directory-format dump is written before upload (default: the OS temp dir, /tmp on Lambda)",
    DUMP_EXPECTED_MAX_GIB: "largest dump expected, in GiB; sizes the multipart parts (default 100)",
    DUMP_PART_SIZE_MIB: "multipart part size in MiB, 5..5120 (default: the smallest >= 16 that fits DUMP_EXPECTED_MAX_GIB in 9,000 parts)",
    DUMP_UPLOAD_CONCURRENCY: "parts uploaded in parallel, 1..16; the upload holds this + 1 part buffers, reused from part to part (default 2)",
    DUMP_MIN_BYTES: "smallest archive accepted as a backup (default 512)",
    DUMP_SAFETY_MARGIN_SECONDS: "stop and clean up when less than this is left before the Lambda timeout (default 60)",
    PG_DUMP_PATH: "pg_dump binary (default: PG_BIN/pg_dump, the newest /usr/lib/postgresql/<n>/bin/pg_dump, or pg_dump on PATH)",
    ...S3_ENV,
    ...AZURE_IDENTITY_ENV,
    ...STORAGE_ENV,
    METRICS_NAMESPACE: 'CloudWatch namespace of the metrics (default "PgBackupStack")',
    POWERTOOLS_SERVICE_NAME: 'service name in the structured logs (default "pg-backup-dump")',
};

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export interface DumpFunctionConfig {
    /** Everything but the trigger, which comes with each event. */
    readonly settings: Omit<DumpSettings, "trigger">;
    readonly source: CredentialSource;
    readonly overrides: ConnectionOverrides;
    readonly s3: S3Settings;
    readonly storage: StorageSettings;
    readonly metricsNamespace: string;
    readonly serviceName: string;
}

/** Reads and validates the whole configuration; throws EnvError naming the variable on the first problem. */
export function loadDumpConfig(env: Env): DumpFunctionConfig {
    const connection = connectionFromEnv(env);
    const storage = storageFromEnv(env, "BACKUP_BUCKET");
    const partMiB = optionalString(env, "DUMP_PART_SIZE_MIB") === undefined ? undefined : integer(env, "DUMP_PART_SIZE_MIB", { min: 5, max: 5120 });
    const pgDumpPath = optionalString(env, "PG_DUMP_PATH") ?? findPgTool("pg_dump", undefined, { ...env });
    let settings: DumpSettings;
    try {
        settings = dumpSettings({
            database: requireString(env, "DATABASE_NAME"),
            bucket: storageName(storage),
            prefix: optionalString(env, "BACKUP_PREFIX") ?? "backups",
            kmsKeyId: kmsKeyFromEnv(env, storage),
            gfs: {
                weeklyOn: oneOf(env, "WEEKLY_ON", WEEKDAYS, "sunday"),
                monthlyOnDay: integer(env, "MONTHLY_ON_DAY", { min: 1, max: 28, default: 1 }),
            },
            compression: parseCompression(optionalString(env, "DUMP_COMPRESSION") ?? "gzip:1", "DUMP_COMPRESSION"),
            expectedMaxBytes: integer(env, "DUMP_EXPECTED_MAX_GIB", { min: 1, max: 50_000, default: 100 }) * GiB,
            ...(partMiB === undefined ? {} : { partSizeBytes: partMiB * MiB }),
            uploadConcurrency: integer(env, "DUMP_UPLOAD_CONCURRENCY", { min: 1, max: 16, default: 2 }),
            minArchiveBytes: integer(env, "DUMP_MIN_BYTES", { min: 64, max: 1024 * MiB, default: 512 }),
            safetyMarginMs: integer(env, "DUMP_SAFETY_MARGIN_SECONDS", { min: 0, max: 900, default: 60 }) * 1000,
            pgDumpPath,
            objectLock: objectLockFromEnv(env),
            format: oneOf(env, "DUMP_FORMAT", ["custom", "directory"] as const, "custom"),
            jobs: integer(env, "DUMP_JOBS", { min: 1, max: 16, default: 2 }),
            tempDir: optionalString(env, "DUMP_TEMP_DIR"),
        });
    } catch (err) {
        if (err instanceof DumpConfigError) {
            throw new EnvError(renameSetting(err.message));
        }
        throw err;
    }
    const { trigger: _scheduleDefault, ...withoutTrigger } = settings;
    return {
        settings: withoutTrigger,
        source: connection.source,
        overrides: connection.overrides,
        s3: s3SettingsFromEnv(env),
        storage,
        metricsNamespace: optionalString(env, "METRICS_NAMESPACE") ?? "PgBackupStack",
        serviceName: optionalString(env, "POWERTOOLS_SERVICE_NAME") ?? "pg-backup-dump",
    };
}

/** `OBJECT_LOCK_MODE` and the tiers' `RETAIN_DAYS_<TIER>`; undefined when no mode is set. */
function objectLockFromEnv(env: Env): DumpObjectLock | undefined {
    if (optionalString(env, "OBJECT_LOCK_MODE") === undefined) {
        return undefined;
    }
    const keepDays = Object.fromEntries(TIER_NAMES.map((t) => [t, integer(env, `RETAIN_DAYS_${t.toUpperCase()}`, { min: 1, max: 36_500 })])) as Record<TierName, number>;
    return { mode: oneOf(env, "OBJECT_LOCK_MODE", ["GOVERNANCE", "COMPLIANCE"] as const), keepDays };
}

/** Settings validated by the core whose messages should name the variable they came from. */
const VARIABLE_OF_SETTING: Readonly<Record<string, string>> = {
    database: "DATABASE_NAME",
    bucket: "BACKUP_BUCKET",
    prefix: "BACKUP_PREFIX",
    kmsKeyId: "KMS_KEY_ID",
    uploadConcurrency: "DUMP_UPLOAD_CONCURRENCY",
    minArchiveBytes: "DUMP_MIN_BYTES",
    safetyMarginMs: "DUMP_SAFETY_MARGIN_SECONDS",
    format: "DUMP_FORMAT",
    jobs: "DUMP_JOBS",
    "part size": "DUMP_PART_SIZE_MIB",
    "expected maximum size": "DUMP_EXPECTED_MAX_GIB",
};

function renameSetting(message: string): string {
    const colon = message.indexOf(":");
    const variable = colon < 0 ? undefined : VARIABLE_OF_SETTING[message.slice(0, colon)];
    return variable === undefined ? message : `${variable}${message.slice(colon)}`;
}

/** The event a schedule or an operator sends; both fields optional. */
export interface DumpEvent {
    /** "schedule" (default) for EventBridge Scheduler runs, "on-demand" for a backup before a deployment. */
    readonly trigger?: "schedule" | "on-demand";
    /** Free text logged with the run, e.g. the deployment it precedes. */
    readonly reason?: string;
}

/** Validates an incoming event before anything runs. */
export function parseDumpEvent(event: unknown): { readonly trigger: "schedule" | "on-demand"; readonly reason: string | undefined } {
    if (event === undefined || event === null) {
        return { trigger: "schedule", reason: undefined };
    }
    if (typeof event !== "object" || Array.isArray(event)) {
        throw new DumpConfigError(`event: expected an object like {"trigger": "on-demand", "reason": "..."}, got ${Array.isArray(event) ? "an array" : typeof event}`);
    }
    const e = event as Record<string, unknown>;
    const trigger = e.trigger ?? "schedule";
    if (trigger !== "schedule" && trigger !== "on-demand") {
        throw new DumpConfigError(`event.trigger: ${JSON.stringify(trigger)} is not allowed; expected "schedule" or "on-demand"`);
    }
    if (e.reason !== undefined && (typeof e.reason !== "string" || e.reason.length > 500)) {
        throw new DumpConfigError("event.reason: expected a string of at most 500 characters");
    }
    return { trigger, reason: e.reason as string | undefined };
}
