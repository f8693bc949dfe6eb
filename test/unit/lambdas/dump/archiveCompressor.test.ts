import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { deflateSync, inflateSync } from "node:zlib";
import fc from "fast-check";
import type { ExitStatus } from "../../../../lambdas/dump/archive";
import { adler32, ArchiveCompressor, BLOCK_BYTES, intBytes, zlibFlg } from "../../../../lambdas/dump/archiveCompressor";
import { ArchiveRowReader } from "../../../../lambdas/dump/archiveRows";
import { InvalidArchiveError, PgDumpFailedError } from "../../../../lambdas/dump/errors";
import { Cursor, HeldBytes, readHeader } from "../../../../lambdas/dump/tocReader";
import type { TableCount } from "../../../../lambdas/shared/manifest";
import { archive, dataRuns, int, type ArchiveOptions, type Table } from "../../../helpers/customArchive";

const EXITED_0: ExitStatus = { code: 0, signal: null, stderr: "" };

/** Streams `bytes` through a compressor in pieces of `piece` bytes; its output and row counts. */
async function compress(bytes: Buffer, o: { piece?: number; parallel?: number; level?: number; exit?: ExitStatus } = {}): Promise<{ out: Buffer; tables: readonly TableCount[] }> {
    const compressor = new ArchiveCompressor({ level: o.level ?? 1, exit: Promise.resolve(o.exit ?? EXITED_0), ...(o.parallel === undefined ? {} : { parallel: o.parallel }) });
    const piece = o.piece ?? 65536;
    const pieces = function* (): Generator<Buffer> {
        for (let i = 0; i < bytes.length; i += piece) {
            yield bytes.subarray(i, i + piece);
        }
    };
    const out: Buffer[] = [];
    await pipeline(Readable.from(pieces()), compressor, new Writable({ write: (c: Buffer, _e, cb) => (out.push(c), cb()) }));
    return { out: Buffer.concat(out), tables: compressor.tables };
}

const expected = (tables: readonly Table[]): TableCount[] =>
    tables.map((t) => ({ schema: t.schema, name: t.name, rows: t.rows.length })).sort((a, b) => (a.schema === b.schema ? (a.name < b.name ? -1 : 1) : a.schema < b.schema ? -1 : 1));

/** About 2.5 blocks of COPY text in one table, so that a run spans several blocks compressed apart. */
const bigRows = Array.from({ length: 20_000 }, (_, i) => [String(i), randomBytes(48).toString("hex"), "x".repeat(i % 50)]);

const unfriendly: Table[] = [
    { schema: "public", name: "empty", rows: [] },
    { schema: 'Odd "Schema"', name: "tab\tand\nnewline", rows: [["a\nb", "c\td"], ["\\.", "\\"], ["", "\r\n"]] },
    { schema: "public", name: "one", rows: [["1"]] },
    { schema: "public", name: "big", rows: bigRows },
];

