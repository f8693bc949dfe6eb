/**
 * The export core: per configured table, the rows changed since the last watermark (or the
 * whole table when no watermark column is configured) as gzip'd CSV with a header, streamed by
 * COPY (pg-copy-streams) into an SSE-KMS multipart upload. Delivery is at-least-once and no
 * committed row is missed:
 *
 * - a run exports every row whose column is at or past the stored watermark (`>=`, so a row
 *   changed again with the watermark's own value, as coarse `date` or `timestamp(0)` columns
 *   allow, is exported again), every row whose column is NULL, and on the first run every row;
 * - the new watermark is the greatest value, read in the same snapshot, that is older than the
 *   database's `now()` minus the safety lag (for date and timestamp columns), so a transaction
 *   that took its timestamp before the run and commits after it is still at or past the
 *   watermark the next run starts from;
 * - values beyond now plus FUTURE_TOLERANCE_SECONDS (`infinity`, typos) never become the
 *   watermark: those rows are exported every run, counted and warned about;
 * - the watermark is stored only after the export object is complete.
 */
import { randomBytes } from "node:crypto";
import { pipeline } from "node:stream";
import { createGzip } from "node:zlib";
import { escapeLiteral, type Client } from "pg";
import { to as copyTo } from "pg-copy-streams";
import { compactTimestamp } from "../shared/keys";
import { describeTarget, quoteIdent, type PgTarget } from "../shared/pgTarget";
import type { Log, MetricSink } from "../shared/ports";
import { openSession } from "../shared/sessionSettings";
import { ObjectNotFoundError, readText, type BackupStorage } from "../shared/storage/port";
import { storageOf, type StorageDep } from "../shared/storage/s3";
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

/** What is stored at `<prefix>/<database>/_watermarks/<schema>.<table>.json`. */
export interface Watermark {
    readonly formatVersion: 1;
    readonly schema: string;
    readonly table: string;
    readonly column: string;
    /**
     * Where the next run starts (`column >= value`): every committed row with a smaller value has
     * been exported. The greatest exported value older than `cutoff`, as PostgreSQL prints it (ISO, UTC).
     */
    readonly value: string;
    /** The database's `now()` minus the safety lag at this run (date and timestamp columns). */
    readonly cutoff?: string;
    /** Export object holding the rows up to `value`. */
    readonly key: string;
    readonly rows: number;
    readonly runId: string;
    readonly exportedAt: string;
}

export interface TableExport {
    readonly schema: string;
    readonly table: string;
    readonly mode: "full" | "incremental";
    /** Undefined when there was nothing new to export (no object written). */
    readonly key: string | undefined;
    readonly rows: number;
    readonly bytes: number;
    readonly fromWatermark: string | undefined;
    readonly toWatermark: string | undefined;
    /** Rows whose watermark column is NULL: exported on every run. */
    readonly nullRows: number;
    /** Rows whose watermark is beyond now plus the tolerance: exported on every run, never the watermark. */
    readonly futureRows: number;
}

export interface ExportResult {
    readonly runId: string;
    readonly tables: readonly TableExport[];
}

export class ExportConfigError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ExportConfigError";
    }
}

/** One or more tables failed; the others were exported and their watermarks advanced. */
export class ExportFailedError extends Error {
    constructor(
        message: string,
        readonly failures: readonly { readonly table: string; readonly error: Error }[],
        readonly exported: readonly TableExport[],
    ) {
        super(message);
        this.name = "ExportFailedError";
    }
}

const DATABASE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX = /^[A-Za-z0-9][A-Za-z0-9_\-./]{0,199}$/;
/** Identifiers from configuration: what people name tables, and nothing that would bend an object key. */
const IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_$ -]{0,62}$/u;
const MiB = 1024 * 1024;
/** Watermark values this far past the database's clock are not trusted to be real change times (clock skew between writers). */
export const FUTURE_TOLERANCE_SECONDS = 3600;
/** Longer than most writing transactions (a long one is a batch job, minutes); costs only the rows changed within it exported twice. */
export const DEFAULT_SAFETY_LAG_SECONDS = 300;
export const MAX_SAFETY_LAG_SECONDS = 86_400;
/** Watermark columns whose values are compared with the clock: the safety lag and the future check apply to them. */
const TIME_TYPES: readonly string[] = ["date", "timestamp without time zone", "timestamp with time zone"];
const DEADLINE_CHECK_MS = 500;
const CLOSE_WAIT_MS = 5_000;

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

