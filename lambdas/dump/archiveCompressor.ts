/**
 * Compresses a custom-format archive that pg_dump wrote uncompressed into the archive it would
 * have written with gzip, as it streams past, on several threads, and counts each table's rows on
 * the way. pg_dump compresses on one thread, which makes its zlib the pace of the whole dump;
 * here each data run is cut into blocks that zlib compresses at once on libuv's thread pool, and
 * the rows are counted in the uncompressed bytes, so nothing has to be decompressed again.
 *
 * What pg_restore reads (src/bin/pg_dump/pg_backup_custom.c, compress_io.c of pg_dump 13-15 and
 * compress_gzip.c of 16+): the header's compression (a level in archive version 1.14, the
 * algorithm in 1.15+) says gzip, and each data run (a table's data, or one large object) is one
 * zlib stream (RFC 1950) split over length-prefixed chunks of any size, ended by a zero length.
 * One stream from blocks compressed apart: each block is raw deflate ended by a sync flush (byte
 * aligned, never final, RFC 1951 3.2.3), the run's stream is the zlib header, those blocks in
 * order, an empty final block and the Adler-32 of the whole run (RFC 1950 2.2, 8.2). The table
 * of contents passes unchanged but for data offsets, which pg_dump writes only to a file it can
 * seek in and which compression would make wrong: they become "not set".
 */
import { availableParallelism, endianness } from "node:os";
import { Transform, type TransformCallback } from "node:stream";
import { constants, deflateRaw } from "node:zlib";
import type { TableCount } from "../shared/manifest";
import { pgDumpFailure, type ExitStatus } from "./archive";
import { TableRowCounter } from "./copyRows";
import { DataBlockLedger, describeEntry, type DataBlock } from "./dataBlocks";
import { DumpError, InvalidArchiveError } from "./errors";
import { Cursor, HeldBytes, NeedMoreBytes, readCustomHeader, readTocCount, readTocEntry, type ArchiveHeader } from "./tocReader";

/** Uncompressed bytes compressed as one block. */
export const BLOCK_BYTES = 1024 * 1024;
/**
 * zlib's full 32 KiB window, as pg_dump uses: a smaller one compressed the benchmark's rows faster,
 * but rows of similar 12 KB documents 16 times worse (1.7:1 against 28:1), matches being further
 * back than its reach. memLevel 9 (a hash table 128 KiB larger per block being compressed) was
 * faster, for the same size within 0.2 %.
 */
const WINDOW_BITS = 15;
const MEM_LEVEL = 9;
/** CMF (RFC 1950 2.2): method 8 (deflate) and the window, 2^(CINFO + 8) bytes. */
const ZLIB_CMF = ((WINDOW_BITS - 8) << 4) | 8;
/** A final fixed-Huffman block holding only its end code, which is what zlib writes to finish after a flush. */
const FINAL_EMPTY_BLOCK = Buffer.from([0x03, 0x00]);
const ADLER_MOD = 65521;
/** The most bytes Adler-32's sums take before they must be reduced (zlib's NMAX, a multiple of 4). */
const ADLER_NMAX = 5552;
const LITTLE_ENDIAN = endianness() === "LE";
/** Where the header keeps the compression: after magic (5), version (3), int size, offset size and format. */
const COMPRESSION_AT = 11;
const GZIP_ALGORITHM = 1;
/** K_OFFSET_POS_NOT_SET and K_OFFSET_POS_SET (pg_backup_custom.c). */
const OFFSET_POS_NOT_SET = 1;
const OFFSET_POS_SET = 2;

export interface ArchiveCompressorOptions {
    /** zlib level, 1 to 9. */
    readonly level: number;
    /** How pg_dump ended: an archive cut short is reported as pg_dump's failure when pg_dump failed. */
    readonly exit: Promise<ExitStatus>;
    /** Blocks compressed at once. @default the CPUs available, plus one, at most libuv's 4 pool threads */
    readonly parallel?: number;
}

