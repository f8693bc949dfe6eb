import { strict as assert } from "node:assert";
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { GetObjectCommand, GetObjectTaggingCommand, type S3Client } from "@aws-sdk/client-s3";
import { MIN_PART_SIZE, UploadFailedError, uploadObject, type UploadRequest } from "../../../../lambdas/shared/upload";
import { startS3, type EmbeddedS3 } from "../../../helpers/embedded";
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

    it("aborts the multipart upload, after the parts in flight end, when a part keeps failing", async () => {
        // given S3 that refuses part 3 every time
        let refused = 0;
        const client = onCommand(s3.client({ maxAttempts: 2 }), "UploadPartCommand", async (input, send) => {
            if (input.PartNumber === 3) {
                refused++;
                throw Object.assign(new Error("part 3 refused"), { name: "InternalError", $fault: "server" });
            }
            return send();
        });
        // when a body of 6 parts is uploaded
        const err = await uploadObject(request(client, "refused.bin", chunked(randomBytes(6 * PART)), 2), new RecordingLog()).then(
            () => undefined,
            (e: unknown) => e,
        );
        // then it fails naming the object and the cause, and nothing is left behind
        assert.ok(err instanceof UploadFailedError, String(err));
        assert.match(err.message, /upload of s3:\/\/upload-pool\/refused\.bin failed \(.*part 3 refused\)/);
        assert.equal(err.abortFailed, false);
        assert.ok(refused >= 1);
        assert.deepEqual(await s3.pendingUploads(BUCKET), []);
        await assert.rejects(stored("refused.bin"), /NoSuchKey|not exist/);
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
        const client = onCommand(s3.client(), "CreateMultipartUploadCommand", () => Promise.reject(new Error("nothing may be sent")));
        await assert.rejects(uploadObject({ ...request(client, "x", "x", 2), partSizeBytes: PART - 1 }, new RecordingLog()), /part size: 5242879 bytes is out of range 5242880\.\./);
        await assert.rejects(uploadObject(request(client, "x", "x", 0), new RecordingLog()), /upload concurrency: 0 is not a positive integer/);
    });
});
