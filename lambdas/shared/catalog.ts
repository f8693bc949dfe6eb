import { z } from "zod";
import { databasePrefix } from "./keys";
import { dumpFileKey, filesDigest, MANIFEST_FORMAT_VERSION, MANIFEST_SUFFIX, type BackupManifest } from "./manifest";
import { readText, type BackupStorage } from "./storage/port";
import { TIER_NAMES } from "./tiers";

/**
 * The backups of one database, read from the backup storage. Only a dump object that has a manifest is a
 * backup; a manifest that does not parse, names another object or database, or whose dump
 * object is gone is reported as a problem and never used.
 */
export interface BackupEntry {
    readonly manifest: BackupManifest;
    readonly manifestKey: string;
    /** Size of the dump object as the storage lists it (compared with the manifest on download). */
    readonly objectSizeBytes: number;
    readonly manifestLastModified?: Date;
}

export interface CatalogProblem {
    readonly key: string;
    readonly reason: string;
    readonly lastModified?: Date;
}

export interface Catalog {
    /** The bucket or container. */
    readonly bucket: string;
    /** Where the backups live, for messages: `s3://bucket` or the container's URL. */
    readonly location: string;
    readonly database: string;
    /** Newest first (by the manifest's start time, then key). */
    readonly backups: readonly BackupEntry[];
    readonly problems: readonly CatalogProblem[];
    /** Dump objects without a manifest: unfinished or failed runs, never backups. */
    readonly withoutManifest: readonly string[];
}

export interface ListBackupsOptions {
    /** Key prefix the dump function writes under (the `<prefix>` of the key layout). */
    readonly prefix: string;
    /** Logical database name (the key's second segment). */
    readonly database: string;
}

/** Manifests are small JSON documents; anything bigger is not one of ours. */
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
const MANIFEST_READ_CONCURRENCY = 8;
const DUMP_SUFFIX = ".dump";
/** `<key>.dump/<file>`: one file of a directory dump. */
const DIRECTORY_FILE = /^(.+\.dump)\/[^/]+$/;

export class ManifestError extends Error {
    constructor(
        readonly key: string,
        reason: string,
    ) {
        super(`manifest ${key}: ${reason}`);
        this.name = "ManifestError";
    }
}

const isoTime = z.iso.datetime({ offset: true });

const manifestSchema = z.object({
    formatVersion: z.literal(MANIFEST_FORMAT_VERSION),
    database: z.string().min(1),
    bucket: z.string().min(1),
    key: z.string().min(1),
    tier: z.enum(TIER_NAMES),
    runId: z.string().min(1),
    trigger: z.enum(["schedule", "on-demand"]),
    sizeBytes: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, "expected 64 lower-case hex characters"),
    serverVersion: z.string().min(1),
    serverVersionNum: z.number().int().positive(),
    pgDumpVersion: z.string().min(1),
    compression: z.object({
        method: z.enum(["gzip", "lz4", "zstd", "none"]),
        level: z.number().int(),
    }),
    startedAt: isoTime,
    finishedAt: isoTime,
    durationMs: z.number().nonnegative(),
    tables: z.array(
        z.object({
            schema: z.string().min(1),
            name: z.string().min(1),
            rows: z.number().int().nonnegative(),
        }),
    ),
    largeObjects: z.number().int().nonnegative().optional(),
    source: z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535), database: z.string().min(1) }).optional(),
    format: z.enum(["custom", "directory"]).optional(),
    files: z
        .array(
            z.object({
                name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "expected a plain file name"),
                key: z.string().min(1),
                sizeBytes: z.number().int().nonnegative(),
                sha256: z.string().regex(/^[0-9a-f]{64}$/, "expected 64 lower-case hex characters"),
            }),
        )
        .optional(),
});

/** What the schema cannot say: a directory dump lists its files (toc.dat among them) under its key, and their sizes and digests add up. */
function directoryProblem(m: BackupManifest): string | undefined {
    if ((m.format ?? "custom") === "custom") {
        return m.files === undefined ? undefined : "a custom-format dump lists files";
    }
    const files = m.files ?? [];
    if (!files.some((f) => f.name === "toc.dat")) {
        return "a directory dump without toc.dat among its files";
    }
    const names = new Set(files.map((f) => f.name));
    if (names.size !== files.length) {
        return "a directory dump lists a file twice";
    }
    const misplaced = files.find((f) => f.key !== dumpFileKey(m.key, f.name));
    if (misplaced !== undefined) {
        return `file ${misplaced.name} has key "${misplaced.key}", expected "${dumpFileKey(m.key, misplaced.name)}"`;
    }
    const total = files.reduce((sum, f) => sum + f.sizeBytes, 0);
    if (total !== m.sizeBytes) {
        return `sizeBytes ${m.sizeBytes} is not the total ${total} of its files`;
    }
    if (m.sha256 !== filesDigest(files)) {
        return "sha256 is not the digest of its files' list";
    }
    return undefined;
}

