import * as pulumi from "@pulumi/pulumi";
import type { TierName } from "../../lambdas/shared/tiers";

/**
 * The environment variables each function's handler reads (lambdas/dump/config.ts DUMP_ENV,
 * lambdas/export/config.ts EXPORT_ENV, lambdas/verify/config.ts VERIFY_ENV), built from the
 * stack's settings. Values are names,
 * numbers and ARNs only: connection secrets stay in Secrets Manager and are read at run time.
 */

/** Variables the component refuses whatever the function: they would carry a credential. */
export const FORBIDDEN_ENV = /(^|_)(PASSWORD|PASSWD|TOKEN|URL|CONNECTION_STRING|CLIENT_SECRET)($|_)/;

/**
 * SDK settings a function's environment may not carry: with `WHEN_REQUIRED` the S3 client stops
 * sending a checksum with PutObject and UploadPart, and S3 refuses uploads without one to a
 * bucket with Object Lock. Amazon S3 User Guide, "Object Lock considerations" (uploading objects
 * to an Object Lock enabled bucket needs a Content-MD5 or x-amz-checksum header):
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html#object-lock-put-object
 */
const CHECKSUM_ENV = /^AWS_(REQUEST_CHECKSUM_CALCULATION|RESPONSE_CHECKSUM_VALIDATION)$/;

/** What a database connection URL with a password looks like, so such a value is refused. */
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^/@\s:]+:[^/@\s]+@/i;

/**
 * Checks a function's environment before anything is created: names are upper-case
 * identifiers, none names a credential, and no plain value embeds a password. Returns the
 * problems, each naming the variable.
 */
export function environmentProblems(environment: Readonly<Record<string, pulumi.Input<string>>>): string[] {
    const problems: string[] = [];
    for (const [name, value] of Object.entries(environment).sort(([a], [b]) => a.localeCompare(b))) {
        if (!/^[A-Z][A-Z0-9_]{0,127}$/.test(name)) {
            problems.push(`environment.${name}: the name is not allowed; expected upper-case letters, digits and "_", starting with a letter`);
        } else if (FORBIDDEN_ENV.test(name)) {
            problems.push(`environment.${name}: a credential may not be passed in the environment; give a Secrets Manager ARN (e.g. DB_SECRET_ARN) instead`);
        }
        if (CHECKSUM_ENV.test(name)) {
            problems.push(`environment.${name}: not allowed; the functions keep the SDK's default checksums, which uploads to an Object Lock bucket need`);
        }
        if (typeof value === "string" && URL_WITH_PASSWORD.test(value)) {
            problems.push(`environment.${name}: the value holds a URL with a password; give a Secrets Manager ARN instead`);
        }
    }
    return problems;
}

/** Stack config's weekday spelling (`SUN`) to the dump handler's (`sunday`). */
const WEEKDAY_NAMES: Readonly<Record<string, string>> = {
    SUN: "sunday", MON: "monday", TUE: "tuesday", WED: "wednesday", THU: "thursday", FRI: "friday", SAT: "saturday",
};

/** What a function that reads one database and writes to the bucket is told: the dump's and the export's common part. */
export interface DatabaseFunctionInput {
    readonly bucketName: pulumi.Input<string>;
    /** Key prefix the function writes under: the dumps' or the exports'. */
    readonly prefix: string;
    /** Logical database name: key segment and metric dimension. */
    readonly database: string;
    /** Secret with username, password and optionally host, port, dbname. */
    readonly secretArn: pulumi.Input<string>;
    /** Overrides of the secret's host, port and database name (an adopted instance's endpoint, say). */
    readonly host?: pulumi.Input<string>;
    readonly port?: number;
    readonly databaseName?: string;
    /** The backup CMK's ARN: the bucket policy refuses uploads naming any other key, or the key by id or alias. */
    readonly kmsKeyArn: pulumi.Input<string>;
}

