/**
 * Counts the rows of one table's data as pg_dump stores it: COPY text, one line per row, each
 * ending with "\n" (a newline inside a value is written as the two characters "\n", so a raw
 * newline always ends a row), optionally compressed. pg_dump up to 17 ends every table's data
 * with the end-of-data line "\." followed by two empty lines; a row can never be that line, since
 * COPY writes a backslash in a value as "\\". The count is exact or it fails: data that does not
 * end with a newline, or that does not decompress, is an error, never a guess.
 */
import { Transform, type TransformCallback } from "node:stream";
import { createGunzip, createInflate, createZstdDecompress, type Gunzip, type Inflate, type ZstdDecompress } from "node:zlib";
import { ZstdFrameWalk } from "./zstdFrames";

/** How a table's data is compressed: raw, a zlib stream (custom format), a gzip file (directory format), or zstd. */
export type DataEncoding = "none" | "zlib" | "gzip" | "zstd";

const NEWLINE = 0x0a;
/** The end-of-data line and the empty lines pg_dump writes after it, longest first. */
const END_MARKERS = [Buffer.from("\\.\n\n\n"), Buffer.from("\\.\n")];
const TAIL_BYTES = 8;
const DECODER_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * Compressed bytes decompressed on zlib's thread, each decompressed chunk handed to `onData`:
 * `write` the stored bytes in order, then `end`, which rejects when they do not decompress whole.
 */
class Decompressed {
    private readonly decoder: Inflate | Gunzip | ZstdDecompress;
    private problem: Error | undefined;
    private readonly ended: Promise<void>;
    private written = 0;
    /** zstd's decoder ends quietly on data cut short: its frames are walked to tell. */
    private readonly frames: ZstdFrameWalk | undefined;

    constructor(encoding: Exclude<DataEncoding, "none">, onData: (d: Buffer) => void) {
        // A deep input buffer: each write is a round trip to the decompressor's thread, and the
        // archive stream waits for it only when this buffer is full.
        // (zlib passes highWaterMark on to its stream; larger output chunks mean fewer callbacks.)
        const options = { highWaterMark: DECODER_BUFFER_BYTES, chunkSize: 1024 * 1024 };
        const decoder = (this.decoder = encoding === "zlib" ? createInflate(options) : encoding === "gzip" ? createGunzip(options) : createZstdDecompress(options));
        this.frames = encoding === "zstd" ? new ZstdFrameWalk() : undefined;
        decoder.on("data", onData);
        this.ended = new Promise((resolve) => {
            decoder.once("end", resolve);
            decoder.once("error", (err) => {
                this.problem ??= new Error(`the data does not decompress (${encoding}): ${err.message}`);
                resolve();
            });
        });
    }

    /**
     * Feeds stored bytes; returns a promise to wait for when the decompressor's buffer is full. It
     * settles once these bytes are taken in (or the decompressor failed), not on "drain", which a
     * stream never emits once it is ending: `end` may follow this write before the wait.
     */
    write(data: Buffer): Promise<void> | undefined {
        if (this.problem !== undefined) {
            return undefined;
        }
        this.written += data.length;
        this.frames?.write(data);
        let taken = (): void => undefined;
        const wait = new Promise<void>((resolve) => {
            taken = resolve;
        });
        return this.decoder.write(data, () => taken()) ? undefined : wait;
    }

    /**
     * Resolves once every byte is decompressed; rejects when the data is cut short or corrupt
     * (zlib checks the stream's own end and checksum), or empty: a compressed stream of nothing
     * still holds its header and end, and zstd's decoder takes no bytes for a whole stream.
     */
    async end(): Promise<void> {
        this.decoder.end();
        await this.ended;
        if (this.written === 0) {
            this.problem ??= new Error("the data does not decompress: it is empty, without even the compressed stream's header");
        }
        const cut = this.frames?.end();
        if (cut !== undefined) {
            this.problem ??= new Error(`the data does not decompress (zstd): ${cut}`);
        }
        if (this.problem !== undefined) {
            throw this.problem;
        }
    }
}

/** The rows of one table's data: `write` the stored bytes in order, then `end`. */
export class TableRowCounter {
    private newlines = 0;
    private total = 0;
    private tail = Buffer.alloc(0);
    private readonly decoder: Decompressed | undefined;

    constructor(encoding: DataEncoding) {
        this.decoder = encoding === "none" ? undefined : new Decompressed(encoding, (d) => this.count(d));
    }