/**
 * Parses and checks one manifest read from `manifestKey`: the schema, that it describes the
 * object next to it, and that it belongs to `database`. Throws ManifestError otherwise.
 */
export function parseManifest(text: string, manifestKey: string, database: string): BackupManifest {
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch (err) {
        throw new ManifestError(manifestKey, `not JSON (${err instanceof Error ? err.message : String(err)})`);
    }
    const result = manifestSchema.safeParse(json);
    if (!result.success) {
        throw new ManifestError(manifestKey, `does not match the manifest format: ${z.prettifyError(result.error).replace(/\n/g, "; ")}`);
    }
    const manifest: BackupManifest = result.data;
    const problem = directoryProblem(manifest);
    if (problem !== undefined) {
        throw new ManifestError(manifestKey, `does not match the manifest format: ${problem}`);
    }
    const expectedKey = manifestKey.endsWith(MANIFEST_SUFFIX) ? manifestKey.slice(0, -MANIFEST_SUFFIX.length) : undefined;
    if (manifest.key !== expectedKey) {
        throw new ManifestError(manifestKey, `names object "${manifest.key}" but sits next to "${expectedKey ?? "(not a manifest key)"}"`);
    }
    if (manifest.database !== database) {
        throw new ManifestError(manifestKey, `is for database "${manifest.database}", not "${database}"`);
    }
    return manifest;
}

/** Lists the backups of `database`, newest first, with every problem found on the way. */
export async function listBackups(storage: BackupStorage, options: ListBackupsOptions): Promise<Catalog> {
    const objects = new Map((await storage.list(databasePrefix(options.prefix, options.database))).map((o) => [o.key, o]));
    const manifestKeys = [...objects.keys()].filter((k) => k.endsWith(MANIFEST_SUFFIX));
    // A directory dump's files sit under `<key>/`: its key counts as a dump object, with or without a manifest.
    const directoryKeys = [...objects.keys()].map((k) => DIRECTORY_FILE.exec(k)?.[1]).filter((k): k is string => k !== undefined);
    const dumpKeys = [...new Set([...[...objects.keys()].filter((k) => k.endsWith(DUMP_SUFFIX)), ...directoryKeys])];
    const described = new Set(manifestKeys.map((k) => k.slice(0, -MANIFEST_SUFFIX.length)));

    const backups: BackupEntry[] = [];
    const problems: CatalogProblem[] = [];
    const outcomes = await mapLimited(manifestKeys, MANIFEST_READ_CONCURRENCY, async (key) => {
        const listed = objects.get(key);
        try {
            if (listed !== undefined && listed.sizeBytes > MAX_MANIFEST_BYTES) {
                throw new ManifestError(key, `is ${listed.sizeBytes} bytes, more than a manifest can be (${MAX_MANIFEST_BYTES})`);
            }
            const manifest = parseManifest(await readText(storage, key), key, options.database);
            let objectSizeBytes = 0;
            if (manifest.files !== undefined) {
                for (const file of manifest.files) {
                    const stored = objects.get(file.key);
                    if (stored === undefined) {
                        throw new ManifestError(key, `file ${file.name} of its directory dump ("${file.key}") does not exist`);
                    }
                    objectSizeBytes += stored.sizeBytes;
                }
            } else {
                const dumpObject = objects.get(manifest.key);
                if (dumpObject === undefined) {
                    throw new ManifestError(key, `its dump object "${manifest.key}" does not exist`);
                }
                objectSizeBytes = dumpObject.sizeBytes;
            }
            return {
                kind: "backup" as const,
                entry: {
                    manifest,
                    manifestKey: key,
                    objectSizeBytes,
                    ...(listed?.lastModified === undefined ? {} : { manifestLastModified: listed.lastModified }),
                },
            };
        } catch (err) {
            if (err instanceof ManifestError) {
                return {
                    kind: "problem" as const,
                    problem: {
                        key,
                        reason: err.message,
                        ...(listed?.lastModified === undefined ? {} : { lastModified: listed.lastModified }),
                    },
                };
            }
            throw err;
        }
    });
    for (const outcome of outcomes) {
        if (outcome.kind === "backup") {
            backups.push(outcome.entry);
        } else {
            problems.push(outcome.problem);
        }
    }
    backups.sort(newestFirst);
    problems.sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
    return {
        bucket: storage.container,
        location: storage.location,
        database: options.database,
        backups,
        problems,
        withoutManifest: dumpKeys.filter((k) => !described.has(k)).sort().reverse(),
    };
}

