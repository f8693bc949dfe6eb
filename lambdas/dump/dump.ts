/**
 * The dump core: pg_dump (custom format, large objects) streamed through SHA-256 into the backup
 * storage (an S3 multipart upload with SSE-KMS, or Blob blocks committed at the end), row counts
 * read from the dump's own data as it passes (for the tables listed in the same snapshot), and a
 * manifest written last.
 * Plain async code that takes its clients, settings and logger, so Lambda, the drill, the
 * benchmark and the tests all run exactly this.
 */
import { randomBytes } from "node:crypto";
import { dumpKey, manifestKey } from "../shared/keys";
import { MANIFEST_FORMAT_VERSION, MANIFEST_SUFFIX, type BackupManifest } from "../shared/manifest";
import type { TierName } from "../shared/tiers";
import { describeTarget, openSession, pgErrorCode, type PgSession, type PgTarget } from "../shared/pgTarget";
import { majorOfToolVersion, majorOfVersionNum, toolVersion } from "../shared/pgTools";
import type { Log } from "../shared/ports";
import { countLargeObjects } from "../shared/restoreTarget";
import type { BackupStorage } from "../shared/storage/port";
import { storageOf } from "../shared/storage/s3";
import { DatabaseAuthError, DatabaseUnreachableError, DeadlineExceededError, DumpConfigError, DumpError, ManifestWriteError } from "./errors";
import { candidateTier, gfsTier } from "./gfs";
import { checkDumpVersion, pgDumpArgs, pgDumpDirectoryArgs } from "./pgDump";
import { dumpRetention, dumpTags, type DumpDeps, type DumpSettings } from "./settings";
import { directoryDump, streamDump } from "./stream";
import { APPLICATION_NAME, listTables } from "./tables";

/** Takes one backup. Resolves with its manifest once the manifest is stored; rejects with a DumpError subclass otherwise. */
export async function runDump(settings: DumpSettings, deps: DumpDeps): Promise<BackupManifest> {
    const now = deps.now ?? ((): Date => new Date());
    const startedAt = now();
    const t0 = performance.now();
    const dimensions = { Database: settings.database };
    try {
        const manifest = await dumpOnce(settings, deps, startedAt, () => performance.now() - t0);
        deps.metrics?.add("BackupSucceeded", "Count", 1, dimensions);
        deps.metrics?.add("BackupSizeBytes", "Bytes", manifest.sizeBytes, dimensions);
        deps.metrics?.add("BackupDurationSeconds", "Seconds", manifest.durationMs / 1000, dimensions);
        return manifest;
    } catch (err) {
        deps.metrics?.add("BackupFailed", "Count", 1, dimensions);
        deps.metrics?.add("BackupDurationSeconds", "Seconds", (performance.now() - t0) / 1000, dimensions);
        const error = err instanceof DumpError ? err : new DumpError(err instanceof Error ? `${err.name}: ${err.message}` : String(err), { cause: err });
        deps.log.error("backup failed", { database: settings.database, error: error.name, reason: error.message });
        throw error;
    }
}

function checkTime(settings: DumpSettings, deps: DumpDeps, stage: string): void {
    if (deps.remainingMs === undefined) {
        return;
    }
    const left = deps.remainingMs();
    if (left <= settings.safetyMarginMs) {
        throw new DeadlineExceededError(`${stage}: ${left} ms left before the deadline, not more than the safety margin of ${settings.safetyMarginMs} ms`);
    }
}

