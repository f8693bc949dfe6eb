/**
 * The directory-format dump: `pg_dump --format=directory --jobs=N` into a temporary directory on
 * local disk, every file uploaded through the storage port as its own object under `<key>/<name>`
 * (bounded concurrency, the dump's tier tags and lock), each hashed on the way. A data file goes
 * up while pg_dump writes it: its upload follows the file as it grows and ends once no process of
 * pg_dump holds it open any more (pg_dump writes each file front to back, closes it and never
 * reopens it), so the upload keeps pace with the dump instead of starting after it; toc.dat and
 * the rest follow pg_dump's successful exit. Each table data file's rows are counted on its way
 * up, and each local file is deleted once stored, so the temporary storage holds the files
 * pg_dump is writing and those being uploaded, not the whole dump. A stop (deadline, abort, any
 * failure) interrupts the uploads in flight. On any failure no manifest is written, so the files
 * stored are never a backup. The caller writes the manifest last.
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { mkdtemp, open, readdir, readFile, realpath, rm, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline, Readable } from "node:stream";
import { dumpFileKey, type DumpFile, type TableCount } from "../shared/manifest";
import type { PgTarget } from "../shared/pgTarget";
import type { Log } from "../shared/ports";
import { stopProcessGroup } from "../shared/processGroup";
import { HashingTap } from "../shared/restoreDownload";
import type { BackupStorage, ObjectLockRetention } from "../shared/storage/port";
import { exitStatus, pgDumpFailure } from "./archive";
import { compressedFileEncoding, dataFileEncoding, RowCountingTap, WholeStreamTap } from "./copyRows";
import { DumpError, DumpUploadError, InvalidArchiveError } from "./errors";
import { pgDumpEnv } from "./pgDump";
import { FORMAT_TOC_FILE, readToc, tableDataEntries, tocNames } from "./tocReader";

/** "PGDMP", version bytes, int size, offset size, then the format (./tocReader.ts). */
const MAGIC = Buffer.from("PGDMP", "ascii");
const FORMAT_OFFSET = 10;

export interface DirectoryDumpRequest {
    readonly storage: BackupStorage;
    /** The dump's key; files go to `<key>/<name>`. */
    readonly key: string;
    readonly tags: Readonly<Record<string, string>>;
    readonly lock: ObjectLockRetention | undefined;
    readonly partSizeBytes: number;
    /** Files uploaded at once. */
    readonly uploadConcurrency: number;
    readonly minBytes: number;
    readonly pgDumpPath: string;
    /** Full pg_dump argument list except `--file`. */
    readonly args: readonly string[];
    readonly target: PgTarget;
    /** Parent of the temporary dump directory. @default the OS temp dir */
    readonly tempDir: string | undefined;
    /** Count the rows of each table data file as it is uploaded (not possible for lz4). */
    readonly countRows: boolean;
    /** Called when pg_dump writes its first file: it writes none before it holds a lock on every table it dumps. */
    readonly onFirstFile?: () => void;
    /** Awaited once pg_dump has exited, before the last files go up: a check beside the dump that may still fail it. */
    readonly gate?: () => Promise<unknown>;
    readonly log: Log;
}

export interface DirectoryDump {
    /** The stored files, sorted by name. */
    readonly files: readonly DumpFile[];
    /** Rows of every table whose data the dump holds (empty when not counted). */
    readonly tables: readonly TableCount[];
}

export interface DirectoryDumpRun {
    /** Resolves with the stored files and their row counts once all are uploaded; rejects with the first failure. */
    readonly done: Promise<DirectoryDump>;
    /** Stops the run: pg_dump is killed, no further file is uploaded, and `done` rejects with `err`. */
    readonly fail: (err: Error) => void;
}

/** How often the dump directory is looked at for new files and for the files pg_dump has closed. */
const POLL_MS = 250;
/** How long a followed file's reader waits at its end before it reads again. */
const FOLLOW_WAIT_MS = 50;
/** Bytes read from a file at a time. */
const READ_BYTES = 1024 * 1024;

