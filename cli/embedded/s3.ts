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
 * - ListObjectsV2 past one page (1,000 keys): s3rver encrypts its continuation token with DES,
 *   which OpenSSL 3 (Node 17 and later) disables, so its second page is a 500. This harness answers
 *   V2 listings through s3rver's V1 listing (same store, same ordering, `marker` = the last key)
 *   with a token of its own: the last key, base64url-encoded with the bucket. Tokens stay opaque
 *   to clients, as on S3.
 * - Listing order: s3rver lists keys in the order it walks its directories, where a key's objects
 *   below `x.dump/` come before `x.dump.manifest.json`, and then drops every key up to the page's
 *   marker by string order; past one page that skipped keys (a directory-format dump of more than
 *   1,000 files lost its manifest). This harness lists as S3 does: every key in UTF-8 byte order
 *   ("List results are always returned in UTF-8 binary order", Amazon S3 API Reference,
 *   ListObjectsV2), keys and common prefixes together, then the page after the marker.
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

interface ListingBody {
    ListBucketResult: Record<string, unknown> & { Contents: { Key: string; Owner?: unknown }[]; CommonPrefixes: { Prefix: string }[]; IsTruncated: boolean };
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

/** ListObjectsV2 through s3rver's V1 listing, with this harness's continuation tokens (see the module comment). */
function listV2Pagination(): S3rver.Middleware {
    return async (ctx, next) => {
        const segments = ctx.path.split("/").filter((s) => s !== "");
        if (ctx.method !== "GET" || segments.length !== 1 || ctx.query["list-type"] !== "2" || segments[0] === undefined) {
            return next();
        }
        const bucket = decodeURIComponent(segments[0]);
        const { "list-type": _v2, "continuation-token": token, "start-after": startAfter, "fetch-owner": fetchOwner, ...rest } = ctx.query;
        let marker = typeof startAfter === "string" ? startAfter : undefined;
        if (typeof token === "string" && token !== "") {
            marker = keyAfterToken(token, bucket);
            if (marker === undefined) {
                ctx.status = 400;
                ctx.type = "application/xml";
                ctx.body = errorXml("InvalidArgument", "The continuation token provided is incorrect");
                return;
            }
        }
        ctx.query = { ...rest, ...(marker === undefined ? {} : { marker }) };
        await next();
        if (ctx.status !== 200 || typeof ctx.body !== "object" || ctx.body === null || !("ListBucketResult" in ctx.body)) {
            return;
        }
        const { Marker: _marker, NextMarker: _next, ...result } = (ctx.body as ListingBody).ListBucketResult;
        const contents = result.Contents.map((c) => (fetchOwner === "true" ? c : { ...c, Owner: undefined }));
        const last = [...contents.map((c) => c.Key), ...result.CommonPrefixes.map((p) => p.Prefix)].sort(byteOrder).pop();
        ctx.body = {
            ListBucketResult: {
                ...result,
                Contents: contents,
                StartAfter: typeof token === "string" ? undefined : startAfter,
                ContinuationToken: token,
                NextContinuationToken: result.IsTruncated && last !== undefined ? continuationToken(bucket, last) : undefined,
                KeyCount: contents.length + result.CommonPrefixes.length,
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
    getMetadata(bucket: string, key: string): Promise<Record<string, string>>;
    listObjects(bucket: string, options: ListOptions): Promise<ListResult>;
}

interface ListOptions {
    readonly delimiter?: string;
    readonly startAfter?: string;
    readonly prefix?: string;
    readonly maxKeys?: number;
}

interface ListResult {
    readonly objects: unknown[];
    readonly commonPrefixes: string[];
    readonly isTruncated: boolean;
}

/** s3rver's object model, which its listing controller renders. */
type S3rverObject = new (bucket: string, key: string, content: null, metadata: Record<string, string>) => unknown;

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

/** s3rver's store listing every key in S3's order, keys and common prefixes paged together (see the module comment). */
function listInByteOrder(store: S3rverStore, S3Object: S3rverObject): S3rverStore["listObjects"] {
    return async (bucket, { delimiter = "", startAfter = "", prefix = "", maxKeys = Number.POSITIVE_INFINITY }) => {
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
            return metadata === undefined ? undefined : new S3Object(bucket, key, null, metadata);
        }));
        return { objects: objects.filter((o) => o !== undefined), commonPrefixes: page.filter((k) => entries.get(k) === "prefix"), isTruncated: after.length > page.length };
    };
}

/** Starts s3rver on 127.0.0.1 at a free port with a temp directory; on failure the directory is removed. */
export async function startS3(): Promise<EmbeddedS3> {
    const directory = await mkdtemp(join(tmpdir(), "pgbs-s3-"));
    try {
        const port = await freePort();
        const server = new S3rver({ address: "127.0.0.1", port, silent: true, directory });
        const store = (server as unknown as { store: S3rverStore }).store;
        store.listObjects = listInByteOrder(store, require("s3rver/lib/models/object") as S3rverObject);
        server.middleware.unshift(multipartExtensions(directory));
        // Right before s3rver's router, after its XML encoder: the listing is still an object here.
        server.middleware.splice(server.middleware.length - 1, 0, listV2Pagination());
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
