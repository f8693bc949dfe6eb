/**
 * Database credentials for the functions: a Secrets Manager secret (JSON with username,
 * password and, as RDS-managed secrets have, host, port and dbname) or, for local runs, a
 * database URL. The secret's value never leaves the returned PgTarget: no logging, no errors
 * that quote it.
 */
import { checkIdentifier, parsePostgresUrl, type PgTarget, type SslMode } from "./pgTarget";

/** Reads a secret's string value; the handler adapts Secrets Manager to this. */
export interface SecretReader {
    getSecretString(secretId: string): Promise<string>;
}

/** Where the connection comes from. */
export type CredentialSource =
    | { readonly kind: "secret"; readonly secretId: string }
    | { readonly kind: "url"; readonly url: string; readonly name: string };

/** Values from configuration that take precedence over the secret's own fields. */
export interface ConnectionOverrides {
    readonly host?: string;
    readonly port?: number;
    readonly database?: string;
    readonly sslmode?: SslMode;
}

export class CredentialsError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "CredentialsError";
    }
}

function stringField(doc: Record<string, unknown>, field: string, secretId: string): string | undefined {
    const v = doc[field];
    if (v === undefined || v === null) {
        return undefined;
    }
    if (typeof v !== "string" || v === "") {
        throw new CredentialsError(`secret ${secretId}: field "${field}" must be a non-empty string`);
    }
    return v;
}

/**
 * Builds the connection from a secret's JSON. Host, port and database come from the overrides
 * when given, else from the secret (`host`, `port`, `dbname`); username and password only from
 * the secret.
 */
export function targetFromSecret(secretString: string, secretId: string, overrides: ConnectionOverrides = {}): PgTarget {
    let doc: unknown;
    try {
        doc = JSON.parse(secretString);
    } catch {
        throw new CredentialsError(`secret ${secretId}: value is not JSON; expected {"username", "password", "host", "port", "dbname"}`);
    }
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
        throw new CredentialsError(`secret ${secretId}: value is not a JSON object; expected {"username", "password", "host", "port", "dbname"}`);
    }
    const fields = doc as Record<string, unknown>;
    const user = stringField(fields, "username", secretId);
    const password = stringField(fields, "password", secretId);
    if (user === undefined || password === undefined) {
        throw new CredentialsError(`secret ${secretId}: "username" and "password" are required`);
    }
    const host = overrides.host ?? stringField(fields, "host", secretId);
    if (host === undefined) {
        throw new CredentialsError(`secret ${secretId} has no "host" and no host is configured (DB_HOST)`);
    }
    const port = overrides.port ?? secretPort(fields.port, secretId);
    const database = overrides.database ?? stringField(fields, "dbname", secretId);
    if (database === undefined) {
        throw new CredentialsError(`secret ${secretId} has no "dbname" and no database is configured (DB_NAME)`);
    }
    checkIdentifier(database, `secret ${secretId} dbname`);
    return {
        host,
        port,
        user,
        password,
        database,
        ...(overrides.sslmode === undefined ? {} : { sslmode: overrides.sslmode }),
    };
}

function secretPort(value: unknown, secretId: string): number {
    if (value === undefined || value === null) {
        return 5432;
    }
    const n = typeof value === "number" ? value : typeof value === "string" && /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > 65535) {
        throw new CredentialsError(`secret ${secretId}: field "port" must be a port number 1..65535`);
    }
    return n;
}

/**
 * Resolves the configured source into a connection; the secret is read through the injected
 * reader. The overrides take precedence over a URL's host, port, database and sslmode just as
 * over a secret's fields.
 */
export async function resolveTarget(source: CredentialSource, secrets: SecretReader | undefined, overrides: ConnectionOverrides = {}): Promise<PgTarget> {
    if (source.kind === "url") {
        const parsed = parsePostgresUrl(source.url, source.name);
        if (overrides.database !== undefined) {
            checkIdentifier(overrides.database, `${source.name} database override`);
        }
        return {
            ...parsed,
            ...(overrides.host === undefined ? {} : { host: overrides.host }),
            ...(overrides.port === undefined ? {} : { port: overrides.port }),
            ...(overrides.database === undefined ? {} : { database: overrides.database }),
            ...(overrides.sslmode === undefined ? {} : { sslmode: overrides.sslmode }),
        };
    }
    if (secrets === undefined) {
        throw new CredentialsError(`secret ${source.secretId}: no Secrets Manager client to read it with`);
    }
    let value: string;
    try {
        value = await secrets.getSecretString(source.secretId);
    } catch (err) {
        const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        throw new CredentialsError(`secret ${source.secretId} could not be read (${reason})`);
    }
    return targetFromSecret(value, source.secretId, overrides);
}
