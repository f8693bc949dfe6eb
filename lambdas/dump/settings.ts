/**
 * What a dump run is given: its settings, with defaults filled in one place and every value
 * validated before anything runs, and its services; and the tags and Object Lock retention each
 * dump and its manifest are stored with.
 */
import type { BackupManifest, Compression, DumpFormat } from "../shared/manifest";
import type { PgTarget } from "../shared/pgTarget";
import type { Log, MetricSink } from "../shared/ports";
import type { StorageDep } from "../shared/storage/s3";
import { TIER_NAMES, TIER_TAG_KEY, type TierName } from "../shared/tiers";
import { choosePartSize, type ObjectLockRetention } from "../shared/upload";
import { DumpConfigError } from "./errors";
import { DEFAULT_GFS_POLICY, GfsPolicyError, validateGfsPolicy, type GfsPolicy } from "./gfs";
import { DEFAULT_COMPRESSION, validateCompression } from "./pgDump";

export type Trigger = BackupManifest["trigger"];

export interface DumpSettings {
    /** Logical database name: the key's second segment and the metric dimension. */
    readonly database: string;
    /** The bucket or Blob container of the dumps (the storage's, recorded in the manifest). */
    readonly bucket: string;
    /** Key prefix of all dumps. @default "backups" */
    readonly prefix: string;
    /** With an S3 client as the storage: KMS key id, ARN or alias for SSE-KMS; undefined sends no encryption headers (bucket default applies). */
    readonly kmsKeyId: string | undefined;
    /** @default "schedule" */
    readonly trigger: Trigger;
    /** @default weekly on sunday, monthly on the 1st (UTC) */
    readonly gfs: GfsPolicy;
    /** @default gzip level 1 */
    readonly compression: Compression;
    /** Multipart part size in bytes. @default the smallest whole MiB >= 16 MiB that keeps `expectedMaxBytes` under 9,000 parts */
    readonly partSizeBytes: number;
    /** Largest dump expected, in bytes; sizes the parts. @default 100 GiB */
    readonly expectedMaxBytes: number;
    /** Parts uploaded in parallel; memory is about (this + 2) x part size. @default 2 */
    readonly uploadConcurrency: number;
    /** Smallest archive accepted as a backup. @default 512 bytes (an empty database dumps to about 850) */
    readonly minArchiveBytes: number;
    /** Stop and clean up when less than this is left before the function's deadline. @default 60,000 ms */
    readonly safetyMarginMs: number;
    /** pg_dump binary. @default found via PG_BIN, /usr/lib/postgresql/<newest>/bin or PATH by the caller */
    readonly pgDumpPath: string;
    /** Per-object Object Lock of each dump and its manifest. @default none (the bucket's default retention, if any, applies) */
    readonly objectLock: DumpObjectLock | undefined;
    /**
     * "custom": one archive streamed to S3. "directory": `pg_dump --format=directory --jobs`
     * into local temporary storage (room for the whole compressed dump), then one object per file.
     * @default "custom"
     */
    readonly format: DumpFormat;
    /** pg_dump parallel workers in directory format, 1..16 (each holds a database connection). @default 2 */
    readonly jobs: number;
    /** Parent of the directory-format dump's temporary directory. @default the OS temp dir */
    readonly tempDir: string | undefined;
}

/** Locks every dump and manifest from the dump's start until its tier's keep days have passed. */
export interface DumpObjectLock {
    readonly mode: ObjectLockRetention["mode"];
    /** Days a dump of each tier is locked, counted from the dump's start: the tier's retention. */
    readonly keepDays: Readonly<Record<TierName, number>>;
}

const DAY_MS = 86_400_000;
/** S3's longest Object Lock retention period (100 years). */
const MAX_LOCK_DAYS = 36_500;

/** Tags of a dump and its manifest: the tier, under the key the bucket's lifecycle rules filter on. */
export function dumpTags(tier: TierName): Readonly<Record<string, string>> {
    return { [TIER_TAG_KEY]: tier };
}

/**
 * The retention of a dump of `tier` started at `startedAt`: locked until its tier's keep days
 * from the start. The bucket's lifecycle expires it that many days after its creation, which
 * comes later, so the lock has always ended when the expiry is due.
 */
export function dumpRetention(lock: DumpObjectLock | undefined, tier: TierName, startedAt: Date): ObjectLockRetention | undefined {
    return lock === undefined ? undefined : { mode: lock.mode, retainUntil: new Date(startedAt.getTime() + lock.keepDays[tier] * DAY_MS) };
}

export type DumpSettingsInput = Pick<DumpSettings, "database" | "bucket" | "pgDumpPath"> & Partial<Omit<DumpSettings, "database" | "bucket" | "pgDumpPath">>;

const GiB = 1024 * 1024 * 1024;
/** Most pg_dump workers a directory-format dump runs. */
export const MAX_DUMP_JOBS = 16;
const DATABASE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX = /^[A-Za-z0-9][A-Za-z0-9_\-./]{0,199}$/;

