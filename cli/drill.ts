import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { runDump } from "../lambdas/dump/dump";
import { dumpSettings, MAX_DUMP_JOBS } from "../lambdas/dump/settings";
import { runExport, type ExportResult } from "../lambdas/export/export";
import { exportSettings, type ExportTable } from "../lambdas/export/settings";
import type { BackupManifest, DumpFormat } from "../lambdas/shared/manifest";
import { clientConfig, describeTarget, parsePostgresUrl, quoteIdent, withDatabase, type PgTarget } from "../lambdas/shared/pgTarget";
import { findPgTool } from "../lambdas/shared/pgTools";
import type { Log, MetricSink, MetricUnit } from "../lambdas/shared/ports";
import { restoreBackup, type RestoreResult } from "../lambdas/shared/restore";
import { dropDatabase } from "../lambdas/shared/restoreTarget";
import { redactedMessage, redactText } from "../lambdas/shared/redact";
import { DEFAULT_SIZE_BOUNDS } from "../lambdas/verify/settings";
import { runVerify, type VerifyReport } from "../lambdas/verify/verify";
import { azureBlobStorage } from "../lambdas/shared/storage/azureBlob";
import { azureContainerClient } from "../lambdas/shared/storage/env";
import type { BackupStorage } from "../lambdas/shared/storage/port";
import { s3Storage } from "../lambdas/shared/storage/s3";
import { ArgumentError, bucketOption, httpUrlOption, integerOption, numberOption, parseOptions, postgresUrlOption, usage } from "./args";
import { cliS3Client } from "./clients";
import { AZURITE_ACCOUNT_KEY, startAzurite, type EmbeddedAzurite } from "./embedded/azurite";
import { startPostgres, type EmbeddedPostgres } from "./embedded/postgres";
import { startS3, type EmbeddedS3 } from "./embedded/s3";
import { loadSampleData } from "./embedded/sampleData";
import { formatBytes, renderTable, terminalLog, warnLine } from "./output";
import { CLOUDS, cliBlobContainer, containerOption, type Cloud } from "./storageOptions";

/**
 * `drill`: dump -> export -> verify -> restore end to end with the functions' own code, against a
 * throwaway PostgreSQL and s3rver, or Azurite with `--cloud azure` (or the given endpoints), ending with a summary of what was
 * measured and a pass/fail per check. Everything it started is stopped and removed again, also
 * on failure and on Ctrl-C.
 */

const OPTIONS = {
    "database-url": { type: "string", value: "URL", description: "dump this database instead of a throwaway one with sample data; scratch and restored databases are created (and dropped) on its server; password from the URL, PGPASSWORD or the password file" },
    "s3-endpoint": { type: "string", value: "URL", description: "S3-compatible endpoint to use instead of a throwaway s3rver (credentials from the AWS environment)" },
    bucket: { type: "string", value: "BUCKET", description: 'bucket for the drill\'s backups, created if missing (default "pg-backup-drill")' },
    cloud: { type: "string", value: "aws|azure", description: "aws: S3 (s3rver, or --s3-endpoint); azure: Blob Storage (Azurite, or --blob-endpoint) (default aws)" },
    "blob-endpoint": { type: "string", value: "URL", description: "with --cloud azure: blob endpoint to use instead of a throwaway Azurite (sign-in: AZURE_BLOB_LOCAL_ACCOUNT_KEY on loopback, else DefaultAzureCredential)" },
    container: { type: "string", value: "NAME", description: 'with --cloud azure: container for the drill\'s backups, created if missing (default "pg-backup-drill")' },
    "rto-minutes": { type: "string", value: "N", description: "recovery time objective the measured restore is held to (default 60)" },
    "rpo-minutes": { type: "string", value: "N", description: "recovery point objective for the freshness check (default 1440)" },
    scale: { type: "string", value: "X", description: "sample data size: 1 is about 340,000 rows, 0.1 about 34,000 (default 1)" },
    jobs: { type: "string", value: "N", description: "parallel pg_restore jobs, 1..64 (default: min(4, CPUs))" },
    "dump-format": { type: "string", value: "FORMAT", description: "custom (one streamed archive) or directory (pg_dump --jobs into a temporary directory, one object per file) (default custom)" },
    "dump-jobs": { type: "string", value: "N", description: "pg_dump workers with --dump-format directory, 1..16 (default 2)" },
    keep: { type: "boolean", description: "keep the throwaway PostgreSQL and S3 running after the drill, printing how to reach them, until Ctrl-C" },
    verbose: { type: "boolean", description: "show the functions' own log lines" },
    json: { type: "boolean", description: "print one JSON line with the results last" },
} as const;