async function dumpOnce(settings: DumpSettings, deps: DumpDeps, startedAt: Date, elapsedMs: () => number): Promise<BackupManifest> {
    const { log } = deps;
    const runId = (deps.newRunId ?? ((): string => randomBytes(6).toString("hex")))();
    checkTime(settings, deps, "before start");
    const storage = storageOf(deps, settings.bucket, settings.kmsKeyId);
    if (storage.container !== settings.bucket) {
        throw new DumpConfigError(`bucket: "${settings.bucket}" is not the storage's bucket or container "${storage.container}"`);
    }

    const pgDumpVersion = await toolVersion(settings.pgDumpPath).catch((err: unknown) => {
        throw new DumpConfigError(`pg_dump at ${settings.pgDumpPath} could not be run: ${err instanceof Error ? err.message : String(err)}`);
    });
    const pgDumpMajor = majorOfToolVersion(pgDumpVersion);

    const target = typeof deps.target === "function" ? await deps.target() : deps.target;
    const session = await connect(target);
    try {
        const server = await session.client.query<{ server_version: string; server_version_num: string }>(
            "SELECT current_setting('server_version') AS server_version, current_setting('server_version_num') AS server_version_num",
        );
        const serverVersion = server.rows[0]?.server_version ?? "";
        const serverVersionNum = Number(server.rows[0]?.server_version_num);
        checkDumpVersion(pgDumpMajor, majorOfVersionNum(serverVersionNum), pgDumpVersion, serverVersion);
        const tier = await decideTier(settings, storage, deps.log, startedAt);
        const key = dumpKey(settings.prefix, settings.database, tier, startedAt, runId);
        const lock = dumpRetention(settings.objectLock, tier, startedAt);
        log.info("backup starting", {
            database: settings.database,
            target: describeTarget(target),
            key,
            tier,
            trigger: settings.trigger,
            serverVersion,
            pgDumpVersion,
            compression: settings.compression,
            partSizeBytes: settings.partSizeBytes,
            ...(lock === undefined ? {} : { lockMode: lock.mode, lockedUntil: lock.retainUntil.toISOString() }),
        });

        // This transaction only exports the snapshot and stays open until pg_dump is done; it
        // takes no table locks, so pg_dump's own locks are the only ones held for the whole dump.
        const snap = await session.use(async (c) => {
            await c.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
            return c.query<{ snapshot: string }>("SELECT pg_export_snapshot() AS snapshot");
        });
        const snapshot = snap.rows[0]?.snapshot ?? "";
        const listed = await session.use((c) => listTables(c));
        const largeObjects = await session.use((c) => countLargeObjects(c));
        const run = { settings, deps, storage, target, snapshotSession: session, key, tier, lock, snapshot, listed };
        const { sizeBytes, sha256, tables, files } =
            settings.format === "directory"
                ? await directoryDump({ ...run, args: pgDumpDirectoryArgs(snapshot, settings.compression, pgDumpMajor, settings.jobs) })
                : await streamDump({ ...run, args: pgDumpArgs(snapshot, settings.compression, pgDumpMajor) });
        await session.use((c) => c.query("COMMIT"));

        const finished = new Date(startedAt.getTime() + Math.round(elapsedMs()));
        const manifest: BackupManifest = {
            formatVersion: MANIFEST_FORMAT_VERSION,
            database: settings.database,
            bucket: settings.bucket,
            key,
            tier,
            runId,
            trigger: settings.trigger,
            sizeBytes,
            sha256,
            ...(files === undefined ? {} : { format: "directory" as const, files }),
            serverVersion,
            serverVersionNum,
            pgDumpVersion,
            compression: settings.compression,
            startedAt: startedAt.toISOString(),
            finishedAt: finished.toISOString(),
            durationMs: finished.getTime() - startedAt.getTime(),
            tables,
            largeObjects,
            source: { host: target.host, port: target.port, database: target.database },
        };
        checkTime(settings, deps, "before writing the manifest");
        try {
            await storage.put(
                {
                    key: manifestKey(key),
                    body: Buffer.from(JSON.stringify(manifest, null, 2)),
                    contentType: "application/json",
                    tags: dumpTags(tier),
                    ...(lock === undefined ? {} : { lock }),
                    partSizeBytes: settings.partSizeBytes,
                    concurrency: 1,
                },
                log,
            );
        } catch (err) {
            throw new ManifestWriteError(
                `dump object ${storage.describe(key)} is complete but its manifest could not be written, so it is not a backup: ${err instanceof Error ? err.message : String(err)}`,
                { cause: err },
            );
        }
        log.info("backup complete", { key, sizeBytes, sha256, tier, durationMs: manifest.durationMs, tables: tables.length });
        return manifest;
    } finally {
        await session.end();
    }
}

async function connect(target: PgTarget): Promise<PgSession> {
    try {
        return await openSession(target, APPLICATION_NAME);
    } catch (err) {
        throw classifyConnectError(err, describeTarget(target));
    }
}

/** SQLSTATE classes 28 (invalid authorization) and 3D (unknown database) are credential problems; the rest is reachability. */
export function classifyConnectError(err: unknown, where: string): DumpError {
    const code = pgErrorCode(err);
    const message = err instanceof Error ? err.message : String(err);
    if (code.startsWith("28") || code === "3D000" || code === "42501") {
        return new DatabaseAuthError(`database ${where} refused the connection: ${message}`, { cause: err });
    }
    return new DatabaseUnreachableError(`database ${where} is unreachable: ${message}${code === "" ? "" : ` (${code})`}`, { cause: err });
}

async function decideTier(settings: DumpSettings, storage: BackupStorage, log: Log, at: Date): Promise<TierName> {
    const candidate = candidateTier(settings.gfs, at);
    if (candidate === "daily" || settings.trigger === "on-demand") {
        return gfsTier(settings.gfs, { at, trigger: settings.trigger, promotedToday: false });
    }
    let promotedToday = false;
    for (const tier of ["weekly", "monthly"] as const) {
        const sample = dumpKey(settings.prefix, settings.database, tier, at, "x");
        const dayPrefix = sample.slice(0, sample.lastIndexOf("/") + 1);
        try {
            if ((await storage.list(dayPrefix)).some((o) => o.key.endsWith(MANIFEST_SUFFIX))) {
                promotedToday = true;
            }
        } catch (err) {
            log.warn("could not list today's promoted backups; promoting this run", {
                prefix: dayPrefix,
                error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
            });
        }
    }
    return gfsTier(settings.gfs, { at, trigger: settings.trigger, promotedToday });
}
