/**
 * One table's export: the rows the watermark selects (or the whole table) copied out of one
 * snapshot as gzip'd CSV into the storage, then the new watermark stored.
 */
import { pipeline } from "node:stream";
import { createGzip } from "node:zlib";
import type { Client } from "pg";
import { to as copyTo } from "pg-copy-streams";
import type { PgTarget } from "../shared/pgTarget";
import { openSession } from "../shared/sessionSettings";
import type { BackupStorage } from "../shared/storage/port";
import { exportKey, watermarkKey } from "./keys";
import type { ExportDeps, ExportSettings, ExportTable } from "./settings";
import { boundsQuery, exportQuery, readWatermark, warnAboutWatermark, type Watermark, type WatermarkColumn } from "./watermark";

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

/** The application_name of the export's database sessions. */
export const APPLICATION_NAME = "pg-backup-stack-export";
const DEADLINE_CHECK_MS = 500;
const CLOSE_WAIT_MS = 5_000;

export async function exportTable(
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

/** A client left mid-COPY cannot finish its protocol exchange; wait briefly for a clean end, then move on. */
async function closeClient(client: Client, healthy: boolean): Promise<void> {
    const ending = client.end().catch(() => undefined);
    if (healthy) {
        await ending;
        return;
    }
    await Promise.race([ending, new Promise((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref())]);
}