type State =
    | { readonly at: "header" }
    | { readonly at: "count"; readonly header: ArchiveHeader }
    | { readonly at: "entries"; readonly header: ArchiveHeader; left: number }
    | { readonly at: "block"; readonly header: ArchiveHeader }
    | { readonly at: "blobOid"; readonly header: ArchiveHeader }
    | { readonly at: "chunks"; readonly header: ArchiveHeader };

/** One zlib stream being built: the run's Adler-32 and, for a table, the counter of its rows. */
interface Run {
    readonly block: DataBlock;
    readonly counter: TableRowCounter | undefined;
    adlerA: number;
    adlerB: number;
}

/** Output in order: bytes ready now, or a block still being compressed. */
type Piece = { readonly ready: Buffer[] } | { readonly compressed: Promise<Buffer[]> };

export class ArchiveCompressor extends Transform {
    private readonly level: number;
    private readonly parallel: number;
    private readonly exit: Promise<ExitStatus>;
    private readonly ledger = new DataBlockLedger();
    private readonly rows = new Map<number, number>();
    private state: State = { at: "header" };
    private readonly held = new HeldBytes();
    private block: DataBlock | undefined;
    private run: Run | undefined;
    /** Payload bytes of the current chunk still to come. */
    private chunkLeft = 0;
    private raw: Buffer = Buffer.allocUnsafe(BLOCK_BYTES);
    private rawLength = 0;
    private readonly spare: Buffer[] = [];
    private out: Buffer[] = [];
    private readonly queue: Piece[] = [];
    private compressing = 0;
    private inBytes = 0;
    private counted: readonly TableCount[] | undefined;

    constructor(options: ArchiveCompressorOptions) {
        super();
        if (!Number.isInteger(options.level) || options.level < 1 || options.level > 9) {
            throw new RangeError(`level: ${options.level} is not a zlib level (1..9)`);
        }
        this.level = options.level;
        this.exit = options.exit;
        this.parallel = options.parallel ?? Math.min(4, availableParallelism() + 1);
        if (!Number.isInteger(this.parallel) || this.parallel < 1) {
            throw new RangeError(`parallel: ${this.parallel} is not a positive integer`);
        }
    }

    /** Rows of every table whose data the archive holds, sorted by schema and name; only after the stream has ended successfully. */
    get tables(): readonly TableCount[] {
        if (this.counted === undefined) {
            throw new Error("the archive compressor has not ended successfully; no row counts");
        }
        return this.counted;
    }