/** `<prefix>/<database>/<schema>.<table>/YYYY/MM/DD/<table>-<timestamp>-<runId>.csv.gz` */
export function exportKey(prefix: string, database: string, t: ExportTable, at: Date, runId: string): string {
    const iso = at.toISOString();
    const day = `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}`;
    return `${trim(prefix)}/${database}/${t.schema}.${t.table}/${day}/${t.table}-${compactTimestamp(at)}-${runId}.csv.gz`;
}

/** `<prefix>/<database>/_watermarks/<schema>.<table>.json` */
export function watermarkKey(prefix: string, database: string, t: ExportTable): string {
    return `${trim(prefix)}/${database}/_watermarks/${t.schema}.${t.table}.json`;
}

function trim(prefix: string): string {
    return prefix.replace(/^\/+|\/+$/g, "");
}

/** The rows an incremental run exports: at or past the previous watermark, or without a value. */
function changedRows(column: string, from: string): string {
    const col = quoteIdent(column);
    return `${col} >= ${escapeLiteral(from)} OR ${col} IS NULL`;
}

/**
 * The SELECT that COPY runs: every row for a full export or a first run, else the rows at or
 * past the previous watermark (`>=`: a row changed again with the watermark's own value is
 * exported) and the rows whose column is NULL.
 */
export function exportQuery(t: ExportTable, from: string | undefined): string {
    const source = `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`;
    if (t.column === undefined || from === undefined) {
        return `SELECT * FROM ${source}`;
    }
    return `SELECT * FROM ${source} WHERE ${changedRows(t.column, from)}`;
}

/**
 * Counts the rows the run will export, in the same snapshot, and finds the next watermark:
 * for date and timestamp columns the greatest value no later than now minus the lag (values
 * past now plus the tolerance are counted as future), for other columns the greatest value.
 */
export function boundsQuery(t: ExportTable, column: string, from: string | undefined, timed: boolean, lagSeconds: number): string {
    const col = quoteIdent(column);
    const source = `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`;
    const cutoff = `now() - make_interval(secs => ${lagSeconds})`;
    const columns = timed
        ? [
              `max(${col}) FILTER (WHERE ${col} <= ${cutoff})::text AS up_to`,
              `count(*) FILTER (WHERE ${col} > now() + make_interval(secs => ${FUTURE_TOLERANCE_SECONDS})) AS future`,
              `(${cutoff})::text AS cutoff`,
          ]
        : [`max(${col})::text AS up_to`, "0 AS future", "NULL::text AS cutoff"];
    const where = from === undefined ? "" : ` WHERE ${changedRows(column, from)}`;
    return `SELECT count(*) AS rows, count(*) FILTER (WHERE ${col} IS NULL) AS nulls, ${columns.join(", ")} FROM ${source}${where}`;
}

export async function runExport(settings: ExportSettings, deps: ExportDeps): Promise<ExportResult> {
    const now = deps.now ?? ((): Date => new Date());
    const runId = (deps.newRunId ?? ((): string => randomBytes(6).toString("hex")))();
    const dimensions = { Database: settings.database };
    const { log } = deps;
    const storage = storageOf(deps, settings.bucket, settings.kmsKeyId);
    let target: PgTarget;
    let columns: ReadonlyMap<ExportTable, WatermarkColumn>;
    try {
        target = typeof deps.target === "function" ? await deps.target() : deps.target;
        columns = await checkTables(target, settings.tables, log);
    } catch (err) {
        deps.metrics?.add("ExportFailed", "Count", settings.tables.length, dimensions);
        throw err;
    }
    const exported: TableExport[] = [];
    const failures: { table: string; error: Error }[] = [];
    for (const t of settings.tables) {
        const name = `${t.schema}.${t.table}`;
        try {
            const left = deps.remainingMs?.();
            if (left !== undefined && left <= settings.safetyMarginMs) {
                throw new Error(`not started: ${left} ms left before the deadline, within the safety margin of ${settings.safetyMarginMs} ms`);
            }
            const result = await exportTable(settings, deps, storage, target, t, columns.get(t), now(), runId);
            exported.push(result);
            log.info("table exported", { ...result });
        } catch (err) {
            const error = err instanceof Error ? err : new Error(String(err));
            failures.push({ table: name, error });
            log.error("table export failed; its watermark is unchanged", { table: name, error: `${error.name}: ${error.message}` });
        }
    }
    deps.metrics?.add("ExportSucceeded", "Count", exported.length, dimensions);
    deps.metrics?.add("ExportFailed", "Count", failures.length, dimensions);
    deps.metrics?.add("ExportRows", "Count", exported.reduce((n, e) => n + e.rows, 0), dimensions);
    deps.metrics?.add("ExportSizeBytes", "Bytes", exported.reduce((n, e) => n + e.bytes, 0), dimensions);
    deps.metrics?.add("ExportNullRows", "Count", exported.reduce((n, e) => n + e.nullRows, 0), dimensions);
    deps.metrics?.add("ExportFutureRows", "Count", exported.reduce((n, e) => n + e.futureRows, 0), dimensions);
    if (failures.length > 0) {
        throw new ExportFailedError(
            `export of ${failures.length} of ${settings.tables.length} tables failed: ${failures.map((f) => `${f.table} (${f.error.message})`).join("; ")}`,
            failures,
            exported,
        );
    }
    return { runId, tables: exported };
}

