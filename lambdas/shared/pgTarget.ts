import { Client, DatabaseError, type ClientConfig } from "pg";
import { redactUrl } from "./redact";

export { redactUrl } from "./redact";

/**
 * Where a PostgreSQL database is reached, parsed once from a `postgres://` URL so that the
 * `pg` client and the libpq tools (pg_restore, psql) get the same settings, and the password
 * is handed to child processes through the environment, never on a command line.
 */
export interface PgTarget {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly password?: string;
    readonly database: string;
    /** libpq sslmode: disable, allow, prefer, require, verify-ca or verify-full. */
    readonly sslmode?: SslMode;
}

export type SslMode = "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full";

const SSL_MODES: readonly SslMode[] = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

/** PostgreSQL truncates identifiers to 63 bytes; a longer name would silently become another one. */
export const MAX_IDENTIFIER_BYTES = 63;

export class PgTargetError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PgTargetError";
    }
}

/**
 * Parses `postgres://user:password@host:port/database?sslmode=require` (also `postgresql://`;
 * `?host=/path` for a Unix socket directory). `name` is the argument or variable the URL came
 * from, used in error messages; the password never appears in them.
 */
export function parsePostgresUrl(url: string, name: string): PgTarget {
    let parsed: URL;
    try {
        parsed = new URL(url);
    } catch {
        throw new PgTargetError(`${name}: not a URL; expected postgres://user[:password]@host[:port]/database`);
    }
    if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
        throw new PgTargetError(`${name}: scheme "${parsed.protocol}" is not allowed; expected postgres:// or postgresql://`);
    }
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
    if (database === "") {
        throw new PgTargetError(`${name}: no database name in ${redactUrl(url)}; expected postgres://user@host:port/database`);
    }
    checkIdentifier(database, `${name} database`);
    const socketDir = parsed.searchParams.get("host");
    const host = socketDir ?? decodeURIComponent(parsed.hostname).replace(/^\[|\]$/g, "");
    if (host === "") {
        throw new PgTargetError(`${name}: no host in ${redactUrl(url)}`);
    }
    const port = parsed.port === "" ? 5432 : Number(parsed.port);
    const user = decodeURIComponent(parsed.username);
    if (user === "") {
        throw new PgTargetError(`${name}: no user in ${redactUrl(url)}; expected postgres://user@host:port/database`);
    }
    const sslParam = parsed.searchParams.get("sslmode");
    let sslmode: SslMode | undefined;
    if (sslParam !== null) {
        if (!(SSL_MODES as readonly string[]).includes(sslParam)) {
            throw new PgTargetError(`${name}: sslmode "${sslParam}" is not allowed; expected one of ${SSL_MODES.join(", ")}`);
        }
        sslmode = sslParam as SslMode;
    }
    const password = parsed.password === "" ? undefined : decodeURIComponent(parsed.password);
    return {
        host,
        port,
        user,
        database,
        ...(password === undefined ? {} : { password }),
        ...(sslmode === undefined ? {} : { sslmode }),
    };
}

/** The same server and credentials, another database. */
export function withDatabase(target: PgTarget, database: string): PgTarget {
    checkIdentifier(database, "database");
    return { ...target, database };
}

/** Environment for libpq tools: password through PGPASSWORD, never argv. */
export function libpqEnv(target: PgTarget): Record<string, string> {
    return {
        PGHOST: target.host,
        PGPORT: String(target.port),
        PGUSER: target.user,
        PGDATABASE: target.database,
        ...(target.password === undefined ? {} : { PGPASSWORD: target.password }),
        ...(target.sslmode === undefined ? {} : { PGSSLMODE: target.sslmode }),
    };
}

/** Settings for `new pg.Client(...)`, matching what libpq does for the same sslmode. */
export function clientConfig(target: PgTarget): ClientConfig {
    const base: ClientConfig = {
        host: target.host,
        port: target.port,
        user: target.user,
        database: target.database,
        ...(target.password === undefined ? {} : { password: target.password }),
        connectionTimeoutMillis: 15_000,
    };
    switch (target.sslmode) {
        case undefined:
        case "disable":
        case "allow":
        case "prefer":
            return base;
        case "require":
            return { ...base, ssl: { rejectUnauthorized: false } };
        case "verify-ca":
        case "verify-full":
            return { ...base, ssl: { rejectUnauthorized: true } };
    }
}

