/**
 * Streaming uploads to S3 for the dump and export functions: multipart with SSE-KMS, tags and a
 * CRC32 checksum on every part, in a fixed memory of `queueSize + 1` part buffers reused from
 * part to part (so the process's memory does not grow with the object, nor with the garbage of
 * buffers allocated per part), and on any failure the multipart upload is aborted so no parts
 * are left behind.
 */
import {
    AbortMultipartUploadCommand,
    CompleteMultipartUploadCommand,
    CreateMultipartUploadCommand,
    PutObjectCommand,
    PutObjectTaggingCommand,
    UploadPartCommand,
    type CompletedPart,
    type S3Client,
} from "@aws-sdk/client-s3";
import { Readable } from "node:stream";
import { crc32 } from "node:zlib";
import type { Log } from "./ports";
import type { ObjectLockRetention } from "./storage/port";

export type { ObjectLockRetention } from "./storage/port";

const MiB = 1024 * 1024;
/** S3's limits for multipart uploads. */
export const MIN_PART_SIZE = 5 * MiB;
export const MAX_PART_SIZE = 5 * 1024 * MiB;
export const MAX_PARTS = 10_000;
/** At least 16 MiB: fewer requests, and 160 GiB fit in 10,000 parts. */
export const DEFAULT_PART_SIZE = 16 * MiB;
/** Part count the automatic choice aims below, leaving room for dumps bigger than expected. */
const TARGET_PARTS = 9_000;

export class UploadConfigError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UploadConfigError";
    }
}

/** The upload failed (S3 error, or the body stream failed); the multipart upload has been aborted if one was started. */
export class UploadFailedError extends Error {
    constructor(
        message: string,
        /** Whether an AbortMultipartUpload for this upload failed too (parts may remain until the bucket's lifecycle removes them). */
        readonly abortFailed: boolean,
        options?: { cause?: unknown },
    ) {
        super(message, options);
        this.name = "UploadFailedError";
    }
}

/** S3's part size limits, 5 MiB..5 GiB, whole bytes. */
function checkPartSize(bytes: number): void {
    if (!Number.isInteger(bytes) || bytes < MIN_PART_SIZE || bytes > MAX_PART_SIZE) {
        throw new UploadConfigError(`part size: ${bytes} bytes is out of range ${MIN_PART_SIZE}..${MAX_PART_SIZE} (5 MiB..5 GiB)`);
    }
}

/**
 * Part size for a stream of unknown length: the configured size if given (checked against S3's
 * limits and the expected maximum), else the smallest whole MiB of at least 16 MiB that keeps
 * `expectedMaxBytes` under 9,000 parts.
 */
export function choosePartSize(expectedMaxBytes: number, configuredBytes?: number): number {
    if (!Number.isFinite(expectedMaxBytes) || expectedMaxBytes <= 0) {
        throw new UploadConfigError(`expected maximum size: ${expectedMaxBytes} is not a positive number of bytes`);
    }
    if (configuredBytes !== undefined) {
        checkPartSize(configuredBytes);
        const parts = Math.ceil(expectedMaxBytes / configuredBytes);
        if (parts > MAX_PARTS) {
            throw new UploadConfigError(
                `part size: ${configuredBytes} bytes would need ${parts} parts for the expected maximum of ${expectedMaxBytes} bytes; S3 allows ${MAX_PARTS}. ` +
                    `Use at least ${Math.ceil(expectedMaxBytes / MAX_PARTS / MiB)} MiB`,
            );
        }
        return configuredBytes;
    }
    const needed = Math.ceil(expectedMaxBytes / TARGET_PARTS / MiB) * MiB;
    const size = Math.max(DEFAULT_PART_SIZE, needed);
    if (size > MAX_PART_SIZE) {
        throw new UploadConfigError(`expected maximum size: ${expectedMaxBytes} bytes does not fit in ${MAX_PARTS} parts of at most 5 GiB`);
    }
    return size;
}