const SYNOPSIS = "[--database-url URL] [--s3-endpoint URL] [--bucket B | --cloud azure [--blob-endpoint URL] [--container C]] [--rto-minutes N] [--scale X] [--dump-format custom|directory] [--keep] [--json]";

export interface DrillArgs {
    /** The database given with --database-url, its password resolved (URL, PGPASSWORD or password file). */
    readonly source?: PgTarget;
    readonly s3Endpoint?: string;
    /** @default "aws" */
    readonly cloud?: Cloud;
    /** With cloud azure: the given blob endpoint (else a throwaway Azurite). */
    readonly blobEndpoint?: string;
    /** The bucket, or with cloud azure the container. */
    readonly bucket: string;
    readonly rtoSeconds: number;
    readonly rpoSeconds: number;
    readonly scale: number;
    readonly jobs?: number;
    /** @default "custom" */
    readonly dumpFormat?: DumpFormat;
    readonly dumpJobs?: number;
    readonly keep: boolean;
    readonly verbose: boolean;
    readonly json: boolean;
}

/** undefined means `--help`. Throws ArgumentError naming the argument, the value and what is allowed. */
export function parseDrillArgs(args: readonly string[], env: NodeJS.ProcessEnv = process.env): DrillArgs | undefined {
    const o = parseOptions(args, OPTIONS);
    if (o === undefined) {
        return undefined;
    }
    const source = postgresUrlOption("database-url", o["database-url"], env, warnLine);
    if (source !== undefined && o.scale !== undefined) {
        throw new ArgumentError(`--scale: "${o.scale}" is not allowed with --database-url; the sample data is only loaded into the throwaway database`);
    }
    const s3Endpoint = httpUrlOption("s3-endpoint", o["s3-endpoint"]);
    const cloud = o.cloud ?? "aws";
    if (cloud !== "aws" && cloud !== "azure") {
        throw new ArgumentError(`--cloud: "${cloud}" is not allowed; expected ${CLOUDS.join(" or ")}`);
    }
    const refused = cloud === "aws" ? { "blob-endpoint": o["blob-endpoint"], container: o.container } : { "s3-endpoint": o["s3-endpoint"], bucket: o.bucket };
    for (const [name, value] of Object.entries(refused)) {
        if (value !== undefined) {
            throw new ArgumentError(`--${name}: not allowed with --cloud ${cloud}`);
        }
    }
    const blobEndpoint = httpUrlOption("blob-endpoint", o["blob-endpoint"]);
    if (o.keep === true && source !== undefined && (s3Endpoint ?? blobEndpoint) !== undefined) {
        throw new ArgumentError(`--keep: nothing to keep with both --database-url and --${cloud === "aws" ? "s3-endpoint" : "blob-endpoint"}; it keeps the throwaway PostgreSQL and storage the drill starts`);
    }
    const jobs = integerOption("jobs", o.jobs, 1, 64);
    const dumpFormat = o["dump-format"] ?? "custom";
    if (dumpFormat !== "custom" && dumpFormat !== "directory") {
        throw new ArgumentError(`--dump-format: "${dumpFormat}" is not allowed; expected custom or directory`);
    }
    const dumpJobs = integerOption("dump-jobs", o["dump-jobs"], 1, MAX_DUMP_JOBS);
    return {
        ...(source === undefined ? {} : { source }),
        ...(s3Endpoint === undefined ? {} : { s3Endpoint }),
        ...(cloud === "azure" ? { cloud } : {}),
        ...(blobEndpoint === undefined ? {} : { blobEndpoint }),
        bucket: (cloud === "aws" ? bucketOption("bucket", o.bucket) : containerOption(o.container)) ?? "pg-backup-drill",
        rtoSeconds: (integerOption("rto-minutes", o["rto-minutes"], 1, 44640) ?? 60) * 60,
        rpoSeconds: (integerOption("rpo-minutes", o["rpo-minutes"], 1, 44640) ?? 1440) * 60,
        scale: numberOption("scale", o.scale, 0, 100) ?? 1,
        ...(jobs === undefined ? {} : { jobs }),
        dumpFormat,
        ...(dumpJobs === undefined ? {} : { dumpJobs }),
        keep: o.keep === true,
        verbose: o.verbose === true,
        json: o.json === true,
    };
}

