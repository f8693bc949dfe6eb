/**
 * The storage port of the function cores: exactly the operations dump, export, verify, list and
 * restore need, so that the same cores run on Amazon S3 (./s3.ts) and Azure Blob Storage
 * (./azureBlob.ts). Keys are the object key layout of ../keys.ts on both.
 */
import { Readable } from "node:stream";
import type { Log } from "../ports";

/** Retention set on an object at its creation, in S3 Object Lock's terms (the Blob adapter maps it). */
export interface ObjectLockRetention {
    readonly mode: "GOVERNANCE" | "COMPLIANCE";
    readonly retainUntil: Date;
}

export interface PutRequest {
    readonly key: string;
    readonly body: Readable | Buffer | string;
    readonly contentType: string;
    /** Tags stored with the object from its creation (S3 object tags, Blob index tags). */
    readonly tags: Readonly<Record<string, string>>;
    /** Retention of the new object; none: the bucket's or container's default applies. */
    readonly lock?: ObjectLockRetention;
    /** Bytes per part (S3) or block (Blob). */
    readonly partSizeBytes: number;
    /** Parts or blocks uploaded in parallel. */
    readonly concurrency: number;
}

export interface StoredObject {
    readonly key: string;
    readonly sizeBytes: number;
    readonly lastModified?: Date;
}

export interface BackupStorage {
    /** The bucket or container name, as manifests record it. */
    readonly container: string;
    /** Where the backups live, for messages: `s3://bucket` or the container's URL. */
    readonly location: string;
    /** `key` inside `location`, for messages. */
    describe(key: string): string;
    /**
     * Stores `body` under `key` and resolves once the object is complete: a failed or interrupted
     * upload leaves no complete object behind (S3: the multipart upload is aborted; Blob: the
     * staged blocks are never committed). Rejects with UploadFailedError.
     */
    put(req: PutRequest, log: Log): Promise<void>;
    /** The object's content; rejects with ObjectNotFoundError when there is no object under `key`. */
    get(key: string, signal?: AbortSignal): Promise<Readable>;
    /** Every object whose key starts with `prefix`, all pages. */
    list(prefix: string): Promise<StoredObject[]>;
}

/** There is no object under the key asked for. */
export class ObjectNotFoundError extends Error {
    constructor(readonly key: string, where: string) {
        super(`${where}: no such object`);
        this.name = "ObjectNotFoundError";
    }
}

/**
 * The body an adapter's download returns, as a stream: ObjectNotFoundError when `notFound` says
 * the failure means there is no such object, an error naming the object when there is no body.
 */
export async function openBody(key: string, where: string, download: () => Promise<unknown>, notFound: (err: unknown) => boolean): Promise<Readable> {
    let body: unknown;
    try {
        body = await download();
    } catch (err) {
        if (notFound(err)) {
            throw new ObjectNotFoundError(key, where);
        }
        throw err;
    }
    if (!(body instanceof Readable)) {
        throw new Error(`${where}: the response has no readable body`);
    }
    return body;
}

/** Reads a whole (small) object as UTF-8 text. */
export async function readText(storage: BackupStorage, key: string, signal?: AbortSignal): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of await storage.get(key, signal)) {
        chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
    }
    return Buffer.concat(chunks).toString("utf8");
}
