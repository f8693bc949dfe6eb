/**
 * The directory-format dump: `pg_dump --format=directory --jobs=N` into a temporary directory on
 * local disk, then every file uploaded as its own object under `<key>/<name>` (bounded
 * concurrency, SSE-KMS, the dump's tier tags and Object Lock retention), each hashed on the way.
 * Uploads start once pg_dump has exited successfully: a file pg_dump is still writing is never
 * uploaded, and a failed pg_dump uploads nothing. The caller writes the manifest last.
 */
import { DeleteObjectsCommand, type S3Client } from "@aws-sdk/client-s3";
import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdtemp, open, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream";
import { dumpFileKey, type DumpFile } from "../shared/manifest";
import type { PgTarget } from "../shared/pgTarget";
import type { Log } from "../shared/ports";
import { stopProcessGroup } from "../shared/processGroup";
import { HashingTap } from "../shared/restore";
import { uploadObject, type ObjectLockRetention } from "../shared/upload";
import { exitStatus } from "./archive";
import { DumpError, DumpUploadError, InvalidArchiveError, PgDumpFailedError } from "./errors";
import { pgDumpEnv } from "./pgDump";

/**
 * "PGDMP", version bytes, int size, offset size, then the format. pg_dump writes toc.dat with
 * the tar format's code (3): a directory dump is laid out like a tar one (pg_backup_directory.c).
 */
const MAGIC = Buffer.from("PGDMP", "ascii");
const FORMAT_OFFSET = 10;
const FORMAT_DIRECTORY = 3;

export interface DirectoryDumpRequest {
    readonly s3: S3Client;
    readonly bucket: string;
    /** The dump's key; files go to `<key>/<name>`. */
    readonly key: string;
    readonly kmsKeyId: string | undefined;
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
    readonly log: Log;
}

export interface DirectoryDumpRun {
    /** Resolves with the stored files once all are uploaded; rejects with the first failure. */
    readonly done: Promise<readonly DumpFile[]>;
    /** Stops the run: pg_dump is killed, no further file is uploaded, and `done` rejects with `err`. */
    readonly fail: (err: Error) => void;
}

/** Starts the dump; the caller runs the row counts, deadline and session watch next to it and calls `fail` on any of them. */
export function startDirectoryDump(req: DirectoryDumpRequest): DirectoryDumpRun {
    let primary: Error | undefined;
    let stopChild: (() => void) | undefined;
    const fail = (err: Error): void => {
        if (primary !== undefined) {
            return;
        }
        primary = err;
        req.log.warn("stopping the dump", { error: err.name, reason: err.message });
        stopChild?.();
    };
    const check = (): void => {
        if (primary !== undefined) {
            throw primary;
        }
    };
    const done = (async (): Promise<readonly DumpFile[]> => {
        const parent = await mkdtemp(join(req.tempDir ?? tmpdir(), "pg-dump-"));
        const dir = join(parent, "dump");
        try {
            check();
            const child = spawn(req.pgDumpPath, [...req.args, `--file=${dir}`], { env: pgDumpEnv(req.target, process.env), stdio: ["ignore", "ignore", "pipe"], detached: true });
            stopChild = (): void => stopProcessGroup(child);
            req.log.info("pg_dump started", { pid: child.pid, key: req.key, directory: dir });
            const status = await exitStatus(child);
            stopChild = undefined;
            check();
            if (status.signal !== null || status.code !== 0) {
                const how = status.signal !== null ? `was killed by ${status.signal}` : `exited with code ${String(status.code)}`;
                const detail = status.stderr.trim() === "" ? "" : `: ${status.stderr.trim()}`;
                throw new PgDumpFailedError(`pg_dump ${how}${detail}`, status.code, status.signal);
            }
            const names = (await readdir(dir)).sort();
            await checkDirectory(dir, names, req.minBytes);
            req.log.info("pg_dump finished; uploading its files", { key: req.key, files: names.length });
            return await uploadFiles(req, dir, names, check);
        } finally {
            await rm(parent, { recursive: true, force: true });
        }
    })();
    return { done, fail };
}

