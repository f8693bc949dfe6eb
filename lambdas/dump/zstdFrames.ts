/**
 * Walks the frames of zstd data as it streams past, to tell whether it ends where a frame ends.
 * Node.js's zstd decoder ends without an error on data cut short (it returns what it could
 * decode), so a truncated file would decompress "successfully"; this walk is the check it leaves
 * out. The layout is RFC 8878: a frame is the magic number, a header whose size its descriptor
 * byte gives, blocks each with a 3-byte header (last-block flag, type, size), and a 4-byte
 * checksum when the descriptor says so; skippable frames are a magic number, a 4-byte length and
 * that many bytes.
 */

const FRAME_MAGIC = 0xfd2fb528;
/** Skippable frames' magic numbers are 0x184D2A50 to 0x184D2A5F (RFC 8878 3.1.2). */
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const BLOCK_RAW = 0;
const BLOCK_RLE = 1;
const BLOCK_COMPRESSED = 2;

type Step =
    | { readonly at: "magic" }
    | { readonly at: "descriptor" }
    | { readonly at: "block-header"; readonly checksum: boolean }
    /** Skipping bytes, then reading `then`; `checksum`: the frame ends with one. */
    | { readonly at: "skip"; readonly then: "block-header" | "checksum" | "frame-end" | "magic"; readonly checksum: boolean }
    | { readonly at: "skippable-size" };

/** Feed the stream's bytes in order to `write`, then ask `end`. */
export class ZstdFrameWalk {
    private step: Step = { at: "magic" };
    /** Bytes of the field being read (magic, descriptor, block header, a length). */
    private pending: number[] = [];
    /** Bytes still to skip: a block's content, the rest of a header, a checksum or a skippable frame. */
    private skipping = 0;
    private frames = 0;
    private problem: string | undefined;

    /** Takes the next bytes of the stream. */
    write(data: Buffer): void {
        let i = 0;
        while (i < data.length && this.problem === undefined) {
            if (this.step.at === "skip") {
                const n = Math.min(this.skipping, data.length - i);
                this.skipping -= n;
                i += n;
                if (this.skipping === 0) this.afterSkip(this.step);
                continue;
            }
            this.pending.push(data[i] as number);
            i++;
            this.field();
        }
    }

    /** Undefined when the data ended where a frame ends, after at least one frame; else what is wrong. */
    end(): string | undefined {
        if (this.problem !== undefined) return this.problem;
        if (this.step.at === "skip" && this.skipping === 0) this.afterSkip(this.step);
        if (this.step.at !== "magic" || this.pending.length > 0) return "the zstd data ends inside a frame";
        if (this.frames === 0) return "the zstd data holds no frame";
        return undefined;
    }

    private field(): void {
        const step = this.step;
        const p = this.pending;
        switch (step.at) {
            case "magic":
            case "skippable-size": {
                if (p.length < 4) return;
                const value = ((p[0] as number) | ((p[1] as number) << 8) | ((p[2] as number) << 16) | ((p[3] as number) << 24)) >>> 0;
                this.pending = [];
                if (step.at === "skippable-size") {
                    this.skipTo(value, "magic", false);
                } else if (value === FRAME_MAGIC) {
                    this.step = { at: "descriptor" };
                } else if (((value & SKIPPABLE_MASK) >>> 0) === SKIPPABLE_MAGIC) {
                    this.step = { at: "skippable-size" };
                } else {
                    this.problem = `the zstd data has no frame where one should start (magic ${value.toString(16)})`;
                }
                return;
            }
            case "descriptor": {
                const d = p[0] as number;
                this.pending = [];
                if ((d & 0x08) !== 0) {
                    this.problem = "the zstd frame header sets its reserved bit";
                    return;
                }
                const fcsFlag = d >> 6;
                const singleSegment = (d & 0x20) !== 0;
                const checksum = (d & 0x04) !== 0;
                const dictionaryBytes = [0, 1, 2, 4][d & 0x03] as number;
                const fcsBytes = fcsFlag === 0 ? (singleSegment ? 1 : 0) : ([0, 2, 4, 8][fcsFlag] as number);
                this.skipTo((singleSegment ? 0 : 1) + dictionaryBytes + fcsBytes, "block-header", checksum);
                return;
            }
            case "block-header": {
                if (p.length < 3) return;
                const h = (p[0] as number) | ((p[1] as number) << 8) | ((p[2] as number) << 16);
                this.pending = [];
                const last = (h & 1) === 1;
                const type = (h >> 1) & 3;
                const size = h >>> 3;
                if (type !== BLOCK_RAW && type !== BLOCK_RLE && type !== BLOCK_COMPRESSED) {
                    this.problem = "the zstd data has a block of the reserved type";
                    return;
                }
                const content = type === BLOCK_RLE ? 1 : size;
                this.skipTo(content, last ? (step.checksum ? "checksum" : "frame-end") : "block-header", step.checksum);
                return;
            }
            case "skip":
                return;
        }
    }

    private skipTo(bytes: number, then: "block-header" | "checksum" | "frame-end" | "magic", checksum: boolean): void {
        this.skipping = bytes;
        this.step = { at: "skip", then, checksum };
        if (bytes === 0) this.afterSkip(this.step);
    }

    private afterSkip(step: Extract<Step, { at: "skip" }>): void {
        if (step.then === "checksum") {
            this.skipTo(4, "frame-end", false);
            return;
        }
        if (step.then === "frame-end" || step.then === "magic") {
            if (step.then === "frame-end") this.frames++;
            this.step = { at: "magic" };
            return;
        }
        this.step = { at: "block-header", checksum: step.checksum };
    }
}
