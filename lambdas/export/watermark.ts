/**
 * The watermark of an incremental export: what is stored, how it is read back, which rows it
 * selects, and how the next one is found in the export's snapshot.
 */
import { escapeLiteral } from "pg";
import { quoteIdent } from "../shared/pgTarget";
import type { Log } from "../shared/ports";
import { ObjectNotFoundError, readText, type BackupStorage } from "../shared/storage/port";
import type { ExportTable } from "./settings";

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

/** What the export needs to know about a watermark column. */
export interface WatermarkColumn {
    readonly name: string;
    /** A date or timestamp: compared with the clock (safety lag, future values). */
    readonly timed: boolean;
    readonly hasPrimaryKey: boolean;
}

/** Watermark values this far past the database's clock are not trusted to be real change times (clock skew between writers). */
export const FUTURE_TOLERANCE_SECONDS = 3600;
/** Watermark columns whose values are compared with the clock: the safety lag and the future check apply to them. */
export const TIME_TYPES: readonly string[] = ["date", "timestamp without time zone", "timestamp with time zone"];

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

export async function readWatermark(storage: BackupStorage, key: string, t: ExportTable): Promise<Watermark | undefined> {
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

/** Says, on every run, which rows the watermark cannot order and how they are treated. */
export function warnAboutWatermark(log: Log, table: string, column: WatermarkColumn, nullRows: number, futureRows: number): void {
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