/** Starts the dump; the caller runs the row counts, deadline and session watch next to it and calls `fail` on any of them. */
export function startDirectoryDump(req: DirectoryDumpRequest): DirectoryDumpRun {
    let primary: Error | undefined;
    let stopChild: (() => void) | undefined;
    let uploader: FileUploader | undefined;
    const fail = (err: Error): void => {
        if (primary !== undefined) {
            return;
        }
        primary = err;
        req.log.warn("stopping the dump", { error: err.name, reason: err.message });
        stopChild?.();
        uploader?.interrupt(err);
    };
    const check = (): void => {
        if (primary !== undefined) {
            throw primary;
        }
    };
    const done = (async (): Promise<DirectoryDump> => {
        const parent = await realpath(await mkdtemp(join(req.tempDir ?? tmpdir(), "pg-dump-")));
        const dir = join(parent, "dump");
        const closed = new Set<string>();
        let exited = false;
        const files = new FileUploader(req, dir, check, (name) => exited || closed.has(name));
        uploader = files;
        try {
            check();
            const child = spawn(req.pgDumpPath, [...req.args, `--file=${dir}`], { env: pgDumpEnv(req.target, process.env), stdio: ["ignore", "ignore", "pipe"], detached: true });
            stopChild = (): void => stopProcessGroup(child);
            req.log.info("pg_dump started", { pid: child.pid, key: req.key, directory: dir });
            const exit = exitStatus(child).finally(() => {
                exited = true;
            });
            const watching = child.pid === undefined ? Promise.resolve() : followFiles(dir, child.pid, files, closed, req.log, () => exited || primary !== undefined);
            const status = await exit;
            await watching;
            await req.gate?.();
            stopChild = undefined;
            check();
            const failed = pgDumpFailure(status);
            if (failed !== undefined) {
                throw failed;
            }
            const names = (await readdir(dir)).sort();
            await checkTocFile(dir, names);
            const toc = await readFile(join(dir, "toc.dat"));
            const rest = names.filter((n) => !files.has(n));
            req.log.info("pg_dump finished; uploading its remaining files", { key: req.key, files: names.length, stored: files.storedCount, remaining: rest.length });
            rest.forEach((n) => files.add(n));
            const stored = await files.finish();
            const total = stored.reduce((sum, f) => sum + f.sizeBytes, 0);
            if (total < req.minBytes) {
                throw new InvalidArchiveError(`pg_dump wrote ${total} bytes, below the minimum of ${req.minBytes} bytes for a backup; a header-only dump holds no data`);
            }
            return { files: stored, tables: req.countRows ? tableCounts(toc, files.rows) : [] };
        } catch (err) {
            await files.abandon();
            throw err;
        } finally {
            await rm(parent, { recursive: true, force: true });
        }
    })();
    return { done, fail };
}

/**
 * While pg_dump runs, hands every file that appears in its directory (except toc.dat) to the
 * uploader at once, and marks in `closed` each one that no process of pg_dump's process group
 * holds open any more: pg_dump writes each data file (and each large object's file) front to
 * back, closes it and never opens it again, so a closed file is complete. That holds only once
 * pg_dump's writers are known to be in the group: until a process of the group has been seen
 * holding a file of the dump open, no file is taken for closed. So when pg_dump runs outside the
 * group (a wrapper that starts a session of its own, as sudo with use_pty does), its files are
 * complete only once it has exited; and a scan that cannot read a process's descriptors proves
 * nothing closed. pg_dump's workers are forked by it and share its group. toc.dat is written last
 * and waits for the exit. Where /proc cannot tell (not Linux), nothing is uploaded before the exit.
 */
