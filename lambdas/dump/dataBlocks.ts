/**
 * The rules a custom-format archive's data blocks must follow, shared by the row reader of
 * compressed archives (./archiveRows.ts) and the compressor of uncompressed ones
 * (./archiveCompressor.ts). Blocks are laid out as src/bin/pg_dump/pg_backup_custom.c writes them
 * (_StartData, _StartLOs): a block type byte and the entry's dump id; the table of contents must
 * hold that entry, no entry has two blocks, and every entry the table of contents says has data
 * (a table's, the large objects') gets one.
 */
import type { TableCount } from "../shared/manifest";
import { tocNames, type TocEntry } from "./tocReader";

/** BLK_DATA: one entry's data as one run of chunks. */
export const BLK_DATA = 1;
/** BLK_BLOBS: large objects, a run of chunks per object, each after its oid, ended by oid 0. */
export const BLK_BLOBS = 3;

/** A data block that has started: its entry, whether its rows are counted, and whether it holds large objects. */
export interface DataBlock {
    readonly entry: TocEntry;
    readonly counted: boolean;
    readonly blobs: boolean;
}

export class DataBlockLedger {
    private readonly entries = new Map<number, TocEntry>();
    private readonly seen = new Set<number>();

    /** Records a table-of-contents entry; throws when its id came before. */
    addEntry(e: TocEntry): void {
        if (this.entries.has(e.dumpId)) {
            throw new Error(`entry id ${e.dumpId} appears twice in the table of contents`);
        }
        this.entries.set(e.dumpId, e);
    }

    /** Starts the block of `type` for entry `id`; throws on an unknown type, an unknown entry or a second block for one entry. */
    startBlock(type: number, id: number): DataBlock {
        if (type !== BLK_DATA && type !== BLK_BLOBS) {
            throw new Error(`unknown data block type ${type}`);
        }
        const entry = this.entries.get(id);
        if (entry === undefined) {
            throw new Error(`a data block for entry ${id}, which the table of contents does not have`);
        }
        if (this.seen.has(id)) {
            throw new Error(`a second data block for ${describeEntry(entry)}`);
        }
        this.seen.add(id);
        return { entry, counted: type === BLK_DATA && entry.desc === "TABLE DATA", blobs: type === BLK_BLOBS };
    }

    /** At the archive's end: what is wrong when the data of an entry that has some (a table's, the large objects') never came. */
    missingProblem(): string | undefined {
        const missing = [...this.entries.values()].filter((e) => e.hasData && !this.seen.has(e.dumpId));
        return missing.length === 0 ? undefined : `the data of ${missing.length} entr${missing.length === 1 ? "y" : "ies"} never came, e.g. ${describeEntry(missing[0] as TocEntry)}`;
    }

    /** Row counts by dump id as table counts, named as the catalog names them (tocNames), sorted by schema and name. */
    tableCounts(rows: ReadonlyMap<number, number>): TableCount[] {
        const name = tocNames(this.entries.values());
        const out: TableCount[] = [];
        for (const [id, n] of rows) {
            const e = this.entries.get(id) as TocEntry;
            out.push({ schema: e.rawNamespace === undefined ? "" : name(e.rawNamespace), name: name(e.rawTag), rows: n });
        }
        return out.sort((a, b) => (a.schema === b.schema ? compare(a.name, b.name) : compare(a.schema, b.schema)));
    }
}

export function describeEntry(e: TocEntry): string {
    return `${e.desc} ${e.namespace === undefined ? "" : `${e.namespace}.`}${e.tag} (entry ${e.dumpId})`;
}

function compare(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}
