/**
 * How pg_dump is invoked: compression arguments per client version, the version rule, and the
 * child's environment (connection and password through PG* variables, never on the command line).
 */
import type { Compression } from "../shared/manifest";
import { libpqEnv, type PgTarget } from "../shared/pgTarget";
import { DumpConfigError, PgDumpVersionError } from "./errors";

export type CompressionMethod = Compression["method"];

/** Levels each method accepts, and the fast level used when none is given. */
export const COMPRESSION_LEVELS: Readonly<Record<CompressionMethod, { readonly min: number; readonly max: number; readonly fast: number }>> = {
    gzip: { min: 1, max: 9, fast: 1 },
    lz4: { min: 1, max: 12, fast: 1 },
    zstd: { min: 1, max: 22, fast: 1 },
    none: { min: 0, max: 0, fast: 0 },
};

/** gzip level 1: pg_dump's zlib at its default level (6) is the bottleneck of the whole pipeline, level 1 is several times faster for a slightly bigger dump. */
export const DEFAULT_COMPRESSION: Compression = { method: "gzip", level: 1 };

/** First pg_dump major that has lz4 and zstd (`--compress=method:level`). */
const METHOD_SELECTION_MAJOR = 16;

export function validateCompression(c: Compression, name = "compression"): void {
    const range = COMPRESSION_LEVELS[c.method];
    if (range === undefined) {
        throw new DumpConfigError(`${name}: method "${String(c.method)}" is not allowed; expected one of ${Object.keys(COMPRESSION_LEVELS).join(", ")}`);
    }
    if (!Number.isInteger(c.level) || c.level < range.min || c.level > range.max) {
        throw new DumpConfigError(`${name}: ${c.method} level ${c.level} is out of range ${range.min}..${range.max}`);
    }
}

/** Parses `method[:level]` as pg_dump 16 writes it: `gzip:1`, `zstd`, `lz4:3`, `none`. */
export function parseCompression(text: string, name = "compression"): Compression {
    const [method, level, ...rest] = text.trim().toLowerCase().split(":");
    if (rest.length > 0 || method === undefined || !(method in COMPRESSION_LEVELS)) {
        throw new DumpConfigError(`${name}: "${text}" is not allowed; expected gzip[:1-9], lz4[:1-12], zstd[:1-22] or none`);
    }
    const m = method as CompressionMethod;
    if (level !== undefined && !/^\d+$/.test(level)) {
        throw new DumpConfigError(`${name}: level "${level}" in "${text}" is not an integer`);
    }
    const c: Compression = { method: m, level: level === undefined ? COMPRESSION_LEVELS[m].fast : Number(level) };
    validateCompression(c, name);
    return c;
}

/** pg_dump arguments for the compression; lz4 and zstd need a client of major 16 or newer. */
export function compressionArgs(c: Compression, pgDumpMajor: number): string[] {
    validateCompression(c);
    if (pgDumpMajor < METHOD_SELECTION_MAJOR) {
        if (c.method === "lz4" || c.method === "zstd") {
            throw new PgDumpVersionError(
                `compression ${c.method} needs pg_dump ${METHOD_SELECTION_MAJOR} or newer; this pg_dump is ${pgDumpMajor}. Use gzip:1-9 or none, or a newer client`,
            );
        }
        return ["-Z", String(c.method === "none" ? 0 : c.level)];
    }
    return [`--compress=${c.method === "none" ? "none" : `${c.method}:${c.level}`}`];
}

/** pg_dump reads servers of its own major and older ones; a newer server needs a newer pg_dump. */
export function checkDumpVersion(pgDumpMajor: number, serverMajor: number, pgDumpVersion: string, serverVersion: string): void {
    if (pgDumpMajor < serverMajor) {
        throw new PgDumpVersionError(
            `pg_dump ${pgDumpMajor} ("${pgDumpVersion}") is older than the server ${serverMajor} (${serverVersion}); ` +
                `pg_dump must be the server's major version or newer: build the function image with the PostgreSQL ${serverMajor} client`,
        );
    }
}

/**
 * A gzip custom archive is compressed by the dump pipeline (./archiveCompressor.ts) on several
 * threads, not by pg_dump on one: pg_dump writes it uncompressed. Other methods stay with pg_dump.
 */
export function compressedByPipeline(c: Compression): boolean {
    return c.method === "gzip";
}

/** Full argument list: custom format, large objects, the exported snapshot, compression (none when the pipeline compresses), never prompt for a password. */
export function pgDumpArgs(snapshot: string, compression: Compression, pgDumpMajor: number): string[] {
    const byPgDump = compressedByPipeline(compression) ? { method: "none" as const, level: 0 } : compression;
    return ["--format=custom", "--blobs", `--snapshot=${snapshot}`, "--no-password", ...compressionArgs(byPgDump, pgDumpMajor)];
}

/** Arguments for a directory-format dump with `jobs` parallel workers (the caller adds `--file`). */
export function pgDumpDirectoryArgs(snapshot: string, compression: Compression, pgDumpMajor: number, jobs: number): string[] {
    return ["--format=directory", `--jobs=${jobs}`, "--blobs", `--snapshot=${snapshot}`, "--no-password", ...compressionArgs(compression, pgDumpMajor)];
}

/** Variables passed on from the function's own environment; everything else (AWS credentials included) stays out of the child. */
const INHERITED = ["PATH", "LD_LIBRARY_PATH", "LANG", "LC_ALL", "TZ", "HOME", "PGSSLROOTCERT", "NODE_EXTRA_CA_CERTS"];

export function pgDumpEnv(target: PgTarget, parent: NodeJS.ProcessEnv): Record<string, string> {
    const env: Record<string, string> = {};
    for (const name of INHERITED) {
        const v = parent[name];
        if (v !== undefined) {
            env[name] = v;
        }
    }
    return { ...env, ...libpqEnv(target), PGCONNECT_TIMEOUT: "15", PGAPPNAME: "pg-backup-stack-dump" };
}