async function followFiles(dir: string, pgid: number, uploader: FileUploader, closed: Set<string>, log: Log, stopped: () => boolean): Promise<void> {
    let writersInGroup = false;
    while (!stopped()) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n !== "toc.dat" && !closed.has(n));
        if (stopped() || names.length === 0) {
            continue;
        }
        // The directory is read before the processes' open files: a file listed here and not
        // open in the scan that follows was closed before that scan.
        const scan = openFilesOfGroup(pgid);
        if (scan === "no-proc") {
            return;
        }
        const open = scan === "unreadable" ? undefined : scan;
        writersInGroup ||= open !== undefined && names.some((name) => open.has(join(dir, name)));
        for (const name of names) {
            if (stopped()) {
                return;
            }
            if (writersInGroup && open !== undefined && !open.has(join(dir, name))) {
                closed.add(name);
                log.debug("pg_dump closed a file", { file: name });
            }
            if (!uploader.has(name)) {
                log.debug("uploading a file pg_dump writes", { file: name, closed: closed.has(name) });
                uploader.add(name);
            }
        }
    }
}

/**
 * A file read as it grows, until `complete` says no one writes it any more and its end is
 * reached: at the end of what is written so far it waits and reads again. `complete` is asked
 * before each read, so a read that finds nothing after the file was complete is its true end.
 */
export class FollowedFile extends Readable {
    private handle: FileHandle | undefined;
    private position = 0;
    /** The buffer the next read fills, unless it was handed on whole. */
    private scratch: Buffer | undefined;
    private waiting: NodeJS.Timeout | undefined;

    constructor(
        private readonly path: string,
        private readonly complete: () => boolean,
    ) {
        super({ highWaterMark: READ_BYTES });
    }

    override _construct(callback: (error?: Error | null) => void): void {
        open(this.path, "r").then(
            (handle) => {
                this.handle = handle;
                callback();
            },
            (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
        );
    }

    override _read(): void {
        const handle = this.handle as FileHandle;
        const wasComplete = this.complete();
        const scratch = (this.scratch ??= Buffer.allocUnsafe(READ_BYTES));
        handle.read(scratch, 0, READ_BYTES, this.position).then(
            ({ bytesRead }) => {
                if (this.destroyed) {
                    return;
                }
                if (bytesRead > 0) {
                    this.position += bytesRead;
                    // A full read hands the buffer on and takes a new one next time; a short one (a
                    // file being written has gained less than a full read) hands on a copy of just those bytes.
                    if (bytesRead === READ_BYTES) {
                        this.scratch = undefined;
                        this.push(scratch);
                    } else {
                        this.push(Buffer.from(scratch.subarray(0, bytesRead)));
                    }
                } else if (wasComplete) {
                    this.push(null);
                } else {
                    this.waiting = setTimeout(() => {
                        this.waiting = undefined;
                        this._read();
                    }, FOLLOW_WAIT_MS);
                }
            },
            (err: unknown) => this.destroy(err instanceof Error ? err : new Error(String(err))),
        );
    }

    override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
        clearTimeout(this.waiting);
        const handle = this.handle;
        this.handle = undefined;
        if (handle === undefined) {
            callback(error);
            return;
        }
        handle.close().then(
            () => callback(error),
            () => callback(error),
        );
    }
}

/**
 * Paths some process of process group `pgid` holds open, from /proc; "no-proc" where there is no
 * /proc, "unreadable" when a process of the group was found but its descriptors could not all be
 * read (the scan then proves nothing closed). A descriptor that goes away while it is read was
 * closed meanwhile. /proc's files are made by the kernel on reading, never wait on a disk, and are
 * read here synchronously: a few microseconds each, where a promise per file cost the event loop
 * about a second per 40 s of dump at one scan every 250 ms.
 */
