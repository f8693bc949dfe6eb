/** What an export run is given: its settings, with defaults filled in one place and every value validated before anything runs, and its services. */
import type { PgTarget } from "../shared/pgTarget";
import type { Log, MetricSink } from "../shared/ports";
import type { StorageDep } from "../shared/storage/s3";
import { choosePartSize } from "../shared/upload";

export interface ExportTable {
    readonly schema: string;
    readonly table: string;
    /** An `updated_at`-style column, set on every change; rows at or past the last watermark are exported. @default none - the whole table every run */
    readonly column?: string;
}

export interface ExportSettings {
    /** Logical database name: key segment and metric dimension. */
    readonly database: string;
    readonly bucket: string;
    /** @default "exports" */
    readonly prefix: string;
    readonly kmsKeyId: string | undefined;
    readonly tables: readonly ExportTable[];
    /** gzip level 1..9. @default 6 */
    readonly gzipLevel: number;
    /** @default 16 MiB */
    readonly partSizeBytes: number;
    /** @default 2 */
    readonly uploadConcurrency: number;
    /** Stop starting tables, and stop a running one, when less than this is left before the deadline. @default 30,000 ms */
    readonly safetyMarginMs: number;
    /**
     * Date and timestamp watermarks stay this far behind the database's clock, so a transaction
     * that commits up to this long after taking its timestamp is still exported; rows in the lag
     * are exported by this run and again by the next. 0..86,400. @default 300 s
     */
    readonly safetyLagSeconds: number;
}

export type ExportSettingsInput = Pick<ExportSettings, "database" | "bucket" | "tables"> & Partial<Omit<ExportSettings, "database" | "bucket" | "tables">>;

export class ExportConfigError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ExportConfigError";
    }
}

const DATABASE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX = /^[A-Za-z0-9][A-Za-z0-9_\-./]{0,199}$/;
/** Identifiers from configuration: what people name tables, and nothing that would bend an object key. */
const IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_$ -]{0,62}$/u;
const MiB = 1024 * 1024;
/** Longer than most writing transactions (a long one is a batch job, minutes); costs only the rows changed within it exported twice. */
export const DEFAULT_SAFETY_LAG_SECONDS = 300;
export const MAX_SAFETY_LAG_SECONDS = 86_400;

function checkIdentifierSetting(value: string, where: string): void {
    if (!IDENTIFIER.test(value) || Buffer.byteLength(value, "utf8") > 63) {
        throw new ExportConfigError(
            `${where}: "${value}" is not allowed; expected 1..63 bytes: a letter (any script) or "_" first, then letters, digits, "_", "$", "-" or spaces`,
        );
    }
}

/** Fills defaults in one place and validates everything before anything runs. */
export function exportSettings(input: ExportSettingsInput): ExportSettings {
    const s: ExportSettings = {
        database: input.database,
        bucket: input.bucket,
        prefix: input.prefix ?? "exports",
        kmsKeyId: input.kmsKeyId,
        tables: input.tables,
        gzipLevel: input.gzipLevel ?? 6,
        partSizeBytes: input.partSizeBytes ?? 16 * MiB,
        uploadConcurrency: input.uploadConcurrency ?? 2,
        safetyMarginMs: input.safetyMarginMs ?? 30_000,
        safetyLagSeconds: input.safetyLagSeconds ?? DEFAULT_SAFETY_LAG_SECONDS,
    };
    if (!DATABASE_NAME.test(s.database)) {
        throw new ExportConfigError(`database: "${s.database}" is not allowed; expected 1..63 letters, digits, "_" or "-", starting with a letter or digit`);
    }
    if (!BUCKET_NAME.test(s.bucket)) {
        throw new ExportConfigError(`bucket: "${s.bucket}" is not a valid S3 bucket name (3..63 lower-case letters, digits, "." or "-")`);
    }
    if (!PREFIX.test(s.prefix) || s.prefix.includes("..") || s.prefix.includes("//")) {
        throw new ExportConfigError(`prefix: "${s.prefix}" is not allowed; expected letters, digits, "_", "-", ".", "/" without "..", "//" or a leading "/"`);
    }
    if (s.tables.length === 0) {
        throw new ExportConfigError("tables: empty; configure at least one table to export");
    }
    const seen = new Set<string>();
    s.tables.forEach((t, i) => {
        checkIdentifierSetting(t.schema, `tables[${i}].schema`);
        checkIdentifierSetting(t.table, `tables[${i}].table`);
        if (t.column !== undefined) {
            checkIdentifierSetting(t.column, `tables[${i}].column`);
        }
        const name = `${t.schema}.${t.table}`;
        if (seen.has(name)) {
            throw new ExportConfigError(`tables[${i}]: ${name} is listed twice`);
        }
        seen.add(name);
    });
    if (!Number.isInteger(s.gzipLevel) || s.gzipLevel < 1 || s.gzipLevel > 9) {
        throw new ExportConfigError(`gzipLevel: ${s.gzipLevel} is out of range 1..9`);
    }
    try {
        choosePartSize(s.partSizeBytes * 10_000, s.partSizeBytes);
    } catch (err) {
        throw new ExportConfigError(err instanceof Error ? err.message : String(err));
    }
    if (!Number.isInteger(s.uploadConcurrency) || s.uploadConcurrency < 1 || s.uploadConcurrency > 16) {
        throw new ExportConfigError(`uploadConcurrency: ${s.uploadConcurrency} is out of range 1..16`);
    }
    if (!Number.isInteger(s.safetyMarginMs) || s.safetyMarginMs < 0) {
        throw new ExportConfigError(`safetyMarginMs: ${s.safetyMarginMs} is not a non-negative integer`);
    }
    if (!Number.isInteger(s.safetyLagSeconds) || s.safetyLagSeconds < 0 || s.safetyLagSeconds > MAX_SAFETY_LAG_SECONDS) {
        throw new ExportConfigError(`safetyLagSeconds: ${s.safetyLagSeconds} is out of range 0..${MAX_SAFETY_LAG_SECONDS}`);
    }
    return s;
}

/** The storage of the exports (or an S3 client for settings.bucket, SSE-KMS with settings.kmsKeyId) and the rest of what a run uses. */
export type ExportDeps = StorageDep & ExportServices;

export interface ExportServices {
    readonly target: PgTarget | (() => Promise<PgTarget>);
    readonly log: Log;
    readonly metrics?: MetricSink;
    /** @default () => new Date() */
    readonly now?: () => Date;
    /** @default 12 random hex characters */
    readonly newRunId?: () => string;
    /** Milliseconds left before the function's deadline. @default no deadline */
    readonly remainingMs?: () => number;
}
