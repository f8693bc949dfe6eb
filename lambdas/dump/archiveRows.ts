/**
 * Row counts read from a custom-format archive as it streams past, without holding it: the
 * header and table of contents (./tocReader.ts), then the data blocks as
 * src/bin/pg_dump/pg_backup_custom.c writes them (_StartData, _CustomWriteFunc, _EndData and the
 * large-object variants): a block type byte, the entry's dump id, then length-prefixed chunks
 * ended by a zero length (a large-objects block holds such a run per object, ended by oid 0).
 * Each TABLE DATA block is decompressed and its COPY rows counted (./copyRows.ts). Anything
 * unexpected (a cut-short archive, an unknown block, a table whose data never came, data that
 * does not decompress) makes `finish` reject: a count is exact or there is none.
 */
import type { TableCount } from "../shared/manifest";
import { TableRowCounter, type DataEncoding } from "./copyRows";
import { BLK_BLOBS, DataBlockLedger, describeEntry, type DataBlock } from "./dataBlocks";
import { Cursor, dataEncoding, HeldBytes, NeedMoreBytes, readCustomHeader, readTocCount, readTocEntry, type ArchiveHeader } from "./tocReader";

/**
 * Compressed bytes gathered before a write to a table's decompressor: each write is a round trip
 * to the decompressor's thread, and pg_dump's data chunks are about 4 KiB, so writing per chunk
 * (or per 64 KiB read from the pipe) costs more CPU than the decompression it asks for.
 */
const WRITE_BYTES = 1024 * 1024;

type State =
    | { readonly at: "header" }
    | { readonly at: "count"; readonly header: ArchiveHeader }
    | { readonly at: "entries"; readonly header: ArchiveHeader; left: number }
    | { readonly at: "block" }
    | { readonly at: "blobOid" }
    | { readonly at: "chunkLength" }
    | { readonly at: "chunk"; left: number };

interface Block extends DataBlock {
    readonly counter: TableRowCounter | undefined;
}

/** Feed it the archive's bytes in order with `push`, then call `finish` for the counts of every table. */
export class ArchiveRowReader {
    private state: State = { at: "header" };
    private readonly held = new HeldBytes();
    private header: ArchiveHeader | undefined;
    private encoding: DataEncoding = "none";
    private readonly ledger = new DataBlockLedger();
    private block: Block | undefined;
    private readonly counts = new Map<number, Promise<number>>();
    private problem: string | undefined;
    private bytes = 0;
    /** The current table's data not yet handed to its counter, written in one go once it reaches WRITE_BYTES or the table ends. */
    private pieces: Buffer[] = [];
    private piecesBytes = 0;

    /** Feeds the next bytes; returns a promise to wait for before the next push when a decompressor is busy. */
    push(chunk: Buffer): Promise<void> | undefined {
        if (this.problem !== undefined) {
            return undefined;
        }
        const buf = this.held.add(chunk);
        return buf === undefined ? undefined : this.run(buf, 0);
    }

    /** The row count of every table whose data the archive holds, sorted by schema and name. */
    async finish(): Promise<TableCount[]> {
        if (this.problem === undefined && this.held.size > 0) {
            await this.run(this.held.take(), 0);
        }
        if (this.problem === undefined && (this.state.at !== "block" || this.held.size > 0)) {
            this.fail(`the archive ends inside ${this.state.at === "chunk" || this.state.at === "chunkLength" ? "a data block" : `its ${this.state.at}`}`);
        }
        const missing = this.ledger.missingProblem();
        if (missing !== undefined) {
            this.fail(missing);
        }
        const settled = await Promise.allSettled([...this.counts.entries()].map(async ([id, rows]) => [id, await rows] as const));
        if (this.problem !== undefined) {
            throw new Error(this.problem);
        }
        const rows = new Map<number, number>();
        for (const s of settled) {
            if (s.status === "rejected") {
                throw s.reason instanceof Error ? s.reason : new Error(String(s.reason));
            }
            rows.set(s.value[0], s.value[1]);
        }
        return this.ledger.tableCounts(rows);
    }

    private fail(problem: string): void {
        this.problem ??= `${problem} (at archive byte ${this.bytes})`;
    }

