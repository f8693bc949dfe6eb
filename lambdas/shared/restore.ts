import type { S3Client } from "@aws-sdk/client-s3";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, open, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Client } from "pg";
import { dumpFormatOf, filesDigest, type BackupManifest, type DumpFile } from "./manifest";
import { describeTarget, libpqEnv, openSession, quoteIdent, withDatabase, type PgTarget } from "./pgTarget";
import { findPgTool, majorOfToolVersion, majorOfVersionNum, toolVersion } from "./pgTools";
import type { Log } from "./ports";
import { stopProcessGroup } from "./processGroup";
import { describeSession, sessionsOn } from "./sessions";
import { ObjectNotFoundError, type BackupStorage } from "./storage/port";
import { s3Storage } from "./storage/s3";

/**
 * Restoring one backup into a new database: download to a seekable temp file while hashing,
 * compare with the manifest, check the archive header and the tool and server versions, create
 * the database (refusing an existing one unless overwrite is asked for), run pg_restore with
 * parallel jobs, count rows the way the dump counted them, and always remove the temp file.
 * The CLI restore, the verify function and the drill all run this code.
 */

/** `PGDMP`: the first bytes of every pg_dump custom-format archive. */
const ARCHIVE_MAGIC = Buffer.from("PGDMP", "ascii");
const MAX_JOBS = 64;
const STDERR_TAIL_BYTES = 8 * 1024;
const APPLICATION_NAME = "pg-backup-stack-restore";

export abstract class RestoreError extends Error {
    protected constructor(message: string) {
        super(message);
        this.name = new.target.name;
    }
}

/** The downloaded object is not what the manifest describes (size or SHA-256). */
export class ChecksumMismatchError extends RestoreError {
    constructor(
        readonly key: string,
        readonly expected: { readonly sha256: string; readonly sizeBytes: number },
        readonly actual: { readonly sha256: string; readonly sizeBytes: number },
    ) {
        super(
            `backup ${key} does not match its manifest: ` +
                (expected.sizeBytes !== actual.sizeBytes ? `size ${actual.sizeBytes} bytes, manifest says ${expected.sizeBytes}; ` : "") +
                `sha256 ${actual.sha256}, manifest says ${expected.sha256}; nothing was restored`,
        );
    }
}

/** A file a directory dump's manifest lists is not in the bucket. */
export class BackupFileMissingError extends RestoreError {
    constructor(
        readonly key: string,
        readonly file: string,
    ) {
        super(`file ${file} of backup ${key} is missing from the bucket; nothing was restored`);
    }
}

/** The object does not start with the pg_dump custom-format header. */
export class ArchiveHeaderError extends RestoreError {
    constructor(key: string, firstBytes: Buffer) {
        super(`backup ${key} is not a pg_dump custom-format archive (starts with ${JSON.stringify(firstBytes.toString("latin1"))}, expected "PGDMP"); nothing was restored`);
    }
}

/** pg_restore too old for the archive, or the target server too old for the dump. */
export class VersionMismatchError extends RestoreError {
    constructor(message: string) {
        super(message);
    }
}

/** The target database exists and overwrite was not asked for. */
export class TargetExistsError extends RestoreError {
    constructor(target: PgTarget) {
        super(`database "${target.database}" already exists on ${target.host}:${target.port}; refusing to overwrite it (pass --overwrite to drop and recreate it)`);
    }
}

/** pg_restore exited non-zero, was killed, or ran out of time. */
export class PgRestoreFailedError extends RestoreError {
    constructor(
        readonly reason: string,
        readonly stderrTail: string,
    ) {
        super(`pg_restore failed: ${reason}${stderrTail === "" ? "" : `: ${stderrTail.trim()}`}`);
    }
}

export class RestoreArgumentError extends RestoreError {
    constructor(message: string) {
        super(message);
    }
}

/**
 * Where the backup is read from: a storage adapter, or an S3 client and the bucket (which may be
 * the DR replica, so not necessarily manifest.bucket).
 */
export type RestoreSource = { readonly storage: BackupStorage } | { readonly s3: S3Client; readonly bucket: string };

export type RestoreOptions = RestoreSource & RestoreSettings;