    /** Feeds stored bytes; returns a promise to wait for when the decompressor's buffer is full (see Decompressed.write). */
    write(data: Buffer): Promise<void> | undefined {
        if (this.decoder === undefined) {
            this.count(data);
            return undefined;
        }
        return this.decoder.write(data);
    }

    /** The number of rows, once all bytes are written; rejects when the data is not whole COPY text. */
    async end(): Promise<number> {
        await this.decoder?.end();
        return rowsOf(this.newlines, this.total, this.tail);
    }

    private count(d: Buffer): void {
        for (let i = d.indexOf(NEWLINE); i !== -1; i = d.indexOf(NEWLINE, i + 1)) {
            this.newlines++;
        }
        this.total += d.length;
        this.tail = d.length >= TAIL_BYTES ? Buffer.from(d.subarray(d.length - TAIL_BYTES)) : Buffer.concat([this.tail, d]).subarray(-TAIL_BYTES);
    }
}

/** Rows from the newline count, the data's length and its last bytes; the end-of-data line is not a row. */
export function rowsOf(newlines: number, total: number, tail: Buffer): number {
    for (const marker of END_MARKERS) {
        if (total >= marker.length && tail.subarray(-marker.length).equals(marker)) {
            const atLineStart = total === marker.length || tail[tail.length - marker.length - 1] === NEWLINE;
            if (atLineStart) {
                return newlines - (marker.length - 2);
            }
        }
    }
    if (total > 0 && tail[tail.length - 1] !== NEWLINE) {
        throw new Error(`the data ends inside a row (last bytes ${JSON.stringify(tail.toString("latin1"))})`);
    }
    return newlines;
}

/**
 * Passes `chunk` on at once and takes the next one when `wait` (a counter's backpressure) has
 * settled: the counter decompresses off the main thread, and its wait bounds what it holds
 * without holding the bytes back from the upload.
 */
export function passOn(stream: Transform, chunk: Buffer, wait: Promise<void> | undefined, callback: TransformCallback): void {
    if (wait === undefined) {
        callback(null, chunk);
        return;
    }
    stream.push(chunk);
    void wait.then(() => callback());
}

/** A pass-through stream that counts the rows of the table data flowing through it; `rows` after it has ended. */
export class RowCountingTap extends Transform {
    private readonly counter: TableRowCounter;
    private counted: number | undefined;

    constructor(encoding: DataEncoding) {
        super();
        this.counter = new TableRowCounter(encoding);
    }

    get rows(): number {
        if (this.counted === undefined) {
            throw new Error("the row-counting stream has not ended successfully; no count");
        }
        return this.counted;
    }

    override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
        passOn(this, chunk, this.counter.write(chunk), callback);
    }

    override _flush(callback: TransformCallback): void {
        this.counter.end().then(
            (rows) => {
                this.counted = rows;
                callback(null);
            },
            (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
        );
    }
}

/**
 * A pass-through stream that decompresses what flows through it only to prove it whole: a file
 * pg_dump compressed (a large object's data; blobs.toc it never compresses) that was cut short, or corrupted, fails at
 * its end, where its bytes alone could not tell.
 */
export class WholeStreamTap extends Transform {
    private readonly decoder: Decompressed;

    constructor(encoding: Exclude<DataEncoding, "none">) {
        super();
        this.decoder = new Decompressed(encoding, () => undefined);
    }

    override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
        passOn(this, chunk, this.decoder.write(chunk), callback);
    }

    override _flush(callback: TransformCallback): void {
        this.decoder.end().then(
            () => callback(null),
            (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
        );
    }
}

/** How a directory-format file other than table data is compressed, from its name: gzip or zstd, else undefined (uncompressed, or lz4). */
export function compressedFileEncoding(name: string): "gzip" | "zstd" | undefined {
    return name.endsWith(".gz") ? "gzip" : name.endsWith(".zst") ? "zstd" : undefined;
}

/** A directory-format data file's name: `<dumpId>.dat` plus the compression's extension. */
const DATA_FILE = /^(\d+\.dat)(?:\.(gz|zst|lz4))?$/;

/** The TOC's file name and the encoding of a directory-format table data file; undefined for other files and lz4. */
export function dataFileEncoding(name: string): { readonly tocName: string; readonly encoding: DataEncoding } | undefined {
    const m = DATA_FILE.exec(name);
    if (m === null || m[2] === "lz4") {
        return undefined;
    }
    return { tocName: m[1] as string, encoding: m[2] === "gz" ? "gzip" : m[2] === "zst" ? "zstd" : "none" };
}