/** Variables that say which database to read, how to reach it, and which key to write with. */
function databaseVariables(input: DatabaseFunctionInput): Record<string, pulumi.Input<string>> {
    return {
        DATABASE_NAME: input.database,
        DB_SECRET_ARN: input.secretArn,
        ...(input.host === undefined ? {} : { DB_HOST: input.host }),
        ...(input.port === undefined ? {} : { DB_PORT: String(input.port) }),
        ...(input.databaseName === undefined ? {} : { DB_NAME: input.databaseName }),
        DB_SSLMODE: "require",
        KMS_KEY_ID: input.kmsKeyArn,
    };
}

/** Settings of one database's dump function. */
export interface DumpEnvironmentInput extends DatabaseFunctionInput {
    /** `SUN`..`SAT`. */
    readonly weeklyOn: string;
    readonly monthlyOnDay: number;
    readonly compression: { readonly method: "gzip" | "lz4" | "zstd" | "none"; readonly level: number };
    readonly partSizeMiB: number;
    /** Largest dump expected (GiB); omitted: the handler's default. */
    readonly maxDumpSizeGiB?: number;
    /** `directory`: pg_dump --format=directory --jobs; omitted: the handler's default (custom). */
    readonly dumpFormat?: "custom" | "directory";
    /** pg_dump workers of a directory-format dump; omitted: the handler's default. */
    readonly dumpJobs?: number;
    /** Lock each dump and manifest in this mode for its tier's keep days; omitted: no per-object lock. */
    readonly objectLock?: { readonly mode: "GOVERNANCE" | "COMPLIANCE"; readonly keepDays: Readonly<Record<TierName, number>> };
    readonly metricsNamespace: string;
}

/** Variables of the dump handler (DUMP_ENV). */
export function dumpEnvironment(input: DumpEnvironmentInput): Record<string, pulumi.Input<string>> {
    return {
        BACKUP_BUCKET: input.bucketName,
        BACKUP_PREFIX: input.prefix,
        ...databaseVariables(input),
        ...dumpSettings(input),
    };
}

/**
 * The dump handler's variables that do not depend on where the dumps are stored or how the
 * database is reached: tier promotion, compression, format, per-object locks. The Azure runner
 * passes the same ones.
 */
export function dumpSettings(input: Omit<DumpEnvironmentInput, keyof DatabaseFunctionInput>): Record<string, string> {
    const weekday = WEEKDAY_NAMES[input.weeklyOn];
    if (weekday === undefined) {
        throw new RangeError(`weeklyOn: "${input.weeklyOn}" is not allowed; expected one of ${Object.keys(WEEKDAY_NAMES).join(", ")}`);
    }
    return {
        WEEKLY_ON: weekday,
        MONTHLY_ON_DAY: String(input.monthlyOnDay),
        DUMP_COMPRESSION: input.compression.method === "none" ? "none" : `${input.compression.method}:${input.compression.level}`,
        DUMP_PART_SIZE_MIB: String(input.partSizeMiB),
        ...(input.maxDumpSizeGiB === undefined ? {} : { DUMP_EXPECTED_MAX_GIB: String(Math.ceil(input.maxDumpSizeGiB)) }),
        ...(input.dumpFormat === undefined ? {} : { DUMP_FORMAT: input.dumpFormat }),
        ...(input.dumpJobs === undefined ? {} : { DUMP_JOBS: String(input.dumpJobs) }),
        ...(input.objectLock === undefined ? {} : {
            OBJECT_LOCK_MODE: input.objectLock.mode,
            RETAIN_DAYS_DAILY: String(input.objectLock.keepDays.daily),
            RETAIN_DAYS_WEEKLY: String(input.objectLock.keepDays.weekly),
            RETAIN_DAYS_MONTHLY: String(input.objectLock.keepDays.monthly),
        }),
        METRICS_NAMESPACE: input.metricsNamespace,
        POWERTOOLS_SERVICE_NAME: "pg-backup-dump",
    };
}

/** Settings of one database's export function. */
export interface ExportEnvironmentInput extends DatabaseFunctionInput {
    /** `schema.table` (or `table`, in public) and the optional watermark column, as in the stack config. */
    readonly tables: readonly { readonly table: string; readonly watermarkColumn?: string }[];
    readonly partSizeMiB: number;
    /** Seconds date and timestamp watermarks stay behind the database's clock; omitted: the handler's default. */
    readonly safetyLagSeconds?: number;
    readonly metricsNamespace: string;
}