/** Request parameters for SSE-KMS with the given key (and an S3 Bucket Key); none when no key is configured. */
export function sseParams(kmsKeyId: string | undefined): { ServerSideEncryption?: "aws:kms"; SSEKMSKeyId?: string; BucketKeyEnabled?: boolean } {
    if (kmsKeyId === undefined) {
        return {};
    }
    return { ServerSideEncryption: "aws:kms", SSEKMSKeyId: kmsKeyId, BucketKeyEnabled: true };
}

/** `a=b&c=d` for the x-amz-tagging header. */
export function taggingHeader(tags: Readonly<Record<string, string>>): string {
    return Object.entries(tags)
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
        .join("&");
}

export interface UploadRequest {
    readonly client: S3Client;
    readonly bucket: string;
    readonly key: string;
    readonly body: Readable | Buffer | string;
    readonly contentType: string;
    readonly kmsKeyId: string | undefined;
    readonly tags: Readonly<Record<string, string>>;
    /** Retention of the new object version; none: the bucket's default retention, if any, applies. */
    readonly objectLock?: ObjectLockRetention;
    readonly partSizeBytes: number;
    /** Parts uploaded in parallel. */
    readonly queueSize: number;
}

/**
 * The exact parameters sent with PutObject / CreateMultipartUpload. With `objectLock`, the
 * x-amz-object-lock-mode and x-amz-object-lock-retain-until-date headers lock the new version
 * from its creation (on a multipart upload, CreateMultipartUpload carries them for the whole
 * object). Amazon S3 API Reference, PutObject and CreateMultipartUpload (ObjectLockMode,
 * ObjectLockRetainUntilDate): https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html
 */
export function uploadParams(req: Pick<UploadRequest, "bucket" | "key" | "contentType" | "kmsKeyId" | "tags" | "objectLock">): {
    Bucket: string;
    Key: string;
    ContentType: string;
    Tagging?: string;
    ServerSideEncryption?: "aws:kms";
    SSEKMSKeyId?: string;
    BucketKeyEnabled?: boolean;
    ObjectLockMode?: "GOVERNANCE" | "COMPLIANCE";
    ObjectLockRetainUntilDate?: Date;
} {
    const tagging = taggingHeader(req.tags);
    return {
        Bucket: req.bucket,
        Key: req.key,
        ContentType: req.contentType,
        ...(tagging === "" ? {} : { Tagging: tagging }),
        ...sseParams(req.kmsKeyId),
        ...(req.objectLock === undefined ? {} : { ObjectLockMode: req.objectLock.mode, ObjectLockRetainUntilDate: req.objectLock.retainUntil }),
    };
}

/**
 * Uploads `body` and resolves once the object is complete (and tagged). A body smaller than a
 * part goes up with PutObject; any other as a multipart upload, `queueSize` parts at a time,
 * each part read into one of `queueSize + 1` buffers that are reused, so at most that many parts
 * are in memory and the stream is not read further while all of them are busy. Every request
 * carries a CRC32 checksum (S3 requires a checksum or Content-MD5 on writes to a bucket with
 * Object Lock: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html),
 * and CompleteMultipartUpload lists each part's checksum, computed here rather than taken from
 * the response (S3 refuses to complete a CRC32 upload without every part's checksum:
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompletedPart.html). The object is tagged at creation
 * (x-amz-tagging) and once more with PutObjectTagging after completion, for S3-compatible servers
 * that ignore the header. On failure (S3 after the client's retries, or the body stream) the
 * multipart upload is aborted once the parts in flight have ended (a part still uploading during
 * an abort may complete after it: https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html;
 * a part the client gave up on that lands later is left to the bucket's incomplete-upload
 * lifecycle rule) and the promise rejects with UploadFailedError whose cause is what failed
 * first. A part's failure destroys the body with that error, so a read waiting on a slow body
 * ends at once. Callers that fail the body on purpose (pg_dump failed, deadline) report their own
 * error instead.
 */
