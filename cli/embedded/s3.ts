/**
 * A real S3-compatible HTTP server (s3rver) on loopback for tests, the drill and the benchmark.
 *
 * What s3rver 3.7 does and does not do, and what this harness adds:
 * - multipart uploads (CreateMultipartUpload, UploadPart, CompleteMultipartUpload): yes;
 * - object tagging (PutObjectTagging, GetObjectTagging): yes;
 * - SSE-KMS request headers: accepted and ignored (not stored, not echoed), so tests check that
 *   they are sent by recording requests with the faulty proxy in front;
 * - AbortMultipartUpload and ListMultipartUploads: missing in s3rver; this harness adds both on top
 *   of s3rver's own upload directory so the abort path runs end to end against an HTTP server;
 * - Listings (ListObjects and ListObjectsV2) are answered by this harness, from s3rver's store:
 *   s3rver lists keys in the order it walks its directories, where a key's objects below
 *   `x.dump/` come before `x.dump.manifest.json`, then drops every key up to the page's marker by
 *   string order, so past one page it skipped keys (a directory-format dump of more than 1,000
 *   files lost its manifest); its V1 NextMarker with a delimiter failed on a page of common
 *   prefixes only; and it encrypts V2's continuation token with DES, which OpenSSL 3 (Node 17 and
 *   later) disables. Here keys and common prefixes are listed together in UTF-8 byte order ("List
 *   results are always returned in UTF-8 binary order", Amazon S3 API Reference, ListObjectsV2),
 *   a page is what follows the marker, V1's NextMarker (with a delimiter) and V2's token are the
 *   page's last key or prefix, and the token is that, base64url-encoded with the bucket: opaque to
 *   clients, as on S3.
 */
import { CreateBucketCommand, ListMultipartUploadsCommand, S3Client } from "@aws-sdk/client-s3";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import S3rver from "s3rver";
import { freePort } from "./postgres";
import { localS3ClientConfig } from "./s3Client";

export { localS3ClientConfig } from "./s3Client";

export interface EmbeddedS3 {
    /** `http://127.0.0.1:<port>` */
    readonly endpoint: string;
    readonly port: number;
    /** Where s3rver keeps buckets and objects. */
    readonly directory: string;
    /** An S3Client for this server (or for `endpoint` given, e.g. a proxy in front of it). */
    client(options?: EmbeddedS3ClientOptions): S3Client;
    createBucket(name: string): Promise<void>;
    /** Multipart uploads started and neither completed nor aborted (via ListMultipartUploads). */
    pendingUploads(bucket: string): Promise<readonly { readonly key: string; readonly uploadId: string }[]>;
    /** Stops the server and removes its directory. Safe to call twice. */
    stop(): Promise<void>;
}

export interface EmbeddedS3ClientOptions {
    /** @default this server's endpoint */
    readonly endpoint?: string;
    /** @default 3 - attempts per request, retries included */
    readonly maxAttempts?: number;
}

const UPLOADS_DIR = "._S3rver_uploads";
const UPLOAD_ID = /^[0-9a-f]{32}$/;

