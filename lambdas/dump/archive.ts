/**
 * The stream between pg_dump's stdout and the upload. It hashes and counts every byte, and it
 * does not end until pg_dump's exit status is known: stdout can close before the process
 * reports its status, and an upload that completed on stdout's end would store a dump that
 * pg_dump itself declared failed. At the end it also checks that the bytes are a real
 * custom-format archive (PGDMP header, custom format, at least a minimum size) and, when given a
 * row reader, that the archive's rows could all be counted as they passed.
 */
import type { ChildProcess } from "node:child_process";
import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import type { TableCount } from "../shared/manifest";
import { StderrTail } from "../shared/processGroup";
import { withoutRowData } from "../shared/redact";
import type { ArchiveRowReader } from "./archiveRows";
import { passOn } from "./copyRows";
import { InvalidArchiveError, PgDumpFailedError } from "./errors";

/** How pg_dump ended: exit code, or the signal that killed it; stderr's tail for the message. */
export interface ExitStatus {
    readonly code: number | null;
    readonly signal: NodeJS.Signals | null;
    readonly stderr: string;
    /** The tail is the end of a longer stderr: its first line may start inside a message. */
    readonly stderrCutShort?: boolean;
}

/** Resolves with how `child` ended, keeping the tail of its stderr. */
export function exitStatus(child: ChildProcess): Promise<ExitStatus> {
    const stderr = new StderrTail(child);
    return new Promise((resolve) => {
        child.once("error", (err) => resolve({ code: null, signal: null, stderr: `${stderr.text}${err.message}`, stderrCutShort: stderr.cutShort }));
        child.once("close", (code, signal) => resolve({ code, signal, stderr: stderr.text, stderrCutShort: stderr.cutShort }));
    });
}

/** The error for a pg_dump that did not exit 0, with the bytes it wrote (when known) and its stderr's tail; undefined when it did. */
export function pgDumpFailure(status: ExitStatus, bytes?: number): PgDumpFailedError | undefined {
    if (status.signal === null && status.code === 0) {
        return undefined;
    }
    const how = status.signal !== null ? `was killed by ${status.signal}` : `exited with code ${String(status.code)}`;
    const after = bytes === undefined ? "" : ` after ${bytes} bytes`;
    const detail = status.stderr.trim() === "" ? "" : `: ${withoutRowData(status.stderr, status.stderrCutShort === true).trim()}`;
    return new PgDumpFailedError(`pg_dump ${how}${after}${detail}`, status.code, status.signal);
}

/** "PGDMP", then version major/minor/revision, int size, offset size, format (1 = custom). */
const MAGIC = Buffer.from("PGDMP", "ascii");
const HEADER_BYTES = 11;
const FORMAT_OFFSET = 10;
const FORMAT_CUSTOM = 1;

/** Checks the first bytes of a pg_dump archive; returns a reason when they are not a custom-format archive. */
export function archiveHeaderProblem(head: Buffer): string | undefined {
    if (head.length < MAGIC.length || !head.subarray(0, MAGIC.length).equals(MAGIC)) {
        return `no "PGDMP" magic (first bytes: ${head.subarray(0, 8).toString("hex") || "none"})`;
    }
    if (head.length < HEADER_BYTES) {
        return `header cut short at ${head.length} bytes`;
    }
    const major = head[MAGIC.length];
    if (major !== 1) {
        return `archive version ${String(major)}.x, expected 1.x`;
    }
    if (head[FORMAT_OFFSET] !== FORMAT_CUSTOM) {
        return `archive format ${String(head[FORMAT_OFFSET])}, expected 1 (custom)`;
    }
    return undefined;
}

export interface ArchiveStreamOptions {
    /** Resolves when pg_dump has exited (with its code or signal). */
    readonly exit: Promise<ExitStatus>;
    /** Smallest archive accepted as a backup, in bytes. */
    readonly minBytes: number;
    readonly onProgress?: (bytes: number) => void;
    /** Counts each table's rows from the bytes passing through; the stream fails when it cannot. @default no counting */
    readonly rows?: ArchiveRowReader;
}

export class ArchiveStream extends Transform {
    private readonly hash: Hash = createHash("sha256");
    private readonly head: Buffer[] = [];
    private headLength = 0;
    private count = 0;
    private digest: string | undefined;
    private counted: readonly TableCount[] | undefined;

    constructor(private readonly opts: ArchiveStreamOptions) {
        super();
    }

    /** Bytes passed through so far. */
    get bytes(): number {
        return this.count;
    }

    /** Lower-case hex SHA-256 of everything passed through; only after the stream has ended successfully. */
    get sha256(): string {
        if (this.digest === undefined) {
            throw new Error("the archive stream has not ended successfully; no checksum");
        }
        return this.digest;
    }

    /** Rows of every table whose data the archive holds; only after the stream has ended successfully with a row reader. */
    get tables(): readonly TableCount[] {
        if (this.counted === undefined) {
            throw new Error("the archive stream has not ended successfully with a row reader; no row counts");
        }
        return this.counted;
    }

    override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
        this.hash.update(chunk);
        this.count += chunk.length;
        if (this.headLength < HEADER_BYTES) {
            this.head.push(chunk.subarray(0, HEADER_BYTES - this.headLength));
            this.headLength += Math.min(chunk.length, HEADER_BYTES - this.headLength);
        }
        this.opts.onProgress?.(this.count);
        passOn(this, chunk, this.opts.rows?.push(chunk), callback);
    }

    override _flush(callback: TransformCallback): void {
        this.opts.exit.then(
            async (status) => {
                const problem = this.problem(status);
                if (problem !== undefined) {
                    callback(problem);
                    return;
                }
                if (this.opts.rows !== undefined) {
                    try {
                        this.counted = await this.opts.rows.finish();
                    } catch (err) {
                        callback(new InvalidArchiveError(`the archive's rows could not be counted: ${err instanceof Error ? err.message : String(err)}`));
                        return;
                    }
                }
                this.digest = this.hash.digest("hex");
                callback(null);
            },
            (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
        );
    }

    private problem(status: ExitStatus): Error | undefined {
        const failed = pgDumpFailure(status, this.count);
        if (failed !== undefined) {
            return failed;
        }
        const headerProblem = archiveHeaderProblem(Buffer.concat(this.head));
        if (headerProblem !== undefined) {
            return new InvalidArchiveError(`pg_dump output is not a custom-format archive (${headerProblem})`);
        }
        if (this.count < this.opts.minBytes) {
            return new InvalidArchiveError(
                `pg_dump output is ${this.count} bytes, below the minimum of ${this.opts.minBytes} bytes for a backup; a header-only archive holds no data`,
            );
        }
        return undefined;
    }
}