export interface DrillCheck {
    readonly name: string;
    readonly ok: boolean;
    readonly detail: string;
}

export interface DrillSummary {
    readonly ok: boolean;
    readonly database: string;
    readonly bucket: string;
    /** Where the backups went: `s3://bucket` or the container's URL. */
    readonly location?: string;
    readonly key?: string;
    readonly sizeBytes?: number;
    readonly sourceBytes?: number;
    readonly sha256?: string;
    readonly dumpSeconds?: number;
    /** Archive bytes written per second of the dump, MiB/s. */
    readonly dumpMiBps?: number;
    readonly tables?: number;
    readonly rows?: number;
    readonly restoreSeconds?: number;
    readonly rtoSeconds: number;
    readonly checks: readonly DrillCheck[];
    readonly metrics: readonly { readonly name: string; readonly unit: MetricUnit; readonly value: number; readonly dimensions: Record<string, string> }[];
    /** What the drill started and removed again. */
    readonly started: { readonly postgresDir?: string; readonly s3Dir?: string; readonly postgresUrl?: string; readonly s3Endpoint?: string; readonly blobEndpoint?: string };
    readonly error?: string;
}

const PREFIX = "backups";
const EXPORT_PREFIX = "exports";
/** Schema and table names the export's object keys can hold. */
const EXPORTABLE = /^[A-Za-z_][A-Za-z0-9_$ -]{0,62}$/;
const SAMPLE_DATABASE = "sample";

/**
 * Things started by the drill, stopped in reverse order; safe to call more than once. Something
 * added once the cleanup has begun (work still in flight when it was interrupted) is cleaned up
 * at once.
 */
export class Resources {
    private readonly cleanups: { readonly what: string; readonly run: () => Promise<void> }[] = [];
    private cleaning: Promise<void> | undefined;
    private progress: (line: string) => void = () => undefined;
    private readonly failed: string[] = [];

    add(what: string, run: () => Promise<void>): void {
        this.cleanups.push({ what, run });
        if (this.cleaning !== undefined) {
            this.cleaning = this.cleaning.then(() => this.runAll());
        }
    }

    /** What is still to be cleaned up, oldest first, and what could not be. */
    pending(): string[] {
        return [...this.cleanups.map((c) => c.what), ...this.failed];
    }

    /** Resolves once everything added so far is cleaned up. */
    cleanup(progress: (line: string) => void): Promise<void> {
        this.progress = progress;
        this.cleaning ??= this.runAll();
        return this.cleaning;
    }

    private async runAll(): Promise<void> {
        for (let c = this.cleanups.pop(); c !== undefined; c = this.cleanups.pop()) {
            try {
                await c.run();
                this.progress(`cleaned up: ${c.what}`);
            } catch (err) {
                this.failed.push(c.what);
                this.progress(`could not clean up ${c.what}: ${redactedMessage(err)}`);
            }
        }
    }
}

/** How long work in flight gets to end after an interrupt and the cleanup, before the drill exits anyway. */
const INTERRUPT_GRACE_MS = 10_000;