export function openFilesOfGroup(pgid: number): Set<string> | "no-proc" | "unreadable" {
    let pids: string[];
    try {
        pids = readdirSync("/proc").filter((n) => /^\d+$/.test(n));
    } catch {
        return "no-proc";
    }
    const open = new Set<string>();
    for (const pid of pids) {
        // after the command name in parentheses: state, ppid, pgrp, ...
        const stat = readProc(() => readFileSync(`/proc/${pid}/stat`, "utf8"));
        if (stat === undefined) {
            continue;
        }
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        if (Number(fields[2]) !== pgid) {
            continue;
        }
        const fds = readProc(() => readdirSync(`/proc/${pid}/fd`));
        if (fds === undefined) {
            return "unreadable";
        }
        for (const fd of fds) {
            const target = readProc(() => readlinkSync(`/proc/${pid}/fd/${fd}`));
            if (target !== undefined) {
                open.add(target);
            }
        }
    }
    return open;
}

/** A /proc read, or undefined when the process or descriptor has gone meanwhile. */
function readProc<T>(read: () => T): T | undefined {
    try {
        return read();
    } catch {
        return undefined;
    }
}

/** toc.dat present with a directory-format header. */
async function checkTocFile(dir: string, names: readonly string[]): Promise<void> {
    if (!names.includes("toc.dat")) {
        throw new InvalidArchiveError(`pg_dump exited 0 but wrote no toc.dat (files: ${names.join(", ") || "none"})`);
    }
    const handle = await open(join(dir, "toc.dat"), "r");
    let head: Buffer;
    try {
        const buffer = Buffer.alloc(FORMAT_OFFSET + 1);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
        head = buffer.subarray(0, bytesRead);
    } finally {
        await handle.close();
    }
    if (head.length <= FORMAT_OFFSET || !head.subarray(0, MAGIC.length).equals(MAGIC) || head[FORMAT_OFFSET] !== FORMAT_TOC_FILE) {
        throw new InvalidArchiveError(`toc.dat is not a directory-format table of contents (first bytes: ${head.toString("hex")})`);
    }
}

/** Each TABLE DATA entry of toc.dat with the rows counted in its data file; a table whose file was not counted fails. */
function tableCounts(toc: Buffer, rows: ReadonlyMap<string, number>): TableCount[] {
    let entries;
    let name: (raw: Buffer) => string;
    try {
        const all = readToc(toc).entries;
        entries = tableDataEntries(all);
        name = tocNames(all);
    } catch (err) {
        throw new InvalidArchiveError(`toc.dat cannot be read: ${err instanceof Error ? err.message : String(err)}`);
    }
    return entries
        .filter((e) => e.hasData)
        .map((e) => {
            const n = e.fileName === undefined ? undefined : rows.get(e.fileName);
            if (n === undefined) {
                throw new InvalidArchiveError(`the rows of ${e.namespace ?? ""}.${e.tag} were not counted: its data file ${e.fileName ?? "(none)"} was not among the files uploaded`);
            }
            return { schema: e.rawNamespace === undefined ? "" : name(e.rawNamespace), name: name(e.rawTag), rows: n };
        });
}

/**
 * Uploads files as they are added, `uploadConcurrency` at a time. After the first failure (or a
 * stop) no further file starts; finish() and abandon() wait for the uploads in flight (an
 * unfinished multipart upload is aborted) and leave the stored files without a manifest.
 */
class FileUploader {
    private readonly names = new Set<string>();
    private readonly waiting: string[] = [];
    private readonly stored: DumpFile[] = [];
    private readonly running = new Set<Promise<void>>();
    private readonly bodies = new Set<RowCountingTap | WholeStreamTap | HashingTap>();
    /** Rows counted per data file, by the file name toc.dat gives. */
    readonly rows = new Map<string, number>();
    private failure: unknown;

    constructor(
        private readonly req: DirectoryDumpRequest,
        private readonly dir: string,
        private readonly check: () => void,
        /** Whether pg_dump is done with a file: its upload ends at the file's end only then. */
        private readonly complete: (name: string) => boolean,
    ) {}

    has(name: string): boolean {
        return this.names.has(name);
    }

    /** Files stored so far. */
    get storedCount(): number {
        return this.stored.length;
    }

    add(name: string): void {
        if (this.names.size === 0) {
            this.req.onFirstFile?.();
        }
        this.names.add(name);
        this.waiting.push(name);
        this.pump();
    }

