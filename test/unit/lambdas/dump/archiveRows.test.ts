import { strict as assert } from "node:assert";
import { deflateSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { ArchiveRowReader } from "../../../../lambdas/dump/archiveRows";
import { countsForTables } from "../../../../lambdas/dump/tables";
import { RowCountError } from "../../../../lambdas/dump/errors";
import { dataFileEncoding, RowCountingTap, rowsOf, TableRowCounter } from "../../../../lambdas/dump/copyRows";
import { readToc } from "../../../../lambdas/dump/tocReader";
import type { TableCount } from "../../../../lambdas/shared/manifest";
import { archive, copyLine, header, int, str, type ArchiveOptions, type Method, type Table } from "../../../helpers/customArchive";

/** Feeds `bytes` to a reader in pieces of `piece` bytes, waiting as asked. */
async function countArchive(bytes: Buffer, piece = 65536): Promise<TableCount[]> {
    const reader = new ArchiveRowReader();
    for (let i = 0; i < bytes.length; i += piece) {
        await reader.push(bytes.subarray(i, i + piece));
    }
    return reader.finish();
}

const expected = (tables: readonly Table[]): TableCount[] =>
    tables.map((t) => ({ schema: t.schema, name: t.name, rows: t.rows.length })).sort((a, b) => (a.schema === b.schema ? (a.name < b.name ? -1 : 1) : a.schema < b.schema ? -1 : 1));

const unfriendly: Table[] = [
    { schema: "public", name: "empty", rows: [] },
    { schema: "Odd \"Schema\"", name: "tab\tand\nnewline", rows: [["a\nb", "c\td"], ["\\.", "\\"], ["", "\r\n"]] },
    { schema: "public", name: "one", rows: [["1"]] },
    { schema: "public", name: "big", rows: Array.from({ length: 3000 }, (_, i) => [String(i), "x".repeat(i % 97)]) },
];

describe("row counts from a custom-format archive", () => {
    it("counts every table's rows for archive versions 1.14, 1.15 and 1.16, compressed or not, in any piece sizes", async () => {
        const cases: ArchiveOptions[] = [
            { minor: 14, method: "none", chunk: 7 },
            { minor: 14, method: "gzip", level: -1 },
            { minor: 14, method: "gzip", level: 1, chunk: 1 },
            { minor: 15, method: "gzip", level: 9 },
            { minor: 15, method: "zstd" },
            { minor: 16, method: "none" },
            { minor: 16, method: "gzip", level: 1, blobs: true },
            { minor: 16, method: "zstd", endMarker: false },
        ];
        for (const o of cases) {
            // given an archive of unfriendly tables
            const bytes = archive(unfriendly, o);
            for (const piece of [3, 4096, 65536]) {
                // when it streams past in pieces
                const counts = await countArchive(bytes, piece);
                // then every table has its exact row count
                assert.deepEqual(counts, expected(unfriendly), `${JSON.stringify(o)} in pieces of ${piece}`);
            }
        }
    });

    it("counts exactly for any row contents, chunking and compression (property)", async () => {
        await fc.assert(
            fc.asyncProperty(
                fc.array(fc.array(fc.array(fc.string({ unit: "binary", maxLength: 40 }), { minLength: 1, maxLength: 4 }), { maxLength: 30 }), { minLength: 1, maxLength: 4 }),
                fc.constantFrom<Method>("none", "gzip", "zstd"),
                fc.integer({ min: 1, max: 9 }),
                fc.integer({ min: 1, max: 300 }),
                fc.integer({ min: 1, max: 500 }),
                fc.boolean(),
                async (tableRows, method, level, chunk, piece, endMarker) => {
                    // given tables of random values (any characters, escapes and newlines included)
                    const tables = tableRows.map((rows, i) => ({ schema: "s", name: `t${i}`, rows }));
                    // when their archive streams past
                    const counts = await countArchive(archive(tables, { method, level, chunk, endMarker }), piece);
                    // then the counts are the numbers of rows
                    assert.deepEqual(counts, expected(tables));
                },
            ),
            { numRuns: 150 },
        );
    });

    it("fails on an archive cut short anywhere, never returning counts", async () => {
        // given a valid archive
        const bytes = archive(unfriendly, { method: "gzip", level: 1, chunk: 512 });
        assert.equal((await countArchive(bytes)).length, unfriendly.length);
        await fc.assert(
            fc.asyncProperty(fc.integer({ min: 0, max: bytes.length - 1 }), async (cut) => {
                // when only its first `cut` bytes arrive
                // then the reader refuses
                await assert.rejects(countArchive(bytes.subarray(0, cut)), /ends inside|never came|does not decompress|ends inside a row/);
            }),
            { numRuns: 200 },
        );
    });

    it("fails on corrupted compressed data, an unknown block type and a block for an entry the TOC lacks", async () => {
        // given an archive whose table data is compressed
        const bytes = archive([{ schema: "s", name: "t", rows: Array.from({ length: 500 }, (_, i) => [String(i)]) }], { method: "gzip", level: 1 });
        const dataStart = bytes.length - 200;
        // when a byte inside the compressed data is changed
        const corrupt = Buffer.from(bytes);
        corrupt[dataStart] = (corrupt[dataStart] as number) ^ 0xff;
        // then the reader refuses
        await assert.rejects(countArchive(corrupt), /the data of TABLE DATA s\.t \(entry 10\)/);
        // and a block type other than data or large objects is refused
        const head = archive([], { method: "none" });
        await assert.rejects(countArchive(Buffer.concat([head, Buffer.from([2]), int(1)])), /unknown data block type 2/);
        // and a block for an entry not in the table of contents is refused
        await assert.rejects(countArchive(Buffer.concat([head, Buffer.from([1]), int(77), int(0)])), /entry 77, which the table of contents does not have/);
    });

    it("refuses archive versions other than 1.14..1.16, another format, and lz4 data", async () => {
        await assert.rejects(countArchive(archive(unfriendly, { minor: 13 })), /archive version 1\.13 is not one whose rows can be counted/);
        await assert.rejects(countArchive(archive(unfriendly, { minor: 17 })), /archive version 1\.17/);
        await assert.rejects(countArchive(archive(unfriendly, { format: 3 })), /archive format 3, expected 1 \(custom\)/);
        await assert.rejects(countArchive(archive(unfriendly, { method: "lz4" })), /lz4-compressed/);
    });
});

describe("the manifest's counts", () => {
    it("gives every listed table its own rows plus its inheritance descendants', leaving unlisted tables out", () => {
        // given the rows pg_dump stored per table, an extension's configuration table among them
        const dumped = [
            { schema: "public", name: "parent", rows: 10 },
            { schema: "public", name: "child", rows: 20 },
            { schema: "other", name: "grandchild", rows: 40 },
            { schema: "ext", name: "config", rows: 3 },
        ];
        // when the listed tables are counted
        const counts = countsForTables(
            [
                { schema: "public", name: "parent", descendants: [{ schema: "public", name: "child" }, { schema: "other", name: "grandchild" }] },
                { schema: "public", name: "child", descendants: [{ schema: "other", name: "grandchild" }] },
                { schema: "other", name: "grandchild" },
            ],
            dumped,
        );
        // then each count is what count(*) on the table sees
        assert.deepEqual(counts.map((t) => t.rows), [70, 60, 40]);
    });

    it("fails when a listed table or one of its descendants has no data in the dump", () => {
        const dumped = [{ schema: "public", name: "parent", rows: 10 }];
        assert.throws(() => countsForTables([{ schema: "public", name: "gone" }], dumped), (e: unknown) => e instanceof RowCountError && /gone" has no data in the dump/.test(e.message));
        assert.throws(
            () => countsForTables([{ schema: "public", name: "parent", descendants: [{ schema: "public", name: "remote" }] }], dumped),
            /"remote" \(an inheritance descendant of "public"\."parent"\) has no data in the dump/,
        );
    });
});

describe("row counts of COPY text", () => {
    it("does not count the end-of-data line, and only at the start of a line", () => {
        const count = (text: string): number => {
            const b = Buffer.from(text);
            let newlines = 0;
            for (const ch of b) {
                newlines += ch === 0x0a ? 1 : 0;
            }
            return rowsOf(newlines, b.length, b.subarray(-8));
        };
        assert.equal(count(""), 0);
        assert.equal(count("\\.\n\n\n"), 0);
        assert.equal(count("a\n\\.\n\n\n"), 1);
        assert.equal(count("a\nb\n"), 2);
        assert.equal(count("\n\n"), 2, "rows of a table without columns are empty lines");
        assert.equal(count("a\\\\.\n"), 1, "a value ending in a backslash and a dot is a row");
        assert.throws(() => count("a\nb"), /ends inside a row/);
    });

    it("settles a full decompressor's wait when the table ends before the wait is taken", async () => {
        // given a table's data bigger than the decompressor's buffer, written in one go
        const data = deflateSync(Buffer.from(`${"x\n".repeat(3 * 1024 * 1024)}\\.\n\n\n`), { level: 0 });
        const counter = new TableRowCounter("zlib");
        const wait = counter.write(data);
        assert.notEqual(wait, undefined, "the write had to wait");
        // when the table ends first, as the archive reader ends it, then the wait settles and the rows are counted
        const rows = counter.end();
        await wait;
        assert.equal(await rows, 3 * 1024 * 1024);
    });

    it("counts a directory-format data file as it streams through, by its name's compression", async () => {
        // given a gzip data file
        const text = `${copyLine(["a\nb"])}${copyLine(["c"])}\\.\n\n\n`;
        const enc = dataFileEncoding("4242.dat.gz");
        assert.deepEqual(enc, { tocName: "4242.dat", encoding: "gzip" });
        assert.equal(dataFileEncoding("toc.dat"), undefined);
        assert.equal(dataFileEncoding("blob_16999.dat"), undefined);
        assert.equal(dataFileEncoding("4242.dat.lz4"), undefined);
        // when it passes through the tap
        const tap = new RowCountingTap("gzip");
        const out: Buffer[] = [];
        tap.on("data", (d: Buffer) => out.push(d));
        const gz = gzipSync(text);
        tap.end(gz);
        await new Promise((resolve) => tap.on("end", resolve));
        // then its bytes pass unchanged and its rows are counted
        assert.deepEqual(Buffer.concat(out), gz);
        assert.equal(tap.rows, 2);
    });

    it("reads a directory dump's toc.dat: the TABLE DATA entries and their file names", () => {
        const toc = Buffer.concat([
            header({ format: 3, minor: 14, method: "gzip" }),
            int(1),
            int(7),
            int(1),
            str("0"),
            str("1"),
            str("t"),
            str("TABLE DATA"),
            int(3),
            str(""),
            str(""),
            str("COPY"),
            str("s"),
            str(""),
            str("heap"),
            str("postgres"),
            str("false"),
            str(undefined),
            str("7.dat"),
        ]);
        const { header: h, entries } = readToc(toc);
        assert.equal(h.compression, "gzip");
        assert.deepEqual(
            entries.map((e) => [e.dumpId, e.desc, e.namespace, e.tag, e.fileName]),
            [[7, "TABLE DATA", "s", "t", "7.dat"]],
        );
        assert.throws(() => readToc(toc.subarray(0, toc.length - 3)), /cut short/);
    });
});