/** Which backup to pick: a given key, the newest, or the newest started at or before a time. */
export type BackupSelector = { readonly key: string } | { readonly latest: true } | { readonly before: Date };

export class BackupNotFoundError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "BackupNotFoundError";
    }
}

/** How a backup is chosen. */
export interface SelectOptions {
    /**
     * Take the newest usable backup even when a newer one is unusable (its manifest does not
     * parse, or its object is gone). @default false - refuse, naming the newer backups
     */
    readonly skipUnusableNewer?: boolean;
    /** Told the unusable newer backups that skipUnusableNewer passed over. @default none */
    readonly onSkipped?: (skipped: readonly CatalogProblem[]) => void;
}

/** A newer backup than the one `--latest` or `--before` would take is unusable. */
export class UnusableNewerBackupError extends BackupNotFoundError {
    constructor(
        readonly chosen: BackupEntry,
        readonly skipped: readonly CatalogProblem[],
    ) {
        super(
            `${skipped.length} backup(s) newer than the newest usable one (${chosen.manifest.key}, started ${chosen.manifest.startedAt}) cannot be used: ` +
                skipped.map((p) => p.reason).join("; ") +
                `; refusing to restore an older backup without --skip-unusable-newer`,
        );
        this.name = "UnusableNewerBackupError";
    }
}

/**
 * The backup `selector` names. For the newest (or the newest before a time), a newer backup
 * that is unusable makes this throw UnusableNewerBackupError unless `skipUnusableNewer` is set:
 * silently restoring older data than asked for is worse than stopping.
 */
export function selectBackup(catalog: Catalog, selector: BackupSelector, options: SelectOptions = {}): BackupEntry {
    const where = `${catalog.location} for database "${catalog.database}"`;
    if ("key" in selector) {
        const found = catalog.backups.find((b) => b.manifest.key === selector.key);
        if (found === undefined) {
            const problem = catalog.problems.find((p) => p.key.startsWith(selector.key));
            const why = problem !== undefined ? `: ${problem.reason}` : catalog.withoutManifest.includes(selector.key) ? ": the object has no manifest, so it is not a backup" : "";
            throw new BackupNotFoundError(`no backup with key "${selector.key}" in ${where}${why}`);
        }
        return found;
    }
    const limit = "before" in selector ? selector.before.getTime() : Number.POSITIVE_INFINITY;
    const found = catalog.backups.find((b) => Date.parse(b.manifest.startedAt) <= limit);
    const skipped = unusableNewer(catalog, found, limit);
    if (found === undefined) {
        const unusable = skipped.length === 0 ? "" : `; unusable: ${skipped.map((p) => p.reason).join("; ")}`;
        throw new BackupNotFoundError(`${"before" in selector ? `no backup started at or before ${selector.before.toISOString()}` : "no backup with a manifest"} in ${where}${unusable}`);
    }
    if (skipped.length > 0) {
        if (options.skipUnusableNewer !== true) {
            throw new UnusableNewerBackupError(found, skipped);
        }
        options.onSkipped?.(skipped);
    }
    return found;
}

/**
 * The unusable backups newer than `chosen` (all of them when nothing was chosen) and started at
 * or before `limit` (epoch ms). A problem's time is the start time in its key, else the time the storage
 * last modified the manifest; one with neither counts as newer.
 */
function unusableNewer(catalog: Catalog, chosen: BackupEntry | undefined, limit: number): CatalogProblem[] {
    const chosenAt = chosen === undefined ? Number.NEGATIVE_INFINITY : Date.parse(chosen.manifest.startedAt);
    return catalog.problems.filter((p) => {
        const at = problemTime(p);
        if (at === undefined) {
            return true;
        }
        return at <= limit && (at > chosenAt || (at === chosenAt && chosen !== undefined && p.key > chosen.manifestKey));
    });
}

/** `<database>-20261121T233015123Z-<runId>.dump...`: the dump's start time, to the millisecond. */
const KEY_TIME = /-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-[^/]*$/;

function problemTime(p: CatalogProblem): number | undefined {
    const m = KEY_TIME.exec(p.key);
    if (m !== null) {
        const [, y, mo, d, h, mi, s, ms] = m;
        return Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
    }
    return p.lastModified?.getTime();
}

function newestFirst(a: BackupEntry, b: BackupEntry): number {
    const byTime = Date.parse(b.manifest.startedAt) - Date.parse(a.manifest.startedAt);
    if (byTime !== 0) {
        return byTime;
    }
    return a.manifest.key < b.manifest.key ? 1 : a.manifest.key > b.manifest.key ? -1 : 0;
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
    const results: R[] = new Array<R>(items.length);
    let next = 0;
    const worker = async (): Promise<void> => {
        while (next < items.length) {
            const index = next++;
            results[index] = await fn(items[index] as T);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
}
