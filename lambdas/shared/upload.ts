/**
 * Streaming uploads to S3 for the dump and export functions: multipart through
 * @aws-sdk/lib-storage, SSE-KMS, tags, bounded memory (at most `queueSize + 1` parts in
 * memory), and on any failure the multipart upload is aborted so no parts are left behind.
 */
import { AbortMultipartUploadCommand, type S3Client, type Tag } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { Readable } from "node:stream";
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
        if (!Number.isInteger(configuredBytes) || configuredBytes < MIN_PART_SIZE || configuredBytes > MAX_PART_SIZE) {
            throw new UploadConfigError(`part size: ${configuredBytes} bytes is out of range ${MIN_PART_SIZE}..${MAX_PART_SIZE} (5 MiB..5 GiB)`);
        }
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
 * Uploads `body` and resolves once the object is complete (and tagged). The object is tagged at
 * creation (x-amz-tagging) and once more with PutObjectTagging after completion, for S3-compatible
 * servers that ignore the header. On failure it aborts the multipart upload itself (lib-storage's
 * own abort can be skipped when the failure happened while it was creating the upload) and rejects
 * with UploadFailedError whose cause is what failed first: S3, or the body stream. Callers that
 * fail the body on purpose (pg_dump failed, deadline) report their own error instead.
 */
export async function uploadObject(req: UploadRequest, log: Log): Promise<void> {
    if (req.queueSize < 1 || !Number.isInteger(req.queueSize)) {
        throw new UploadConfigError(`upload concurrency: ${req.queueSize} is not a positive integer`);
    }
    const tags: Tag[] = Object.entries(req.tags).map(([Key, Value]) => ({ Key, Value }));
    const upload = new Upload({
        client: req.client,
        params: { ...uploadParams(req), Body: req.body },
        partSize: req.partSizeBytes,
        queueSize: req.queueSize,
        leavePartsOnError: false,
        tags,
    });
    try {
        await upload.done();
    } catch (err) {
        const abortFailed = !(await abortQuietly(req, upload.uploadId, log));
        const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        throw new UploadFailedError(`upload of s3://${req.bucket}/${req.key} failed (${reason})`, abortFailed, { cause: err });
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
