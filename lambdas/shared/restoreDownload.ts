/**
 * A backup's download for a restore: into a seekable temp file (or a directory's files), hashed
 * on the way and checked against the manifest (size, SHA-256, archive header) before anything is
 * restored.
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Transform, type Readable, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { dumpFormatOf, filesDigest, type DumpFile } from "./manifest";
import type { RestoreSettings, RestoreSource } from "./restoreOptions";
import { ArchiveHeaderError, BackupFileMissingError, ChecksumMismatchError } from "./restoreErrors";
import { ObjectNotFoundError, type BackupStorage } from "./storage/port";
import { s3Storage } from "./storage/s3";

/** `PGDMP`: the first bytes of every pg_dump custom-format archive. */
const ARCHIVE_MAGIC = Buffer.from("PGDMP", "ascii");

export interface DownloadedBackup {
    readonly path: string;
    readonly sizeBytes: number;
    readonly sha256: string;
    readonly seconds: number;
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

/** Runs `fn` with a fresh temp dir (mode 0700) that is removed afterwards, whatever happens. */
export async function withTempDir<T>(parent: string | undefined, fn: (dir: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(parent ?? tmpdir(), "pg-restore-"));
    try {
        return await fn(dir);
    } finally {
        await rm(dir, { recursive: true, force: true });
    }
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

/** Seconds rounded to milliseconds, for the logs. */
export function round(seconds: number): number {
    return Math.round(seconds * 1000) / 1000;
}
