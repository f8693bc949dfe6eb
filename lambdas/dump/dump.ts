/**
 * The dump core: pg_dump (custom format, large objects) streamed through SHA-256 into the backup
 * storage (an S3 multipart upload with SSE-KMS, or Blob blocks committed at the end), row counts
 * read from the dump's own data as it passes (for the tables listed in the same snapshot), and a
 * manifest written last.
 * Plain async code that takes its clients, settings and logger, so Lambda, the drill, the
 * benchmark and the tests all run exactly this.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { pipeline } from "node:stream";
import { escapeLiteral, type Client } from "pg";
import { dumpKey, manifestKey } from "../shared/keys";
import { filesDigest, MANIFEST_FORMAT_VERSION, MANIFEST_SUFFIX, type BackupManifest, type Compression, type DumpFile, type DumpFormat, type TableCount } from "../shared/manifest";
import { TIER_NAMES, TIER_TAG_KEY, type TierName } from "../shared/tiers";
import { describeTarget, openSession, pgErrorText, quoteIdent, type PgSession, type PgTarget } from "../shared/pgTarget";
import { majorOfToolVersion, majorOfVersionNum, toolVersion } from "../shared/pgTools";
import type { Log, MetricSink } from "../shared/ports";
import { KILL_GRACE_MS, stopProcessGroup } from "../shared/processGroup";
import type { BackupStorage } from "../shared/storage/port";
import { storageOf, type StorageDep } from "../shared/storage/s3";
import { choosePartSize, UploadFailedError, type ObjectLockRetention } from "../shared/upload";
import { ArchiveStream, exitStatus } from "./archive";
import { ArchiveRowReader } from "./archiveRows";
import {
    DatabaseAuthError,
    DatabaseUnreachableError,
    DeadlineExceededError,
    DumpConfigError,
    DumpError,
    DumpUploadError,
    ManifestWriteError,
    RowCountError,
    SessionLostError,
} from "./errors";
import { candidateTier, DEFAULT_GFS_POLICY, gfsTier, GfsPolicyError, validateGfsPolicy, type GfsPolicy } from "./gfs";
import { startDirectoryDump } from "./directory";
import { checkDumpVersion, DEFAULT_COMPRESSION, pgDumpArgs, pgDumpDirectoryArgs, pgDumpEnv, validateCompression } from "./pgDump";

export type Trigger = BackupManifest["trigger"];

export interface DumpSettings {
    /** Logical database name: the key's second segment and the metric dimension. */
    readonly database: string;
    /** The bucket or Blob container of the dumps (the storage's, recorded in the manifest). */
    readonly bucket: string;
    /** Key prefix of all dumps. @default "backups" */
    readonly prefix: string;
    /** With an S3 client as the storage: KMS key id, ARN or alias for SSE-KMS; undefined sends no encryption headers (bucket default applies). */
    readonly kmsKeyId: string | undefined;
    /** @default "schedule" */
    readonly trigger: Trigger;
    /** @default weekly on sunday, monthly on the 1st (UTC) */
    readonly gfs: GfsPolicy;
    /** @default gzip level 1 */
    readonly compression: Compression;
    /** Multipart part size in bytes. @default the smallest whole MiB >= 16 MiB that keeps `expectedMaxBytes` under 9,000 parts */
    readonly partSizeBytes: number;
    /** Largest dump expected, in bytes; sizes the parts. @default 100 GiB */
    readonly expectedMaxBytes: number;
    /** Parts uploaded in parallel; memory is about (this + 2) x part size. @default 2 */
    readonly uploadConcurrency: number;
    /** Smallest archive accepted as a backup. @default 512 bytes (an empty database dumps to about 850) */
    readonly minArchiveBytes: number;
    /** Stop and clean up when less than this is left before the function's deadline. @default 60,000 ms */
    readonly safetyMarginMs: number;
    /** pg_dump binary. @default found via PG_BIN, /usr/lib/postgresql/<newest>/bin or PATH by the caller */
    readonly pgDumpPath: string;
    /** Per-object Object Lock of each dump and its manifest. @default none (the bucket's default retention, if any, applies) */
    readonly objectLock: DumpObjectLock | undefined;
    /**
     * "custom": one archive streamed to S3. "directory": `pg_dump --format=directory --jobs`
     * into local temporary storage (room for the whole compressed dump), then one object per file.
     * @default "custom"
     */
    readonly format: DumpFormat;
    /** pg_dump parallel workers in directory format, 1..16 (each holds a database connection). @default 2 */
    readonly jobs: number;
    /** Parent of the directory-format dump's temporary directory. @default the OS temp dir */
    readonly tempDir: string | undefined;
}