/** What the export needs to know about a watermark column. */
interface WatermarkColumn {
    readonly name: string;
    /** A date or timestamp: compared with the clock (safety lag, future values). */
    readonly timed: boolean;
    readonly hasPrimaryKey: boolean;
}

const APPLICATION_NAME = "pg-backup-stack-export";

/** Every configured table and column must exist before anything is exported; returns what each watermark column is. */
async function checkTables(target: PgTarget, tables: readonly ExportTable[], log: Log): Promise<Map<ExportTable, WatermarkColumn>> {
    const session = await openSession(target, APPLICATION_NAME, (err) => log.error(err.message, { step: "check tables" }));
    const { client } = session;
    try {
        const problems: string[] = [];
        const columns = new Map<ExportTable, WatermarkColumn>();
        for (const t of tables) {
            const rel = await client.query<{ oid: string | null }>("SELECT to_regclass($1)::oid AS oid", [`${quoteIdent(t.schema)}.${quoteIdent(t.table)}`]);
            const oid = rel.rows[0]?.oid ?? null;
            if (oid === null) {
                problems.push(`table ${t.schema}.${t.table} does not exist in ${describeTarget(target)}`);
                continue;
            }
            if (t.column !== undefined) {
                const col = await client.query<{ type: string; pk: boolean }>(
                    `SELECT format_type(CASE WHEN ty.typtype = 'd' THEN ty.typbasetype ELSE ty.oid END, NULL) AS type,
                            EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary) AS pk
                       FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid
                      WHERE a.attrelid = $1 AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped`,
                    [oid, t.column],
                );
                const found = col.rows[0];
                if (found === undefined) {
                    problems.push(`column ${t.column} does not exist in ${t.schema}.${t.table}`);
                } else {
                    columns.set(t, { name: t.column, timed: TIME_TYPES.includes(found.type), hasPrimaryKey: found.pk });
                }
            }
        }
        if (problems.length > 0) {
            throw new ExportConfigError(`export tables: ${problems.join("; ")}`);
        }
        session.check();
        return columns;
    } finally {
        await client.end().catch(() => undefined);
    }
}

