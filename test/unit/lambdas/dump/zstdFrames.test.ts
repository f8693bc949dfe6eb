import { strict as assert } from "node:assert";
import { constants, zstdCompressSync } from "node:zlib";
import { ZstdFrameWalk } from "../../../../lambdas/dump/zstdFrames";

/** The walk's verdict on `data` fed in chunks of `chunk` bytes. */
function walk(data: Buffer, chunk: number): string | undefined {
    const w = new ZstdFrameWalk();
    for (let i = 0; i < data.length; i += chunk) w.write(data.subarray(i, i + chunk));
    return w.end();
}

describe("zstd frames walked as they stream (the decoder does not fail on data cut short)", () => {
    // blocks of every type: compressible text (compressed blocks), random bytes (raw blocks), a run (RLE)
    const random = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 2654435761) >>> 24));
    const data = Buffer.concat([Buffer.from("row\tvalue\n".repeat(30_000)), random, Buffer.alloc(300_000, 7)]);
    const withChecksum = zstdCompressSync(data, { params: { [constants.ZSTD_c_checksumFlag]: 1 } });
    const plain = zstdCompressSync(data);

    it("accepts whole streams in any chunking, with or without the checksum, and frames one after another", () => {
        for (const stream of [plain, withChecksum, Buffer.concat([plain, withChecksum]), zstdCompressSync(Buffer.alloc(0))]) {
            for (const chunk of [1, 7, 4096, stream.length]) {
                assert.equal(walk(stream, chunk), undefined, `${stream.length} bytes in chunks of ${chunk}`);
            }
        }
    });

    it("refuses a stream cut anywhere before its end, and one with no frame at all", () => {
        for (const stream of [plain, withChecksum]) {
            const cuts = [1, 4, 5, 6, 9, 100, Math.floor(stream.length / 3), stream.length - 5, stream.length - 4, stream.length - 1];
            for (const at of cuts) {
                assert.match(walk(stream.subarray(0, at), 4096) ?? "accepted", /ends inside a frame/, `cut at ${at} of ${stream.length}`);
            }
        }
        assert.match(walk(Buffer.alloc(0), 1) ?? "accepted", /holds no frame/);
        assert.match(walk(Buffer.from("not zstd at all"), 4) ?? "accepted", /no frame where one should start/);
    });

    it("walks a skippable frame and counts only data frames", () => {
        const skippable = Buffer.concat([Buffer.from([0x50, 0x2a, 0x4d, 0x18]), Buffer.from([3, 0, 0, 0]), Buffer.from("abc")]);
        assert.equal(walk(Buffer.concat([skippable, plain]), 5), undefined);
        assert.match(walk(skippable, 5) ?? "accepted", /holds no frame/);
    });
});
