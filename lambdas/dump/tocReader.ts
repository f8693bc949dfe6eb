/**
 * Reads the header and table of contents of a pg_dump archive (the custom format's stream, or a
 * directory-format dump's toc.dat), as PostgreSQL's src/bin/pg_dump/pg_backup_archiver.c writes
 * them (WriteHead, WriteToc) for archive versions 1.14 (pg_dump 13..15), 1.15 (16) and 1.16
 * (17, 18). Only what the row counts need is kept: each entry's dump id, type, schema and name,
 * and where its data is. An unknown version or compression is refused, never guessed at.
 */
import type { DataEncoding } from "./copyRows";

/** The archive versions read here, as [major, minor]. */
export const ARCHIVE_VERSIONS: readonly (readonly [number, number])[] = [
    [1, 14],
    [1, 15],
    [1, 16],
];

/**
 * Archive format codes in the header (pg_backup.h ArchiveFormat): a custom archive says 1; a
 * directory dump's toc.dat says 3, the tar format's code, as it is laid out like a tar member
 * (pg_backup_directory.c).
 */
export const FORMAT_CUSTOM = 1;
export const FORMAT_TOC_FILE = 3;

/** Compression algorithms in a 1.15+ header (pg_compress_algorithm). */
const ALGORITHMS = ["none", "gzip", "lz4", "zstd"] as const;
export type ArchiveCompression = (typeof ALGORITHMS)[number];

export interface ArchiveHeader {
    readonly major: number;
    readonly minor: number;
    readonly intSize: number;
    readonly offSize: number;
    readonly format: number;
    readonly compression: ArchiveCompression;
}

export interface TocEntry {
    readonly dumpId: number;
    readonly desc: string;
    /** The schema and the name as UTF-8, for messages; `rawNamespace` and `rawTag` are the bytes, in the archive's encoding (tocNames). */
    readonly namespace: string | undefined;
    readonly tag: string;
    readonly rawNamespace: Buffer | undefined;
    readonly rawTag: Buffer;
    /** The statement of an ENCODING entry (`SET client_encoding = 'LATIN1';`); undefined for every other entry. */
    readonly encodingStatement: string | undefined;
    /** Custom format: the entry has a data block in the archive. Directory format: the data file's base name. */
    readonly hasData: boolean;
    readonly fileName: string | undefined;
}

/** Thrown when the bytes run out in the middle of a unit; the caller waits for more and tries again. */
export class NeedMoreBytes extends Error {
    constructor() {
        super("need more bytes");
        this.name = "NeedMoreBytes";
    }
}

/**
 * The bytes of a unit cut by the end of a read, held until more come. A cut unit is tried again
 * only once the bytes held have doubled, so a unit of any size (a TOC entry with a 30 MB comment,
 * say) costs time linear in its size, not a copy of everything held at every 64 KiB read.
 */
export class HeldBytes {
    private parts: Buffer[] = [];
    private length = 0;
    private wanted = 0;

    /** Bytes held. */
    get size(): number {
        return this.length;
    }

    /** Adds the next read: the bytes to read from now, or undefined while too few have come since the last try. */
    add(chunk: Buffer): Buffer | undefined {
        if (this.length === 0) {
            return chunk;
        }
        this.parts.push(chunk);
        this.length += chunk.length;
        return this.length < this.wanted ? undefined : this.take();
    }

    /** Holds the cut unit's bytes until at least twice as many have come. */
    hold(rest: Buffer): void {
        this.parts = [Buffer.from(rest)];
        this.length = rest.length;
        this.wanted = 2 * rest.length;
    }

    /** Everything held, which is no longer held. */
    take(): Buffer {
        const all = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.length);
        this.parts = [];
        this.length = 0;
        return all;
    }
}

/** A reader over a buffer that throws NeedMoreBytes when it would read past its end. */
export class Cursor {
    pos = 0;
    constructor(readonly buf: Buffer) {}

    byte(): number {
        if (this.pos >= this.buf.length) {
            throw new NeedMoreBytes();
        }
        return this.buf[this.pos++] as number;
    }

    bytes(n: number): Buffer {
        if (this.pos + n > this.buf.length) {
            throw new NeedMoreBytes();
        }
        const b = this.buf.subarray(this.pos, this.pos + n);
        this.pos += n;
        return b;
    }

    /** WriteInt: a sign byte, then `intSize` bytes, least significant first. */
    int(intSize: number): number {
        const sign = this.byte();
        const b = this.bytes(intSize);
        let value = 0;
        for (let i = intSize - 1; i >= 0; i--) {
            value = value * 256 + (b[i] as number);
        }
        return sign === 0 ? value : -value;
    }

    /** WriteStr: a length (-1 for NULL), then the bytes. */
    str(intSize: number): string | undefined {
        return this.strBytes(intSize)?.toString("utf8");
    }