describe("compressing an uncompressed custom-format archive", () => {
    it("writes the archive pg_dump would have written with gzip: header, same table of contents, one zlib stream per data run", async () => {
        assert.ok(unfriendly[3] !== undefined && Buffer.byteLength(unfriendly[3].rows.map((r) => r.join("\t")).join("\n")) > 2 * BLOCK_BYTES);
        for (const minor of [14, 15, 16]) {
            for (const o of [{ minor, method: "none", chunk: 7, blobs: true }, { minor, method: "none", chunk: 100_000 }] satisfies ArchiveOptions[]) {
                // given pg_dump's uncompressed archive of unfriendly tables (one spanning several blocks) and a large object
                const plain = archive(unfriendly, o);
                for (const piece of [997, 65536, 1_000_000]) {
                    for (const parallel of [1, 3]) {
                        // when it streams through the compressor in pieces
                        const { out, tables } = await compress(plain, { piece, parallel, level: 6 });
                        // then the header says gzip (the level in 1.14, the algorithm in 1.15+), all else equal
                        const h = readHeader(new Cursor(out));
                        assert.equal(h.compression, "gzip");
                        const at = 11;
                        assert.deepEqual(out.subarray(at, at + (minor >= 15 ? 1 : 5)), minor >= 15 ? Buffer.from([1]) : int(6));
                        // and every run inflates (Adler-32 checked by zlib) to exactly the uncompressed bytes
                        assert.deepEqual(dataRuns(out), dataRuns(plain), `1.${minor} pieces ${piece} parallel ${parallel}`);
                        // and each table's rows are counted
                        assert.deepEqual(tables, expected(unfriendly));
                        // and the archive reads as a gzip archive with the same counts
                        const reader = new ArchiveRowReader();
                        await reader.push(out);
                        assert.deepEqual(await reader.finish(), expected(unfriendly));
                    }
                }
            }
        }
    });

    it("keeps every run's bytes and counts exact for any rows, chunking, pieces and parallelism (property)", async () => {
        await fc.assert(
            fc.asyncProperty(
                fc.array(fc.array(fc.array(fc.string({ unit: "binary", maxLength: 40 }), { minLength: 1, maxLength: 4 }), { maxLength: 30 }), { minLength: 1, maxLength: 4 }),
                fc.integer({ min: 1, max: 300 }),
                fc.integer({ min: 1, max: 500 }),
                fc.integer({ min: 1, max: 4 }),
                fc.boolean(),
                fc.boolean(),
                async (tableRows, chunk, piece, parallel, endMarker, blobs) => {
                    // given tables of random values in pg_dump's uncompressed archive
                    const tables = tableRows.map((rows, i) => ({ schema: "s", name: `t${i}`, rows }));
                    const plain = archive(tables, { method: "none", chunk, endMarker, blobs });
                    // when it is compressed
                    const { out, tables: counted } = await compress(plain, { piece, parallel });
                    // then nothing is lost or changed, and the counts are the numbers of rows
                    assert.deepEqual(dataRuns(out), dataRuns(plain));
                    assert.deepEqual(counted, expected(tables));
                },
            ),
            { numRuns: 150 },
        );
    });

    it("finds matches a whole 32 KiB window back, as pg_dump's zlib does: rows of similar 12 KB documents compress over 10:1", async () => {
        // given rows that each repeat the previous row's 12 KB document but for one field
        const doc = JSON.stringify(Array.from({ length: 150 }, (_, i) => ({ k: randomBytes(8).toString("hex"), v: randomBytes(24).toString("base64"), n: i })));
        const rows = Array.from({ length: 300 }, (_, i) => [String(i), doc.replace('"n":0', `"n":${i}`)]);
        const plain = archive([{ schema: "s", name: "docs", rows }], { method: "none", chunk: 100_000 });
        // when they are compressed
        const { out } = await compress(plain);
        // then the stored run is a small fraction of the text (a window shorter than a row finds nothing to reuse)
        const text = dataRuns(plain).get("10") as Buffer;
        const stored = dataRuns(out, true).get("10") as Buffer;
        assert.ok(text.length / stored.length > 10, `ratio ${(text.length / stored.length).toFixed(2)}`);
    });

    it("clears the data offsets pg_dump writes into a file it can seek in, since compression moves every block", async () => {
        // given the same archive written to a pipe (no offsets) and to a file (offsets set)
        const piped = await compress(archive(unfriendly, { method: "none" }));
        const filed = await compress(archive(unfriendly, { method: "none", offsets: true }));
        // then both compress to the same bytes: offsets "not set", so pg_restore looks blocks up by id
        assert.notDeepEqual(archive(unfriendly, { method: "none", offsets: true }), archive(unfriendly, { method: "none" }));
        assert.deepEqual(filed.out, piped.out);
    });

    it("reads no further ahead than the blocks it compresses at once while the upload takes nothing", async () => {
        // given 40 MiB of table data that hardly compresses, and an upload that never takes a byte
        const rows = Array.from({ length: 40 * 1024 }, () => [randomBytes(766).toString("base64")]);
        const plain = archive([{ schema: "s", name: "t", rows }], { method: "none", chunk: 64 * 1024 });
        let read = 0;
        const source = new Readable({
            read(): void {
                const piece = plain.subarray(read, read + 64 * 1024);
                read += piece.length;
                this.push(piece.length > 0 ? piece : null);
            },
        });
        const compressor = new ArchiveCompressor({ level: 1, exit: Promise.resolve(EXITED_0), parallel: 2 });
        const stuck = new Writable({ highWaterMark: 1, write: () => undefined });
        source.pipe(compressor).pipe(stuck);
        // when it has had time to read all it would
        await new Promise((resolve) => setTimeout(resolve, 1500));
        // then it has read a few blocks' worth, not the whole input
        assert.ok(read < 8 * BLOCK_BYTES, `read ${read} of ${plain.length} bytes`);
        source.destroy();
        compressor.destroy();
    });

    it("keeps 1,500 small tables apart: each its own stream and count, in order", async () => {
        // given many tables of a row or none each
        const tables = Array.from({ length: 1500 }, (_, i) => ({ schema: "many", name: `t${String(i).padStart(4, "0")}`, rows: i % 3 === 0 ? [] : [[String(i), "x"]] }));
        const plain = archive(tables, { method: "none" });
        // when they are compressed four blocks at a time
        const { out, tables: counted } = await compress(plain, { parallel: 4 });
        // then every run is intact and every count right
        assert.deepEqual(dataRuns(out), dataRuns(plain));
        assert.deepEqual(counted, expected(tables));
    });

    it("writes a whole zlib stream for a run without data, as pg_restore needs one to read", async () => {
        // given a table with no rows and no end-of-data line: no chunks at all
        const plain = archive([{ schema: "s", name: "empty", rows: [] }], { method: "none", endMarker: false });
        // when it is compressed
        const { out, tables } = await compress(plain);
        // then its run is zlib's stream of nothing, header to checksum
        assert.deepEqual([...dataRuns(out, true).values()], [Buffer.from([0x78, zlibFlg(1), 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])]);
        assert.equal(inflateSync(dataRuns(out, true).get("10") as Buffer).length, 0);
        assert.deepEqual(tables, [{ schema: "s", name: "empty", rows: 0 }]);
    });

    it("fails on an archive cut short anywhere, and names pg_dump's own failure when pg_dump failed", async () => {
        const plain = archive(unfriendly.slice(0, 3), { method: "none", chunk: 5, blobs: true });
        await fc.assert(
            fc.asyncProperty(fc.integer({ min: 0, max: plain.length - 1 }), async (cut) => {
                // when only the first `cut` bytes arrive and pg_dump exited 0
                // then the compressor refuses: an invalid archive, no counts
                await assert.rejects(compress(plain.subarray(0, cut), { piece: 97 }), (e: unknown) => e instanceof InvalidArchiveError && /ends inside|never came/.test(e.message));
            }),
            { numRuns: 200 },
        );
        // and when pg_dump failed, its failure is what is reported
        const failed = { code: 1, signal: null, stderr: "pg_dump: error: query failed" };
        await assert.rejects(compress(plain.subarray(0, plain.length - 10), { exit: failed }), (e: unknown) => e instanceof PgDumpFailedError && /exited with code 1.*query failed/.test(e.message));
    });

    it("refuses an archive already compressed, another format, an unknown block and a block for an entry the table of contents lacks", async () => {
        await assert.rejects(compress(archive(unfriendly, { method: "gzip" })), (e: unknown) => e instanceof InvalidArchiveError && /already compressed \(gzip\)/.test(e.message));
        await assert.rejects(compress(archive(unfriendly, { method: "none", format: 3 })), /archive format 3, expected 1 \(custom\)/);
        const head = archive([], { method: "none" });
        await assert.rejects(compress(Buffer.concat([head, Buffer.from([2]), int(1)])), /unknown data block type 2/);
        await assert.rejects(compress(Buffer.concat([head, Buffer.from([1]), int(77), int(0)])), /entry 77, which the table of contents does not have/);
        await assert.rejects(compress(Buffer.concat([head, Buffer.from([1]), int(1), int(-3)])), /negative chunk length -3/);
    });

    it("fails when table data does not end with a whole row", async () => {
        const plain = archive([{ schema: "s", name: "t", rows: [["a"]] }], { method: "none", endMarker: false });
        const cut = Buffer.concat([plain.subarray(0, plain.length - 2 * 5 - 2), int(1), Buffer.from("a"), int(0)]);
        await assert.rejects(compress(cut), /the data of TABLE DATA s\.t \(entry 10\): the data ends inside a row/);
    });

    it("refuses a level outside zlib's and a parallelism below one, before reading anything", () => {
        const exit = Promise.resolve(EXITED_0);
        assert.throws(() => new ArchiveCompressor({ level: 0, exit }), /level: 0 is not a zlib level \(1\.\.9\)/);
        assert.throws(() => new ArchiveCompressor({ level: 1, exit, parallel: 0 }), /parallel: 0 is not a positive integer/);
    });
});

