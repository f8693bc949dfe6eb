/**
 * The Azure Blob Storage adapter of the storage port. An upload stages the body as blocks (each
 * with its transactional Content-MD5) and commits the block list only once every block is
 * stored: until then no blob exists under the key, so an interrupted or failed upload never
 * leaves anything that could be counted as a backup. The commit carries the blob index tags and
 * the per-blob (version-level) immutability policy. Listing follows the continuation marker.
 */
import { RestError, type BlobImmutabilityPolicyMode, type ContainerClient } from "@azure/storage-blob";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { Log } from "../ports";
import { UploadFailedError } from "../upload";
import { openBody, type BackupStorage, type ObjectLockRetention, type PutRequest, type StoredObject } from "./port";

export interface AzureBlobStorageOptions {
    readonly container: ContainerClient;
    /** Blobs asked for per List Blobs page (the service returns at most 5,000). @default 5000 */
    readonly listPageSize?: number;
}

/** Most blocks in one block blob. Azure Storage REST API, "Put Block List": https://learn.microsoft.com/en-us/rest/api/storageservices/put-block-list */
export const MAX_BLOCKS = 50_000;
/** Largest block the service accepts (4,000 MiB). Azure Storage REST API, "Put Block": https://learn.microsoft.com/en-us/rest/api/storageservices/put-block */
export const MAX_BLOCK_BYTES = 4000 * 1024 * 1024;
const DEFAULT_LIST_PAGE_SIZE = 5000;

/**
 * The immutability policy a lock becomes. S3's GOVERNANCE (privileged users may shorten or remove
 * it) is an Unlocked policy, which can still be shortened or deleted; COMPLIANCE (nobody may) is a
 * Locked one, which can only be extended. Azure Storage, "Configure immutability policies for blob
 * versions": https://learn.microsoft.com/en-us/azure/storage/blobs/immutable-version-level-worm-policies
 */
export function immutabilityPolicy(lock: ObjectLockRetention): { expiriesOn: Date; policyMode: BlobImmutabilityPolicyMode } {
    return { expiriesOn: lock.retainUntil, policyMode: lock.mode === "COMPLIANCE" ? "Locked" : "Unlocked" };
}

/** Block ids of one blob must all have the same length: a zero-padded index, base64. */
export function blockId(index: number): string {
    return Buffer.from(`block-${String(index).padStart(6, "0")}`).toString("base64");
}

export function azureBlobStorage(options: AzureBlobStorageOptions): BackupStorage {
    const { container } = options;
    const pageSize = options.listPageSize ?? DEFAULT_LIST_PAGE_SIZE;
    const describe = (key: string): string => `${container.url}/${key}`;
    return {
        container: container.containerName,
        location: container.url,
        describe,
        async put(req: PutRequest, log: Log): Promise<void> {
            if (req.partSizeBytes > MAX_BLOCK_BYTES) {
                throw new UploadFailedError(`upload of ${describe(req.key)} failed (a part of ${req.partSizeBytes} bytes is more than a block can hold, ${MAX_BLOCK_BYTES})`, false);
            }
            const blob = container.getBlockBlobClient(req.key);
            const ids: string[] = [];
            const inFlight = new Set<Promise<void>>();
            let failure: unknown;
            try {
                for await (const block of blocks(req.body, req.partSizeBytes)) {
                    if (ids.length >= MAX_BLOCKS) {
                        throw new Error(`more than ${MAX_BLOCKS} blocks of ${req.partSizeBytes} bytes`);
                    }
                    const id = blockId(ids.length);
                    ids.push(id);
                    // Put Block checks the transactional Content-MD5 and refuses a block that arrived different.
                    const task: Promise<void> = blob
                        .stageBlock(id, block, block.length, { transactionalContentMD5: createHash("md5").update(block).digest() })
                        .then(() => undefined)
                        .catch((err: unknown) => {
                            failure ??= err;
                        })
                        .finally(() => inFlight.delete(task));
                    inFlight.add(task);
                    while (inFlight.size >= req.concurrency && failure === undefined) {
                        await Promise.race(inFlight);
                    }
                    if (failure !== undefined) {
                        throw failure;
                    }
                }
                await Promise.all(inFlight);
                if (failure !== undefined) {
                    throw failure;
                }
                // Put Block List creates the blob, with its index tags (x-ms-tags) and immutability
                // policy (x-ms-immutability-policy-until-date, x-ms-immutability-policy-mode), in one
                // request. Azure Storage REST API, "Put Block List": https://learn.microsoft.com/en-us/rest/api/storageservices/put-block-list
                await blob.commitBlockList(ids, {
                    blobHTTPHeaders: { blobContentType: req.contentType },
                    ...(Object.keys(req.tags).length === 0 ? {} : { tags: { ...req.tags } }),
                    ...(req.lock === undefined ? {} : { immutabilityPolicy: immutabilityPolicy(req.lock) }),
                });
            } catch (err) {
                await Promise.allSettled([...inFlight]);
                const cause = failure ?? err;
                const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
                // Staged blocks that are never committed are not a blob; the service discards them after a
                // week. Azure Storage REST API, "Put Block" (remarks): https://learn.microsoft.com/en-us/rest/api/storageservices/put-block
                log.info("blob upload failed before its block list was committed: no blob was created", { key: req.key, blocksStaged: ids.length });
                throw new UploadFailedError(`upload of ${describe(req.key)} failed (${reason})`, false, { cause });
            }
        },
        get(key: string, signal?: AbortSignal): Promise<Readable> {
            return openBody(
                key,
                describe(key),
                async () => (await container.getBlobClient(key).download(0, undefined, signal === undefined ? {} : { abortSignal: signal })).readableStreamBody,
                (err) => err instanceof RestError && err.statusCode === 404,
            );
        },
        async list(prefix: string): Promise<StoredObject[]> {
            const objects: StoredObject[] = [];
            for await (const page of container.listBlobsFlat({ prefix }).byPage({ maxPageSize: pageSize })) {
                for (const b of page.segment.blobItems) {
                    objects.push({ key: b.name, sizeBytes: b.properties.contentLength ?? 0, lastModified: b.properties.lastModified });
                }
            }
            return objects;
        },
    };
}

/** The body cut into blocks of `size` bytes (the last one shorter); at most one block is held here. */
async function* blocks(body: Readable | Buffer | string, size: number): AsyncGenerator<Buffer> {
    if (!(body instanceof Readable)) {
        const all = Buffer.from(body);
        for (let at = 0; at < all.length; at += size) {
            yield all.subarray(at, at + size);
        }
        return;
    }
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    for await (const chunk of body) {
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
        pending.push(buf);
        pendingBytes += buf.length;
        while (pendingBytes >= size) {
            const joined = Buffer.concat(pending);
            yield joined.subarray(0, size);
            const rest = joined.subarray(size);
            pending = rest.length === 0 ? [] : [rest];
            pendingBytes = rest.length;
        }
    }
    if (pendingBytes > 0) {
        yield Buffer.concat(pending);
    }
}