    override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
        const buf = this.held.add(chunk);
        if (buf === undefined) {
            callback();
            return;
        }
        this.consume(buf).then(
            () => callback(),
            (err: unknown) => callback(this.asDumpError(err)),
        );
    }

    override _flush(callback: TransformCallback): void {
        this.finish().then(
            () => callback(),
            (err: unknown) => callback(this.asDumpError(err)),
        );
    }

    /** At the end of pg_dump's output: pg_dump's own failure first, then an archive cut short or missing a table's data. */
    private async finish(): Promise<void> {
        let unreadable: DumpError | undefined;
        if (this.held.size > 0) {
            await this.consume(this.held.take()).catch((err: unknown) => {
                unreadable = this.asDumpError(err);
            });
        }
        const cutShort = this.state.at !== "block" || this.held.size > 0;
        const missing = this.ledger.missingProblem();
        if (unreadable !== undefined || cutShort || missing !== undefined) {
            const failed = pgDumpFailure(await this.exit, this.inBytes);
            throw failed ?? unreadable ?? this.problem(cutShort ? `the archive ends inside ${this.state.at === "chunks" ? "a data block" : `its ${this.state.at}`}` : (missing as string));
        }
        this.send(this.out);
        this.out = [];
        while (this.queue.length > 0) {
            await this.drain();
        }
        this.counted = this.ledger.tableCounts(this.rows);
    }

    private asDumpError(err: unknown): DumpError {
        return err instanceof DumpError ? err : this.problem(err instanceof Error ? err.message : String(err));
    }

    private problem(what: string): InvalidArchiveError {
        return new InvalidArchiveError(`pg_dump's archive could not be compressed: ${what} (at uncompressed archive byte ${this.inBytes})`);
    }

    /** Reads `buf` through; waits only when as many blocks as allowed are being compressed. */
    private async consume(buf: Buffer): Promise<void> {
        let p = 0;
        while (p < buf.length) {
            if (this.chunkLeft > 0) {
                const take = Math.min(this.chunkLeft, buf.length - p, BLOCK_BYTES - this.rawLength);
                buf.copy(this.raw, this.rawLength, p, p + take);
                this.rawLength += take;
                this.chunkLeft -= take;
                this.inBytes += take;
                p += take;
                if (this.rawLength === BLOCK_BYTES) {
                    await this.compressBlock();
                }
                continue;
            }
            const c = new Cursor(buf);
            c.pos = p;
            try {
                const wait = this.step(c);
                this.inBytes += c.pos - p;
                p = c.pos;
                if (wait !== undefined) {
                    await wait;
                }
            } catch (err) {
                if (err instanceof NeedMoreBytes) {
                    this.held.hold(buf.subarray(p));
                    return;
                }
                throw this.problem(err instanceof Error ? err.message : String(err));
            }
        }
    }

    /** Reads one unit (header, count, entry, block start, oid, chunk length) or throws NeedMoreBytes without moving. */
    private step(c: Cursor): Promise<void> | undefined {
        const s = this.state;
        const from = c.pos;
        switch (s.at) {
            case "header": {
                const header = readCustomHeader(c);
                if (header.compression !== "none") {
                    throw new Error(`the archive is already compressed (${header.compression}); pg_dump must write it uncompressed`);
                }
                this.out.push(withGzipCompression(c.buf.subarray(from, c.pos), header, this.level));
                this.state = { at: "count", header };
                return undefined;
            }
            case "count":
                this.state = { at: "entries", header: s.header, left: readTocCount(c, s.header) };
                this.out.push(c.buf.subarray(from, c.pos));
                this.entriesDone();
                return undefined;
            case "entries":
                this.ledger.addEntry(readTocEntry(c, s.header));
                s.left--;
                this.out.push(withoutDataOffset(c.buf.subarray(from, c.pos), s.header.offSize));
                this.entriesDone();
                return undefined;
            case "block": {
                const type = c.byte();
                const block = this.ledger.startBlock(type, c.int(s.header.intSize));
                this.out.push(c.buf.subarray(from, c.pos));
                this.block = block;
                if (block.blobs) {
                    this.state = { at: "blobOid", header: s.header };
                    return undefined;
                }
                this.startRun(block);
                this.state = { at: "chunks", header: s.header };
                return undefined;
            }
            case "blobOid": {
                const oid = c.int(s.header.intSize);
                this.out.push(c.buf.subarray(from, c.pos));
                if (oid === 0) {
                    this.block = undefined;
                    this.state = { at: "block", header: s.header };
                    return undefined;
                }
                this.startRun(this.block as DataBlock);
                this.state = { at: "chunks", header: s.header };
                return undefined;
            }
            case "chunks": {
                const n = c.int(s.header.intSize);
                if (n < 0) {
                    throw new Error(`negative chunk length ${n}`);
                }
                if (n > 0) {
                    this.chunkLeft = n;
                    return undefined;
                }
                return this.endRun(s.header);
            }
        }
    }

    private entriesDone(): void {
        if (this.state.at === "entries" && this.state.left === 0) {
            this.state = { at: "block", header: this.state.header };
        }
    }

    private startRun(block: DataBlock): void {
        this.run = { block, counter: block.counted ? new TableRowCounter("none") : undefined, adlerA: 1, adlerB: 0 };
        this.out.push(chunkOf(Buffer.from([ZLIB_CMF, zlibFlg(this.level)]), this.intSize()));
    }

    /** The run's last block, its end (empty final block and Adler-32) and the zero length that ends its chunks. */
    private async endRun(header: ArchiveHeader): Promise<void> {
        await this.compressBlock();
        const run = this.run as Run;
        const trailer = Buffer.alloc(FINAL_EMPTY_BLOCK.length + 4);
        FINAL_EMPTY_BLOCK.copy(trailer);
        trailer.writeUInt32BE(((run.adlerB << 16) | run.adlerA) >>> 0, FINAL_EMPTY_BLOCK.length);
        this.out.push(chunkOf(trailer, header.intSize), intBytes(0, header.intSize));
        if (run.counter !== undefined) {
            try {
                this.rows.set(run.block.entry.dumpId, await run.counter.end());
            } catch (err) {
                throw new Error(`the data of ${describeEntry(run.block.entry)}: ${err instanceof Error ? err.message : String(err)}`);
            }
        }
        this.run = undefined;
        if (run.block.blobs) {
            this.state = { at: "blobOid", header };
            return;
        }
        this.block = undefined;
        this.state = { at: "block", header };
    }

    /** Counts and checksums the gathered bytes, then hands them to a pool thread; waits while the pool is full. */
    private async compressBlock(): Promise<void> {
        if (this.rawLength === 0) {
            return;
        }
        const run = this.run as Run;
        const data = this.raw.subarray(0, this.rawLength);
        adler32(run, data);
        run.counter?.write(data);
        const buffer = this.raw;
        this.raw = this.spare.pop() ?? Buffer.allocUnsafe(BLOCK_BYTES);
        this.rawLength = 0;
        const intSize = this.intSize();
        const compressed = deflated(data, this.level).then((d) => {
            this.spare.push(buffer);
            if (d.length === 0) {
                throw this.problem("zlib returned no bytes for a block");
            }
            return [intBytes(d.length, intSize), d];
        });
        compressed.catch(() => undefined);
        this.send(this.out);
        this.out = [];
        this.queue.push({ compressed });
        this.compressing++;
        while (this.compressing >= this.parallel) {
            await this.drain();
        }
    }

    /** Pushes the first piece in line, waiting for its block when it is still being compressed. */
    private async drain(): Promise<void> {
        const first = this.queue.shift();
        if (first === undefined) {
            return;
        }
        if (!("compressed" in first)) {
            for (const b of first.ready) {
                this.push(b);
            }
            return;
        }
        const bytes = await first.compressed;
        this.compressing--;
        for (const b of bytes) {
            this.push(b);
        }
    }

    /** Queues bytes behind the blocks being compressed, or pushes them at once when none is. */
    private send(bytes: Buffer[]): void {
        if (bytes.length === 0) {
            return;
        }
        const joined = bytes.length === 1 ? (bytes[0] as Buffer) : Buffer.concat(bytes);
        if (this.queue.length === 0) {
            this.push(joined);
            return;
        }
        this.queue.push({ ready: [joined] });
    }

    private intSize(): number {
        const s = this.state;
        if (s.at === "header") {
            throw new Error("no header yet");
        }
        return s.header.intSize;
    }
}