export interface RestoreSettings {
    readonly manifest: BackupManifest;
    /** Server, credentials and the name of the database to create. */
    readonly target: PgTarget;
    /** Database to connect to for CREATE/DROP DATABASE. @default "postgres" */
    readonly maintenanceDatabase?: string;
    /** Drop and recreate the target database if it exists. @default false - refuse */
    readonly overwrite?: boolean;
    /** pg_restore parallel jobs. @default min(4, available CPUs) */
    readonly jobs?: number;
    /** Pass --no-owner (objects owned by the restoring user). @default true */
    readonly noOwner?: boolean;
    /** Pass --no-privileges (skip GRANT/REVOKE, for servers without the source's roles). @default false */
    readonly noPrivileges?: boolean;
    /** Drop the database this restore created when the restore fails. @default true */
    readonly dropOnFailure?: boolean;
    /** Directory with pg_restore. @default env PG_BIN, else the newest /usr/lib/postgresql/<n>/bin, else PATH */
    readonly binDir?: string;
    /** Where the temp file goes (needs room for the whole backup). @default the OS temp dir */
    readonly tempDir?: string;
    /** pg_restore is stopped after this long (SIGTERM, then SIGKILL after 5 s). @default no limit */
    readonly timeoutMs?: number;
    /** Stops the download or pg_restore (SIGTERM, then SIGKILL after 5 s) when aborted. */
    readonly signal?: AbortSignal;
    /** Called right after this restore created the target database, so a caller removes only a database it created. @default none */
    readonly onDatabaseCreated?: (database: string) => void;
    readonly log: Log;
}

export interface TableComparison {
    readonly schema: string;
    readonly name: string;
    readonly expected: number;
    /** null when the table is missing from the restored database. */
    readonly actual: number | null;
    readonly ok: boolean;
}

export interface Preflight {
    readonly pgRestorePath: string;
    readonly pgRestoreVersion: string;
    readonly serverVersion: string;
    readonly serverVersionNum: number;
}

