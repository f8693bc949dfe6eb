/**
 * The manifest written next to every dump object once its upload has completed.
 * An object without a manifest is never a backup: listing, verification and restore
 * all start from manifests.
 */
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
    readonly sizeBytes: number;
    /** Lower-case hex SHA-256 of the whole object, computed while streaming. */
    readonly sha256: string;
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
    /** The server and database the dump was taken from, so a restore can refuse to overwrite it. Absent from older manifests. */
    readonly source?: BackupSource;
}

/** Host as the dump function reached it (name, address or socket directory), port, database name. */
export interface BackupSource {
    readonly host: string;
    readonly port: number;
    readonly database: string;
}