async function readWatermark(storage: BackupStorage, key: string, t: ExportTable): Promise<Watermark | undefined> {
    let text: string;
    try {
        text = await readText(storage, key);
    } catch (err) {
        if (err instanceof ObjectNotFoundError) {
            return undefined;
        }
        throw err;
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (err) {
        throw new Error(`watermark ${storage.describe(key)} is not JSON (${err instanceof Error ? err.message : String(err)}); remove it to start over with a full export`);
    }
    const doc = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Partial<Watermark>;
    if (doc.formatVersion !== 1 || doc.schema !== t.schema || doc.table !== t.table || typeof doc.value !== "string") {
        throw new Error(`watermark ${storage.describe(key)} does not belong to ${t.schema}.${t.table} or is not a watermark`);
    }
    if (doc.column !== t.column) {
        throw new Error(`watermark ${storage.describe(key)} is for column ${String(doc.column)}, but ${t.column ?? "no column"} is configured; remove it to start over with a full export`);
    }
    return doc as Watermark;
}

async function exportTable(
    settings: ExportSettings,
    deps: ExportDeps,
    storage: BackupStorage,
    target: PgTarget,
    t: ExportTable,
    /** Undefined for a full export. */
    column: WatermarkColumn | undefined,
    at: Date,
    runId: string,
): Promise<TableExport> {
    const name = `${t.schema}.${t.table}`;
    const wmKey = watermarkKey(settings.prefix, settings.database, t);
    const previous = column === undefined ? undefined : await readWatermark(storage, wmKey, t);
    const from = previous?.value;
    const session = await openSession(target, APPLICATION_NAME, (err) => deps.log.error(err.message, { table: name }));
    const { client } = session;
    let healthy = true;
    try {
        await client.query("SET TimeZone = 'UTC'");
        await client.query("SET DateStyle = 'ISO, YMD'");
        await client.query("SET IntervalStyle = 'iso_8601'");
        await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        let upTo: string | undefined;
        let cutoff: string | undefined;
        let nullRows = 0;
        let futureRows = 0;
        if (column !== undefined) {
            const bounds = await client.query<{ rows: string; nulls: string; up_to: string | null; future: string; cutoff: string | null }>(
                boundsQuery(t, column.name, from, column.timed, settings.safetyLagSeconds),
            );
            const b = bounds.rows[0];
            nullRows = Number(b?.nulls ?? 0);
            futureRows = Number(b?.future ?? 0);
            upTo = b?.up_to ?? from;
            cutoff = b?.cutoff ?? undefined;
            warnAboutWatermark(deps.log, name, column, nullRows, futureRows);
            if (Number(b?.rows ?? 0) === 0) {
                await client.query("COMMIT");
                return { schema: t.schema, table: t.table, mode: "incremental", key: undefined, rows: 0, bytes: 0, fromWatermark: from, toWatermark: from, nullRows, futureRows };
            }
        }
        const key = exportKey(settings.prefix, settings.database, t, at, runId);
        const copy = client.query(copyTo(`COPY (${exportQuery(t, from)}) TO STDOUT WITH (FORMAT csv, HEADER true)`));
        const gzip = createGzip({ level: settings.gzipLevel });
        let bytes = 0;
        gzip.on("data", (chunk: Buffer) => {
            bytes += chunk.length;
        });
        let streamError: Error | undefined;
        pipeline(copy, gzip, (err) => {
            if (err !== null && err !== undefined && err.name !== "AbortError" && (err as NodeJS.ErrnoException).code !== "ERR_STREAM_PREMATURE_CLOSE") {
                streamError ??= err;
            }
        });
        const watchdog = setInterval(() => {
            const left = deps.remainingMs?.();
            if (left !== undefined && left <= settings.safetyMarginMs) {
                streamError ??= new Error(`stopped with ${left} ms left before the deadline (safety margin ${settings.safetyMarginMs} ms)`);
                gzip.destroy(streamError);
            }
        }, DEADLINE_CHECK_MS);
        try {
            await storage.put(
                {
                    key,
                    body: gzip,
                    contentType: "text/csv",
                    tags: { kind: "export" },
                    partSizeBytes: settings.partSizeBytes,
                    concurrency: settings.uploadConcurrency,
                },
                deps.log,
            );
        } catch (err) {
            throw streamError ?? err;
        } finally {
            clearInterval(watchdog);
        }
        if (streamError !== undefined) {
            throw streamError;
        }
        await client.query("COMMIT");
        const rows = copy.rowCount;
        if (column !== undefined && upTo !== undefined) {
            const watermark: Watermark = {
                formatVersion: 1,
                schema: t.schema,
                table: t.table,
                column: column.name,
                value: upTo,
                ...(cutoff === undefined ? {} : { cutoff }),
                key,
                rows,
                runId,
                exportedAt: at.toISOString(),
            };
            await storage.put(
                {
                    key: wmKey,
                    body: Buffer.from(JSON.stringify(watermark, null, 2)),
                    contentType: "application/json",
                    tags: { kind: "export-watermark" },
                    partSizeBytes: settings.partSizeBytes,
                    concurrency: 1,
                },
                deps.log,
            );
        }
        return {
            schema: t.schema,
            table: t.table,
            mode: column === undefined ? "full" : "incremental",
            key,
            rows,
            bytes,
            fromWatermark: from,
            toWatermark: upTo,
            nullRows,
            futureRows,
        };
    } catch (err) {
        healthy = false;
        session.check();
        throw err;
    } finally {
        await closeClient(client, healthy);
    }
}

/** Says, on every run, which rows the watermark cannot order and how they are treated. */
function warnAboutWatermark(log: Log, table: string, column: WatermarkColumn, nullRows: number, futureRows: number): void {
    const columnName = column.name;
    if (nullRows > 0) {
        log.warn(`rows whose watermark column is NULL are exported on every run; set ${columnName} on every row to export them once`, { table, column: columnName, nullRows });
    }
    if (futureRows > 0) {
        log.warn(`rows whose watermark is more than ${FUTURE_TOLERANCE_SECONDS} s in the future are exported on every run and never become the watermark`, {
            table,
            column: columnName,
            futureRows,
        });
    }
    if (!column.hasPrimaryKey) {
        log.warn("the table has no primary key: rows exported again (at-least-once) cannot be told apart from new rows by key", { table, column: columnName });
    }
}

/** A client left mid-COPY cannot finish its protocol exchange; wait briefly for a clean end, then move on. */
async function closeClient(client: Client, healthy: boolean): Promise<void> {
    const ending = client.end().catch(() => undefined);
    if (healthy) {
        await ending;
        return;
    }
    await Promise.race([ending, new Promise((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref())]);
}