/** Fills defaults in one place and validates everything before anything runs. */
export function dumpSettings(input: DumpSettingsInput): DumpSettings {
    const expectedMaxBytes = input.expectedMaxBytes ?? 100 * GiB;
    const s: DumpSettings = {
        database: input.database,
        bucket: input.bucket,
        prefix: input.prefix ?? "backups",
        kmsKeyId: input.kmsKeyId,
        trigger: input.trigger ?? "schedule",
        gfs: input.gfs ?? DEFAULT_GFS_POLICY,
        compression: input.compression ?? DEFAULT_COMPRESSION,
        expectedMaxBytes,
        partSizeBytes: 0,
        uploadConcurrency: input.uploadConcurrency ?? 2,
        minArchiveBytes: input.minArchiveBytes ?? 512,
        safetyMarginMs: input.safetyMarginMs ?? 60_000,
        pgDumpPath: input.pgDumpPath,
        objectLock: input.objectLock,
        format: input.format ?? "custom",
        jobs: input.jobs ?? 2,
        tempDir: input.tempDir,
    };
    if (!DATABASE_NAME.test(s.database)) {
        throw new DumpConfigError(`database: "${s.database}" is not allowed; expected 1..63 letters, digits, "_" or "-", starting with a letter or digit`);
    }
    if (!BUCKET_NAME.test(s.bucket)) {
        throw new DumpConfigError(`bucket: "${s.bucket}" is not a valid S3 bucket name (3..63 lower-case letters, digits, "." or "-")`);
    }
    if (!PREFIX.test(s.prefix) || s.prefix.includes("..") || s.prefix.includes("//")) {
        throw new DumpConfigError(`prefix: "${s.prefix}" is not allowed; expected letters, digits, "_", "-", ".", "/" without "..", "//" or a leading "/"`);
    }
    if (s.kmsKeyId !== undefined && s.kmsKeyId.trim() === "") {
        throw new DumpConfigError("kmsKeyId: empty; give a key id, ARN or alias, or leave it unset");
    }
    if (s.trigger !== "schedule" && s.trigger !== "on-demand") {
        throw new DumpConfigError(`trigger: "${String(s.trigger)}" is not allowed; expected schedule or on-demand`);
    }
    try {
        validateGfsPolicy(s.gfs);
    } catch (err) {
        throw new DumpConfigError(err instanceof GfsPolicyError ? `gfs.${err.message}` : String(err));
    }
    validateCompression(s.compression);
    if (!Number.isInteger(s.uploadConcurrency) || s.uploadConcurrency < 1 || s.uploadConcurrency > 16) {
        throw new DumpConfigError(`uploadConcurrency: ${s.uploadConcurrency} is out of range 1..16`);
    }
    if (s.format !== "custom" && s.format !== "directory") {
        throw new DumpConfigError(`format: "${String(s.format)}" is not allowed; expected custom or directory`);
    }
    if (!Number.isInteger(s.jobs) || s.jobs < 1 || s.jobs > MAX_DUMP_JOBS) {
        throw new DumpConfigError(`jobs: ${s.jobs} is out of range 1..${MAX_DUMP_JOBS}`);
    }
    if (!Number.isInteger(s.minArchiveBytes) || s.minArchiveBytes < 64) {
        throw new DumpConfigError(`minArchiveBytes: ${s.minArchiveBytes} is below 64; a smaller archive cannot hold a table of contents`);
    }
    if (!Number.isInteger(s.safetyMarginMs) || s.safetyMarginMs < 0) {
        throw new DumpConfigError(`safetyMarginMs: ${s.safetyMarginMs} is not a non-negative integer`);
    }
    if (s.objectLock !== undefined) {
        if (s.objectLock.mode !== "GOVERNANCE" && s.objectLock.mode !== "COMPLIANCE") {
            throw new DumpConfigError(`objectLock.mode: "${String(s.objectLock.mode)}" is not allowed; expected GOVERNANCE or COMPLIANCE`);
        }
        for (const tier of TIER_NAMES) {
            const days = s.objectLock.keepDays[tier];
            if (!Number.isInteger(days) || days < 1 || days > MAX_LOCK_DAYS) {
                throw new DumpConfigError(`objectLock.keepDays.${tier}: ${days} is out of range 1..${MAX_LOCK_DAYS}`);
            }
        }
    }
    let partSizeBytes: number;
    try {
        partSizeBytes = choosePartSize(expectedMaxBytes, input.partSizeBytes);
    } catch (err) {
        throw new DumpConfigError(err instanceof Error ? err.message : String(err));
    }
    return { ...s, partSizeBytes };
}

/** The backup storage (or an S3 client for settings.bucket, SSE-KMS with settings.kmsKeyId) and the rest of what a run uses. */
export type DumpDeps = StorageDep & DumpServices;

export interface DumpServices {
    /** The database, or how to get it (e.g. reading a secret); a failure there counts as a failed backup. */
    readonly target: PgTarget | (() => Promise<PgTarget>);
    readonly log: Log;
    readonly metrics?: MetricSink;
    /** @default () => new Date() */
    readonly now?: () => Date;
    /** Milliseconds left before the function's deadline (Lambda: context.getRemainingTimeInMillis). @default no deadline */
    readonly remainingMs?: () => number;
    /** @default 12 random hex characters */
    readonly newRunId?: () => string;
    /** Called with the bytes read from pg_dump so far, for progress display. */
    readonly onProgress?: (bytes: number) => void;
    /** Stops the run (pg_dump killed, upload aborted, no manifest) when aborted. @default never */
    readonly signal?: AbortSignal;
}
