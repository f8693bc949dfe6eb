import { strict as assert } from "node:assert";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { compressedFileEncoding, WholeStreamTap } from "../../../../lambdas/dump/copyRows";

/** Streams `data` in chunks of `chunk` bytes through a WholeStreamTap and returns the bytes it passed on. */
async function through(encoding: "gzip" | "zstd", data: Buffer, chunk = 4096): Promise<Buffer> {
    const out: Buffer[] = [];
    const chunks = Array.from({ length: Math.ceil(data.length / chunk) }, (_, i) => data.subarray(i * chunk, (i + 1) * chunk));
    await pipeline(Readable.from(chunks), new WholeStreamTap(encoding), new Writable({ write: (c: Buffer, _e, cb) => { out.push(c); cb(); } }));
    return Buffer.concat(out);
}

describe("a compressed file other than table data, proved whole on its way up", () => {
    // a large object's data: binary, and long enough to span many chunks
    const blob = Buffer.concat(Array.from({ length: 2000 }, (_, i) => Buffer.from(`${i.toString(16).padStart(8, "0")}\u0000\u00ff`.repeat(40), "latin1")));

    for (const [encoding, compress] of [["gzip", (b: Buffer) => gzipSync(b)], ["zstd", (b: Buffer) => zstdCompressSync(b)]] as const) {
        it(`${encoding}: passes a whole file on unchanged, and fails one cut short or corrupted`, async () => {
            const whole = compress(blob);
            // given the whole file, then the same cut anywhere before its end, then one byte changed
            assert.ok((await through(encoding, whole)).equals(whole));
            for (const at of [0, 10, Math.floor(whole.length / 2), whole.length - 1]) {
                await assert.rejects(through(encoding, whole.subarray(0, at)), /the data does not decompress/, `cut at ${at} of ${whole.length}`);
            }
            const corrupt = Buffer.from(whole);
            corrupt[Math.floor(corrupt.length / 2)] ^= 0xff;
            await assert.rejects(through(encoding, corrupt), /the data does not decompress/);
        });
    }

    it("knows such a file by its name's extension, and leaves the rest to their own checks", () => {
        const names = ["blob_16384.dat.gz", "blobs.toc.gz", "blob_1.dat.zst", "blob_1.dat", "blobs.toc", "blob_1.dat.lz4", "toc.dat"];
        assert.deepEqual(names.map(compressedFileEncoding), ["gzip", "gzip", "zstd", undefined, undefined, undefined, undefined]);
    });
});