export async function uploadObject(req: UploadRequest, log: Log): Promise<void> {
    if (req.queueSize < 1 || !Number.isInteger(req.queueSize)) {
        throw new UploadConfigError(`upload concurrency: ${req.queueSize} is not a positive integer`);
    }
    checkPartSize(req.partSizeBytes);
    const upload = new MultipartWriter(req);
    try {
        if (req.body instanceof Readable) {
            await upload.run(req.body);
        } else {
            const data = Buffer.from(req.body);
            await (data.length < req.partSizeBytes ? upload.putObject(data) : upload.run(Readable.from([data])));
        }
    } catch (err) {
        const abortFailed = !(await abortQuietly(req, upload.uploadId, log));
        const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        throw new UploadFailedError(`upload of s3://${req.bucket}/${req.key} failed (${reason})`, abortFailed, { cause: err });
    }
    if (Object.keys(req.tags).length === 0) {
        return;
    }
    // The version just written, not whichever is current by now (PutObjectTagging without
    // VersionId tags the current version: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html).
    try {
        await req.client.send(
            new PutObjectTaggingCommand({
                Bucket: req.bucket,
                Key: req.key,
                ...(upload.versionId === undefined ? {} : { VersionId: upload.versionId }),
                Tagging: { TagSet: Object.entries(req.tags).map(([Key, Value]) => ({ Key, Value })) },
            }),
        );
    } catch (err) {
        const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        throw new UploadFailedError(`s3://${req.bucket}/${req.key} was stored, with the tags sent at its creation, but setting its tags again failed (${reason})`, false, { cause: err });
    }
}

/** S3's x-amz-checksum-crc32: the CRC32 of the bytes, big-endian, in base64. */
export function crc32Base64(data: Buffer): string {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(crc32(data));
    return out.toString("base64");
}

/** One upload: the body read into reused part buffers, the parts sent `queueSize` at a time. */
class MultipartWriter {
    uploadId: string | undefined;
    /** The stored object's version id, when the bucket keeps versions (Object Lock needs versioning). */
    versionId: string | undefined;
    private readonly free: Buffer[] = [];
    private allocated = 0;
    private readonly inFlight = new Set<Promise<void>>();
    private readonly parts: CompletedPart[] = [];
    private failure: { readonly err: unknown } | undefined;
    /** The body being read, destroyed when a part fails so that a read waiting on it ends at once. */
    private body: Readable | undefined;

    constructor(private readonly req: UploadRequest) {}

    /** Sends the body, or throws what failed first once no part is in flight any more. */
    async run(body: Readable): Promise<void> {
        try {
            await this.stream(body);
        } catch (err) {
            await this.settle();
            throw err;
        }
    }

    /** A body smaller than a part, in one request. */
    async putObject(data: Buffer): Promise<void> {
        this.versionId = (await this.req.client.send(new PutObjectCommand({ ...uploadParams(this.req), Body: data, ChecksumAlgorithm: "CRC32" }))).VersionId;
    }

    private async stream(body: Readable): Promise<void> {
        const size = this.req.partSizeBytes;
        let part = await this.buffer();
        let filled = 0;
        let number = 0;
        // A part's failure destroys the body (see fail), which ends a read waiting on a slow one.
        this.body = body;
        for await (const chunk of body as AsyncIterable<Buffer | string>) {
            const data = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
            let at = 0;
            while (at < data.length) {
                const n = data.copy(part, filled, at, Math.min(data.length, at + size - filled));
                filled += n;
                at += n;
                if (filled === size) {
                    await this.send(++number, part, size);
                    part = await this.buffer();
                    filled = 0;
                }
            }
            this.check();
        }
        this.check();
        if (number === 0) {
            await this.putObject(part.subarray(0, filled));
            return;
        }
        if (filled > 0) {
            await this.send(++number, part, filled);
        }
        await this.settle();
        this.check();
        this.parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
        const completed = await this.req.client.send(
            new CompleteMultipartUploadCommand({ Bucket: this.req.bucket, Key: this.req.key, UploadId: this.uploadId, MultipartUpload: { Parts: this.parts } }),
        );
        this.versionId = completed.VersionId;
    }

