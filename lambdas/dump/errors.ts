/** Why a dump failed. Each is thrown before a manifest exists, so a failed run never looks like a backup. */

export class DumpError extends Error {
    constructor(message: string, options?: { cause?: unknown }) {
        super(message, options);
        this.name = "DumpError";
    }
}

/** The dump configuration is invalid; nothing was started. */
export class DumpConfigError extends DumpError {
    constructor(message: string) {
        super(message);
        this.name = "DumpConfigError";
    }
}

/** The database did not answer (refused, timed out, unknown host). */
export class DatabaseUnreachableError extends DumpError {
    constructor(message: string, options?: { cause?: unknown }) {
        super(message, options);
        this.name = "DatabaseUnreachableError";
    }
}

/** The database answered but refused the credentials (wrong password, unknown user, no access). */
export class DatabaseAuthError extends DumpError {
    constructor(message: string, options?: { cause?: unknown }) {
        super(message, options);
        this.name = "DatabaseAuthError";
    }
}

/** pg_dump is older than the server, or cannot produce the configured compression. */
export class PgDumpVersionError extends DumpError {
    constructor(message: string) {
        super(message);
        this.name = "PgDumpVersionError";
    }
}

/** pg_dump exited non-zero or was killed. */
export class PgDumpFailedError extends DumpError {
    constructor(
        message: string,
        readonly exitCode: number | null,
        readonly signal: NodeJS.Signals | null,
    ) {
        super(message);
        this.name = "PgDumpFailedError";
    }
}

/** pg_dump exited 0 but its output is not a usable custom-format archive (wrong header, too small). */
export class InvalidArchiveError extends DumpError {
    constructor(message: string) {
        super(message);
        this.name = "InvalidArchiveError";
    }
}

/** Too little time was left before the function's deadline; the run stopped and cleaned up. */
export class DeadlineExceededError extends DumpError {
    constructor(message: string) {
        super(message);
        this.name = "DeadlineExceededError";
    }
}

/** The dump object could not be stored in S3 (the multipart upload was aborted). */
export class DumpUploadError extends DumpError {
    constructor(message: string, options?: { cause?: unknown }) {
        super(message, options);
        this.name = "DumpUploadError";
    }
}

/** The object is complete but its manifest could not be written: the run is not a backup. */
export class ManifestWriteError extends DumpError {
    constructor(message: string, options?: { cause?: unknown }) {
        super(message, options);
        this.name = "ManifestWriteError";
    }
}

/** The row counts in the dump's snapshot failed; the message carries the server's own, with its hint. */
export class RowCountError extends DumpError {
    constructor(message: string, options?: ErrorOptions) {
        super(message, options);
        this.name = "RowCountError";
    }
}

/** The database ended a session the dump holds open (an administrator, a failover, a server-side limit). */
export class SessionLostError extends DumpError {
    constructor(message: string, options?: ErrorOptions) {
        super(message, options);
        this.name = "SessionLostError";
    }
}

/**
 * A table's storage was replaced (TRUNCATE, a rewriting ALTER TABLE; VACUUM FULL and CLUSTER
 * too) after the dump's snapshot and before pg_dump locked it: the first two are not MVCC-safe, so
 * the dump may hold the table as of after that command instead of as of the snapshot.
 */
export class TableRewrittenError extends DumpError {
    constructor(message: string) {
        super(message);
        this.name = "TableRewrittenError";
    }
}