export async function main(args: readonly string[]): Promise<number> {
    let parsed: DrillArgs | undefined;
    try {
        parsed = parseDrillArgs(args);
        if (parsed === undefined) {
            console.log(usage("drill", SYNOPSIS, OPTIONS));
            return 0;
        }
    } catch (err) {
        if (err instanceof ArgumentError) {
            console.error(`${redactText(err.message)}\n\n${usage("drill", SYNOPSIS, OPTIONS)}`);
            return 2;
        }
        throw err;
    }
    const progress = (line: string): void => {
        process.stderr.write(`drill: ${redactText(line)}\n`);
    };
    const resources = new Resources();
    const controller = new AbortController();
    let exitCode = 130;
    // Every interrupt is handled here (none ends the process mid-cleanup): the first stops the
    // work (no new step starts) and the servers it started, later ones say what is still to do.
    const onSignal = (signal: NodeJS.Signals): void => {
        if (controller.signal.aborted) {
            const left = resources.pending();
            progress(`${signal} received again; ${left.length === 0 ? "nothing left to clean up" : `still cleaning up: ${left.join(", ")}`}`);
            return;
        }
        exitCode = signal === "SIGINT" ? 130 : 143;
        progress(`${signal} received; stopping and cleaning up`);
        controller.abort();
        // Work in flight fails once its servers stop; that is expected now and must not end the process before the cleanup has.
        process.on("uncaughtException", (err) => progress(`  stopped: ${redactedMessage(err)}`));
        void resources.cleanup(progress).then(() => {
            setTimeout(() => {
                const left = resources.pending();
                progress(`work in flight did not stop within ${INTERRUPT_GRACE_MS / 1000} s; exiting${left.length === 0 ? "" : `; left behind: ${left.join(", ")}`}`);
                process.exit(exitCode);
            }, INTERRUPT_GRACE_MS).unref();
        });
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
        const summary = await runDrill(parsed, progress, resources, controller.signal);
        if (controller.signal.aborted) {
            await resources.cleanup(progress);
            const left = resources.pending();
            progress(`interrupted; ${left.length === 0 ? "everything the drill started was stopped and removed" : `LEFT BEHIND: ${left.join(", ")}`}`);
            return exitCode;
        }
        if (!parsed.keep) {
            await resources.cleanup(progress);
        }
        console.log(renderSummary(summary));
        if (parsed.json) {
            console.log(JSON.stringify(summary));
        }
        if (parsed.keep && (summary.started.postgresUrl !== undefined || summary.started.s3Endpoint !== undefined || summary.started.blobEndpoint !== undefined)) {
            console.log(renderKept(summary));
            await new Promise<void>((resolve) => controller.signal.addEventListener("abort", () => resolve(), { once: true }));
            await resources.cleanup(progress);
        }
        return summary.ok ? 0 : 1;
    } finally {
        await resources.cleanup(progress);
        // After an interrupt the handlers stay until the process exits: one more Ctrl-C must not kill it with a signal status.
        if (!controller.signal.aborted) {
            process.removeListener("SIGINT", onSignal);
            process.removeListener("SIGTERM", onSignal);
        }
    }
}