    private run(buf: Buffer, from: number): Promise<void> | undefined {
        let p = from;
        try {
            while (p < buf.length && this.problem === undefined) {
                const s = this.state;
                if (s.at === "chunk") {
                    const take = Math.min(s.left, buf.length - p);
                    const piece = buf.subarray(p, p + take);
                    p += take;
                    this.bytes += take;
                    s.left -= take;
                    if (s.left === 0) {
                        this.state = { at: "chunkLength" };
                    }
                    if (this.block?.counter !== undefined) {
                        this.pieces.push(piece);
                        this.piecesBytes += piece.length;
                    }
                    continue;
                }
                const c = new Cursor(buf);
                c.pos = p;
                const ending = this.step(c);
                this.bytes += c.pos - p;
                p = c.pos;
                if (ending !== undefined) {
                    const wait = this.writePieces(ending.counter);
                    this.endTable(ending);
                    if (wait !== undefined) {
                        const next = p;
                        return wait.then(() => this.run(buf, next));
                    }
                }
            }
        } catch (err) {
            if (!(err instanceof NeedMoreBytes)) {
                this.fail(err instanceof Error ? err.message : String(err));
                return undefined;
            }
            this.held.hold(buf.subarray(p));
        }
        return this.piecesBytes >= WRITE_BYTES ? this.writePieces(this.block?.counter) : undefined;
    }

    private writePieces(counter: TableRowCounter | undefined): Promise<void> | undefined {
        if (this.pieces.length === 0 || counter === undefined) {
            this.pieces = [];
            this.piecesBytes = 0;
            return undefined;
        }
        const data = this.pieces.length === 1 ? (this.pieces[0] as Buffer) : Buffer.concat(this.pieces);
        this.pieces = [];
        this.piecesBytes = 0;
        return counter.write(data);
    }

    /**
     * Reads one unit (header, count, entry, block start, oid, chunk length) or throws NeedMoreBytes
     * without moving; returns the block whose table data has just ended.
     */
    private step(c: Cursor): Block | undefined {
        const s = this.state;
        switch (s.at) {
            case "header": {
                const header = readCustomHeader(c);
                this.header = header;
                this.encoding = dataEncoding(header.compression, "zlib");
                this.state = { at: "count", header };
                return;
            }
            case "count":
                this.state = { at: "entries", header: s.header, left: readTocCount(c, s.header) };
                this.nextEntryOrBlocks();
                return;
            case "entries": {
                this.ledger.addEntry(readTocEntry(c, s.header));
                s.left--;
                this.nextEntryOrBlocks();
                return;
            }
            case "block": {
                const type = c.byte();
                const started = this.ledger.startBlock(type, c.int(this.intSize()));
                this.block = { ...started, counter: started.counted ? new TableRowCounter(this.encoding) : undefined };
                this.state = type === BLK_BLOBS ? { at: "blobOid" } : { at: "chunkLength" };
                return;
            }
            case "blobOid":
                this.state = c.int(this.intSize()) === 0 ? { at: "block" } : { at: "chunkLength" };
                return;
            case "chunkLength": {
                const n = c.int(this.intSize());
                if (n < 0) {
                    throw new Error(`negative chunk length ${n}`);
                }
                if (n > 0) {
                    this.state = { at: "chunk", left: n };
                    return undefined;
                }
                return this.endChunks();
            }
            case "chunk":
                return undefined;
        }
        return undefined;
    }

    private endChunks(): Block | undefined {
        const block = this.block as Block;
        if (block.blobs) {
            this.state = { at: "blobOid" };
            return undefined;
        }
        this.block = undefined;
        this.state = { at: "block" };
        return block;
    }

    /** Ends a block's counting, after its last bytes were written. */
    private endTable(block: Block): void {
        if (block.counter === undefined) {
            return;
        }
        const entry = block.entry;
        const rows = block.counter.end().catch((err: unknown) => {
            throw new Error(`the data of ${describeEntry(entry)}: ${err instanceof Error ? err.message : String(err)}`);
        });
        rows.catch(() => undefined);
        this.counts.set(entry.dumpId, rows);
    }

    private nextEntryOrBlocks(): void {
        if (this.state.at === "entries" && this.state.left === 0) {
            this.state = { at: "block" };
        }
    }

    private intSize(): number {
        return (this.header as ArchiveHeader).intSize;
    }
}
