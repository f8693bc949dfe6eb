/**
 * The manifest written next to every dump object once its upload has completed.
 * An object without a manifest is never a backup: listing, verification and restore
 * all start from manifests.
 */
import { createHash } from "node:crypto";
import type { TierName } from "./tiers";

export const MANIFEST_FORMAT_VERSION = 1;

/** Suffix that turns a dump object key into its manifest key. */
export const MANIFEST_SUFFIX = ".manifest.json";

/** Rows counted in the same snapshot the dump was taken from. */
export interface TableCount {
    readonly schema: string;
    readonly name: string;
    readonly rows: number;
}

export interface Compression {
    /** gzip for PostgreSQL 15 clients; lz4 and zstd need a 16+ client. */
    readonly method: "gzip" | "lz4" | "zstd" | "none";
    readonly level: number;
}

/** How the dump is stored: one custom-format archive, or a directory-format dump of several files. */
export type DumpFormat = "custom" | "directory";

/** One file of a directory-format dump, stored as its own object under `<key>/<name>`. */
export interface DumpFile {
    /** File name in pg_dump's directory: `toc.dat`, `<dumpId>.dat.gz`, `blobs.toc`, ... */
    readonly name: string;
    readonly key: string;
    readonly sizeBytes: number;
    /** Lower-case hex SHA-256 of the file. */
    readonly sha256: string;
}

export interface BackupManifest {
    readonly formatVersion: typeof MANIFEST_FORMAT_VERSION;
    /** Logical database name from the stack config (also the key's second segment). */
    readonly database: string;
    readonly bucket: string;
    /** Key of the dump object this manifest describes. */
    readonly key: string;
    readonly tier: TierName;
    readonly runId: string;
    /** "schedule" for the EventBridge runs, "on-demand" for a run before a deployment. */
    readonly trigger: "schedule" | "on-demand";
    /** Size of the dump object; for a directory dump, the total of its files. */
    readonly sizeBytes: number;
    /** Lower-case hex SHA-256 of the whole object, computed while streaming; for a directory dump, filesDigest(files). */
    readonly sha256: string;
    /** Absent in manifests written before directory dumps existed: custom. */
    readonly format?: DumpFormat;
    /** The files of a directory dump (format "directory" only), each with its own size and SHA-256. */
    readonly files?: readonly DumpFile[];
    /** server_version as reported by the server, e.g. "15.18". */
    readonly serverVersion: string;
    /** server_version_num, e.g. 150018. */
    readonly serverVersionNum: number;
    /** `pg_dump --version` output, e.g. "pg_dump (PostgreSQL) 15.18". */
    readonly pgDumpVersion: string;
    readonly compression: Compression;
    /** ISO-8601 UTC. */
    readonly startedAt: string;
    readonly finishedAt: string;
    readonly durationMs: number;
    readonly tables: readonly TableCount[];
    /**
     * Large objects in the database as of the dump's snapshot (rows of pg_largeobject_metadata),
     * which pg_dump --blobs stores; a restore is checked against it. Absent from older manifests.
     */
    readonly largeObjects?: number;
    /** The server and database the dump was taken from, so a restore can refuse to overwrite it. Absent from older manifests. */
    readonly source?: BackupSource;
}

/** Host as the dump function reached it (name, address or socket directory), port, database name. */
export interface BackupSource {
    readonly host: string;
    readonly port: number;
    readonly database: string;
}

/** The format of the dump a manifest describes; older manifests carry none and are custom. */
export function dumpFormatOf(manifest: Pick<BackupManifest, "format">): DumpFormat {
    return manifest.format ?? "custom";
}

/** Key of one file of a directory dump whose manifest names `dumpObjectKey`. */
export function dumpFileKey(dumpObjectKey: string, name: string): string {
    return `${dumpObjectKey}/${name}`;
}

/**
 * The SHA-256 a directory dump's manifest records as its own: of the lines `<sha256>  <name>`
 * of its files sorted by name (sha256sum's format), so one value still identifies the whole dump.
 */
export function filesDigest(files: readonly Pick<DumpFile, "name" | "sha256">[]): string {
    const lines = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((f) => `${f.sha256}  ${f.name}\n`);
    return createHash("sha256").update(lines.join("")).digest("hex");
}