    /** Starts part `number` (creating the multipart upload first). */
    private async send(number: number, buffer: Buffer, length: number): Promise<void> {
        if (number > MAX_PARTS) {
            throw new UploadConfigError(`the object needs more than ${MAX_PARTS} parts of ${this.req.partSizeBytes} bytes; S3 allows ${MAX_PARTS}: use a bigger part size`);
        }
        while (this.inFlight.size >= this.req.queueSize) {
            await Promise.race(this.inFlight);
        }
        this.check();
        if (this.uploadId === undefined) {
            const created = await this.req.client.send(new CreateMultipartUploadCommand({ ...uploadParams(this.req), ChecksumAlgorithm: "CRC32" }));
            if (created.UploadId === undefined) {
                throw new Error("CreateMultipartUpload returned no UploadId");
            }
            this.uploadId = created.UploadId;
        }
        const body = buffer.subarray(0, length);
        const checksum = crc32Base64(body);
        const sending = this.req.client
            .send(
                new UploadPartCommand({
                    Bucket: this.req.bucket,
                    Key: this.req.key,
                    UploadId: this.uploadId,
                    PartNumber: number,
                    Body: body,
                    ChecksumAlgorithm: "CRC32",
                    ChecksumCRC32: checksum,
                }),
            )
            .then(
                (out) => {
                    if (out.ETag === undefined) {
                        this.fail(new Error(`part ${number}: UploadPart returned no ETag`));
                        return;
                    }
                    this.parts.push({ PartNumber: number, ETag: out.ETag, ChecksumCRC32: checksum });
                    this.free.push(buffer);
                },
                (err: unknown) => this.fail(err),
            )
            .finally(() => this.inFlight.delete(sending));
        this.inFlight.add(sending);
    }

    /** A free part buffer: a new one while fewer than `queueSize + 1` exist, else the next one a finished part gives back. */
    private async buffer(): Promise<Buffer> {
        for (;;) {
            this.check();
            const reused = this.free.pop();
            if (reused !== undefined) {
                return reused;
            }
            if (this.allocated <= this.req.queueSize) {
                this.allocated++;
                return Buffer.allocUnsafe(this.req.partSizeBytes);
            }
            await Promise.race(this.inFlight);
        }
    }

    private async settle(): Promise<void> {
        while (this.inFlight.size > 0) {
            await Promise.race(this.inFlight);
        }
    }

    private fail(err: unknown): void {
        if (this.failure !== undefined) {
            return;
        }
        this.failure = { err };
        this.body?.destroy(err instanceof Error ? err : new Error(String(err)));
    }

    private check(): void {
        if (this.failure !== undefined) {
            throw this.failure.err;
        }
    }
}

/** Aborts a multipart upload; NoSuchUpload (already aborted) counts as done. Returns whether nothing is left. */
async function abortQuietly(req: UploadRequest, uploadId: string | undefined, log: Log): Promise<boolean> {
    if (uploadId === undefined) {
        return true;
    }
    try {
        await req.client.send(new AbortMultipartUploadCommand({ Bucket: req.bucket, Key: req.key, UploadId: uploadId }));
        log.info("multipart upload aborted", { key: req.key, uploadId });
        return true;
    } catch (err) {
        if (err instanceof Error && err.name === "NoSuchUpload") {
            return true;
        }
        log.error("multipart upload could not be aborted; its parts stay until the bucket's incomplete-upload rule removes them", {
            key: req.key,
            uploadId,
            error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        });
        return false;
    }
}