/** Locks every dump and manifest from the dump's start until its tier's keep days have passed. */
export interface DumpObjectLock {
    readonly mode: ObjectLockRetention["mode"];
    /** Days a dump of each tier is locked, counted from the dump's start: the tier's retention. */
    readonly keepDays: Readonly<Record<TierName, number>>;
}

const DAY_MS = 86_400_000;
/** S3's longest Object Lock retention period (100 years). */
const MAX_LOCK_DAYS = 36_500;

/** Tags of a dump and its manifest: the tier, under the key the bucket's lifecycle rules filter on. */
export function dumpTags(tier: TierName): Readonly<Record<string, string>> {
    return { [TIER_TAG_KEY]: tier };
}

/**
 * The retention of a dump of `tier` started at `startedAt`: locked until its tier's keep days
 * from the start. The bucket's lifecycle expires it that many days after its creation, which
 * comes later, so the lock has always ended when the expiry is due.
 */
export function dumpRetention(lock: DumpObjectLock | undefined, tier: TierName, startedAt: Date): ObjectLockRetention | undefined {
    return lock === undefined ? undefined : { mode: lock.mode, retainUntil: new Date(startedAt.getTime() + lock.keepDays[tier] * DAY_MS) };
}

export type DumpSettingsInput = Pick<DumpSettings, "database" | "bucket" | "pgDumpPath"> & Partial<Omit<DumpSettings, "database" | "bucket" | "pgDumpPath">>;

const GiB = 1024 * 1024 * 1024;
/** Most pg_dump workers a directory-format dump runs. */
export const MAX_DUMP_JOBS = 16;
const DATABASE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX = /^[A-Za-z0-9][A-Za-z0-9_\-./]{0,199}$/;
/** How often the deadline is checked while the dump runs. */
const DEADLINE_CHECK_MS = 500;

/** Fills defaults in one place and validates everything before anything runs. */
export function dumpSettings(input: DumpSettingsInput): DumpSettings {
    const expectedMaxBytes = input.expectedMaxBytes ?? 100 * GiB;
    const s: DumpSettings = {
        database: input.database,
        bucket: input.bucket,
        prefix: input.prefix ?? "backups",
        kmsKeyId: input.kmsKeyId,
        trigger: input.trigger ?? "schedule",
        gfs: input.gfs ?? DEFAULT_GFS_POLICY,
        compression: input.compression ?? DEFAULT_COMPRESSION,
        expectedMaxBytes,
        partSizeBytes: 0,
        uploadConcurrency: input.uploadConcurrency ?? 2,
        minArchiveBytes: input.minArchiveBytes ?? 512,
        safetyMarginMs: input.safetyMarginMs ?? 60_000,
        pgDumpPath: input.pgDumpPath,
        objectLock: input.objectLock,
        format: input.format ?? "custom",
        jobs: input.jobs ?? 2,
        tempDir: input.tempDir,
    };
    if (!DATABASE_NAME.test(s.database)) {
        throw new DumpConfigError(`database: "${s.database}" is not allowed; expected 1..63 letters, digits, "_" or "-", starting with a letter or digit`);
    }
    if (!BUCKET_NAME.test(s.bucket)) {
        throw new DumpConfigError(`bucket: "${s.bucket}" is not a valid S3 bucket name (3..63 lower-case letters, digits, "." or "-")`);
    }
    if (!PREFIX.test(s.prefix) || s.prefix.includes("..") || s.prefix.includes("//")) {
        throw new DumpConfigError(`prefix: "${s.prefix}" is not allowed; expected letters, digits, "_", "-", ".", "/" without "..", "//" or a leading "/"`);
    }
    if (s.kmsKeyId !== undefined && s.kmsKeyId.trim() === "") {
        throw new DumpConfigError("kmsKeyId: empty; give a key id, ARN or alias, or leave it unset");
    }
    if (s.trigger !== "schedule" && s.trigger !== "on-demand") {
        throw new DumpConfigError(`trigger: "${String(s.trigger)}" is not allowed; expected schedule or on-demand`);
    }
    try {
        validateGfsPolicy(s.gfs);
    } catch (err) {
        throw new DumpConfigError(err instanceof GfsPolicyError ? `gfs.${err.message}` : String(err));
    }
    validateCompression(s.compression);
    if (!Number.isInteger(s.uploadConcurrency) || s.uploadConcurrency < 1 || s.uploadConcurrency > 16) {
        throw new DumpConfigError(`uploadConcurrency: ${s.uploadConcurrency} is out of range 1..16`);
    }
    if (s.format !== "custom" && s.format !== "directory") {
        throw new DumpConfigError(`format: "${String(s.format)}" is not allowed; expected custom or directory`);
    }
    if (!Number.isInteger(s.jobs) || s.jobs < 1 || s.jobs > MAX_DUMP_JOBS) {
        throw new DumpConfigError(`jobs: ${s.jobs} is out of range 1..${MAX_DUMP_JOBS}`);
    }
    if (!Number.isInteger(s.minArchiveBytes) || s.minArchiveBytes < 64) {
        throw new DumpConfigError(`minArchiveBytes: ${s.minArchiveBytes} is below 64; a smaller archive cannot hold a table of contents`);
    }
    if (!Number.isInteger(s.safetyMarginMs) || s.safetyMarginMs < 0) {
        throw new DumpConfigError(`safetyMarginMs: ${s.safetyMarginMs} is not a non-negative integer`);
    }
    if (s.objectLock !== undefined) {
        if (s.objectLock.mode !== "GOVERNANCE" && s.objectLock.mode !== "COMPLIANCE") {
            throw new DumpConfigError(`objectLock.mode: "${String(s.objectLock.mode)}" is not allowed; expected GOVERNANCE or COMPLIANCE`);
        }
        for (const tier of TIER_NAMES) {
            const days = s.objectLock.keepDays[tier];
            if (!Number.isInteger(days) || days < 1 || days > MAX_LOCK_DAYS) {
                throw new DumpConfigError(`objectLock.keepDays.${tier}: ${days} is out of range 1..${MAX_LOCK_DAYS}`);
            }
        }
    }
    let partSizeBytes: number;
    try {
        partSizeBytes = choosePartSize(expectedMaxBytes, input.partSizeBytes);
    } catch (err) {
        throw new DumpConfigError(err instanceof Error ? err.message : String(err));
    }
    return { ...s, partSizeBytes };
}

