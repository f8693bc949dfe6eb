/** The named errors of a restore, each a RestoreError. */
import type { PgTarget } from "./pgTarget";
import { withoutRowData } from "./redact";

export abstract class RestoreError extends Error {
    protected constructor(message: string) {
        super(message);
        this.name = new.target.name;
    }
}

/** The downloaded object is not what the manifest describes (size or SHA-256). */
export class ChecksumMismatchError extends RestoreError {
    constructor(
        readonly key: string,
        readonly expected: { readonly sha256: string; readonly sizeBytes: number },
        readonly actual: { readonly sha256: string; readonly sizeBytes: number },
    ) {
        super(
            `backup ${key} does not match its manifest: ` +
                (expected.sizeBytes !== actual.sizeBytes ? `size ${actual.sizeBytes} bytes, manifest says ${expected.sizeBytes}; ` : "") +
                `sha256 ${actual.sha256}, manifest says ${expected.sha256}; nothing was restored`,
        );
    }
}

/** A file a directory dump's manifest lists is not in the bucket. */
export class BackupFileMissingError extends RestoreError {
    constructor(
        readonly key: string,
        readonly file: string,
    ) {
        super(`file ${file} of backup ${key} is missing from the bucket; nothing was restored`);
    }
}

/** The object does not start with the pg_dump custom-format header. */
export class ArchiveHeaderError extends RestoreError {
    constructor(key: string, firstBytes: Buffer) {
        super(`backup ${key} is not a pg_dump custom-format archive (starts with ${JSON.stringify(firstBytes.toString("latin1"))}, expected "PGDMP"); nothing was restored`);
    }
}

/** pg_restore too old for the archive, or the target server too old for the dump. */
export class VersionMismatchError extends RestoreError {
    constructor(message: string) {
        super(message);
    }
}

/** The target server could not create the database with the backup's encoding and locale, or created it with others. */
export class TargetLocaleError extends RestoreError {
    constructor(message: string) {
        super(message);
    }
}

/** The restore was stopped (its signal aborted) at a point where it still could leave everything as it was. */
export class RestoreAbortedError extends RestoreError {
    constructor(message: string) {
        super(message);
    }
}

/** Another restore into the same database name is running. */
export class TargetBusyError extends RestoreError {
    constructor(message: string) {
        super(message);
    }
}

/** The target database exists and overwrite was not asked for. */
export class TargetExistsError extends RestoreError {
    constructor(target: PgTarget) {
        super(`database "${target.database}" already exists on ${target.host}:${target.port}; refusing to overwrite it (pass --overwrite to replace it with the restored copy once that is complete)`);
    }
}

/** pg_restore exited non-zero, was killed, or ran out of time; its stderr's tail without the row data server messages quote. */
export class PgRestoreFailedError extends RestoreError {
    readonly stderrTail: string;

    constructor(
        readonly reason: string,
        stderrTail: string,
        /** The tail is the end of a longer stderr, so it may start inside a message. */
        cutShort = false,
    ) {
        const tail = withoutRowData(stderrTail, cutShort);
        super(`pg_restore failed: ${reason}${tail === "" ? "" : `: ${tail.trim()}`}`);
        this.stderrTail = tail;
    }
}

export class RestoreArgumentError extends RestoreError {
    constructor(message: string) {
        super(message);
    }
}