    /** Every added file stored, sorted by name; or the first failure, after deleting what was stored. */
    async finish(): Promise<DumpFile[]> {
        await this.settle();
        if (this.failure !== undefined) {
            const failure = this.failure;
            await this.abandon();
            if (failure instanceof DumpError) {
                throw failure;
            }
            throw new DumpUploadError(`upload of the dump's files to ${this.req.storage.describe(`${this.req.key}/`)} failed: ${failure instanceof Error ? failure.message : String(failure)}`, {
                cause: failure,
            });
        }
        return [...this.stored].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }

    /** Fails the uploads in flight with `err` at once (each aborts its multipart upload) and starts no other. */
    interrupt(err: Error): void {
        this.failure ??= err;
        this.waiting.length = 0;
        for (const body of this.bodies) {
            body.destroy(err);
        }
    }

    /** Starts nothing more, waits for the uploads in flight, and leaves the stored files without a manifest. */
    async abandon(): Promise<void> {
        this.failure ??= new Error("abandoned");
        this.waiting.length = 0;
        await this.settle();
        const left = this.stored.splice(0);
        if (left.length > 0) {
            // The dump role may not delete (s3:Delete* is denied to it); without a manifest these
            // files are never a backup, and their tier's lifecycle rule expires them.
            this.req.log.warn("files of the failed dump left without a manifest: not a backup", { key: this.req.key, files: left.length });
        }
    }

    private async settle(): Promise<void> {
        while (this.running.size > 0) {
            await Promise.allSettled([...this.running]);
        }
    }

    private pump(): void {
        while (this.failure === undefined && this.running.size < this.req.uploadConcurrency && this.waiting.length > 0) {
            const name = this.waiting.shift() as string;
            const task = (async (): Promise<void> => {
                try {
                    this.check();
                    this.stored.push(await this.upload(name));
                } catch (err) {
                    try {
                        this.check();
                        this.failure ??= err;
                    } catch (stop) {
                        this.failure ??= stop;
                    }
                }
            })().finally(() => {
                this.running.delete(task);
                this.pump();
            });
            this.running.add(task);
        }
    }

    /**
     * Uploads one file, then deletes it from local storage: table data with its rows counted,
     * any other compressed file (a large object's) decompressed on the way to prove it whole.
     */
    private async upload(name: string): Promise<DumpFile> {
        const data = this.req.countRows ? dataFileEncoding(name) : undefined;
        const counter = data === undefined ? undefined : new RowCountingTap(data.encoding);
        const compressed = counter === undefined ? compressedFileEncoding(name) : undefined;
        const whole = compressed === undefined ? undefined : new WholeStreamTap(compressed);
        const tap = new HashingTap();
        const path = join(this.dir, name);
        const stages = [...(counter === undefined ? [] : [counter]), ...(whole === undefined ? [] : [whole]), tap];
        stages.forEach((b) => this.bodies.add(b));
        try {
            pipeline([new FollowedFile(path, () => this.complete(name)), ...stages], () => undefined);
            const file = await uploadFile(this.req, name, tap);
            if (counter !== undefined && data !== undefined) {
                this.rows.set(data.tocName, counter.rows);
            }
            await rm(path, { force: true });
            return file;
        } finally {
            stages.forEach((b) => this.bodies.delete(b));
        }
    }
}

async function uploadFile(req: DirectoryDumpRequest, name: string, tap: HashingTap): Promise<DumpFile> {
    const key = dumpFileKey(req.key, name);
    const body = tap;
    await req.storage.put(
        {
            key,
            body,
            contentType: "application/octet-stream",
            tags: req.tags,
            ...(req.lock === undefined ? {} : { lock: req.lock }),
            partSizeBytes: req.partSizeBytes,
            concurrency: 1,
        },
        req.log,
    );
    return { name, key, sizeBytes: tap.bytes, sha256: tap.digest() };
}

