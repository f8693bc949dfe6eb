import { availableParallelism } from "node:os";
import { describeTarget, quoteIdent } from "./pgTarget";
import { findPgTool, majorOfToolVersion, majorOfVersionNum, toolVersion } from "./pgTools";
import { runPgRestore } from "./pgRestore";
import { downloadBackup, round, withTempDir, type DownloadedBackup } from "./restoreDownload";
import { RestoreArgumentError, TargetExistsError, VersionMismatchError } from "./restoreErrors";
import type { RestoreOptions } from "./restoreOptions";
import { countRestoredRows, databaseExists, dropDatabase, withMaintenanceClient, type TableComparison } from "./restoreTarget";
import { describeSession, sessionsOn } from "./sessions";

/**
 * Restoring one backup into a new database: download to a seekable temp file while hashing,
 * compare with the manifest, check the archive header and the tool and server versions, create
 * the database (refusing an existing one unless overwrite is asked for), run pg_restore with
 * parallel jobs, count rows the way the dump counted them, and always remove the temp file.
 * The CLI restore, the verify function and the drill all run this code.
 */

const MAX_JOBS = 64;

export interface Preflight {
    readonly pgRestorePath: string;
    readonly pgRestoreVersion: string;
    readonly serverVersion: string;
    readonly serverVersionNum: number;
}

export interface RestoredDatabase {
    readonly database: string;
    /** True when an existing database was dropped first (overwrite). */
    readonly replaced: boolean;
    readonly pgRestoreSeconds: number;
    /** Time spent counting rows after pg_restore (not part of the time to a usable database). */
    readonly countSeconds: number;
    readonly jobs: number;
    readonly tables: readonly TableComparison[];
    readonly rowCountsMatch: boolean;
}

export interface RestoreResult extends Preflight, RestoredDatabase {
    readonly key: string;
    readonly sizeBytes: number;
    readonly sha256: string;
    readonly downloadSeconds: number;
    /** Checks, download, create and pg_restore: the time until the database is usable (row counting excluded). */
    readonly totalSeconds: number;
}

/** The whole restore: preflight, download and check, restore, count; the temp file always removed. */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
    const started = performance.now();
    const jobs = resolveJobs(options.jobs);
    const preflight = await checkRestorePreconditions(options);
    return withTempDir(options.tempDir, async (dir) => {
        const downloaded = await downloadBackup(options, dir);
        const restored = await restoreDownloaded(options, preflight, downloaded, jobs);
        return {
            ...preflight,
            ...restored,
            key: options.manifest.key,
            sizeBytes: downloaded.sizeBytes,
            sha256: downloaded.sha256,
            downloadSeconds: downloaded.seconds,
            totalSeconds: (performance.now() - started) / 1000 - restored.countSeconds,
        };
    });
}

/** `jobs` checked and defaulted: an integer 1..64. */
export function resolveJobs(jobs: number | undefined): number {
    if (jobs === undefined) {
        return Math.max(1, Math.min(4, availableParallelism()));
    }
    if (!Number.isInteger(jobs) || jobs < 1 || jobs > MAX_JOBS) {
        throw new RestoreArgumentError(`jobs: ${jobs} is out of range; expected an integer 1..${MAX_JOBS}`);
    }
    return jobs;
}

/**
 * Everything that can be checked before downloading: pg_restore's version against the archive's
 * pg_dump, the target server's version against the dump, and that the target database does not
 * exist (unless overwrite).
 */