/** The backup storage (or an S3 client for settings.bucket, SSE-KMS with settings.kmsKeyId) and the rest of what a run uses. */
export type DumpDeps = StorageDep & DumpServices;

export interface DumpServices {
    /** The database, or how to get it (e.g. reading a secret); a failure there counts as a failed backup. */
    readonly target: PgTarget | (() => Promise<PgTarget>);
    readonly log: Log;
    readonly metrics?: MetricSink;
    /** @default () => new Date() */
    readonly now?: () => Date;
    /** Milliseconds left before the function's deadline (Lambda: context.getRemainingTimeInMillis). @default no deadline */
    readonly remainingMs?: () => number;
    /** @default 12 random hex characters */
    readonly newRunId?: () => string;
    /** Called with the bytes read from pg_dump so far, for progress display. */
    readonly onProgress?: (bytes: number) => void;
    /** Stops the run (pg_dump killed, upload aborted, no manifest) when aborted. @default never */
    readonly signal?: AbortSignal;
}

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

const APPLICATION_NAME = "pg-backup-stack-dump";

async function connect(target: PgTarget): Promise<PgSession> {
    try {
        return await openSession(target, APPLICATION_NAME);
    } catch (err) {
        throw classifyConnectError(err, describeTarget(target));
    }
}

/** SQLSTATE classes 28 (invalid authorization) and 3D (unknown database) are credential problems; the rest is reachability. */
export function classifyConnectError(err: unknown, where: string): DumpError {
    const code = typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : "";
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

/** One run's dump step: where it reads from and writes to, and pg_dump's arguments. */
interface DumpRun {
    readonly settings: DumpSettings;
    readonly deps: DumpDeps;
    readonly storage: BackupStorage;
    readonly target: PgTarget;
    /** The session holding the exported snapshot. */
    readonly snapshotSession: PgSession;
    readonly key: string;
    readonly tier: TierName;
    readonly lock: ObjectLockRetention | undefined;
    readonly snapshot: string;
    /** The tables to count, listed in the snapshot. */
    readonly listed: readonly TableName[];
    readonly args: readonly string[];
}

interface Streamed {
    readonly sizeBytes: number;
    readonly sha256: string;
    readonly tables: readonly TableCount[];
    /** The stored files of a directory-format dump. */
    readonly files?: readonly DumpFile[];
}

/**
 * Runs the directory-format dump (./directory.ts) with the same companions as the streamed one:
 * row counts in the dump's snapshot, the deadline, the abort signal and the snapshot session's
 * watch. Whatever fails first stops pg_dump (or the uploads) and is thrown.
 */
async function directoryDump(run: DumpRun): Promise<Streamed> {
    const { settings, deps, storage, target, snapshotSession, key, tier, lock, snapshot, args } = run;
    const dumping = startDirectoryDump({
        storage,
        key,
        tags: dumpTags(tier),
        lock,
        partSizeBytes: settings.partSizeBytes,
        uploadConcurrency: settings.uploadConcurrency,
        minBytes: settings.minArchiveBytes,
        pgDumpPath: settings.pgDumpPath,
        args,
        target,
        tempDir: settings.tempDir,
        countRows: countsFromDump(settings.compression),
        log: deps.log,
    });
    const onAbort = (): void => dumping.fail(new DumpError(`dump stopped: ${pgErrorText(deps.signal?.reason)}`));
    deps.signal?.addEventListener("abort", onAbort, { once: true });
    if (deps.signal?.aborted === true) {
        onAbort();
    }
    const watchdog = setInterval(() => {
        const left = deps.remainingMs?.();
        if (left !== undefined && left <= settings.safetyMarginMs) {
            dumping.fail(new DeadlineExceededError(`dump stopped with ${left} ms left before the deadline (safety margin ${settings.safetyMarginMs} ms)`));
        }
    }, DEADLINE_CHECK_MS);
    void snapshotSession.lost.then((err) => dumping.fail(new SessionLostError(`the database ended the session holding the dump's snapshot: ${pgErrorText(err)}`, { cause: err })));
    const counting = countsFromDump(settings.compression) ? undefined : countInSnapshot(target, snapshot, dumping.fail);
    try {
        const [dumped, counted] = await Promise.allSettled([dumping.done, counting]);
        if (dumped.status === "rejected") {
            throw dumped.reason;
        }
        if (counted.status === "rejected") {
            throw counted.reason;
        }
        const { files, tables } = dumped.value;
        deps.onProgress?.(files.reduce((sum, f) => sum + f.sizeBytes, 0));
        return { sizeBytes: files.reduce((sum, f) => sum + f.sizeBytes, 0), sha256: filesDigest(files), tables: counted.value ?? countsForTables(run.listed, tables), files };
    } finally {
        clearInterval(watchdog);
        deps.signal?.removeEventListener("abort", onAbort);
    }
}

/**
 * Runs pg_dump into the upload. Whatever fails first (pg_dump, the archive checks, the row
 * counts, the deadline, S3) stops the rest: pg_dump is killed, the body stream fails, the
 * multipart upload is aborted, and that first error is thrown.
 */
async function streamDump(run: DumpRun): Promise<Streamed> {
    const { settings, deps, storage, target, snapshotSession, key, tier, lock, snapshot, args } = run;
    const { log } = deps;
    // Own process group, so a stop also reaches anything pg_dump (or a wrapper around it) started.
    const child = spawn(settings.pgDumpPath, args, { env: pgDumpEnv(target, process.env), stdio: ["ignore", "pipe", "pipe"], detached: true });
    log.info("pg_dump started", { pid: child.pid, key });
    const exit = exitStatus(child);
    const rows = countsFromDump(settings.compression) ? new ArchiveRowReader() : undefined;
    const archive = new ArchiveStream({ exit, minBytes: settings.minArchiveBytes, ...(deps.onProgress ? { onProgress: deps.onProgress } : {}), ...(rows ? { rows } : {}) });

    let primary: Error | undefined;
    const fail = (err: Error): void => {
        if (primary !== undefined) {
            return;
        }
        primary = err;
        log.warn("stopping the dump", { error: err.name, reason: err.message });
        stopProcessGroup(child);
        archive.destroy(err);
    };

    const stdout = child.stdout;
    if (stdout === null) {
        throw new DumpError("pg_dump has no stdout pipe");
    }
    pipeline(stdout, archive, (err) => {
        if (err instanceof DumpError) {
            fail(err);
        }
    });
    const onAbort = (): void => fail(new DumpError(`dump stopped: ${pgErrorText(deps.signal?.reason)}`));
    deps.signal?.addEventListener("abort", onAbort, { once: true });
    if (deps.signal?.aborted === true) {
        onAbort();
    }
    const watchdog = setInterval(() => {
        if (deps.remainingMs === undefined) {
            return;
        }
        const left = deps.remainingMs();
        if (left <= settings.safetyMarginMs) {
            fail(new DeadlineExceededError(`dump stopped with ${left} ms left before the deadline (safety margin ${settings.safetyMarginMs} ms) after ${archive.bytes} bytes`));
        }
    }, DEADLINE_CHECK_MS);

    // The snapshot holder sits idle in its transaction while pg_dump runs: if the server ends that
    // session (an administrator, a failover), the run fails at once with the server's message.
    void snapshotSession.lost.then((err) => fail(new SessionLostError(`the database ended the session holding the dump's snapshot: ${pgErrorText(err)}`, { cause: err })));
    const counting = rows === undefined ? countInSnapshot(target, snapshot, fail) : undefined;
    const uploading = storage.put(
        {
            key,
            body: archive,
            contentType: "application/octet-stream",
            tags: dumpTags(tier),
            ...(lock === undefined ? {} : { lock }),
            partSizeBytes: settings.partSizeBytes,
            concurrency: settings.uploadConcurrency,
        },
        log,
    );
    try {
        const [uploaded, counted] = await Promise.allSettled([uploading, counting]);
        if (primary !== undefined) {
            throw primary;
        }
        if (uploaded.status === "rejected") {
            const reason = uploaded.reason instanceof Error ? uploaded.reason.message : String(uploaded.reason);
            throw new DumpUploadError(
                `dump upload to ${storage.describe(key)} failed${uploaded.reason instanceof UploadFailedError && uploaded.reason.abortFailed ? " and could not be aborted" : ""}: ${reason}`,
                { cause: uploaded.reason },
            );
        }
        if (counted.status === "rejected") {
            throw counted.reason;
        }
        return { sizeBytes: archive.bytes, sha256: archive.sha256, tables: counted.value ?? countsForTables(run.listed, archive.tables) };
    } finally {
        clearInterval(watchdog);
        deps.signal?.removeEventListener("abort", onAbort);
        stopProcessGroup(child);
        await Promise.race([exit, new Promise((resolve) => setTimeout(resolve, KILL_GRACE_MS * 2).unref())]);
    }
}

/** A table the manifest gives a row count for. */
export interface TableName {
    readonly schema: string;
    readonly name: string;
    /**
     * Its inheritance descendants holding rows (ordinary or foreign tables), whose rows count(*)
     * on it includes, while pg_dump stores each table's own rows apart. @default none
     */
    readonly descendants?: readonly { readonly schema: string; readonly name: string }[];
}

/**
 * Ordinary tables and leaf partitions outside the system schemas and extensions, as the client's
 * current transaction sees them: the tables the manifest counts, each with its inheritance
 * descendants. It reads the catalog only, so it locks no table.
 */
export async function listTables(client: Client): Promise<TableName[]> {
    const result = await client.query<{ schema: string; name: string; descendants: { schema: string; name: string }[] | null }>(`
        SELECT n.nspname AS schema, c.relname AS name,
          CASE WHEN c.relhassubclass THEN (
            WITH RECURSIVE d(oid) AS (
              SELECT i.inhrelid FROM pg_inherits i WHERE i.inhparent = c.oid
              UNION SELECT i.inhrelid FROM pg_inherits i JOIN d ON i.inhparent = d.oid)
            SELECT json_agg(json_build_object('schema', dn.nspname, 'name', dc.relname) ORDER BY dn.nspname, dc.relname)
            FROM d JOIN pg_class dc ON dc.oid = d.oid JOIN pg_namespace dn ON dn.oid = dc.relnamespace
            WHERE dc.relkind IN ('r', 'f'))
          END AS descendants
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r'
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname !~ '^pg_(toast|temp_)'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        ORDER BY 1, 2`);
    return result.rows.map((r) => ({ schema: r.schema, name: r.name, ...(r.descendants === null ? {} : { descendants: r.descendants }) }));
}

/**
 * The manifest's counts: for every listed table, the rows count(*) sees (its own and its
 * inheritance descendants'), taken from the dump's own data. pg_dump also stores the data of
 * extension configuration tables, which the list leaves out (the extension's script recreates
 * part of their rows on restore). A table without data in the dump (a foreign table among the
 * descendants, say) means the count cannot be trusted, and fails the run.
 */
export function countsForTables(listed: readonly TableName[], dumped: readonly TableCount[]): TableCount[] {
    const rows = new Map(dumped.map((t) => [`${t.schema}\u0000${t.name}`, t.rows]));
    const own = (t: { readonly schema: string; readonly name: string }, of: TableName): number => {
        const n = rows.get(`${t.schema}\u0000${t.name}`);
        if (n === undefined) {
            const whose = t === of ? "" : ` (an inheritance descendant of ${quoteIdent(of.schema)}.${quoteIdent(of.name)})`;
            throw new RowCountError(`table ${quoteIdent(t.schema)}.${quoteIdent(t.name)}${whose} has no data in the dump, so its rows could not be counted`);
        }
        return n;
    };
    return listed.map((t) => ({ schema: t.schema, name: t.name, rows: (t.descendants ?? []).reduce((sum, d) => sum + own(d, t), own(t, t)) }));
}

/** lz4 is the one compression whose data the row counter cannot decompress (Node.js has no lz4 codec); its counts come from count(*) in the snapshot. */
export function countsFromDump(compression: Compression): boolean {
    return compression.method !== "lz4";
}

/**
 * Tables counted per transaction. Each batch imports the dump's snapshot, counts and commits, so
 * next to pg_dump's own locks it holds those of at most this many tables (and of their indexes,
 * which the planner opens), whatever the size of the database.
 */
export const COUNT_BATCH_TABLES = 20;

/** count(*) in the snapshot, in a session of its own; a failure stops the dump through `fail`. */
async function countInSnapshot(target: PgTarget, snapshot: string, fail: (err: Error) => void): Promise<TableCount[]> {
    try {
        const session = await openSession(target, APPLICATION_NAME);
        try {
            return await session.use((client) => countRows(client, snapshot));
        } finally {
            await session.end();
        }
    } catch (err) {
        const e = new RowCountError(`row counts in the dump's snapshot failed: ${pgErrorText(err)}`, { cause: err });
        fail(e);
        throw e;
    }
}

/**
 * Ordinary tables and leaf partitions outside the system schemas and extensions, counted as of
 * `snapshot` (exported by a transaction that stays open meanwhile). The counts run in short
 * transactions of at most `batchTables` tables, each importing the snapshot and committing: one
 * transaction for every table would keep them all locked next to pg_dump's own locks until the end,
 * and a database with many tables would run out of the shared lock table ("out of shared memory")
 * where pg_dump alone does not. The counts run without parallel workers: they run alongside
 * pg_dump, whose server side is a single process, and parallel workers would take CPU from it
 * (and worker slots from the database's own queries) to finish counts that a serial scan still
 * finishes before pg_dump's COPY of the same tables. The numbers are the same either way.
 */
export async function countRows(client: Client, snapshot: string, batchTables: number = COUNT_BATCH_TABLES): Promise<TableCount[]> {
    const inSnapshot = async <T>(work: () => Promise<T>): Promise<T> => {
        await client.query(
            `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT ${escapeLiteral(snapshot)}; SET LOCAL max_parallel_workers_per_gather = 0`,
        );
        try {
            const result = await work();
            await client.query("COMMIT");
            return result;
        } catch (err) {
            await client.query("ROLLBACK").catch(() => undefined);
            throw err;
        }
    };
    const tables = await inSnapshot(() => listTables(client));
    const out: TableCount[] = [];
    for (let start = 0; start < tables.length; start += batchTables) {
        const batch = tables.slice(start, start + batchTables);
        const sql = batch.map((t, i) => `SELECT ${i} AS i, count(*) AS n FROM ${quoteIdent(t.schema)}.${quoteIdent(t.name)}`).join(" UNION ALL ");
        const counts = await inSnapshot(async () => new Map((await client.query<{ i: number; n: string }>(sql)).rows.map((r) => [r.i, Number(r.n)])));
        batch.forEach((t, i) => {
            const rows = counts.get(i);
            if (rows === undefined) {
                throw new Error(`no row count returned for ${quoteIdent(t.schema)}.${quoteIdent(t.name)}`);
            }
            out.push({ schema: t.schema, name: t.name, rows });
        });
    }
    return out;
}