/** toc.dat present with a directory-format header, and the files together at least the minimum size. */
async function checkDirectory(dir: string, names: readonly string[], minBytes: number): Promise<void> {
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
    if (head.length <= FORMAT_OFFSET || !head.subarray(0, MAGIC.length).equals(MAGIC) || head[FORMAT_OFFSET] !== FORMAT_DIRECTORY) {
        throw new InvalidArchiveError(`toc.dat is not a directory-format table of contents (first bytes: ${head.toString("hex")})`);
    }
    let total = 0;
    for (const name of names) {
        total += (await stat(join(dir, name))).size;
    }
    if (total < minBytes) {
        throw new InvalidArchiveError(`pg_dump wrote ${total} bytes, below the minimum of ${minBytes} bytes for a backup; a header-only dump holds no data`);
    }
}

/**
 * Uploads the files, `uploadConcurrency` at a time. On the first failure no further file starts;
 * the files already stored are deleted (best effort: without a manifest they are never a backup
 * either way, and the tier's lifecycle rule expires them).
 */
async function uploadFiles(req: DirectoryDumpRequest, dir: string, names: readonly string[], check: () => void): Promise<DumpFile[]> {
    const stored: DumpFile[] = [];
    let next = 0;
    let failure: unknown;
    const worker = async (): Promise<void> => {
        while (next < names.length && failure === undefined) {
            const name = names[next++] as string;
            try {
                check();
                stored.push(await uploadFile(req, dir, name));
            } catch (err) {
                failure ??= err;
            }
        }
    };
    await Promise.all(Array.from({ length: Math.min(req.uploadConcurrency, names.length) }, worker));
    if (failure !== undefined) {
        await deleteQuietly(req, stored);
        if (failure instanceof DumpError) {
            throw failure;
        }
        throw new DumpUploadError(`upload of the dump's files to s3://${req.bucket}/${req.key}/ failed: ${failure instanceof Error ? failure.message : String(failure)}`, {
            cause: failure,
        });
    }
    return stored.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function uploadFile(req: DirectoryDumpRequest, dir: string, name: string): Promise<DumpFile> {
    const key = dumpFileKey(req.key, name);
    const tap = new HashingTap();
    const body = tap;
    pipeline(createReadStream(join(dir, name)), tap, () => undefined);
    await uploadObject(
        {
            client: req.s3,
            bucket: req.bucket,
            key,
            body,
            contentType: "application/octet-stream",
            kmsKeyId: req.kmsKeyId,
            tags: req.tags,
            ...(req.lock === undefined ? {} : { objectLock: req.lock }),
            partSizeBytes: req.partSizeBytes,
            queueSize: 1,
        },
        req.log,
    );
    return { name, key, sizeBytes: tap.bytes, sha256: tap.digest() };
}

async function deleteQuietly(req: DirectoryDumpRequest, stored: readonly DumpFile[]): Promise<void> {
    if (stored.length === 0) {
        return;
    }
    try {
        const out = await req.s3.send(new DeleteObjectsCommand({ Bucket: req.bucket, Delete: { Objects: stored.map((f) => ({ Key: f.key })), Quiet: true } }));
        if ((out.Errors ?? []).length > 0) {
            throw new Error((out.Errors ?? []).map((e) => `${e.Key ?? "?"}: ${e.Code ?? ""} ${e.Message ?? ""}`).join("; "));
        }
        req.log.info("files of the failed dump deleted", { key: req.key, files: stored.length });
    } catch (err) {
        req.log.warn("files of the failed dump could not be deleted; without a manifest they are not a backup, and their tier's lifecycle rule expires them", {
            key: req.key,
            files: stored.length,
            error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        });
    }
}
