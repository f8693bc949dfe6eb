import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import type { Client, QueryConfig } from "pg";
import { createDatabaseSql, describeLocale, isCLocale, localeDifferences, readDatabaseLocale, withCLocale, type DatabaseLocale } from "./databaseLocale";
import { describeTarget, openSession, pgErrorCode, quoteIdent, withDatabase, type PgTarget } from "./pgTarget";
import { describeStatement, statementFor, type ArchivedDatabase, type DatabaseStatement } from "./databaseScript";
import { findPgTool, majorOfToolVersion, majorOfVersionNum, toolVersion } from "./pgTools";
import { archivedDatabase, runPgRestore, type ToolLimit } from "./pgRestore";
import { downloadBackup, round, withTempDir, type DownloadedBackup } from "./restoreDownload";
import { RestoreAbortedError, RestoreArgumentError, TargetBusyError, TargetExistsError, TargetLocaleError, VersionMismatchError } from "./restoreErrors";
import type { RestoreOptions } from "./restoreOptions";
import { APPLICATION_NAME, countRestoredLargeObjects, countRestoredRows, databaseExists, withMaintenanceClient, type LargeObjectComparison, type TableComparison } from "./restoreTarget";
import { describeSession, sessionsOn } from "./sessions";

/**
 * Restoring one backup into a new database: download to a seekable temp file while hashing,
 * compare with the manifest, check the archive header and the tool and server versions, create
 * the database with the source's encoding and locale (refusing an existing one unless overwrite
 * is asked for), run pg_restore with parallel jobs, count rows the way the dump counted them,
 * give the database the source's own properties, and always remove the temp file.
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
    /** True when an existing database was replaced (overwrite); with overwrite and a row count that differs, false, and `database` is the restored copy's own name. */
    readonly replaced: boolean;
    /** The encoding and locale the database was created with, as the server reports them. */
    readonly locale: DatabaseLocale;
    /** The source database's own properties (settings, comment, connection limit, privileges): the statements applied, and those not, each with the reason. */
    readonly properties: DatabaseProperties;
    readonly pgRestoreSeconds: number;
    /** Time spent counting rows after pg_restore (not part of the time to a usable database). */
    readonly countSeconds: number;
    readonly jobs: number;
    readonly tables: readonly TableComparison[];
    /** The restored large objects against the manifest's count; undefined when the manifest has none. */
    readonly largeObjects: LargeObjectComparison | undefined;
    /** Every table's row count, and the large objects' count, match the manifest. */
    readonly rowCountsMatch: boolean;
}