    /** WriteStr's bytes, copied out of the read buffer (which may be reused); undefined for NULL. */
    rawStr(intSize: number): Buffer | undefined {
        const b = this.strBytes(intSize);
        return b === undefined ? undefined : Buffer.from(b);
    }

    /** WriteStr's bytes within the read buffer; undefined for NULL. */
    private strBytes(intSize: number): Buffer | undefined {
        const n = this.int(intSize);
        return n < 0 ? undefined : this.bytes(n);
    }

    skipStr(intSize: number): void {
        const n = this.int(intSize);
        if (n > 0) {
            this.bytes(n);
        }
    }
}

const MAGIC = Buffer.from("PGDMP", "ascii");

/** The header (ReadHead); throws an Error naming what is wrong, or NeedMoreBytes. */
export function readHeader(c: Cursor): ArchiveHeader {
    const magic = c.bytes(MAGIC.length);
    if (!magic.equals(MAGIC)) {
        throw new Error(`no "PGDMP" magic (first bytes: ${magic.toString("hex")})`);
    }
    const major = c.byte();
    const minor = c.byte();
    c.byte();
    if (!ARCHIVE_VERSIONS.some(([a, b]) => a === major && b === minor)) {
        throw new Error(`archive version ${major}.${minor} is not one whose rows can be counted (${ARCHIVE_VERSIONS.map(([a, b]) => `${a}.${b}`).join(", ")}: pg_dump 13 to 18)`);
    }
    const intSize = c.byte();
    const offSize = c.byte();
    if (intSize < 1 || intSize > 8 || offSize < 1 || offSize > 8) {
        throw new Error(`integer size ${intSize} or offset size ${offSize} is out of range 1..8`);
    }
    const format = c.byte();
    let compression: ArchiveCompression;
    if (minor >= 15) {
        const code = c.byte();
        const algorithm = ALGORITHMS[code];
        if (algorithm === undefined) {
            throw new Error(`compression algorithm ${code} is unknown (expected 0..3: ${ALGORITHMS.join(", ")})`);
        }
        compression = algorithm;
    } else {
        // 1.14 stores the gzip level: 0 is none, -1 is zlib's default level.
        compression = c.int(intSize) === 0 ? "none" : "gzip";
    }
    for (let i = 0; i < 7; i++) {
        c.int(intSize);
    }
    c.skipStr(intSize);
    c.skipStr(intSize);
    c.skipStr(intSize);
    return { major, minor, intSize, offSize, format, compression };
}

/** The header of a custom-format archive (the single stream's); any other format is refused. */
export function readCustomHeader(c: Cursor): ArchiveHeader {
    const header = readHeader(c);
    if (header.format !== FORMAT_CUSTOM) {
        throw new Error(`archive format ${header.format}, expected ${FORMAT_CUSTOM} (custom)`);
    }
    return header;
}

/** K_OFFSET_NO_DATA: the custom format's marker of an entry without a data block. */
const OFFSET_NO_DATA = 3;

/** One TOC entry (ReadToc and the format's ReadExtraToc). */
export function readTocEntry(c: Cursor, h: ArchiveHeader): TocEntry {
    const i = h.intSize;
    const dumpId = c.int(i);
    if (dumpId <= 0) {
        throw new Error(`entry id ${dumpId} is out of range`);
    }
    c.int(i);
    c.skipStr(i);
    c.skipStr(i);
    const rawTag = c.rawStr(i) ?? Buffer.alloc(0);
    const desc = c.str(i) ?? "";
    c.int(i);
    const definition = desc === "ENCODING" ? c.str(i) : (c.skipStr(i), undefined);
    c.skipStr(i);
    c.skipStr(i);
    const rawNamespace = c.rawStr(i);
    c.skipStr(i);
    c.skipStr(i);
    if (h.minor >= 16) {
        c.int(i);
    }
    c.skipStr(i);
    c.skipStr(i);
    while (c.str(i) !== undefined) {
        // dependencies, ended by a NULL
    }
    const names = { tag: rawTag.toString("utf8"), namespace: rawNamespace?.toString("utf8"), rawTag, rawNamespace, encodingStatement: definition };
    if (h.format === FORMAT_CUSTOM) {
        const flag = c.byte();
        c.bytes(h.offSize);
        return { dumpId, desc, ...names, hasData: flag !== OFFSET_NO_DATA, fileName: undefined };
    }
    const fileName = c.str(i);
    return { dumpId, desc, ...names, hasData: fileName !== undefined && fileName !== "", fileName: fileName === "" ? undefined : fileName };
}

/**
 * PostgreSQL server encodings whose bytes the WHATWG decoder of that label reads to the same
 * characters PostgreSQL does, compared byte by byte with PostgreSQL 15's convert_from for every
 * byte PostgreSQL converts (LATIN1 is read byte for byte instead: the label "latin1" means
 * windows-1252 there). Left out: LATIN10 (Node.js has no iso-8859-16 decoder), and EUC_JP and
 * EUC_KR, whose WHATWG tables read some sequences otherwise than PostgreSQL (EUC_KR a2e6 is € to
 * PostgreSQL and an error to WHATWG; EUC_JP 8fa2c3 is U+FFE4 to PostgreSQL and U+00A6 to WHATWG).
 * Every server encoding is a superset of ASCII, so an ASCII name needs none of them.
 */
