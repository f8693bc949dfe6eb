/** What a restore is given: where the backup is read from, the target, and how to restore. */
import type { S3Client } from "@aws-sdk/client-s3";
import type { BackupManifest } from "./manifest";
import type { PgTarget } from "./pgTarget";
import type { Log } from "./ports";
import type { BackupStorage } from "./storage/port";

/**
 * Where the backup is read from: a storage adapter, or an S3 client and the bucket (which may be
 * the DR replica, so not necessarily manifest.bucket).
 */
export type RestoreSource = { readonly storage: BackupStorage } | { readonly s3: S3Client; readonly bucket: string };

export type RestoreOptions = RestoreSource & RestoreSettings;

export interface RestoreSettings {
    readonly manifest: BackupManifest;
    /** Server, credentials and the name of the database to create. */
    readonly target: PgTarget;
    /** Database to connect to for CREATE/DROP DATABASE. @default "postgres" */
    readonly maintenanceDatabase?: string;
    /** Replace the target database if it exists, once the restore into a new copy has finished with every row count matching. @default false - refuse */
    readonly overwrite?: boolean;
    /** pg_restore parallel jobs. @default min(4, available CPUs) */
    readonly jobs?: number;
    /** Pass --no-owner (objects owned by the restoring user). @default true */
    readonly noOwner?: boolean;
    /** Pass --no-privileges (skip GRANT/REVOKE, for servers without the source's roles). @default false */
    readonly noPrivileges?: boolean;
    /**
     * Create the database with the backup's encoding and the C locale instead of the backup's
     * locale, for a target server that lacks it; text then sorts and changes case by C's rules.
     * @default false - the backup's encoding and locale, refusing a server that cannot create them
     */
    readonly cLocale?: boolean;
    /** Drop the database this restore created when the restore fails. @default true */
    readonly dropOnFailure?: boolean;
    /** Directory with pg_restore. @default env PG_BIN, else the newest /usr/lib/postgresql/<n>/bin, else PATH */
    readonly binDir?: string;
    /** Where the temp file goes (needs room for the whole backup). @default the OS temp dir */
    readonly tempDir?: string;
    /** pg_restore is stopped once this long has passed since it first ran for this restore (it runs to read the archive's database entries, then to restore; SIGTERM, then SIGKILL after 5 s). @default no limit */
    readonly timeoutMs?: number;
    /** Stops the download or pg_restore (SIGTERM, then SIGKILL after 5 s) when aborted; with overwrite, an abort before the replacement leaves the existing database as it was. */
    readonly signal?: AbortSignal;
    /** Called right after this restore created a database (with overwrite, the copy under its own name), so a caller removes only a database it created. @default none */
    readonly onDatabaseCreated?: (database: string) => void;
    readonly log: Log;
}
