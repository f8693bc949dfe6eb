/**
 * The verify core's types, below every other module of the core so that none imports another
 * in a circle: its configuration (with the size bounds and the Azure servers to check) and the
 * results it reports.
 */
import type { BackupEntry } from "../shared/catalog";
import type { PgTarget } from "../shared/pgTarget";
import type { MetricUnit } from "../shared/ports";
import type { RestoredDatabase } from "../shared/restore";
import type { DownloadedBackup } from "../shared/restoreDownload";

export interface VerifyConfig {
    readonly bucket: string;
    /** Key prefix the dump function writes under. */
    readonly prefix: string;
    /** Logical database names (the key's second segment) to verify. */
    readonly databases: readonly string[];
    /** Seconds the newest backup may age before freshness fails (the RPO, or the dump interval when point-in-time recovery carries the RPO). */
    readonly maxBackupAgeSeconds: number;
    readonly rtoSeconds: number;
    readonly size: SizeBounds;
    /** The verification server; its `database` is the one connected to for CREATE/DROP DATABASE. */
    readonly verificationServer: PgTarget;
    /** pg_restore parallel jobs. @default min(4, available CPUs) */
    readonly jobs?: number;
    /** @default env PG_BIN, else the newest /usr/lib/postgresql/<n>/bin, else PATH */
    readonly binDir?: string;
    /** Where the downloaded backup is kept during the restore. @default the OS temp dir */
    readonly tempDir?: string;
    /** pg_restore is stopped after this long. @default no limit */
    readonly restoreTimeoutMs?: number;
    /** With deps.remainingMs: pg_restore is stopped when this much time is left, so the scratch database can still be dropped. @default 60,000 ms */
    readonly safetyMarginMs?: number;
    /** Azure Flexible Servers whose snapshot backups and restore window are checked (./azure.ts). @default none */
    readonly azureServers?: readonly AzureServerTarget[];
}

export interface SizeBounds {
    /** How many previous backups form the baseline (their median size). */
    readonly window: number;
    /** The newest backup may not be smaller than this fraction of the median. */
    readonly minRatio: number;
    /** ... nor larger than this multiple of it. */
    readonly maxRatio: number;
}

/** One Flexible Server to check. */
export interface AzureServerTarget {
    /** Logical name (the Database metric dimension). */
    readonly name: string;
    readonly resourceGroup: string;
    readonly serverName: string;
    /** Age limit of the newest snapshot backup. @default DEFAULT_MAX_SNAPSHOT_AGE_SECONDS - a day plus 6 hours */
    readonly maxSnapshotAgeSeconds?: number;
}

export type CheckName = "manifests" | "freshness" | "size" | "checksum" | "restore" | "rowCounts" | "rto" | "cleanup" | "azureFreshness";

export interface CheckResult {
    readonly name: CheckName;
    readonly ok: boolean;
    /** Not run because an earlier check failed or there was nothing to check; never ok. */
    readonly skipped: boolean;
    readonly detail: string;
    readonly value?: number;
    readonly unit?: MetricUnit;
}

export interface TargetVerification {
    /** Logical database name, or the Azure server's logical name. */
    readonly name: string;
    readonly kind: "dump" | "azure";
    readonly ok: boolean;
    readonly checks: readonly CheckResult[];
    /** The backup that was verified. */
    readonly backup?: BackupEntry;
    readonly scratchDatabase?: string;
    readonly restore?: RestoredDatabase & { readonly seconds: number };
    readonly download?: Omit<DownloadedBackup, "path">;
}

export interface VerifyReport {
    readonly ok: boolean;
    readonly startedAt: string;
    readonly finishedAt: string;
    readonly targets: readonly TargetVerification[];
}