/** `user@host:port/database`, safe for logs and output. */
export function describeTarget(target: PgTarget): string {
    return `${target.user}@${target.host}:${target.port}/${target.database}`;
}

/** Double-quoted SQL identifier. */
export function quoteIdent(identifier: string): string {
    return `"${identifier.replace(/"/g, '""')}"`;
}

export function checkIdentifier(identifier: string, name: string): void {
    if (identifier.length === 0 || identifier.includes("\0")) {
        throw new PgTargetError(`${name}: "${identifier}" is not a valid identifier; expected 1..${MAX_IDENTIFIER_BYTES} bytes without NUL`);
    }
    const bytes = Buffer.byteLength(identifier, "utf8");
    if (bytes > MAX_IDENTIFIER_BYTES) {
        throw new PgTargetError(`${name}: "${identifier}" is ${bytes} bytes; PostgreSQL identifiers are at most ${MAX_IDENTIFIER_BYTES}`);
    }
}

/**
 * What pg_dump sets on its own session (setup_connection in pg_dump.c, and the empty search_path
 * of every PostgreSQL client program): a timeout that the server, the database or the role sets
 * by default never ends a session the functions hold open, and row security raises an error
 * instead of silently hiding rows ("row_security = off": a query that a policy would filter
 * fails). idle_session_timeout (14+) is switched off as well. A setting the server does not know
 * (transaction_timeout before 17) is skipped.
 */
export const SESSION_SETTINGS: Readonly<Record<string, string>> = {
    statement_timeout: "0",
    lock_timeout: "0",
    idle_in_transaction_session_timeout: "0",
    idle_session_timeout: "0",
    transaction_timeout: "0",
    row_security: "off",
    search_path: "",
    // Literals read as written: a backslash in '...' is itself (what pg_dump and escapeLiteral assume).
    standard_conforming_strings: "on",
};

export interface PgSession {
    readonly client: Client;
    /**
     * Settles with the first error the connection reports outside a query (the server ended the
     * session, the network dropped); never rejects. Without a listener such an error would crash
     * the process; with it, a query in flight fails with the server's own message.
     */
    readonly lost: Promise<Error>;
    /** Runs `fn`; if the connection is lost meanwhile, fails with the error that ended it (the server's message, not pg's "not queryable"). */
    use<T>(fn: (client: Client) => Promise<T>): Promise<T>;
    /** Closes the connection; never throws. */
    end(): Promise<void>;
}

/** Connects with SESSION_SETTINGS applied; on failure the connection is closed and the server's error thrown. */
export async function openSession(target: PgTarget, applicationName: string): Promise<PgSession> {
    const client = new Client({ ...clientConfig(target), application_name: applicationName });
    const lost = new Promise<Error>((resolve) => client.on("error", resolve));
    const end = (): Promise<void> => client.end().catch(() => undefined);
    try {
        await client.connect();
        // On its own first: a database or role statement_timeout of 1 ms would cancel the query below.
        await client.query("SET statement_timeout = 0");
        await client.query(
            "SELECT pg_catalog.set_config(s.name, s.setting, false) FROM unnest($1::text[], $2::text[]) AS s(name, setting) " +
                "WHERE s.name IN (SELECT name FROM pg_catalog.pg_settings)",
            [Object.keys(SESSION_SETTINGS), Object.values(SESSION_SETTINGS)],
        );
    } catch (err) {
        await end();
        throw err;
    }
    const use = <T>(fn: (c: Client) => Promise<T>): Promise<T> =>
        Promise.race([
            fn(client),
            lost.then((err): never => {
                throw err;
            }),
        ]);
    return { client, lost, use, end };
}

/** The SQLSTATE of a server error (e.g. "42P04"), or "" for anything else. */
export function pgErrorCode(err: unknown): string {
    return typeof err === "object" && err !== null && "code" in err ? String(err.code) : "";
}

/** The server's message with its detail and hint, as psql prints them: the hint often says what to change. */
export function pgErrorText(err: unknown): string {
    if (!(err instanceof Error)) {
        return String(err);
    }
    if (!(err instanceof DatabaseError)) {
        return err.message;
    }
    return [err.message, err.detail === undefined ? "" : `DETAIL: ${err.detail}`, err.hint === undefined ? "" : `HINT: ${err.hint}`].filter((s) => s !== "").join("; ");
}