function xmlEscape(s: string): string {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function errorXml(code: string, message: string): string {
    return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`;
}

/** AbortMultipartUpload and ListMultipartUploads over s3rver's upload directory layout. */
function multipartExtensions(directory: string): S3rver.Middleware {
    return async (ctx, next) => {
        const segments = ctx.path.split("/").filter((s) => s !== "");
        const bucket = segments[0] === undefined ? undefined : decodeURIComponent(segments[0]);
        if (bucket === undefined || bucket.includes("..") || bucket.includes("/")) {
            return next();
        }
        const uploadsDir = join(directory, bucket, UPLOADS_DIR);
        const uploadId = ctx.query.uploadId;
        if (ctx.method === "DELETE" && segments.length > 1 && typeof uploadId === "string") {
            if (!UPLOAD_ID.test(uploadId) || !existsSync(join(uploadsDir, uploadId))) {
                ctx.status = 404;
                ctx.type = "application/xml";
                ctx.body = errorXml("NoSuchUpload", "The specified upload does not exist.");
                return;
            }
            await rm(join(uploadsDir, uploadId), { recursive: true, force: true });
            ctx.status = 204;
            ctx.body = "";
            return;
        }
        if (ctx.method === "GET" && segments.length === 1 && "uploads" in ctx.query) {
            const ids = existsSync(uploadsDir) ? (await readdir(uploadsDir)).filter((id) => UPLOAD_ID.test(id)) : [];
            const uploads = await Promise.all(
                ids.map(async (id) => ({ id, key: await readFile(join(uploadsDir, id, "key"), "utf8").catch(() => "") })),
            );
            const items = uploads
                .map((u) => `<Upload><Key>${xmlEscape(u.key)}</Key><UploadId>${u.id}</UploadId></Upload>`)
                .join("");
            ctx.status = 200;
            ctx.type = "application/xml";
            ctx.body =
                `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult><Bucket>${xmlEscape(bucket)}</Bucket>` +
                `<IsTruncated>false</IsTruncated>${items}</ListMultipartUploadsResult>`;
            return;
        }
        return next();
    };
}

function continuationToken(bucket: string, lastKey: string): string {
    return Buffer.from(JSON.stringify({ bucket, after: lastKey }), "utf8").toString("base64url");
}

function keyAfterToken(token: string, bucket: string): string | undefined {
    try {
        const decoded: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
        if (typeof decoded === "object" && decoded !== null && "bucket" in decoded && "after" in decoded && decoded.bucket === bucket && typeof decoded.after === "string") {
            return decoded.after;
        }
    } catch {
        // not one of ours
    }
    return undefined;
}

/** The query parameters of a listing; a request with any other (a subresource: ?tagging, ?uploads, ...) goes on to s3rver. */
const LISTING_PARAMETERS = new Set(["list-type", "prefix", "delimiter", "max-keys", "marker", "start-after", "continuation-token", "fetch-owner", "encoding-type"]);

/** Answers ListObjects and ListObjectsV2 from s3rver's store, in S3's order (see the module comment). */
function listings(store: S3rverStore): S3rver.Middleware {
    const fail = (ctx: Parameters<S3rver.Middleware>[0], status: number, code: string, message: string): void => {
        ctx.status = status;
        ctx.type = "application/xml";
        ctx.body = errorXml(code, message);
    };
    return async (ctx, next) => {
        const segments = ctx.path.split("/").filter((s) => s !== "");
        if (ctx.method !== "GET" || segments.length !== 1 || segments[0] === undefined || Object.keys(ctx.query).some((k) => !LISTING_PARAMETERS.has(k))) {
            return next();
        }
        const bucket = decodeURIComponent(segments[0]);
        if ((await store.getBucket(bucket)) === null) {
            fail(ctx, 404, "NoSuchBucket", "The specified bucket does not exist");
            return;
        }
        const text = (k: string): string | undefined => (typeof ctx.query[k] === "string" ? (ctx.query[k] as string) : undefined);
        const maxKeysText = text("max-keys") ?? "1000";
        const maxKeys = /^\d+$/.test(maxKeysText) ? Math.min(1000, Number(maxKeysText)) : Number.NaN;
        if (!Number.isInteger(maxKeys)) {
            fail(ctx, 400, "InvalidArgument", "Provided max-keys not an integer or within integer range");
            return;
        }
        const v2 = text("list-type") === "2";
        const token = v2 ? text("continuation-token") : undefined;
        const startAfter = token !== undefined && token !== "" ? keyAfterToken(token, bucket) : v2 ? text("start-after") : text("marker");
        if (token !== undefined && token !== "" && startAfter === undefined) {
            fail(ctx, 400, "InvalidArgument", "The continuation token provided is incorrect");
            return;
        }
        const prefix = text("prefix") ?? "";
        const delimiter = text("delimiter") ?? "";
        const page = await listPage(store, bucket, { prefix, delimiter, startAfter: startAfter ?? "", maxKeys });
        const last = [...page.objects.map((o) => o.key), ...page.commonPrefixes].sort(byteOrder).pop();
        const owner = !v2 || text("fetch-owner") === "true" ? { ID: "123456789000", DisplayName: "S3rver" } : undefined;
        ctx.body = {
            ListBucketResult: {
                "@": { xmlns: "http://doc.s3.amazonaws.com/2006-03-01/" },
                Name: bucket,
                Prefix: prefix,
                ...(v2
                    ? {
                        StartAfter: token === undefined ? text("start-after") : undefined,
                        ContinuationToken: token,
                        NextContinuationToken: page.isTruncated && last !== undefined ? continuationToken(bucket, last) : undefined,
                        KeyCount: page.objects.length + page.commonPrefixes.length,
                    }
                    : { Marker: startAfter ?? "", NextMarker: delimiter !== "" && page.isTruncated ? last : undefined }),
                MaxKeys: maxKeysText,
                Delimiter: delimiter === "" ? undefined : delimiter,
                IsTruncated: page.isTruncated,
                Contents: page.objects.map((o) => ({
                    Key: o.key,
                    LastModified: new Date(o.metadata["last-modified"] ?? 0).toISOString(),
                    ETag: o.metadata["etag"],
                    Size: Number(o.metadata["content-length"] ?? 0),
                    Owner: owner,
                    StorageClass: "STANDARD",
                })),
                CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: p })),
            },
        };
    };
}

/** UTF-8 binary order, S3's order of keys. */
export function byteOrder(a: string, b: string): number {
    return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** What of s3rver's filesystem store (s3rver 3.7, lib/stores/filesystem.js) the listing uses. */
interface S3rverStore {
    getBucketPath(bucket: string): string;
    getBucket(bucket: string): Promise<unknown>;
    getMetadata(bucket: string, key: string): Promise<Record<string, string>>;
}

/** Where s3rver keeps an object's bytes: `<key>._S3rver_object` under the bucket's directory. */
const OBJECT_SUFFIX = "._S3rver_object";

async function storedKeys(dir: string, root: string): Promise<string[]> {
    const out: string[] = [];
    for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
            out.push(...(await storedKeys(path, root)));
        } else if (entry.name.endsWith(OBJECT_SUFFIX)) {
            out.push(relative(root, path).split(sep).join("/").slice(0, -OBJECT_SUFFIX.length));
        }
    }
    return out;
}

/** One page of a listing in S3's order: keys and common prefixes after `startAfter`, at most `maxKeys` of them together. */
async function listPage(
    store: S3rverStore,
    bucket: string,
    { prefix, delimiter, startAfter, maxKeys }: { readonly prefix: string; readonly delimiter: string; readonly startAfter: string; readonly maxKeys: number },
): Promise<{ objects: { key: string; metadata: Record<string, string> }[]; commonPrefixes: string[]; isTruncated: boolean }> {
    const root = store.getBucketPath(bucket);
    const entries = new Map<string, "object" | "prefix">();
    for (const key of await storedKeys(root, root)) {
        if (!key.startsWith(prefix)) {
            continue;
        }
        const at = delimiter === "" ? -1 : key.indexOf(delimiter, prefix.length);
        if (at === -1) {
            entries.set(key, "object");
        } else {
            entries.set(key.slice(0, at + delimiter.length), "prefix");
        }
    }
    const after = [...entries.keys()].filter((k) => byteOrder(k, startAfter) > 0).sort(byteOrder);
    const page = after.slice(0, maxKeys);
    const objects = await Promise.all(page.filter((k) => entries.get(k) === "object").map(async (key) => {
        const metadata = await store.getMetadata(bucket, key).catch((err: NodeJS.ErrnoException) => {
            if (err.code === "ENOENT") return undefined;
            throw err;
        });
        return metadata === undefined ? undefined : { key, metadata };
    }));
    return { objects: objects.filter((o) => o !== undefined), commonPrefixes: page.filter((k) => entries.get(k) === "prefix"), isTruncated: after.length > page.length };
}

/** Starts s3rver on 127.0.0.1 at a free port with a temp directory; on failure the directory is removed. */
export async function startS3(): Promise<EmbeddedS3> {
    const directory = await mkdtemp(join(tmpdir(), "pgbs-s3-"));
    try {
        const port = await freePort();
        const server = new S3rver({ address: "127.0.0.1", port, silent: true, directory });
        server.middleware.unshift(multipartExtensions(directory));
        // Right before s3rver's router, after its XML encoder: the listing is still an object here.
        server.middleware.splice(server.middleware.length - 1, 0, listings((server as unknown as { store: S3rverStore }).store));
        await server.run();
        const endpoint = `http://127.0.0.1:${port}`;
        const own = new S3Client(localS3ClientConfig(endpoint));
        let stopped = false;
        return {
            endpoint,
            port,
            directory,
            client(options: EmbeddedS3ClientOptions = {}): S3Client {
                return new S3Client(localS3ClientConfig(options.endpoint ?? endpoint, options.maxAttempts));
            },
            async createBucket(name: string): Promise<void> {
                await own.send(new CreateBucketCommand({ Bucket: name }));
            },
            async pendingUploads(bucket: string) {
                const out = await own.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
                return (out.Uploads ?? []).map((u) => ({ key: u.Key ?? "", uploadId: u.UploadId ?? "" }));
            },
            async stop(): Promise<void> {
                if (stopped) {
                    return;
                }
                stopped = true;
                own.destroy();
                try {
                    await server.close();
                } finally {
                    await rm(directory, { recursive: true, force: true });
                }
            },
        };
    } catch (err) {
        await rm(directory, { recursive: true, force: true });
        throw err;
    }
}
