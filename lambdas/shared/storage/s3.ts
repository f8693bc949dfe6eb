/**
 * The S3 adapter of the storage port: multipart uploads with SSE-KMS, tags, Object Lock and
 * checksums through ../upload.ts (aborted on failure), GetObject, and ListObjectsV2 followed
 * page by page.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import type { Readable } from "node:stream";
import type { Log } from "../ports";
import { uploadObject } from "../upload";
import { openBody, type BackupStorage, type PutRequest, type StoredObject } from "./port";

export interface S3StorageOptions {
    readonly client: S3Client;
    readonly bucket: string;
    /** KMS key id, ARN or alias for SSE-KMS on every object; undefined sends no encryption headers (the bucket's default applies). */
    readonly kmsKeyId: string | undefined;
}

/** Pages followed before a listing is given up as endless. */
const MAX_LIST_PAGES = 10_000;

export function s3Storage(options: S3StorageOptions): BackupStorage {
    const { client, bucket, kmsKeyId } = options;
    const describe = (key: string): string => `s3://${bucket}/${key}`;
    return {
        container: bucket,
        location: `s3://${bucket}`,
        describe,
        put(req: PutRequest, log: Log): Promise<void> {
            return uploadObject(
                {
                    client,
                    bucket,
                    key: req.key,
                    body: req.body,
                    contentType: req.contentType,
                    kmsKeyId,
                    tags: req.tags,
                    ...(req.lock === undefined ? {} : { objectLock: req.lock }),
                    partSizeBytes: req.partSizeBytes,
                    queueSize: req.concurrency,
                },
                log,
            );
        },
        get(key: string, signal?: AbortSignal): Promise<Readable> {
            return openBody(
                key,
                describe(key),
                async () => (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), signal === undefined ? {} : { abortSignal: signal })).Body,
                (err) => err instanceof Error && (err.name === "NoSuchKey" || err.name === "NotFound"),
            );
        },
        async list(prefix: string): Promise<StoredObject[]> {
            const objects: StoredObject[] = [];
            let token: string | undefined;
            for (let page = 0; page < MAX_LIST_PAGES; page++) {
                const out = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
                for (const o of out.Contents ?? []) {
                    if (o.Key !== undefined) {
                        objects.push({ key: o.Key, sizeBytes: o.Size ?? 0, ...(o.LastModified === undefined ? {} : { lastModified: o.LastModified }) });
                    }
                }
                if (out.IsTruncated !== true || out.NextContinuationToken === undefined) {
                    return objects;
                }
                token = out.NextContinuationToken;
            }
            throw new Error(`listing s3://${bucket}/${prefix} did not end after ${MAX_LIST_PAGES} pages`);
        },
    };
}

/**
 * The storage a core was given: a storage adapter, or an S3 client for `bucket` (SSE-KMS with
 * `kmsKeyId`), which is the same as passing s3Storage({ client, bucket, kmsKeyId }).
 */
export type StorageDep = { readonly storage: BackupStorage } | { readonly s3: S3Client };

export function storageOf(dep: StorageDep, bucket: string, kmsKeyId: string | undefined): BackupStorage {
    return "storage" in dep ? dep.storage : s3Storage({ client: dep.s3, bucket, kmsKeyId });
}