export async function checkRestorePreconditions(options: RestoreOptions): Promise<Preflight> {
    const { manifest, target } = options;
    const pgRestorePath = findPgTool("pg_restore", options.binDir);
    const pgRestoreVersion = await toolVersion(pgRestorePath);
    const dumpMajor = majorOfToolVersion(manifest.pgDumpVersion);
    const restoreMajor = majorOfToolVersion(pgRestoreVersion);
    if (restoreMajor < dumpMajor) {
        throw new VersionMismatchError(
            `${pgRestoreVersion} cannot read an archive written by ${manifest.pgDumpVersion}: pg_restore's major version must be ${dumpMajor} or newer (set PG_BIN to the bin directory of a newer client)`,
        );
    }
    return withMaintenanceClient(options, async (client) => {
        const row = (await client.query<{ v: string; n: string }>("SELECT current_setting('server_version') AS v, current_setting('server_version_num') AS n")).rows[0];
        if (row === undefined) {
            throw new Error("the target server returned no version");
        }
        const serverVersionNum = Number(row.n);
        const targetMajor = majorOfVersionNum(serverVersionNum);
        const sourceMajor = majorOfVersionNum(manifest.serverVersionNum);
        if (targetMajor < sourceMajor) {
            throw new VersionMismatchError(
                `the target server ${target.host}:${target.port} runs PostgreSQL ${row.v}, older than the backup's source server ${manifest.serverVersion}: restore into PostgreSQL ${sourceMajor} or newer`,
            );
        }
        if (targetMajor < dumpMajor) {
            throw new VersionMismatchError(
                `the target server ${target.host}:${target.port} runs PostgreSQL ${row.v}, older than the backup's ${manifest.pgDumpVersion}: pg_dump output is only guaranteed to load into its own major version or newer; restore into PostgreSQL ${dumpMajor} or newer`,
            );
        }
        if (options.overwrite !== true && (await databaseExists(client, target.database))) {
            throw new TargetExistsError(target);
        }
        return { pgRestorePath, pgRestoreVersion, serverVersion: row.v, serverVersionNum };
    });
}

/**
 * Creates the target database (dropping an existing one first only with overwrite), runs
 * pg_restore on the downloaded file, and compares row counts with the manifest. A database this
 * call created is dropped again when pg_restore fails (unless dropOnFailure is false).
 */
export async function restoreDownloaded(options: RestoreOptions, preflight: Preflight, downloaded: DownloadedBackup, jobs: number): Promise<RestoredDatabase> {
    const { target, log } = options;
    const replaced = await withMaintenanceClient(options, async (client) => {
        const exists = await databaseExists(client, target.database);
        if (exists && options.overwrite !== true) {
            throw new TargetExistsError(target);
        }
        if (exists) {
            const sessions = await sessionsOn(client, target.database);
            log.warn("dropping the existing database before restoring (overwrite requested)", { database: target.database, server: `${target.host}:${target.port}`, sessionsToEnd: sessions.length });
            for (const session of sessions) {
                log.warn(`ending session ${describeSession(session)}`, { database: target.database });
            }
            await client.query(`DROP DATABASE ${quoteIdent(target.database)} WITH (FORCE)`);
        }
        await client.query(`CREATE DATABASE ${quoteIdent(target.database)} TEMPLATE template0`);
        options.onDatabaseCreated?.(target.database);
        return exists;
    });
    log.info("database created; running pg_restore", { target: describeTarget(target), jobs });
    const started = performance.now();
    try {
        await runPgRestore(preflight.pgRestorePath, downloaded.path, options, jobs);
    } catch (err) {
        if (options.dropOnFailure !== false) {
            await dropDatabase(options, target.database).catch((dropErr: unknown) => {
                log.error("could not drop the database after a failed restore", { database: target.database, error: messageOf(dropErr) });
            });
        }
        throw err;
    }
    const restoredAt = performance.now();
    const pgRestoreSeconds = (restoredAt - started) / 1000;
    const tables = await countRestoredRows(target, options.manifest);
    const countSeconds = (performance.now() - restoredAt) / 1000;
    const rowCountsMatch = tables.every((t) => t.ok);
    log.info("pg_restore finished", { database: target.database, seconds: round(pgRestoreSeconds), tables: tables.length, rowCountsMatch });
    return { database: target.database, replaced, pgRestoreSeconds, countSeconds, jobs, tables, rowCountsMatch };
}

function messageOf(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
}