/** The header with its compression changed from none to gzip: the algorithm (1.15+) or the level (1.14). */
export function withGzipCompression(head: Buffer, header: ArchiveHeader, level: number): Buffer {
    const out = Buffer.from(head);
    if (header.minor >= 15) {
        out[COMPRESSION_AT] = GZIP_ALGORITHM;
    } else {
        intBytes(level, header.intSize).copy(out, COMPRESSION_AT);
    }
    return out;
}

/**
 * A custom-format TOC entry ends with its data's offset: a flag, then `offSize` bytes
 * (_WriteExtraToc). pg_dump sets the offsets only when its output is a file it can seek in;
 * compressed, every block moves, so a set offset becomes "not set" and pg_restore looks for the
 * block by its id instead (_PrintTocData), as it does for any archive written to a pipe.
 */
export function withoutDataOffset(entry: Buffer, offSize: number): Buffer {
    const at = entry.length - offSize - 1;
    if (entry[at] !== OFFSET_POS_SET) {
        return entry;
    }
    const out = Buffer.from(entry);
    out[at] = OFFSET_POS_NOT_SET;
    out.fill(0, at + 1);
    return out;
}

/** FLG (RFC 1950 2.2) for `level`: FLEVEL as zlib's deflateInit sets it, and the check bits making CMF*256+FLG a multiple of 31. */
export function zlibFlg(level: number): number {
    const flevel = level === 1 ? 0 : level < 6 ? 1 : level === 6 ? 2 : 3;
    const flg = flevel << 6;
    return flg + ((31 - ((ZLIB_CMF * 256 + flg) % 31)) % 31);
}