const NAME_DECODERS: Readonly<Record<string, string>> = {
    UTF8: "utf-8",
    // SQL_ASCII converts nothing: the catalog's names reach the dump's session (client_encoding
    // UTF8) as their bytes, read as UTF-8, so the archive's bytes are read the same way.
    SQL_ASCII: "utf-8",
    LATIN2: "iso-8859-2", LATIN3: "iso-8859-3", LATIN4: "iso-8859-4", LATIN6: "iso-8859-10", LATIN7: "iso-8859-13",
    LATIN8: "iso-8859-14", LATIN9: "iso-8859-15",
    ISO_8859_5: "iso-8859-5", ISO_8859_6: "iso-8859-6", ISO_8859_7: "iso-8859-7", ISO_8859_8: "iso-8859-8",
    KOI8R: "koi8-r", KOI8U: "koi8-u", WIN866: "ibm866", WIN874: "windows-874",
    WIN1250: "windows-1250", WIN1251: "windows-1251", WIN1252: "windows-1252", WIN1253: "windows-1253", WIN1254: "windows-1254",
    WIN1255: "windows-1255", WIN1256: "windows-1256", WIN1257: "windows-1257", WIN1258: "windows-1258",
};

/**
 * Reads the schema and table names of a table of contents as the catalog gives them, in UTF-8:
 * pg_dump writes them in its client encoding, which is the database's (the archive's ENCODING
 * entry says which). A name that cannot be read exactly (bytes that are not UTF-8 in a SQL_ASCII
 * database, or beyond ASCII in an encoding not listed) is an error naming it, never a guess.
 */
export function tocNames(entries: Iterable<TocEntry>): (raw: Buffer) => string {
    let encoding = "UTF8";
    for (const e of entries) {
        if (e.desc === "ENCODING" && e.encodingStatement !== undefined) {
            encoding = /client_encoding = '([^']+)'/.exec(e.encodingStatement)?.[1]?.toUpperCase() ?? encoding;
            break;
        }
    }
    const label = NAME_DECODERS[encoding];
    // Made for the first name beyond ASCII only: an ASCII name needs no decoder.
    let decoder: InstanceType<typeof TextDecoder> | undefined;
    return (raw) => {
        if (raw.every((b) => b < 0x80)) {
            return raw.toString("ascii");
        }
        if (encoding === "LATIN1") {
            return raw.toString("latin1");
        }
        if (label === undefined) {
            throw new Error(`the name ${JSON.stringify(raw.toString("latin1"))} (bytes ${raw.toString("hex")}) of a ${encoding} database cannot be read exactly: only ASCII names can be counted in ${encoding}`);
        }
        try {
            decoder ??= new TextDecoder(label, { fatal: true });
            return decoder.decode(raw);
        } catch {
            const why = encoding === "SQL_ASCII" ? "is not UTF-8, the only way the catalog's names of a SQL_ASCII database can be read" : `is not valid ${encoding}`;
            throw new Error(`the name ${JSON.stringify(raw.toString("latin1"))} (bytes ${raw.toString("hex")}) ${why}`);
        }
    };
}

/** Reads the entry count that follows the header. */
export function readTocCount(c: Cursor, h: ArchiveHeader): number {
    const n = c.int(h.intSize);
    if (n < 0) {
        throw new Error(`entry count ${n} is negative`);
    }
    return n;
}

/** A whole table of contents held in memory (a directory dump's toc.dat). */
export function readToc(buf: Buffer): { readonly header: ArchiveHeader; readonly entries: readonly TocEntry[] } {
    const c = new Cursor(buf);
    try {
        const header = readHeader(c);
        const n = readTocCount(c, header);
        const entries: TocEntry[] = [];
        for (let k = 0; k < n; k++) {
            entries.push(readTocEntry(c, header));
        }
        return { header, entries };
    } catch (err) {
        if (err instanceof NeedMoreBytes) {
            throw new Error(`the table of contents is cut short at byte ${buf.length}`);
        }
        throw err;
    }
}

/** How a table's data is stored for the archive's compression; lz4 cannot be read here. */
export function dataEncoding(compression: ArchiveCompression, container: "zlib" | "gzip"): DataEncoding {
    if (compression === "lz4") {
        throw new Error("the archive is lz4-compressed, which the row counter cannot decompress");
    }
    return compression === "gzip" ? container : compression;
}

/** The TABLE DATA entries, as "dumpId" keyed schema and name. */
export function tableDataEntries(entries: readonly TocEntry[]): TocEntry[] {
    return entries.filter((e) => e.desc === "TABLE DATA");
}
