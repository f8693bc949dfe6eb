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
import { describeTarget, quoteIdent, type PgTarget } from "../shared/pgTarget";
import type { Log } from "../shared/ports";
import { openSession } from "../shared/sessionSettings";
import { storageOf } from "../shared/storage/s3";
import { ExportConfigError, type ExportDeps, type ExportSettings, type ExportTable } from "./settings";
import { APPLICATION_NAME, exportTable, type TableExport } from "./table";
import { TIME_TYPES, type WatermarkColumn } from "./watermark";

export interface ExportResult {
    readonly runId: string;
    readonly tables: readonly TableExport[];
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
