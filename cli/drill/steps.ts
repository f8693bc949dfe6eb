import { randomBytes } from "node:crypto";
import { runDump } from "../../lambdas/dump/dump";
import { dumpSettings } from "../../lambdas/dump/settings";
import { runExport, type ExportResult } from "../../lambdas/export/export";
import { exportSettings, type ExportTable } from "../../lambdas/export/settings";
import type { BackupManifest } from "../../lambdas/shared/manifest";
import { describeTarget, parsePostgresUrl, quoteIdent, withDatabase, type PgTarget } from "../../lambdas/shared/pgTarget";
import { findPgTool } from "../../lambdas/shared/pgTools";
import type { Log, MetricSink } from "../../lambdas/shared/ports";
import { restoreBackup, type RestoreResult } from "../../lambdas/shared/restore";
import { describeCounts, dropDatabase } from "../../lambdas/shared/restoreTarget";
import { DEFAULT_SIZE_BOUNDS } from "../../lambdas/verify/settings";
import { runVerify, type VerifyReport } from "../../lambdas/verify/verify";
import type { BackupStorage } from "../../lambdas/shared/storage/port";
import { startPostgres, type EmbeddedPostgres } from "../embedded/postgres";
import { loadSampleData } from "../embedded/sampleData";
import { formatBytes } from "../output";
import type { DrillArgs } from "./args";
import { adminQuery, contentChecksums, databaseSize, withClient } from "./database";
import type { Resources } from "./resources";
import type { DrillCheck, DrillSummary } from "./summary";

/** The drill's named steps, each on the functions' own code. */

const PREFIX = "backups";
const EXPORT_PREFIX = "exports";
/** Schema and table names the export's object keys can hold. */
const EXPORTABLE = /^[A-Za-z_][A-Za-z0-9_$ -]{0,62}$/;
export const SAMPLE_DATABASE = "sample";

/** What every step of a drill shares: its arguments, its output, what it started and what it found. */
export interface DrillRun {
    readonly args: DrillArgs;
    readonly progress: (line: string) => void;
    /** Starts the next numbered step; throws once the drill is interrupted. */
    readonly stage: (what: string) => void;
    readonly resources: Resources;
    readonly signal: AbortSignal | undefined;
    readonly log: Log;
    readonly sink: MetricSink;
    readonly checks: DrillCheck[];
    readonly started: { postgresDir?: string; s3Dir?: string; postgresUrl?: string; s3Endpoint?: string; blobEndpoint?: string };
}

/** The database the drill backs up, and what it knows about it. */
export interface DrillSource {
    readonly source: PgTarget;
    /** Logical name: key segment and metric dimension. */
    readonly database: string;
    /** The throwaway server's client tools; undefined for a given database. */
    readonly binDir: string | undefined;
    /** The sample's tables and their updated-at columns; undefined for a given database. */
    readonly sampleColumns: ReadonlyMap<string, string | undefined> | undefined;
}

/** The given database, or a throwaway PostgreSQL loaded with the sample database. */
export async function prepareSource({ args, progress, stage, resources, started }: DrillRun): Promise<DrillSource> {
    if (args.source !== undefined) {
        return { source: args.source, database: logicalName(args.source.database), binDir: undefined, sampleColumns: undefined };
    }
    stage("starting a throwaway PostgreSQL");
    const pg: EmbeddedPostgres = await startPostgres();
    started.postgresDir = pg.dataDir;
    started.postgresUrl = pg.url(SAMPLE_DATABASE);
    resources.add(`PostgreSQL on port ${pg.port}`, () => pg.stop());
    progress(`  PostgreSQL on 127.0.0.1:${pg.port}, data in ${pg.dataDir}`);
    await adminQuery(parsePostgresUrl(pg.url("postgres"), "embedded"), `CREATE DATABASE ${quoteIdent(SAMPLE_DATABASE)}`);
    const source = parsePostgresUrl(pg.url(SAMPLE_DATABASE), "embedded");
    stage(`loading the sample database (scale ${args.scale})`);
    const t0 = performance.now();
    const sample = await loadSampleData(pg.url(SAMPLE_DATABASE), { scale: args.scale });
    const sampleColumns = new Map(sample.tables.map((t) => [`${t.schema}.${t.name}`, t.updatedAtColumn]));
    progress(`  ${sample.totalRows.toLocaleString("en-US")} rows in ${sample.tables.length} tables, a large object, a materialized view, a partitioned table, an enum (${seconds(t0)}s)`);
    return { source, database: SAMPLE_DATABASE, binDir: pg.binDir, sampleColumns };
}