export interface DatabaseProperties {
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
 * Creates the database with the source's encoding and locale, runs pg_restore on the downloaded
 * file, compares row counts with the manifest, and gives the database the source's own
 * properties. With overwrite, an existing database is replaced only once the restore into a new
 * one has finished with every row count matching: until then it stays as it was, and if the
 * restore fails or a count differs it is kept. A database this call created is dropped again when
 * pg_restore fails (unless dropOnFailure is false), and only if it is still the one it created.
 * Two restores into one name through one maintenance database do not run at once: the second is refused.
 */
export async function restoreDownloaded(options: RestoreOptions, preflight: Preflight, downloaded: DownloadedBackup, jobs: number): Promise<RestoredDatabase> {
    const { target } = options;
    // One restore into a name at a time: a session-level advisory lock in the maintenance database,
    // released when its session ends, also when the process dies.
    const maintenance = options.maintenanceDatabase ?? "postgres";
    const lock = await openSession(withDatabase(target, maintenance), APPLICATION_NAME);
    try {
        const taken = await lock.use((c) =>
            c.query<{ ok: boolean }>("SELECT pg_catalog.pg_try_advisory_lock(pg_catalog.hashtextextended($1, 0)) AS ok", [`pg-backup-stack restore into ${target.database}`]),
        );
        if (taken.rows[0]?.ok !== true) {
            throw new TargetBusyError(`another restore into "${target.database}" on ${target.host}:${target.port} is running (its lock is held in database ${maintenance}); nothing was created or changed`);
        }
        return await restoreUnderLock(options, preflight, downloaded, jobs);
    } finally {
        await lock.end();
    }
}

async function restoreUnderLock(options: RestoreOptions, preflight: Preflight, downloaded: DownloadedBackup, jobs: number): Promise<RestoredDatabase> {
    const { target, log } = options;
    // One limit for every pg_restore run of this restore.
    const deadline = options.timeoutMs === undefined ? undefined : performance.now() + options.timeoutMs;
    const limit = (): ToolLimit => ({ ...(options.signal === undefined ? {} : { signal: options.signal }), ...(deadline === undefined ? {} : { deadline, limitMs: options.timeoutMs ?? 0 }) });
    const archived = await archivedDatabase(preflight.pgRestorePath, downloaded.path, `${downloaded.path}.entries`, limit());
    const wanted = options.cLocale === true ? withCLocale(archived.locale) : archived.locale;
    const { exists, name, oid, locale } = await withMaintenanceClient(options, async (client) => {
        const found = await databaseExists(client, target.database);
        if (found && options.overwrite !== true) {
            throw new TargetExistsError(target);
        }
        const into = found ? temporaryName(target.database) : target.database;
        const made = await createWithLocale(client, options, preflight, wanted, into, found);
        return { exists: found, name: into, ...made };
    });
    const into = withDatabase(target, name);
    const keptNote = exists ? `; the existing database "${target.database}" was left as it was` : "";
    log.info("database created; running pg_restore", { target: describeTarget(into), jobs, locale: describeLocale(locale), ...(exists ? { replaces: target.database } : {}) });
    const started = performance.now();
    try {
        await runPgRestore(preflight.pgRestorePath, downloaded.path, { ...options, target: into }, jobs, limit());
    } catch (err) {
        if (options.dropOnFailure !== false) {
            await dropIfSame(options, name, oid).catch((dropErr: unknown) => {
                log.error("could not drop the database after a failed restore", { database: name, error: messageOf(dropErr) });
            });
        }
        if (exists && err instanceof Error) {
            err.message += keptNote;
        }
        throw err;
    }
    const restoredAt = performance.now();
    const pgRestoreSeconds = (restoredAt - started) / 1000;
    const tables = await countRestoredRows(into, options.manifest);
    const largeObjects = await countRestoredLargeObjects(into, options.manifest);
    const countSeconds = (performance.now() - restoredAt) / 1000;
    const rowCountsMatch = tables.every((t) => t.ok) && largeObjects?.ok !== false;
    log.info("pg_restore finished", { database: name, seconds: round(pgRestoreSeconds), tables: tables.length, ...(largeObjects === undefined ? {} : { largeObjects: largeObjects.actual }), rowCountsMatch });
    if (exists && !rowCountsMatch) {
        log.error(`row counts differ from the manifest: the restored copy is kept as ${name} for inspection${keptNote}`, { database: name });
        const notAttempted = ["none carried over: the row counts differ from the manifest, so the copy did not replace the existing database"];
        return { database: name, replaced: false, locale, properties: { applied: [], notApplied: notAttempted }, pgRestoreSeconds, countSeconds, jobs, tables, largeObjects, rowCountsMatch };
    }
    // After the data and the counts, so a database-level statement_timeout or default_transaction_read_only cannot touch them;
    // on the copy before it takes the name (a database's settings, comment, limit and privileges are kept by a rename).
    const properties = await applyProperties(options, archived, into);
    if (exists) {
        if (options.signal?.aborted === true) {
            await dropIfSame(options, name, oid);
            throw new RestoreAbortedError(`stopped before replacing the existing database "${target.database}": it was left as it was, and the restored copy dropped`);
        }
        await replaceWith(options, name, oid);
    }
    return { database: target.database, replaced: exists, locale, properties, pgRestoreSeconds, countSeconds, jobs, tables, largeObjects, rowCountsMatch };
}

/** `<name>_restoring_<random>`, cut to PostgreSQL's 63 bytes on a character boundary. */
function temporaryName(name: string): string {
    const suffix = `_restoring_${randomBytes(4).toString("hex")}`;
    let base = name;
    while (Buffer.byteLength(base + suffix, "utf8") > 63) {
        base = [...base].slice(0, -1).join("");
    }
    return base + suffix;
}

/**
 * Creates `name` with `wanted` and reads back what the server created, dropping it again and
 * failing when that differs; resolves with its OID and locale.
 */
async function createWithLocale(
    client: Client,
    options: RestoreOptions,
    preflight: Preflight,
    wanted: DatabaseLocale,
    name: string,
    replacing: boolean,
): Promise<{ readonly oid: string; readonly locale: DatabaseLocale }> {
    const { target } = options;
    const kept = replacing ? `; the existing database "${target.database}" was left as it was` : "";
    await client.query(createDatabaseSql(name, wanted, preflight.serverVersionNum)).catch((err: unknown) => {
        const code = pgErrorCode(err);
        // 42P04: created meanwhile by someone else; 42501: no right to create databases. Neither is about the locale.
        if (code === "42P04" || code === "42501") {
            throw new Error(`could not create database "${name}" on ${target.host}:${target.port}: ${messageOf(err)}${kept}`);
        }
        throw new TargetLocaleError(
            `could not create database "${name}" on ${target.host}:${target.port} with the backup's encoding and locale (${describeLocale(wanted)}): ${messageOf(err)}` +
                (isCLocale(wanted) ? "" : "; restore into a server that has this locale, or keep the encoding with the C locale (restore --c-locale; option cLocale), where text sorts by C's rules") +
                kept,
        );
    });
    options.onDatabaseCreated?.(name);
    try {
        const oid = await databaseOid(client, name);
        const created = await readDatabaseLocale(client, name);
        const differences = localeDifferences(wanted, created);
        if (oid === undefined || differences.length > 0) {
            throw new TargetLocaleError(`database "${name}" came out ${oid === undefined ? "missing" : `with ${differences.join(", ")}`}; it was dropped again${kept}`);
        }
        return { oid, locale: created };
    } catch (err) {
        // Created by this call a moment ago, in this session: dropped again on any failure before pg_restore.
        await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
        throw err;
    }
}

/** Drops `name` only while it is still the database with `oid` (another may have taken the name since). */
async function dropIfSame(options: RestoreOptions, name: string, oid: string): Promise<void> {
    await withMaintenanceClient(options, async (client) => {
        if ((await databaseOid(client, name)) === oid) {
            await client.query(`DROP DATABASE ${quoteIdent(name)} WITH (FORCE)`);
        }
    });
}

/** Drops the existing target database (naming the sessions it ends) and renames the restored copy to its name. */
async function replaceWith(options: RestoreOptions, restored: string, oid: string): Promise<void> {
    const { target, log } = options;
    await withMaintenanceClient(options, async (client) => {
        if ((await databaseOid(client, restored)) !== oid) {
            throw new Error(`the restored copy ${restored} is no longer the database this restore created; the existing database "${target.database}" was left as it was`);
        }
        const sessions = await sessionsOn(client, target.database);
        log.warn("replacing the existing database with the restored copy (overwrite requested)", { database: target.database, server: `${target.host}:${target.port}`, sessionsToEnd: sessions.length });
        for (const session of sessions) {
            log.warn(`ending session ${describeSession(session)}`, { database: target.database });
        }
        await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(target.database)} WITH (FORCE)`).catch((err: unknown) => {
            throw new Error(`could not drop the existing database "${target.database}" (${messageOf(err)}): it was left as it was; the restored copy is complete as ${restored}`);
        });
        await client.query(`ALTER DATABASE ${quoteIdent(restored)} RENAME TO ${quoteIdent(target.database)}`).catch((err: unknown) => {
            throw new Error(
                `the existing database "${target.database}" was dropped, but the restored copy could not take its name (${messageOf(err)}): it is complete as ${restored}; ` +
                    `rename it with: ALTER DATABASE ${quoteIdent(restored)} RENAME TO ${quoteIdent(target.database)};`,
            );
        });
    });
}

async function databaseOid(client: Client, name: string): Promise<string | undefined> {
    return (await client.query<{ oid: string }>("SELECT oid::text AS oid FROM pg_catalog.pg_database WHERE datname = $1", [name])).rows[0]?.oid;
}

/**
 * The source database's own properties, carried over to the restored database `into` from a
 * session on it (the shared catalog keeps a setting's text in the encoding of the session that
 * wrote it). Settings come first and are checked by starting a new session; then the comment,
 * limit, privileges (unless noPrivileges) and owner (only when ownership is restored), in the
 * archive's order. A statement that fails is reported, not fatal; so is anything else here.
 * Settings are shown by name only: their values may be secrets.
 */
async function applyProperties(options: RestoreOptions, archived: ArchivedDatabase, into: PgTarget): Promise<DatabaseProperties> {
    const { log } = options;
    const quoted = quoteIdent(into.database);
    const applied: string[] = [];
    const notApplied = [...archived.unreadable];
    if (archived.tablespace !== undefined) {
        notApplied.push(`TABLESPACE ${archived.tablespace}: the source database's default tablespace; the database was created in the server's default`);
    }
    const wanted = archived.statements.filter(
        (st) => !(st.kind === "owner" && options.noOwner !== false) && !(st.kind === "privilege" && options.noPrivileges === true) && st.kind !== "template",
    );
    for (const st of archived.statements.filter((x) => x.kind === "template")) {
        notApplied.push(`${describeStatement(st, quoted)}: not carried over to a restored copy`);
    }
    const isSetting = (st: DatabaseStatement): boolean => st.kind === "setting" || st.kind === "roleSetting";
    try {
        const settings = await run(into, wanted.filter(isSetting), quoted, applied, notApplied);
        // A setting can keep every new session out (session_preload_libraries naming a library this
        // server lacks): then the settings are reset, and the database stays usable.
        const refused = settings.length === 0 ? undefined : await refusedBySettings(into);
        if (refused !== undefined) {
            await withMaintenanceClient(options, async (client) => {
                await client.query(`ALTER DATABASE ${quoted} RESET ALL`);
                for (const st of settings.filter((x) => x.kind === "roleSetting")) {
                    await client.query(`${st.before}${quoted} RESET ALL`);
                }
            });
            applied.splice(0);
            notApplied.push(...settings.map((st) => `${describeStatement(st, quoted)}: reset with the others, because with them a new session could not start (${refused})`));
        }
        await run(into, wanted.filter((st) => !isSetting(st)), quoted, applied, notApplied);
    } catch (err) {
        notApplied.push(`the properties not yet carried over: ${messageOf(err)}`);
    }
    for (const statement of notApplied) {
        log.warn(`a property of the source database was not carried over: ${statement}`, { database: into.database });
    }
    return { applied, notApplied };
}

/** Runs each statement on its own (the extended protocol takes one statement, never more); resolves with those that ran. */
async function run(into: PgTarget, statements: readonly DatabaseStatement[], quoted: string, applied: string[], notApplied: string[]): Promise<DatabaseStatement[]> {
    if (statements.length === 0) {
        return [];
    }
    const ran: DatabaseStatement[] = [];
    const session = await openSession(into, APPLICATION_NAME);
    try {
        // The database's own default_transaction_read_only, carried over just before, would refuse the rest.
        await session.use((c) => c.query("SET default_transaction_read_only = off"));
        for (const st of statements) {
            const query: QueryConfig & { readonly queryMode: "extended" } = { text: statementFor(st, quoted), queryMode: "extended" };
            try {
                await session.use((c) => c.query(query));
                applied.push(describeStatement(st, quoted));
                ran.push(st);
            } catch (err) {
                notApplied.push(`${describeStatement(st, quoted)}: ${messageOf(err)}`);
            }
        }
    } finally {
        await session.end();
    }
    return ran;
}

/**
 * Why a new session to `target` cannot start because of its settings, or undefined when one can.
 * Too many connections and a refused login (the database's limit, its privileges) are not the settings'.
 */
async function refusedBySettings(target: PgTarget): Promise<string | undefined> {
    try {
        const session = await openSession(target, APPLICATION_NAME);
        await session.end();
        return undefined;
    } catch (err) {
        const code = pgErrorCode(err);
        return code === "53300" || code === "42501" || code.startsWith("28") ? undefined : messageOf(err);
    }
}

function messageOf(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
}
