import { strict as assert } from "node:assert";
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { GetObjectCommand, GetObjectTaggingCommand, type S3Client } from "@aws-sdk/client-s3";
import { crc32Base64, MIN_PART_SIZE, UploadFailedError, uploadObject, type UploadRequest } from "../../../../lambdas/shared/upload";
import { startFaultyProxy, startS3, uploadPartRequests, type EmbeddedS3 } from "../../../helpers/embedded";
import { RecordingLog } from "../../../helpers/recorders";

const BUCKET = "upload-pool";
const PART = MIN_PART_SIZE;

/** Runs `around` for every request of the named command the client sends. */
function onCommand(client: S3Client, command: string, around: (input: Record<string, unknown>, send: () => Promise<unknown>) => Promise<unknown>): S3Client {
    client.middlewareStack.add(
        (next, context) => async (args) => {
            if (context.commandName !== command) {
                return next(args);
            }
            return (await around(args.input as Record<string, unknown>, () => next(args))) as Awaited<ReturnType<typeof next>>;
        },
        { step: "initialize", name: `around-${command}` },
    );
    return client;
}

/** `data` in chunks of varying sizes (1 byte to 300 KiB), counting what the reader has taken; at its end it fails with `failure` if given. */
function chunked(data: Buffer, seed = 7, failure?: Error): Readable & { taken: () => number } {
    let at = 0;
    let x = seed;
    const stream = new Readable({
        highWaterMark: 64 * 1024,
        read() {
            if (at >= data.length) {
                if (failure === undefined) {
                    this.push(null);
                } else {
                    this.destroy(failure);
                }
                return;
            }
            x = (x * 1103515245 + 12345) % 2 ** 31;
            const n = 1 + (x % (300 * 1024));
            this.push(data.subarray(at, at + n));
            at += n;
        },
    });
    return Object.assign(stream, { taken: () => at });
}

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