/** The dump function's core against the source; its manifest and the figures the summary shows. */
export async function dumpStep(
    { args, progress, stage, log, sink, checks }: DrillRun,
    { source, database, binDir }: DrillSource,
    storage: BackupStorage,
): Promise<{ readonly manifest: BackupManifest; readonly summary: Partial<DrillSummary> }> {
    stage(`dumping ${describeTarget(source)} to ${storage.describe(`${PREFIX}/${database}/`)}`);
    const sourceBytes = await databaseSize(source);
    let lastShown = performance.now();
    const manifest: BackupManifest = await runDump(
        dumpSettings({
            database,
            bucket: args.bucket,
            prefix: PREFIX,
            pgDumpPath: findPgTool("pg_dump", binDir),
            trigger: "on-demand",
            format: args.dumpFormat ?? "custom",
            ...(args.dumpJobs === undefined ? {} : { jobs: args.dumpJobs }),
        }),
        {
            storage,
            target: source,
            log,
            metrics: sink,
            onProgress: (bytes) => {
                if (performance.now() - lastShown > 2000) {
                    lastShown = performance.now();
                    progress(`  ${formatBytes(bytes)} dumped so far`);
                }
            },
        },
    );
    const dumpSeconds = manifest.durationMs / 1000;
    const rows = manifest.tables.reduce((sum, t) => sum + t.rows, 0);
    const summary = {
        key: manifest.key,
        sizeBytes: manifest.sizeBytes,
        sourceBytes,
        sha256: manifest.sha256,
        dumpSeconds,
        dumpMiBps: manifest.sizeBytes / 1024 / 1024 / Math.max(dumpSeconds, 0.001),
        tables: manifest.tables.length,
        rows,
    };
    checks.push({ name: "dump", ok: true, detail: `${formatBytes(manifest.sizeBytes)} in ${dumpSeconds.toFixed(1)}s, manifest written, ${manifest.tables.length} tables counted` });
    progress(`  ${formatBytes(manifest.sizeBytes)} (database ${formatBytes(sourceBytes)}) in ${dumpSeconds.toFixed(1)}s, sha256 ${manifest.sha256.slice(0, 16)}...`);
    return { manifest, summary };
}

/** The export function's core against the source; on the sample, its row counts must equal the dump's. */
export async function exportStep({ args, stage, log, sink, checks }: DrillRun, { source, database, sampleColumns }: DrillSource, storage: BackupStorage, manifest: BackupManifest): Promise<void> {
    stage(`exporting tables as gzip'd CSV to ${storage.describe(`${EXPORT_PREFIX}/${database}/`)}`);
    const exportTables = await tablesToExport(source, manifest, sampleColumns);
    const exportStarted = performance.now();
    const exported: ExportResult = await runExport(exportSettings({ database, bucket: args.bucket, prefix: EXPORT_PREFIX, tables: exportTables.tables }), {
        storage,
        target: source,
        log,
        metrics: sink,
    });
    const exportedRows = exported.tables.reduce((n, t) => n + t.rows, 0);
    const expectedRows = new Map(manifest.tables.map((t) => [`${t.schema}.${t.name}`, t.rows]));
    const exportMismatch = args.source === undefined ? exported.tables.filter((t) => expectedRows.get(`${t.schema}.${t.table}`) !== t.rows) : [];
    checks.push({
        name: "export",
        ok: exportMismatch.length === 0,
        detail:
            `${exported.tables.length} table(s), ${exportedRows.toLocaleString("en-US")} rows, ${formatBytes(exported.tables.reduce((n, t) => n + t.bytes, 0))} in ${seconds(exportStarted)}s` +
            (exportTables.skipped.length > 0 ? `; skipped (names an export key cannot hold): ${exportTables.skipped.join(", ")}` : "") +
            (exportMismatch.length > 0 ? `; row counts differ from the dump's: ${exportMismatch.map((t) => `${t.schema}.${t.table}`).join(", ")}` : ""),
    });
}

/** The verify function's core on the newest backup; each of its checks becomes one of the drill's. */
export async function verifyStep({ args, stage, log, sink, checks, signal }: DrillRun, { source, database, binDir }: DrillSource, storage: BackupStorage): Promise<void> {
    stage("verifying the newest backup: age, checksum, size, scratch restore, row counts, RTO");
    const maintenance = withDatabase(source, "postgres");
    const report: VerifyReport = await runVerify(
        {
            bucket: args.bucket,
            prefix: PREFIX,
            databases: [database],
            maxBackupAgeSeconds: args.rpoSeconds,
            rtoSeconds: args.rtoSeconds,
            size: DEFAULT_SIZE_BOUNDS,
            verificationServer: maintenance,
            ...(args.jobs === undefined ? {} : { jobs: args.jobs }),
            ...(binDir === undefined ? {} : { binDir }),
        },
        { storage, log, metrics: sink, ...(signal === undefined ? {} : { signal }) },
    );
    for (const c of report.targets[0]?.checks ?? []) {
        checks.push({ name: `verify.${c.name}`, ok: c.ok, detail: c.detail });
    }
}

