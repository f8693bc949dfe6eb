/**
 * The dump step of a run: pg_dump streamed (compressed on several threads when gzip,
 * ./archiveCompressor.ts) through SHA-256 into the storage (custom format), or
 * the directory-format dump, each with its companions (row counts, the deadline, the abort
 * signal, the watch on the snapshot session). Whatever fails first stops the rest.
 */
import { spawn } from "node:child_process";
import { pipeline } from "node:stream";
import { filesDigest, type DumpFile, type TableCount } from "../shared/manifest";
import { pgErrorText, type PgSession, type PgTarget } from "../shared/pgTarget";
import { KILL_GRACE_MS, stopProcessGroup } from "../shared/processGroup";
import type { BackupStorage } from "../shared/storage/port";
import type { TierName } from "../shared/tiers";
import { UploadFailedError, type ObjectLockRetention } from "../shared/upload";
import { ArchiveStream, exitStatus } from "./archive";
import { ArchiveCompressor } from "./archiveCompressor";
import { ArchiveRowReader } from "./archiveRows";
import { startDirectoryDump } from "./directory";
import { DeadlineExceededError, DumpError, DumpUploadError, SessionLostError, TableRewrittenError } from "./errors";
import { compressedByPipeline, pgDumpEnv } from "./pgDump";
import { dumpTags, type DumpDeps, type DumpSettings } from "./settings";
import { countInSnapshot, countsForTables, countsFromDump, rewrittenSinceSnapshot, type TableName } from "./tables";

/** How often the deadline is checked while the dump runs. */
const DEADLINE_CHECK_MS = 500;

/** One run's dump step: where it reads from and writes to, and pg_dump's arguments. */
export interface DumpRun {
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

/** What the dump step stored: its size and digest, the row counts, and a directory dump's files. */
export interface Streamed {
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
export async function directoryDump(run: DumpRun): Promise<Streamed> {
    const { settings, deps, storage, target, snapshotSession, key, tier, lock, snapshot, args } = run;
    // pg_dump writes its first file only once it holds a lock on every table it dumps.
    let rewrites: Promise<Error | undefined> | undefined;
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
        onFirstFile: () => {
            rewrites ??= checkRewrites(run, (err) => dumping.fail(err));
        },
        gate: async () => rewrites,
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
        const rewritten = await rewrites;
        if (rewritten !== undefined) {
            throw rewritten;
        }
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
export async function streamDump(run: DumpRun): Promise<Streamed> {
    const { settings, deps, storage, target, snapshotSession, key, tier, lock, snapshot, args } = run;
    const { log } = deps;
    // Own process group, so a stop also reaches anything pg_dump (or a wrapper around it) started.
    const child = spawn(settings.pgDumpPath, args, { env: pgDumpEnv(target, process.env), stdio: ["ignore", "pipe", "pipe"], detached: true });
    log.info("pg_dump started", { pid: child.pid, key });
    const exit = exitStatus(child);
    const compressor = compressedByPipeline(settings.compression) ? new ArchiveCompressor({ level: settings.compression.level, exit }) : undefined;
    const rows = compressor === undefined && countsFromDump(settings.compression) ? new ArchiveRowReader() : undefined;
    // pg_dump writes its first byte only once it holds a lock on every table it dumps: from then on
    // no table can be truncated or rewritten, so the check for those that were since the snapshot runs then.
    let rewrites: Promise<Error | undefined> | undefined;
    const onProgress = (bytes: number): void => {
        rewrites ??= checkRewrites(run, (err) => fail(err));
        deps.onProgress?.(bytes);
    };
    // The upload completes only once the check has passed too: a run it fails stores nothing.
    const checked = exit.then(async (status) => {
        await rewrites;
        return status;
    });
    const archive = new ArchiveStream({ exit: checked, minBytes: settings.minArchiveBytes, onProgress, ...(rows ? { rows } : {}) });

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
    const stages = compressor === undefined ? [stdout, archive] : [stdout, compressor, archive];
    pipeline(stages, (err) => {
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
    const counting = countsFromDump(settings.compression) ? undefined : countInSnapshot(target, snapshot, fail);
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
        await rewrites;
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
        return { sizeBytes: archive.bytes, sha256: archive.sha256, tables: counted.value ?? countsForTables(run.listed, (compressor ?? archive).tables) };
    } finally {
        clearInterval(watchdog);
        deps.signal?.removeEventListener("abort", onAbort);
        stopProcessGroup(child);
        await Promise.race([exit, new Promise((resolve) => setTimeout(resolve, KILL_GRACE_MS * 2).unref())]);
    }
}

/**
 * The error, also handed to `fail` at once, when a listed table's storage was replaced between
 * the snapshot and pg_dump's lock (./tables.ts rewrittenSinceSnapshot); never rejects.
 */
async function checkRewrites(run: DumpRun, fail: (err: Error) => void): Promise<Error | undefined> {
    const found = await findRewrites(run);
    if (found !== undefined) {
        fail(found);
    }
    return found;
}

async function findRewrites(run: DumpRun): Promise<Error | undefined> {
    try {
        const rewritten = await run.snapshotSession.use((c) => rewrittenSinceSnapshot(c, run.listed));
        if (rewritten.length > 0) {
            return new TableRewrittenError(
                `${rewritten.join(", ")} ${rewritten.length === 1 ? "was" : "were"} truncated, rewritten or dropped after the dump's snapshot was taken and before pg_dump locked ${rewritten.length === 1 ? "it" : "them"}: ` +
                    "TRUNCATE and table-rewriting ALTER TABLE are not MVCC-safe, so the dump could hold the table as it was after that command instead of as of the snapshot; " +
                    "no backup is stored (VACUUM FULL or CLUSTER in that moment also set this off); run the dump again",
            );
        }
        return undefined;
    } catch (err) {
        return new DumpError(`the check for tables rewritten since the dump's snapshot failed: ${pgErrorText(err)}`, { cause: err });
    }
}