/** WriteInt: a sign byte, then `intSize` bytes, least significant first. */
export function intBytes(value: number, intSize: number): Buffer {
    const out = Buffer.alloc(1 + intSize);
    out[0] = value < 0 ? 1 : 0;
    let v = Math.abs(value);
    for (let i = 1; i <= intSize; i++) {
        out[i] = v % 256;
        v = Math.floor(v / 256);
    }
    return out;
}

function chunkOf(data: Buffer, intSize: number): Buffer {
    return Buffer.concat([intBytes(data.length, intSize), data]);
}

/**
 * Adds `data` to the run's Adler-32 sums (RFC 1950 8.2). On a little-endian machine it takes four
 * bytes x0..x3 a step: a grows by their sum and b by 4a + 4x0 + 3x1 + 2x2 + x3, what four byte
 * steps add; both are reduced often enough to stay exact in a double.
 */
export function adler32(sums: { adlerA: number; adlerB: number }, data: Uint8Array): void {
    const wordsFrom = LITTLE_ENDIAN ? Math.min(data.length, (4 - (data.byteOffset % 4)) % 4) : data.length;
    const words = (data.length - wordsFrom) >> 2;
    addBytes(sums, data, 0, wordsFrom);
    const u32 = words === 0 ? new Uint32Array(0) : new Uint32Array(data.buffer, data.byteOffset + wordsFrom, words);
    let a = sums.adlerA;
    let b = sums.adlerB;
    let w = 0;
    while (w < words) {
        const end = Math.min(w + ADLER_NMAX / 4, words);
        for (; w < end; w++) {
            const v = u32[w] as number;
            const x0 = v & 0xff;
            const x1 = (v >>> 8) & 0xff;
            const x2 = (v >>> 16) & 0xff;
            const x3 = v >>> 24;
            b += 4 * a + 4 * x0 + 3 * x1 + 2 * x2 + x3;
            a += x0 + x1 + x2 + x3;
        }
        a %= ADLER_MOD;
        b %= ADLER_MOD;
    }
    sums.adlerA = a;
    sums.adlerB = b;
    addBytes(sums, data, wordsFrom + words * 4, data.length);
}

function addBytes(sums: { adlerA: number; adlerB: number }, data: Uint8Array, from: number, to: number): void {
    let a = sums.adlerA;
    let b = sums.adlerB;
    let i = from;
    while (i < to) {
        const end = Math.min(i + ADLER_NMAX, to);
        for (; i < end; i++) {
            a += data[i] as number;
            b += a;
        }
        a %= ADLER_MOD;
        b %= ADLER_MOD;
    }
    sums.adlerA = a;
    sums.adlerB = b;
}

/** Raw deflate of one block, ended by a sync flush so that the next block's bytes can follow it. */
function deflated(data: Buffer, level: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        deflateRaw(data, { level, windowBits: WINDOW_BITS, memLevel: MEM_LEVEL, chunkSize: BLOCK_BYTES, finishFlush: constants.Z_SYNC_FLUSH }, (err, out) => (err === null ? resolve(out) : reject(err)));
    });
}