/** The restore into a new database under a name of its own. */
export async function restoreStep(
    { args, stage, log, signal, resources }: DrillRun,
    { source, binDir }: DrillSource,
    storage: BackupStorage,
    manifest: BackupManifest,
): Promise<{ readonly result: RestoreResult; readonly target: PgTarget }> {
    const restoreName = `drill_restore_${new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14)}_${randomBytes(3).toString("hex")}`;
    stage(`restoring into a new database ${restoreName}`);
    const restoreTarget = withDatabase(source, restoreName);
    // Registered only once the restore has created it: a database of that name that already existed is someone else's.
    const dropRestored = (): void => resources.add(`restored database ${restoreName}`, () => dropDatabase({ target: restoreTarget }, restoreName));
    const restored: RestoreResult = await restoreBackup({
        storage,
        manifest,
        target: restoreTarget,
        log,
        ...(signal === undefined ? {} : { signal }),
        ...(args.source === undefined ? {} : { onDatabaseCreated: dropRestored }),
        ...(args.jobs === undefined ? {} : { jobs: args.jobs }),
        ...(binDir === undefined ? {} : { binDir }),
    });
    return { result: restored, target: restoreTarget };
}

/** The restored database against the manifest's row counts, the source's content and the RTO. */
export async function compareRestored({ args, checks }: DrillRun, source: PgTarget, { result: restored, target: restoreTarget }: { readonly result: RestoreResult; readonly target: PgTarget }): Promise<void> {
    checks.push({
        name: "restore.rowCounts",
        ok: restored.rowCountsMatch,
        detail: describeCounts(restored.tables, restored.largeObjects),
    });
    const [before, after] = await Promise.all([contentChecksums(source), contentChecksums(restoreTarget)]);
    const differing = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k));
    checks.push({
        name: "restore.content",
        ok: differing.length === 0,
        detail: differing.length === 0 ? `md5 of every table's rows and of the large objects equals the source (${before.size} checksums)` : `differs from the source: ${differing.join(", ")}`,
    });
    checks.push({
        name: "restore.rto",
        ok: restored.totalSeconds <= args.rtoSeconds,
        detail: `download, checks and pg_restore (${restored.jobs} jobs) took ${restored.totalSeconds.toFixed(1)}s; RTO ${args.rtoSeconds / 60} min`,
    });
}

/**
 * The tables to export: every table the dump counted, incrementally by the sample's `updated_at`
 * columns (or, for a given database, by any `updated_at` column), in full otherwise.
 */
async function tablesToExport(
    source: PgTarget,
    manifest: BackupManifest,
    sampleColumns: ReadonlyMap<string, string | undefined> | undefined,
): Promise<{ readonly tables: ExportTable[]; readonly skipped: string[] }> {
    const withUpdatedAt =
        sampleColumns ??
        new Map(
            (
                await withClient(source, (c) =>
                    c.query<{ schema: string; name: string }>(
                        "SELECT table_schema AS schema, table_name AS name FROM information_schema.columns WHERE column_name = 'updated_at' AND data_type LIKE 'timestamp%'",
                    ),
                )
            ).rows.map((r) => [`${r.schema}.${r.name}`, "updated_at"]),
        );
    const tables: ExportTable[] = [];
    const skipped: string[] = [];
    for (const t of manifest.tables) {
        const name = `${t.schema}.${t.name}`;
        if (!EXPORTABLE.test(t.schema) || !EXPORTABLE.test(t.name)) {
            skipped.push(name);
            continue;
        }
        const column = withUpdatedAt.get(name);
        tables.push({ schema: t.schema, table: t.name, ...(column === undefined ? {} : { column }) });
    }
    return { tables, skipped };
}

/** A key-safe logical name for a database given by URL. */
function logicalName(database: string): string {
    const name = database.replace(/[^A-Za-z0-9_-]/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(0, 63);
    return name === "" ? "drill" : name;
}

function seconds(since: number): string {
    return ((performance.now() - since) / 1000).toFixed(1);
}