/** Variables of the export handler (EXPORT_ENV). */
export function exportEnvironment(input: ExportEnvironmentInput): Record<string, pulumi.Input<string>> {
    return {
        EXPORT_BUCKET: input.bucketName,
        ...databaseVariables(input),
        ...exportSettings(input),
    };
}

/** The export handler's variables that do not depend on the storage or the database's address; the Azure runner passes the same ones. */
export function exportSettings(input: Omit<ExportEnvironmentInput, Exclude<keyof DatabaseFunctionInput, "prefix">>): Record<string, string> {
    if (input.tables.length === 0) {
        throw new RangeError("tables: [] is not allowed; expected at least one table to export");
    }
    const tables = input.tables.map((t) => {
        const [schema, table] = t.table.includes(".") ? t.table.split(".", 2) : ["public", t.table];
        return { schema, table, ...(t.watermarkColumn === undefined ? {} : { column: t.watermarkColumn }) };
    });
    return {
        EXPORT_PREFIX: input.prefix,
        EXPORT_TABLES: JSON.stringify(tables),
        EXPORT_PART_SIZE_MIB: String(input.partSizeMiB),
        ...(input.safetyLagSeconds === undefined ? {} : { EXPORT_SAFETY_LAG_SECONDS: String(input.safetyLagSeconds) }),
        METRICS_NAMESPACE: input.metricsNamespace,
        POWERTOOLS_SERVICE_NAME: "pg-backup-export",
    };
}

/** Settings of the verify function. */
export interface VerifyEnvironmentInput {
    readonly bucketName: pulumi.Input<string>;
    /** Key prefix of the dumps. */
    readonly prefix: string;
    /** Logical names of the databases whose newest dump is restored and checked. */
    readonly databases: readonly string[];
    /**
     * Minutes the newest backup may age before verification fails it: the RPO, or the dump
     * interval when point-in-time recovery carries the RPO.
     */
    readonly maxBackupAgeMinutes: number;
    readonly rtoMinutes: number;
    readonly sizeBounds: { readonly window: number; readonly minRatio: number; readonly maxRatio: number };
    readonly restoreJobs: number;
    /** Secret of the verification server; scratch databases are created from its `postgres` database. */
    readonly serverSecretArn: pulumi.Input<string>;
    readonly metricsNamespace: string;
}

/** Variables of the verify handler (VERIFY_ENV). */
export function verifyEnvironment(input: VerifyEnvironmentInput): Record<string, pulumi.Input<string>> {
    return {
        BACKUP_BUCKET: input.bucketName,
        BACKUP_PREFIX: input.prefix,
        ...verifySettings(input),
        VERIFY_DB_SECRET_ARN: input.serverSecretArn,
        VERIFY_DB_SSLMODE: "require",
    };
}

/** The verify handler's variables that do not depend on the storage or the verification server; the Azure runner passes the same ones. */
export function verifySettings(input: Omit<VerifyEnvironmentInput, "bucketName" | "prefix" | "serverSecretArn">): Record<string, string> {
    if (input.databases.length === 0) {
        throw new RangeError("databases: [] is not allowed; expected at least one database to verify");
    }
    return {
        VERIFY_DATABASES: [...input.databases].join(","),
        VERIFY_MAX_BACKUP_AGE_MINUTES: String(input.maxBackupAgeMinutes),
        RTO_MINUTES: String(input.rtoMinutes),
        SIZE_WINDOW: String(input.sizeBounds.window),
        SIZE_MIN_PERCENT: String(Math.round(input.sizeBounds.minRatio * 100)),
        SIZE_MAX_PERCENT: String(Math.round(input.sizeBounds.maxRatio * 100)),
        RESTORE_JOBS: String(input.restoreJobs),
        METRICS_NAMESPACE: input.metricsNamespace,
        POWERTOOLS_SERVICE_NAME: "pg-backup-verify",
    };
}