describe("bytes held across reads", () => {
    it("tries a cut unit again only once the bytes held have doubled: a handful of tries for a 32 MiB unit read 64 KiB at a time", () => {
        // given a unit cut after its first 64 KiB, and a reader that finds it still cut at every try
        const held = new HeldBytes();
        const piece = Buffer.alloc(64 * 1024, 7);
        held.hold(piece);
        let tries = 0;
        let copied = 0;
        // when the rest of 32 MiB comes in 64 KiB reads
        for (let i = 1; i < 512; i++) {
            const now = held.add(piece);
            if (now !== undefined) {
                tries++;
                copied += now.length;
                held.hold(now);
            }
        }
        // then it was tried about log2(512) times, copying about twice the unit, not 512 times
        assert.ok(tries <= 10, `${tries} tries`);
        assert.ok(copied < 2 * 32 * 1024 * 1024, `${copied} bytes copied`);
        assert.equal(held.take().length, 512 * piece.length);
    });

    it("hands a read straight on when nothing is held", () => {
        const held = new HeldBytes();
        const read = Buffer.from("abc");
        assert.equal(held.add(read), read);
        assert.equal(held.size, 0);
    });
});

describe("the pieces of a zlib stream (RFC 1950)", () => {
    it("computes Adler-32 as zlib does, over any split of the bytes at any alignment", () => {
        fc.assert(
            fc.property(fc.uint8Array({ maxLength: 20_000 }), fc.array(fc.integer({ min: 1, max: 7000 }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 3 }), (bytes, cuts, offset) => {
                const backing = Buffer.alloc(bytes.length + offset);
                Buffer.from(bytes).copy(backing, offset);
                const data = backing.subarray(offset);
                const sums = { adlerA: 1, adlerB: 0 };
                let p = 0;
                for (let k = 0; p < data.length; k++) {
                    const n = cuts[k % cuts.length] as number;
                    adler32(sums, data.subarray(p, p + n));
                    p += n;
                }
                const z = deflateSync(data);
                assert.equal(((sums.adlerB << 16) | sums.adlerA) >>> 0, z.readUInt32BE(z.length - 4));
            }),
            { numRuns: 300 },
        );
        const ones = Buffer.alloc(3 * BLOCK_BYTES + 3, 0xff);
        const sums = { adlerA: 1, adlerB: 0 };
        adler32(sums, ones);
        const z = deflateSync(ones);
        assert.equal(((sums.adlerB << 16) | sums.adlerA) >>> 0, z.readUInt32BE(z.length - 4), "the largest byte values, many reductions");
    });

    it("writes a header zlib accepts at every level, and pg_dump's integers", () => {
        for (let level = 1; level <= 9; level++) {
            assert.equal((0x78 * 256 + zlibFlg(level)) % 31, 0, `level ${level}`);
        }
        assert.deepEqual(intBytes(300, 4), Buffer.from([0, 44, 1, 0, 0]));
        assert.deepEqual(intBytes(-1, 4), Buffer.from([1, 1, 0, 0, 0]));
    });
});