/** What every step of a drill shares: its arguments, its output, what it started and what it found. */
interface DrillRun {
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
interface DrillSource {
    readonly source: PgTarget;
    /** Logical name: key segment and metric dimension. */
    readonly database: string;
    /** The throwaway server's client tools; undefined for a given database. */
    readonly binDir: string | undefined;
    /** The sample's tables and their updated-at columns; undefined for a given database. */
    readonly sampleColumns: ReadonlyMap<string, string | undefined> | undefined;
}

/** The drill itself; failures become a failed summary, never an exception. */
export async function runDrill(args: DrillArgs, progress: (line: string) => void, resources: Resources, signal?: AbortSignal): Promise<DrillSummary> {
    const checks: DrillCheck[] = [];
    const metrics: DrillSummary["metrics"][number][] = [];
    const sink: MetricSink = { add: (name, unit, value, dimensions = {}) => void metrics.push({ name, unit, value, dimensions }) };
    const started: DrillRun["started"] = {};
    let database = SAMPLE_DATABASE;
    let summary: Partial<DrillSummary> = {};
    const total = args.source === undefined ? 6 : 4;
    let step = 0;
    const stage = (what: string): void => {
        signal?.throwIfAborted();
        progress(`[${++step}/${total}] ${what}`);
    };
    const run: DrillRun = { args, progress, stage, resources, signal, log: coreLog(args.verbose), sink, checks, started };
    try {
        const source = await prepareSource(run);
        database = source.database;
        const storage = args.cloud === "azure" ? await connectBlob(run) : await connectS3(run);
        summary = { location: storage.location };
        const dumped = await dumpStep(run, source, storage);
        summary = { ...summary, ...dumped.summary };
        await exportStep(run, source, storage, dumped.manifest);
        await verifyStep(run, source, storage);
        const restored = await restoreStep(run, source, storage, dumped.manifest);
        summary = { ...summary, restoreSeconds: restored.result.totalSeconds };
        await compareRestored(run, source.source, restored);
        return finish(true);
    } catch (err) {
        const reason = signal?.aborted === true ? "interrupted" : redactedMessage(err);
        checks.push({ name: "drill", ok: false, detail: reason });
        progress(`${signal?.aborted === true ? "stopped" : "failed"}: ${reason}`);
        return { ...finish(false), error: reason };
    }

    function finish(ran: boolean): DrillSummary {
        return {
            ...summary,
            ok: ran && checks.every((c) => c.ok),
            database,
            bucket: args.bucket,
            rtoSeconds: args.rtoSeconds,
            checks,
            metrics,
            started,
        };
    }
}

/** The given database, or a throwaway PostgreSQL loaded with the sample database. */
async function prepareSource({ args, progress, stage, resources, started }: DrillRun): Promise<DrillSource> {
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

/** The given S3 endpoint, or a throwaway s3rver; the bucket is created when missing. */
async function connectS3({ args, progress, resources, started }: DrillRun): Promise<BackupStorage> {
    let s3: S3Client;
    if (args.s3Endpoint === undefined) {
        const server: EmbeddedS3 = await startS3();
        started.s3Dir = server.directory;
        started.s3Endpoint = server.endpoint;
        resources.add(`s3rver at ${server.endpoint}`, () => server.stop());
        s3 = server.client();
        progress(`  S3: throwaway s3rver at ${server.endpoint}, objects in ${server.directory}`);
    } else {
        s3 = cliS3Client(args.s3Endpoint, undefined);
        progress(`  S3: ${args.s3Endpoint}`);
    }
    resources.add("S3 client", async () => s3.destroy());
    await ensureBucket(s3, args.bucket);
    return s3Storage({ client: s3, bucket: args.bucket, kmsKeyId: undefined });
}

/** The given blob endpoint, or a throwaway Azurite; the container is created when missing. */
async function connectBlob({ args, progress, resources, started }: DrillRun): Promise<BackupStorage> {
    if (args.blobEndpoint !== undefined) {
        const container = cliBlobContainer({ blobEndpoint: args.blobEndpoint, container: args.bucket });
        progress(`  Blob: ${container.url}`);
        await container.createIfNotExists();
        return azureBlobStorage({ container });
    }
    const azurite: EmbeddedAzurite = await startAzurite();
    started.blobEndpoint = azurite.endpoint;
    resources.add(`Azurite at ${azurite.endpoint}`, () => azurite.stop());
    progress(`  Blob: throwaway Azurite at ${azurite.endpoint}`);
    await azurite.createContainer(args.bucket);
    return azureBlobStorage({ container: azureContainerClient(azurite.settings(args.bucket)) });
}

/** The dump function's core against the source; its manifest and the figures the summary shows. */
async function dumpStep(
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
async function exportStep({ args, stage, log, sink, checks }: DrillRun, { source, database, sampleColumns }: DrillSource, storage: BackupStorage, manifest: BackupManifest): Promise<void> {
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
async function verifyStep({ args, stage, log, sink, checks, signal }: DrillRun, { source, database, binDir }: DrillSource, storage: BackupStorage): Promise<void> {
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
async function restoreStep(
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
async function compareRestored({ args, checks }: DrillRun, source: PgTarget, { result: restored, target: restoreTarget }: { readonly result: RestoreResult; readonly target: PgTarget }): Promise<void> {
    const mismatched = restored.tables.filter((t) => !t.ok);
    checks.push({
        name: "restore.rowCounts",
        ok: restored.rowCountsMatch,
        detail: restored.rowCountsMatch
            ? `${restored.tables.length}/${restored.tables.length} tables match the manifest`
            : `${mismatched.length} table(s) differ: ${mismatched.map((t) => `${t.schema}.${t.name} ${t.actual ?? "missing"} vs ${t.expected}`).join("; ")}`,
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

/** The summary printed at the end. */
export function renderSummary(s: DrillSummary): string {
    const lines = ["", "drill summary"];
    if (s.key !== undefined) {
        lines.push(`  backup    ${s.location ?? `s3://${s.bucket}`}/${s.key}`);
        lines.push(`  size      ${formatBytes(s.sizeBytes ?? 0)} from a ${formatBytes(s.sourceBytes ?? 0)} database; sha256 ${s.sha256 ?? ""}`);
        const dumpSeconds = Math.max(s.dumpSeconds ?? 0, 0.001);
        lines.push(`  dump      ${dumpSeconds.toFixed(1)}s: ${(s.dumpMiBps ?? 0).toFixed(1)} MiB/s of archive written, ${((s.sourceBytes ?? 0) / 1024 / 1024 / dumpSeconds).toFixed(1)} MiB/s of database read`);
        lines.push(`  rows      ${(s.rows ?? 0).toLocaleString("en-US")} in ${s.tables ?? 0} tables`);
    }
    if (s.restoreSeconds !== undefined) {
        lines.push(`  restore   ${s.restoreSeconds.toFixed(1)}s against an RTO of ${s.rtoSeconds / 60} min`);
    }
    lines.push("", renderTable(["CHECK", "RESULT", "DETAIL"], s.checks.map((c) => [c.name, c.ok ? "pass" : "FAIL", c.detail])), "");
    lines.push(s.ok ? "drill passed" : `drill FAILED (${s.checks.filter((c) => !c.ok).map((c) => c.name).join(", ")})`);
    return lines.join("\n");
}

/** With --keep: what still runs, and how to try `list` and `restore` against it. */
function renderKept(s: DrillSummary): string {
    const { postgresUrl, s3Endpoint, blobEndpoint } = s.started;
    const lines = ["", "kept running until Ctrl-C (then stopped and removed):"];
    if (postgresUrl !== undefined) {
        lines.push(`  PostgreSQL  ${postgresUrl}  (no password: trust authentication on 127.0.0.1)`);
    }
    if (s3Endpoint !== undefined) {
        lines.push(`  S3          ${s3Endpoint}  bucket ${s.bucket}  (s3rver's fixed credentials: AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER)`);
        const env = "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER";
        const where = `--bucket ${s.bucket} --database ${s.database} --s3-endpoint ${s3Endpoint}`;
        lines.push("", "try, in another terminal:", `  ${env} npm run cli -- list ${where}`);
        if (postgresUrl !== undefined) {
            lines.push(`  ${env} npm run cli -- restore ${where} --latest --target-url ${postgresUrl.replace(/\/[^/]*$/, `/${s.database}_copy`)}`);
        }
    }
    if (blobEndpoint !== undefined) {
        lines.push(`  Blob        ${blobEndpoint}  container ${s.bucket}  (Azurite's published development account key)`);
        const env = `AZURE_BLOB_LOCAL_ACCOUNT_KEY=${AZURITE_ACCOUNT_KEY}`;
        const where = `--cloud azure --blob-endpoint ${blobEndpoint} --container ${s.bucket} --database ${s.database}`;
        lines.push("", "try, in another terminal:", `  ${env} npm run cli -- list ${where}`);
        if (postgresUrl !== undefined) {
            lines.push(`  ${env} npm run cli -- restore ${where} --latest --target-url ${postgresUrl.replace(/\/[^/]*$/, `/${s.database}_copy`)}`);
        }
    }
    return lines.join("\n");
}

/** The functions' log lines: warnings and errors always, the rest with --verbose. */
function coreLog(verbose: boolean): Log {
    const inner = terminalLog((line) => process.stderr.write(`  ${line}\n`));
    return {
        debug: (m, e) => {
            if (verbose) {
                inner.debug(m, e);
            }
        },
        info: (m, e) => {
            if (verbose) {
                inner.info(m, e);
            }
        },
        warn: inner.warn,
        error: inner.error,
    };
}

async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
    try {
        await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (err) {
        const name = err instanceof Error ? err.name : "";
        if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") {
            throw new Error(`cannot create or reach bucket ${bucket}: ${redactedMessage(err)}`);
        }
    }
}

async function withClient<T>(target: PgTarget, fn: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client(clientConfig(target));
    await client.connect();
    try {
        return await fn(client);
    } finally {
        await client.end();
    }
}

async function adminQuery(target: PgTarget, sql: string): Promise<void> {
    await withClient(target, (c) => c.query(sql));
}

async function databaseSize(target: PgTarget): Promise<number> {
    return withClient(target, async (c) => Number((await c.query<{ n: string }>("SELECT pg_database_size(current_database()) AS n")).rows[0]?.n ?? 0));
}

/**
 * md5 of every ordinary table's rows (ordered by the whole row), keyed `schema.table`, plus the
 * large objects' content: two databases with equal maps hold the same data.
 */
export async function contentChecksums(target: PgTarget): Promise<Map<string, string>> {
    return withClient(target, async (client) => {
        const rels = await client.query<{ schema: string; name: string }>(
            `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
             ORDER BY 1, 2`,
        );
        const sums = new Map<string, string>();
        for (const r of rels.rows) {
            const res = await client.query<{ sum: string | null }>(
                `SELECT md5(string_agg(x::text, E'\\n' ORDER BY x::text)) AS sum FROM ${quoteIdent(r.schema)}.${quoteIdent(r.name)} AS x`,
            );
            sums.set(`${r.schema}.${r.name}`, res.rows[0]?.sum ?? "empty");
        }
        const lo = await client.query<{ sum: string | null }>("SELECT md5(string_agg(md5(lo_get(oid)), ',' ORDER BY oid)) AS sum FROM pg_largeobject_metadata");
        sums.set("(large objects)", lo.rows[0]?.sum ?? "none");
        return sums;
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