export interface DownloadedBackup {
    readonly path: string;
    readonly sizeBytes: number;
    readonly sha256: string;
    readonly seconds: number;
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
 * Downloads the backup object into `dir`, hashing on the way, and checks size, SHA-256 and the
 * archive header against the manifest. The file is seekable, so pg_restore can run jobs in parallel.
 */
export async function downloadBackup(options: RestoreSource & Pick<RestoreSettings, "manifest" | "signal" | "log">, dir: string): Promise<DownloadedBackup> {
    const { manifest } = options;
    if (dumpFormatOf(manifest) === "directory") {
        return downloadDirectory(options, dir);
    }
    const started = performance.now();
    const body = await sourceStorage(options).get(manifest.key, options.signal);
    const path = join(dir, "backup.dump");
    const tap = new HashingTap();
    await pipeline(body, tap, createWriteStream(path, { mode: 0o600 }), { signal: options.signal });
    const sha256 = tap.digest();
    const seconds = (performance.now() - started) / 1000;
    if (sha256 !== manifest.sha256 || tap.bytes !== manifest.sizeBytes) {
        throw new ChecksumMismatchError(manifest.key, { sha256: manifest.sha256, sizeBytes: manifest.sizeBytes }, { sha256, sizeBytes: tap.bytes });
    }
    const head = await readHead(path, ARCHIVE_MAGIC.length);
    if (!head.equals(ARCHIVE_MAGIC)) {
        throw new ArchiveHeaderError(manifest.key, head);
    }
    options.log.info("backup downloaded and checked", { key: manifest.key, bytes: tap.bytes, sha256, seconds: round(seconds) });
    return { path, sizeBytes: tap.bytes, sha256, seconds };
}

function sourceStorage(source: RestoreSource): BackupStorage {
    return "storage" in source ? source.storage : s3Storage({ client: source.s3, bucket: source.bucket, kmsKeyId: undefined });
}

/** Files of a directory dump downloaded at once. */
const DOWNLOAD_CONCURRENCY = 4;

/**
 * Downloads every file of a directory dump into `<dir>/backup.dir`, each checked for size and
 * SHA-256 against the manifest before anything is restored: a missing or different file fails,
 * naming it. The whole set is checked too (toc.dat's header, the manifest's digest of the list).
 */
async function downloadDirectory(options: RestoreSource & Pick<RestoreSettings, "manifest" | "signal" | "log">, dir: string): Promise<DownloadedBackup> {
    const { manifest } = options;
    const files = manifest.files ?? [];
    const started = performance.now();
    const path = join(dir, "backup.dir");
    await mkdir(path, { mode: 0o700 });
    const storage = sourceStorage(options);
    const fetchOne = async (file: DumpFile): Promise<{ sha256: string; bytes: number }> => {
        let body: Readable;
        try {
            body = await storage.get(file.key, options.signal);
        } catch (err) {
            if (err instanceof ObjectNotFoundError) {
                throw new BackupFileMissingError(manifest.key, file.name);
            }
            throw err;
        }
        const tap = new HashingTap();
        await pipeline(body, tap, createWriteStream(join(path, file.name), { mode: 0o600 }), { signal: options.signal });
        const sha256 = tap.digest();
        if (sha256 !== file.sha256 || tap.bytes !== file.sizeBytes) {
            throw new ChecksumMismatchError(`${manifest.key} (file ${file.name})`, { sha256: file.sha256, sizeBytes: file.sizeBytes }, { sha256, sizeBytes: tap.bytes });
        }
        return { sha256, bytes: tap.bytes };
    };
    const checked = await mapLimited(files, DOWNLOAD_CONCURRENCY, fetchOne);
    const sizeBytes = checked.reduce((sum, c) => sum + c.bytes, 0);
    const sha256 = filesDigest(files.map((f, i) => ({ name: f.name, sha256: checked[i]?.sha256 ?? "" })));
    if (sha256 !== manifest.sha256 || sizeBytes !== manifest.sizeBytes) {
        throw new ChecksumMismatchError(manifest.key, { sha256: manifest.sha256, sizeBytes: manifest.sizeBytes }, { sha256, sizeBytes });
    }
    const head = await readHead(join(path, "toc.dat"), ARCHIVE_MAGIC.length);
    if (!head.equals(ARCHIVE_MAGIC)) {
        throw new ArchiveHeaderError(`${manifest.key} (file toc.dat)`, head);
    }
    const seconds = (performance.now() - started) / 1000;
    options.log.info("backup downloaded and checked", { key: manifest.key, files: files.length, bytes: sizeBytes, sha256, seconds: round(seconds) });
    return { path, sizeBytes, sha256, seconds };
}

/** Runs `fn` over `items` with at most `limit` at a time; the first failure rejects (the others still settle). */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
    const results: R[] = new Array<R>(items.length);
    let next = 0;
    let failed = false;
    const worker = async (): Promise<void> => {
        while (next < items.length && !failed) {
            const index = next++;
            try {
                results[index] = await fn(items[index] as T);
            } catch (err) {
                failed = true;
                throw err;
            }
        }
    };
    const settled = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
    const rejected = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (rejected !== undefined) {
        throw rejected.reason;
    }
    return results;
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

/**
 * Exact count(*) of every table the manifest lists, in the restored database, seeing every row.
 * The session runs with row_security off (as pg_dump does): a count that a row-level security
 * policy would filter fails instead of coming out short. A restore with --no-owner makes the
 * restoring user the owner, whom policies do not apply to unless the table FORCEs row level
 * security; such a table is counted in a transaction that lifts FORCE and is rolled back, so the
 * restored database keeps its definition.
 */
export async function countRestoredRows(target: PgTarget, manifest: BackupManifest): Promise<TableComparison[]> {
    const session = await openSession(target, APPLICATION_NAME);
    try {
        return await session.use(async (client) => {
            const found = await client.query<{ schema: string; name: string; forced_and_owned: boolean }>(
                "SELECT n.nspname AS schema, c.relname AS name, c.relforcerowsecurity AND pg_catalog.pg_has_role(c.relowner, 'USAGE') AS forced_and_owned " +
                    "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'm', 'f')",
            );
            const present = new Map(found.rows.map((r) => [`${r.schema}\u0000${r.name}`, r.forced_and_owned]));
            const comparisons: TableComparison[] = [];
            for (const table of manifest.tables) {
                const forced = present.get(`${table.schema}\u0000${table.name}`);
                const actual = forced === undefined ? null : await countTable(client, `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`, forced);
                comparisons.push({ schema: table.schema, name: table.name, expected: table.rows, actual, ok: actual === table.rows });
            }
            return comparisons;
        });
    } finally {
        await session.end();
    }
}

async function countTable(client: Client, qualified: string, liftForcedRowSecurity: boolean): Promise<number> {
    const count = async (): Promise<number> => Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualified}`)).rows[0]?.n ?? "0");
    if (!liftForcedRowSecurity) {
        return count();
    }
    await client.query(`BEGIN; ALTER TABLE ${qualified} NO FORCE ROW LEVEL SECURITY`);
    try {
        return await count();
    } finally {
        await client.query("ROLLBACK");
    }
}

/** Drops a database if it exists (terminating its sessions); used for cleanup. */
export async function dropDatabase(options: Pick<RestoreOptions, "target" | "maintenanceDatabase">, database: string): Promise<void> {
    await withMaintenanceClient(options, (client) => client.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`));
}