describe("multipart upload in reused part buffers (s3rver)", function () {
    this.timeout(120_000);
    let s3: EmbeddedS3;

    before(async () => {
        s3 = await startS3();
        await s3.createBucket(BUCKET);
    });
    after(async () => {
        await s3?.stop();
    });

    const request = (client: S3Client, key: string, body: UploadRequest["body"], queueSize: number): UploadRequest => ({
        client,
        bucket: BUCKET,
        key,
        body,
        contentType: "application/octet-stream",
        kmsKeyId: undefined,
        tags: { tier: "daily" },
        partSizeBytes: PART,
        queueSize,
    });

    const stored = async (key: string): Promise<Buffer> =>
        Buffer.from((await (await s3.client().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body?.transformToByteArray()) ?? []);

    it("stores exactly the bytes streamed, in order, whatever the chunking and the parts in flight", async () => {
        // given 4.4 parts of random bytes, streamed in irregular chunks
        const data = randomBytes(Math.round(4.4 * PART));
        for (const queueSize of [1, 2, 3]) {
            // when each is uploaded with 1, 2 and 3 parts in flight (the buffers reused from part to part)
            const key = `exact-${queueSize}.bin`;
            await uploadObject(request(s3.client(), key, chunked(data, queueSize), queueSize), new RecordingLog());
            // then the stored object is byte for byte the input, and tagged
            assert.equal(sha(await stored(key)), sha(data), `queueSize ${queueSize}`);
            const tags = await s3.client().send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: key }));
            assert.deepEqual(tags.TagSet, [{ Key: "tier", Value: "daily" }]);
        }
    });

    it("stores bodies of no bytes, exactly one part, and a Buffer or string larger than a part", async () => {
        const onePart = randomBytes(PART);
        const buffer = randomBytes(PART + 123);
        const text = "x".repeat(PART + 5);
        const cases: [string, () => UploadRequest["body"], Buffer][] = [
            ["empty", () => Readable.from([]), Buffer.alloc(0)],
            ["one-part", () => chunked(onePart), onePart],
            ["buffer", () => buffer, buffer],
            ["string", () => text, Buffer.from(text)],
        ];
        for (const [name, body, expected] of cases) {
            await uploadObject(request(s3.client(), `${name}.bin`, body(), 2), new RecordingLog());
            assert.equal(sha(await stored(`${name}.bin`)), sha(expected), name);
        }
    });

    it("holds at most queueSize + 1 parts: it reads no further while every part buffer waits on S3", async () => {
        // given S3 that holds every part until released, and a body of 10 parts
        const data = randomBytes(10 * PART);
        const body = chunked(data);
        const held: (() => void)[] = [];
        let inFlight = 0;
        let maxInFlight = 0;
        const client = onCommand(s3.client(), "UploadPartCommand", async (_input, send) => {
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            await new Promise<void>((resolve) => held.push(resolve));
            try {
                return await send();
            } finally {
                inFlight--;
            }
        });
        // when it is uploaded with 2 parts in flight
        const done = uploadObject(request(client, "bounded.bin", body, 2), new RecordingLog());
        while (held.length < 2) {
            await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await new Promise((resolve) => setTimeout(resolve, 300));
        // then with 2 parts held, it has read the 2 parts, filled the third buffer, and no more
        // (beyond one chunk of the body and the stream's own 64 KiB buffer)
        assert.ok(body.taken() <= 3 * PART + 300 * 1024 + 64 * 1024, `read ${body.taken()} bytes while 2 parts of ${PART} were held`);
        assert.ok(body.taken() >= 3 * PART - 1, `read only ${body.taken()} bytes`);
        const release = setInterval(() => held.splice(0).forEach((r) => r()), 10);
        try {
            await done;
        } finally {
            clearInterval(release);
        }
        assert.equal(maxInFlight, 2);
        assert.equal(sha(await stored("bounded.bin")), sha(data));
    });

    it("lets go of every chunk once it is copied into a part: nothing read stays reachable while the upload goes on", async () => {
        // given a body of 8 parts in fresh 64 KiB chunks, with a weak reference to each chunk of the first part
        setFlagsFromString("--expose-gc");
        const gc = runInNewContext("gc") as () => void;
        const CHUNK = 64 * 1024;
        const firstPart: WeakRef<Buffer>[] = [];
        let made = 0;
        const body = new Readable({
            read() {
                if (made === (8 * PART) / CHUNK) {
                    this.push(null);
                    return;
                }
                const chunk = Buffer.alloc(CHUNK, made % 251);
                if (made < PART / CHUNK) {
                    firstPart.push(new WeakRef(chunk));
                }
                made++;
                this.push(chunk);
            },
        });
        // when part 6 is sent, the first part's chunks are looked at after a full collection
        let alive: number | undefined;
        const client = onCommand(s3.client(), "UploadPartCommand", async (input, send) => {
            if (input.PartNumber === 6) {
                await new Promise((resolve) => setImmediate(resolve));
                gc();
                alive = firstPart.filter((r) => r.deref() !== undefined).length;
            }
            return send();
        });
        await uploadObject(request(client, "released.bin", body, 2), new RecordingLog());
        // then none of them is still held (a chunk kept by the upload would keep the whole dump in memory)
        assert.equal(firstPart.length, PART / CHUNK);
        assert.equal(alive, 0, `${String(alive)} of ${firstPart.length} chunks of part 1 still reachable at part 6`);
    });

    it("aborts the multipart upload only after the parts in flight end, when a part keeps failing through the client's retries", async () => {
        // given S3 (behind a proxy) answering 500 to every attempt at part 3, and a part 2 that takes 600 ms
        const proxy = await startFaultyProxy(s3.endpoint, { kind: "status", status: 500, times: "always", match: (r) => uploadPartRequests(r) && r.query.get("partNumber") === "3" });
        const events: string[] = [];
        try {
            const client = onCommand(s3.client({ endpoint: proxy.endpoint, maxAttempts: 2 }), "UploadPartCommand", async (input, send) => {
                if (input.PartNumber === 2) {
                    await new Promise((resolve) => setTimeout(resolve, 600));
                }
                try {
                    return await send();
                } finally {
                    events.push(`part ${String(input.PartNumber)} ended`);
                }
            });
            onCommand(client, "AbortMultipartUploadCommand", async (_input, send) => {
                events.push("abort");
                return send();
            });
            // when a body of 6 parts is uploaded with 2 parts in flight
            const err = await uploadObject(request(client, "refused.bin", chunked(randomBytes(6 * PART)), 2), new RecordingLog()).then(
                () => undefined,
                (e: unknown) => e,
            );
            // then the client retried part 3 before giving up, and the upload failed naming the object
            assert.ok(err instanceof UploadFailedError, String(err));
            assert.match(err.message, /upload of s3:\/\/upload-pool\/refused\.bin failed \(InternalError/);
            assert.equal(err.abortFailed, false);
            assert.equal(proxy.injected, 2, "both attempts at part 3 were refused");
            // and the abort came after part 2, in flight meanwhile, had ended, and nothing is left behind
            assert.ok(events.indexOf("abort") > events.indexOf("part 2 ended"), events.join(", "));
            assert.equal(events.at(-1), "abort", events.join(", "));
            assert.deepEqual(await s3.pendingUploads(BUCKET), []);
            await assert.rejects(stored("refused.bin"), /NoSuchKey|not exist/);
        } finally {
            await proxy.stop();
        }
    });

    it("stops at once when a part fails while the body is slow to give the next bytes", async () => {
        // given a body that gives two parts and then nothing more for a minute, and S3 refusing part 1
        const data = randomBytes(2 * PART);
        let given = false;
        const stalled = new Readable({
            read() {
                if (!given) {
                    given = true;
                    this.push(data);
                }
            },
        });
        const proxy = await startFaultyProxy(s3.endpoint, { kind: "status", status: 500, times: "always", match: (r) => uploadPartRequests(r) && r.query.get("partNumber") === "1" });
        try {
            const started = Date.now();
            // when it is uploaded
            const err = await uploadObject(request(s3.client({ endpoint: proxy.endpoint, maxAttempts: 1 }), "stalled.bin", stalled, 2), new RecordingLog()).then(
                () => undefined,
                (e: unknown) => e,
            );
            // then the upload fails with the part's error without waiting for the body, which is closed
            assert.ok(err instanceof UploadFailedError, String(err));
            assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
            assert.equal(stalled.destroyed, true);
            assert.deepEqual(await s3.pendingUploads(BUCKET), []);
        } finally {
            await proxy.stop();
        }
    });

    it("lists every part's CRC32, computed from the bytes sent, in CompleteMultipartUpload, and tags the object at creation", async () => {
        // given 2.5 parts of data, through a recording proxy
        const data = randomBytes(Math.round(2.5 * PART));
        const proxy = await startFaultyProxy(s3.endpoint);
        let completed: { PartNumber?: number; ChecksumCRC32?: string }[] = [];
        try {
            const client = onCommand(s3.client({ endpoint: proxy.endpoint }), "CompleteMultipartUploadCommand", async (input, send) => {
                completed = ((input.MultipartUpload as { Parts?: typeof completed } | undefined)?.Parts ?? []).map((p) => ({ ...p }));
                return send();
            });
            // when uploaded
            await uploadObject(request(client, "crc.bin", chunked(data), 2), new RecordingLog());
            // then each part's checksum is S3's CRC32 (big-endian, base64) of exactly that part's bytes
            assert.deepEqual(
                completed.map((p) => [p.PartNumber, p.ChecksumCRC32]),
                [0, 1, 2].map((i) => [i + 1, crc32Base64(data.subarray(i * PART, Math.min(data.length, (i + 1) * PART)))]),
            );
            // and each UploadPart carried that checksum, and CreateMultipartUpload the tags and the algorithm
            const parts = proxy.requests.filter(uploadPartRequests);
            assert.deepEqual(parts.map((r) => r.headers["x-amz-checksum-crc32"]), completed.map((p) => p.ChecksumCRC32));
            const create = proxy.requests.find((r) => r.method === "POST" && r.query.has("uploads"));
            assert.equal(create?.headers["x-amz-tagging"], "tier=daily");
            assert.equal(String(create?.headers["x-amz-checksum-algorithm"]).toUpperCase(), "CRC32");
            assert.equal(sha(await stored("crc.bin")), sha(data));
        } finally {
            await proxy.stop();
        }
        // and the encoding on the well-known check value: the CRC32 of "The quick brown fox jumps over the lazy dog" is 0x414fa339
        assert.equal(crc32Base64(Buffer.from("The quick brown fox jumps over the lazy dog")), Buffer.from("414fa339", "hex").toString("base64"));
    });

    it("reports an object stored but not tagged again as such, not as an aborted upload", async () => {
        // given S3 refusing PutObjectTagging
        const client = onCommand(s3.client({ maxAttempts: 1 }), "PutObjectTaggingCommand", () => Promise.reject(Object.assign(new Error("tagging denied"), { name: "AccessDenied" })));
        const data = randomBytes(PART + 10);
        // when a body of two parts is uploaded
        const err = await uploadObject(request(client, "untagged.bin", chunked(data), 2), new RecordingLog()).then(
            () => undefined,
            (e: unknown) => e,
        );
        // then it fails saying the object was stored, and the object is there, whole
        assert.ok(err instanceof UploadFailedError, String(err));
        assert.match(err.message, /s3:\/\/upload-pool\/untagged\.bin was stored, with the tags sent at its creation, but setting its tags again failed \(AccessDenied: tagging denied\)/);
        assert.equal(err.abortFailed, false);
        assert.equal(sha(await stored("untagged.bin")), sha(data));
    });

    it("aborts the multipart upload when the body fails, with the body's error as the cause", async () => {
        // given a body that fails after 2.5 parts
        const boom = new Error("pg_dump went away");
        const failing = chunked(randomBytes(Math.round(2.5 * PART)), 7, boom);
        const err = await uploadObject(request(s3.client(), "cut.bin", failing, 2), new RecordingLog()).then(
            () => undefined,
            (e: unknown) => e,
        );
        assert.ok(err instanceof UploadFailedError, String(err));
        assert.equal(err.cause, boom);
        assert.deepEqual(await s3.pendingUploads(BUCKET), []);
        await assert.rejects(stored("cut.bin"), /NoSuchKey|not exist/);
    });

    it("refuses a part size or concurrency out of range before sending anything", async () => {
        const sent: string[] = [];
        const client = s3.client();
        client.middlewareStack.add(
            (next, context) => async (args) => {
                sent.push(String(context.commandName));
                return next(args);
            },
            { step: "initialize", name: "record-every-command" },
        );
        await assert.rejects(uploadObject({ ...request(client, "x", chunked(randomBytes(10)), 2), partSizeBytes: PART - 1 }, new RecordingLog()), /part size: 5242879 bytes is out of range 5242880\.\./);
        await assert.rejects(uploadObject(request(client, "x", chunked(randomBytes(10)), 0), new RecordingLog()), /upload concurrency: 0 is not a positive integer/);
        assert.deepEqual(sent, []);
    });
});
