import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import type { Client } from "pg";
import { createDatabaseSql, describeLocale, isCLocale, localeDifferences, readDatabaseLocale, withCLocale, type DatabaseLocale } from "./databaseLocale";
import { describeTarget, openSession, quoteIdent, type PgTarget } from "./pgTarget";
import type { ArchivedDatabase } from "./databaseScript";
import { findPgTool, majorOfToolVersion, majorOfVersionNum, toolVersion } from "./pgTools";
import { archivedDatabase, runPgRestore } from "./pgRestore";
import { downloadBackup, round, withTempDir, type DownloadedBackup } from "./restoreDownload";
import { RestoreArgumentError, TargetExistsError, TargetLocaleError, VersionMismatchError } from "./restoreErrors";
import type { RestoreOptions } from "./restoreOptions";
import { APPLICATION_NAME, countRestoredRows, databaseExists, dropDatabase, withMaintenanceClient, type TableComparison } from "./restoreTarget";
import { describeSession, sessionsOn } from "./sessions";

/**
 * Restoring one backup into a new database: download to a seekable temp file while hashing,
 * compare with the manifest, check the archive header and the tool and server versions, create
 * the database with the source's encoding and locale (refusing an existing one unless overwrite
 * is asked for), run pg_restore with parallel jobs, count rows the way the dump counted them,
 * give the database the source's own settings, and always remove the temp file.
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
    /** The encoding and locale the database was created with, as the server reports them. */
    readonly locale: DatabaseLocale;
    /** The source database's own settings (ALTER DATABASE ... SET): those applied, and those not, each with the reason. */
    readonly settings: DatabaseSettings;
    readonly pgRestoreSeconds: number;
    /** Time spent counting rows after pg_restore (not part of the time to a usable database). */
    readonly countSeconds: number;
    readonly jobs: number;
    readonly tables: readonly TableComparison[];
    readonly rowCountsMatch: boolean;
}

export interface DatabaseSettings {
    readonly applied: readonly string[];
    readonly notApplied: readonly string[];
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
 * Creates the target database with the source's encoding and locale (dropping an existing one
 * first only with overwrite), runs pg_restore on the downloaded file, compares row counts with the
 * manifest, and gives the database the source's own settings. A database this call created is
 * dropped again when pg_restore fails (unless dropOnFailure is false).
 */
export async function restoreDownloaded(options: RestoreOptions, preflight: Preflight, downloaded: DownloadedBackup, jobs: number): Promise<RestoredDatabase> {
    const { target, log } = options;
    const archived = await archivedDatabase(preflight.pgRestorePath, downloaded.path, options);
    const wanted = options.cLocale === true ? withCLocale(archived.locale) : archived.locale;
    const { replaced, locale } = await withMaintenanceClient(options, async (client) => {
        const exists = await databaseExists(client, target.database);
        if (exists && options.overwrite !== true) {
            throw new TargetExistsError(target);
        }
        const created = createWithLocale(client, options, preflight, wanted, exists);
        if (exists) {
            // The existing database is dropped only once one with the backup's encoding and locale is known to come out right.
            const probe = `pg_backup_stack_locale_check_${randomBytes(4).toString("hex")}`;
            await created(probe);
            await client.query(`DROP DATABASE ${quoteIdent(probe)}`);
            const sessions = await sessionsOn(client, target.database);
            log.warn("dropping the existing database before restoring (overwrite requested)", { database: target.database, server: `${target.host}:${target.port}`, sessionsToEnd: sessions.length });
            for (const session of sessions) {
                log.warn(`ending session ${describeSession(session)}`, { database: target.database });
            }
            await client.query(`DROP DATABASE ${quoteIdent(target.database)} WITH (FORCE)`);
        }
        return { replaced: exists, locale: await created(target.database, () => options.onDatabaseCreated?.(target.database)) };
    });
    log.info("database created; running pg_restore", { target: describeTarget(target), jobs, locale: describeLocale(locale) });
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
    // Last, so a database-level statement_timeout or default_transaction_read_only cannot touch the restore or the counts.
    const settings = await applySettings(options, archived);
    return { database: target.database, replaced, locale, settings, pgRestoreSeconds, countSeconds, jobs, tables, rowCountsMatch };
}

/**
 * A function that creates a database with `wanted` and reads back what the server created,
 * dropping it again and failing when that differs.
 */
function createWithLocale(
    client: Client,
    options: RestoreOptions,
    preflight: Preflight,
    wanted: DatabaseLocale,
    replacing: boolean,
): (name: string, onCreated?: () => void) => Promise<DatabaseLocale> {
    const { target } = options;
    return async (name: string, onCreated?: () => void): Promise<DatabaseLocale> => {
        await client.query(createDatabaseSql(name, wanted, preflight.serverVersionNum)).catch((err: unknown) => {
            throw new TargetLocaleError(
                `could not create database "${name}" on ${target.host}:${target.port} with the backup's encoding and locale (${describeLocale(wanted)}): ${messageOf(err)}` +
                    (isCLocale(wanted) ? "" : "; restore into a server that has this locale, or keep the encoding with the C locale (restore --c-locale; option cLocale), where text sorts by C's rules") +
                    (replacing ? `; the existing database "${target.database}" was left as it was` : ""),
            );
        });
        onCreated?.();
        const created = await readDatabaseLocale(client, name);
        const differences = localeDifferences(wanted, created);
        if (differences.length > 0) {
            await client.query(`DROP DATABASE ${quoteIdent(name)} WITH (FORCE)`);
            throw new TargetLocaleError(
                `database "${name}" came out with ${differences.join(", ")}; it was dropped again` + (replacing ? `, and the existing database "${target.database}" was left as it was` : ""),
            );
        }
        return created;
    };
}

/** The source database's own settings (ALTER DATABASE ... SET), each applied to the restored database; one that fails is reported, not fatal. */
async function applySettings(options: RestoreOptions, archived: ArchivedDatabase): Promise<DatabaseSettings> {
    const { target, log } = options;
    const applied: string[] = [];
    const notApplied = [...archived.skippedSettings];
    if (archived.roleSettings > 0) {
        notApplied.push(`${archived.roleSettings} setting(s) of a role in this database (ALTER ROLE ... IN DATABASE): roles are not part of a database's dump`);
    }
    if (archived.settings.length > 0) {
        await withMaintenanceClient(options, async (client) => {
            for (const setting of archived.settings) {
                try {
                    await client.query(`ALTER DATABASE ${quoteIdent(target.database)} SET ${setting}`);
                    applied.push(setting);
                } catch (err) {
                    notApplied.push(`${setting}: ${messageOf(err)}`);
                }
            }
            // A setting can keep every new session out (session_preload_libraries naming a library
            // this server lacks): then none is kept, and the database stays usable.
            const refused = applied.length === 0 ? undefined : await connectionRefused(target);
            if (refused !== undefined) {
                await client.query(`ALTER DATABASE ${quoteIdent(target.database)} RESET ALL`);
                notApplied.push(...applied.splice(0).map((setting) => `${setting}: reset with the others, because with them a new session could not start (${refused})`));
            }
        });
    }
    for (const setting of notApplied) {
        log.warn(`a setting of the source database was not applied: ${setting}`, { database: target.database });
    }
    return { applied, notApplied };
}

/** Why a new session to `target` cannot start, or undefined when one can. */
async function connectionRefused(target: PgTarget): Promise<string | undefined> {
    try {
        const session = await openSession(target, APPLICATION_NAME);
        await session.end();
        return undefined;
    } catch (err) {
        return messageOf(err);
    }
}

function messageOf(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
}
