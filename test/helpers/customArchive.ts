/**
 * A test-side writer and reader of pg_dump custom-format archives, after pg_backup_archiver.c's
 * WriteHead/WriteToc and pg_backup_custom.c's data blocks.
 */
import { deflateSync, inflateSync, zstdCompressSync } from "node:zlib";
import { Cursor, readHeader, readTocCount, readTocEntry } from "../../lambdas/dump/tocReader";

export const INT_SIZE = 4;
export const OFF_SIZE = 8;

export function int(n: number): Buffer {
    const b = Buffer.alloc(1 + INT_SIZE);
    b[0] = n < 0 ? 1 : 0;
    b.writeUInt32LE(Math.abs(n), 1);
    return b;
}

export function str(s: string | undefined): Buffer {
    if (s === undefined) {
        return int(-1);
    }
    const body = Buffer.from(s, "utf8");
    return Buffer.concat([int(body.length), body]);
}

export type Method = "none" | "gzip" | "zstd" | "lz4";

export interface Table {
    readonly schema: string;
    readonly name: string;
    readonly rows: readonly string[][];
}

export interface ArchiveOptions {
    readonly minor?: number;
    readonly format?: number;
    readonly method?: Method;
    readonly level?: number;
    /** Bytes per data chunk; pg_dump's chunks are its compressor's output pieces, or one row when uncompressed. */
    readonly chunk?: number;
    /** Write the end-of-data line pg_dump up to 17 adds. @default true */
    readonly endMarker?: boolean;
    /** Add a large-objects block (its data is skipped). @default false */
    readonly blobs?: boolean;
    /** Data entries carry the offsets pg_dump writes when its output is a file it can seek in. @default false */
    readonly offsets?: boolean;
}

/** COPY text of one row: tab-separated values, with backslash, newline, carriage return and tab escaped. */
export function copyLine(values: readonly string[]): string {
    return `${values.map((v) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t")).join("\t")}\n`;
}

export function header(o: ArchiveOptions): Buffer {
    const minor = o.minor ?? 16;
    const method = o.method ?? "gzip";
    const compression = minor >= 15 ? Buffer.from([["none", "gzip", "lz4", "zstd"].indexOf(method)]) : int(method === "none" ? 0 : (o.level ?? -1));
    return Buffer.concat([
        Buffer.from("PGDMP"),
        Buffer.from([1, minor, 0, INT_SIZE, OFF_SIZE, o.format ?? 1]),
        compression,
        ...[0, 0, 12, 1, 0, 126, 0].map(int),
        str("app"),
        str("15.18"),
        str("15.18"),
    ]);
}

export function tocEntry(o: ArchiveOptions, id: number, desc: string, namespace: string | undefined, tag: string, hasData: boolean): Buffer {
    return Buffer.concat([
        int(id),
        int(hasData ? 1 : 0),
        str("0"),
        str(String(16000 + id)),
        str(tag),
        str(desc),
        int(3),
        str(""),
        str(""),
        str(hasData ? `COPY x FROM stdin;\n` : ""),
        str(namespace),
        str(""),
        str("heap"),
        ...((o.minor ?? 16) >= 16 ? [int(114)] : []),
        str("postgres"),
        str("false"),
        str("1"),
        str(undefined),
        Buffer.from([hasData ? (o.offsets === true ? 2 : 1) : 3]),
        o.offsets === true && hasData ? Buffer.from([id, 1, 0, 0, 0, 0, 0, 0]) : Buffer.alloc(OFF_SIZE),
    ]);
}

export function compress(data: Buffer, o: ArchiveOptions): Buffer {
    const method = o.method ?? "gzip";
    if (method === "none") {
        return data;
    }
    if (method === "zstd") {
        return zstdCompressSync(data);
    }
    return deflateSync(data, { level: o.level === undefined || o.level < 0 ? 6 : o.level });
}

export function chunks(data: Buffer, size: number): Buffer[] {
    const out: Buffer[] = [];
    for (let i = 0; i < data.length; i += size) {
        const piece = data.subarray(i, i + size);
        out.push(int(piece.length), piece);
    }
    out.push(int(0));
    return out;
}

/** A custom-format archive of `tables` (dump ids from 10), with a schema-only entry and a sequence among them. */
export function archive(tables: readonly Table[], o: ArchiveOptions = {}): Buffer {
    const entries: Buffer[] = [tocEntry(o, 1, "SCHEMA", undefined, "odd schema", false), tocEntry(o, 2, "SEQUENCE SET", "public", "s", false)];
    const blocks: Buffer[] = [];
    tables.forEach((t, i) => {
        const id = 10 + i;
        entries.push(tocEntry(o, id, "TABLE DATA", t.schema, t.name, true));
        const text = t.rows.map(copyLine).join("") + (o.endMarker === false ? "" : "\\.\n\n\n");
        blocks.push(Buffer.from([1]), int(id), Buffer.concat(chunks(compress(Buffer.from(text, "utf8"), o), o.chunk ?? 4096)));
    });
    if (o.blobs === true) {
        entries.push(tocEntry(o, 5, "BLOBS", undefined, "BLOBS", true));
        blocks.push(Buffer.from([3]), int(5), int(16999), ...chunks(compress(Buffer.from("\n\n\nnot rows\n"), o), 3), int(0));
    }
    return Buffer.concat([header(o), int(entries.length), ...entries, ...blocks]);
}

/** Each data run of an archive (a table's data, or one large object) by dump id, decompressed when the header says so unless `stored`. */
export function dataRuns(bytes: Buffer, stored = false): Map<string, Buffer> {
    const c = new Cursor(bytes);
    const h = readHeader(c);
    const n = readTocCount(c, h);
    for (let k = 0; k < n; k++) {
        readTocEntry(c, h);
    }
    const runs = new Map<string, Buffer>();
    const readRun = (name: string): void => {
        const parts: Buffer[] = [];
        for (let len = c.int(h.intSize); len !== 0; len = c.int(h.intSize)) {
            parts.push(c.bytes(len));
        }
        const run = Buffer.concat(parts);
        runs.set(name, h.compression === "gzip" && !stored ? inflateSync(run) : run);
    };
    while (c.pos < bytes.length) {
        const type = c.byte();
        const id = c.int(h.intSize);
        if (type === 3) {
            for (let oid = c.int(h.intSize); oid !== 0; oid = c.int(h.intSize)) {
                readRun(`${id}/${oid}`);
            }
        } else {
            readRun(String(id));
        }
    }
    return runs;
}
