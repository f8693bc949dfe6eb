/**
 * The database connection settings every function reads from its environment: a Secrets
 * Manager secret (DB_SECRET_ARN) or a URL for local runs (DATABASE_URL), plus overrides.
 */
import type { ConnectionOverrides, CredentialSource } from "./credentials";
import { exactlyOne, integer, oneOf, optionalString, type Env } from "./env";
import type { SslMode } from "./pgTarget";

const SSL_MODES: readonly SslMode[] = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

/** Variable -> meaning and default, for documentation and the infrastructure code. */
export const CONNECTION_ENV: Readonly<Record<string, string>> = {
    DB_SECRET_ARN: "Secrets Manager secret with username, password and optionally host, port, dbname (this or DATABASE_URL)",
    DATABASE_URL: "postgres://user:password@host:port/db, for local runs only (this or DB_SECRET_ARN)",
    DB_HOST: "database host; overrides the secret's host",
    DB_PORT: "database port; overrides the secret's port (default: the secret's, else 5432)",
    DB_NAME: "database name; overrides the secret's dbname",
    DB_SSLMODE: "disable, allow, prefer, require, verify-ca or verify-full (default require with a secret; the URL's own with DATABASE_URL)",
};

export interface ConnectionConfig {
    readonly source: CredentialSource;
    readonly overrides: ConnectionOverrides;
}

export function connectionFromEnv(env: Env): ConnectionConfig {
    const source = exactlyOne(env, "DB_SECRET_ARN", "DATABASE_URL");
    const sslmode = optionalString(env, "DB_SSLMODE") === undefined ? undefined : oneOf(env, "DB_SSLMODE", SSL_MODES);
    const port = optionalString(env, "DB_PORT") === undefined ? undefined : integer(env, "DB_PORT", { min: 1, max: 65535 });
    const host = optionalString(env, "DB_HOST");
    const database = optionalString(env, "DB_NAME");
    return {
        source: source.name === "DB_SECRET_ARN" ? { kind: "secret", secretId: source.value } : { kind: "url", url: source.value, name: "DATABASE_URL" },
        overrides: {
            ...(host === undefined ? {} : { host }),
            ...(port === undefined ? {} : { port }),
            ...(database === undefined ? {} : { database }),
            ...(sslmode !== undefined ? { sslmode } : source.name === "DB_SECRET_ARN" ? { sslmode: "require" as const } : {}),
        },
    };
}