export async function databaseExistsOn(options: Pick<RestoreOptions, "target" | "maintenanceDatabase">, database: string): Promise<boolean> {
    return withMaintenanceClient(options, (client) => databaseExists(client, database));
}

/** Runs `fn` with a fresh temp dir (mode 0700) that is removed afterwards, whatever happens. */
export async function withTempDir<T>(parent: string | undefined, fn: (dir: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(parent ?? tmpdir(), "pg-restore-"));
    try {
        return await fn(dir);
    } finally {
        await rm(dir, { recursive: true, force: true });
    }
}

async function withMaintenanceClient<T>(options: Pick<RestoreOptions, "target" | "maintenanceDatabase">, fn: (client: Client) => Promise<T>): Promise<T> {
    const session = await openSession(withDatabase(options.target, options.maintenanceDatabase ?? "postgres"), APPLICATION_NAME);
    try {
        return await session.use(fn);
    } finally {
        await session.end();
    }
}

async function databaseExists(client: Client, database: string): Promise<boolean> {
    const res = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    return (res.rowCount ?? 0) > 0;
}

function runPgRestore(pgRestorePath: string, file: string, options: RestoreOptions, jobs: number): Promise<void> {
    const args = [
        `--dbname=${conninfoDbname(options.target.database)}`,
        `--jobs=${jobs}`,
        "--exit-on-error",
        ...(options.noOwner === false ? [] : ["--no-owner"]),
        ...(options.noPrivileges === true ? ["--no-privileges"] : []),
        file,
    ];
    const env = { ...inheritedEnv(process.env), ...libpqEnv(options.target), PGCONNECT_TIMEOUT: "15", PGAPPNAME: APPLICATION_NAME };
    return new Promise((resolve, reject) => {
        // Own process group, so a stop also reaches pg_restore's parallel workers.
        const child = spawn(pgRestorePath, args, { env, stdio: ["ignore", "ignore", "pipe"], detached: true });
        let stderr = "";
        let stopReason: string | undefined;
        child.stderr.setEncoding("utf8");
        child.stderr.on("data", (chunk: string) => {
            stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES);
        });
        const stop = (reason: string): void => {
            stopReason ??= reason;
            stopProcessGroup(child);
        };
        const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => stop(`timed out after ${options.timeoutMs} ms`), options.timeoutMs);
        const onAbort = (): void => stop("aborted");
        options.signal?.addEventListener("abort", onAbort, { once: true });
        child.once("error", (err) => {
            clearTimeout(timer);
            options.signal?.removeEventListener("abort", onAbort);
            reject(new PgRestoreFailedError(`could not start ${pgRestorePath} (${err.message})`, ""));
        });
        child.once("close", (code, signal) => {
            clearTimeout(timer);
            options.signal?.removeEventListener("abort", onAbort);
            if (stopReason === undefined && code === 0) {
                resolve();
                return;
            }
            const reason = stopReason ?? (signal !== null ? `killed by ${signal}` : `exit code ${code ?? "unknown"}`);
            reject(new PgRestoreFailedError(reason, stderr));
        });
        if (options.signal?.aborted === true) {
            onAbort();
        }
    });
}

/** A libpq conninfo naming only the database, so a name containing `=` is not read as a connection string. */
function conninfoDbname(database: string): string {
    return `dbname='${database.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** Variables pg_restore gets from this process; everything else (cloud credentials included) stays out of the child. */
const INHERITED_ENV = ["PATH", "LD_LIBRARY_PATH", "LANG", "LC_ALL", "TZ", "HOME", "TMPDIR", "PGSSLROOTCERT"];

function inheritedEnv(parent: NodeJS.ProcessEnv): Record<string, string> {
    const env: Record<string, string> = {};
    for (const name of INHERITED_ENV) {
        const value = parent[name];
        if (value !== undefined) {
            env[name] = value;
        }
    }
    return env;
}

/** Passes bytes through, counting them and hashing them with SHA-256. */
export class HashingTap extends Transform {
    private readonly hash = createHash("sha256");
    bytes = 0;

    override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
        this.hash.update(chunk);
        this.bytes += chunk.length;
        callback(null, chunk);
    }

    digest(): string {
        return this.hash.digest("hex");
    }
}

async function readHead(path: string, length: number): Promise<Buffer> {
    const handle = await open(path, "r");
    try {
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, 0);
        return buffer.subarray(0, bytesRead);
    } finally {
        await handle.close();
    }
}

function messageOf(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
}

function round(seconds: number): number {
    return Math.round(seconds * 1000) / 1000;
}
