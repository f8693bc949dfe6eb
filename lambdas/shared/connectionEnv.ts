/**
 * The database connection settings every function reads from its environment: exactly one
 * credential source (a Secrets Manager secret, a URL for local runs, a Key Vault secret, or an
 * Entra role with the managed identity's token) plus overrides.
 */
import { CredentialsError, ENCRYPTED_SSL_MODES, parseKeyVaultSecretUri, type ConnectionOverrides, type CredentialSource } from "./credentials";
import { EnvError, exactlyOne, integer, oneOf, optionalString, type Env } from "./env";
import type { SslMode } from "./pgTarget";

const SSL_MODES: readonly SslMode[] = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

/** The variables one server's credential is configured with (the database's, or verify's scratch server's). */
export interface CredentialVariables {
    readonly secretArn: string;
    readonly url: string;
    readonly keyVaultSecretUri: string;
    readonly entraUser: string;
    readonly host: string;
    /** Required with an Entra role; unset when the database has a default. */
    readonly database?: string;
    readonly sslmode: string;
}

/** The database's credential variables (dump and export). */
export const DB_VARIABLES: CredentialVariables = {
    secretArn: "DB_SECRET_ARN",
    url: "DATABASE_URL",
    keyVaultSecretUri: "DB_KEYVAULT_SECRET_URI",
    entraUser: "DB_ENTRA_USER",
    host: "DB_HOST",
    database: "DB_NAME",
    sslmode: "DB_SSLMODE",
};

/** The sources, in the words of the env catalogs: `what` is the server they connect to. */
export function credentialCatalog(vars: CredentialVariables, what: string): Readonly<Record<string, string>> {
    const others = (self: string): string =>
        `exactly one of ${[vars.secretArn, vars.url, vars.keyVaultSecretUri, vars.entraUser].filter((n) => n !== self).join(", ")} and this`;
    return {
        [vars.secretArn]: `Secrets Manager secret of ${what}, with username, password and optionally host, port, dbname (${others(vars.secretArn)})`,
        [vars.url]: `postgres://user:password@host:port/db of ${what}, for local runs only (${others(vars.url)})`,
        [vars.keyVaultSecretUri]:
            `Key Vault secret of ${what}, https://<vault>.vault.azure.net/secrets/<name>[/<version>], whose value is the same JSON as the Secrets Manager secret's; read with the managed identity AZURE_CLIENT_ID, which needs the Key Vault Secrets User role on the vault (${others(vars.keyVaultSecretUri)})`,
        [vars.entraUser]:
            `PostgreSQL role of ${what} mapped to the managed identity AZURE_CLIENT_ID; the password is a Microsoft Entra access token for https://ossrdbms-aad.database.windows.net/.default, fetched at each run; needs ${vars.host}${vars.database === undefined ? "" : ` and ${vars.database}`}, and an sslmode of require or stricter (${others(vars.entraUser)})`,
    };
}

/** Variable -> meaning and default, for documentation and the infrastructure code. */
export const CONNECTION_ENV: Readonly<Record<string, string>> = {
    ...credentialCatalog(DB_VARIABLES, "the database"),
    DB_HOST: "database host; overrides the secret's host (required with DB_ENTRA_USER)",
    DB_PORT: "database port; overrides the secret's port (default: the secret's, else 5432)",
    DB_NAME: "database name; overrides the secret's dbname (required with DB_ENTRA_USER)",
    DB_SSLMODE:
        "disable, allow, prefer, require, verify-ca or verify-full (default require with a secret or an Entra role, which accepts only require, verify-ca or verify-full; the URL's own with DATABASE_URL)",
};

export interface ConnectionConfig {
    readonly source: CredentialSource;
    readonly overrides: ConnectionOverrides;
}

/** The credential source and the sslmode to use with it: `require` unless configured, or the URL's own. */
export function credentialFromEnv(env: Env, vars: CredentialVariables): { readonly source: CredentialSource; readonly sslmode?: SslMode } {
    const chosen = exactlyOne(env, vars.secretArn, vars.url, vars.keyVaultSecretUri, vars.entraUser);
    const configured = optionalString(env, vars.sslmode) === undefined ? undefined : oneOf(env, vars.sslmode, SSL_MODES);
    const sslmode = configured ?? (chosen.name === vars.url ? undefined : "require");
    switch (chosen.name) {
        case vars.secretArn:
            return { source: { kind: "secret", secretId: chosen.value }, sslmode };
        case vars.url:
            return { source: { kind: "url", url: chosen.value, name: vars.url }, ...(sslmode === undefined ? {} : { sslmode }) };
        case vars.keyVaultSecretUri:
            return { source: { kind: "keyvault", secret: keyVaultSecret(chosen.value, vars.keyVaultSecretUri), name: vars.keyVaultSecretUri }, sslmode };
        default:
            // The server takes an Entra token as a password only over TLS.
            if (!ENCRYPTED_SSL_MODES.includes(sslmode ?? "disable")) {
                throw new EnvError(`${vars.sslmode}: "${sslmode}" is not allowed with ${vars.entraUser}; expected one of ${ENCRYPTED_SSL_MODES.join(", ")}`);
            }
            requireWith(env, vars.host, vars.entraUser);
            if (vars.database !== undefined) {
                requireWith(env, vars.database, vars.entraUser);
            }
            return { source: { kind: "entra", user: chosen.value, name: vars.entraUser }, sslmode };
    }
}

function keyVaultSecret(uri: string, name: string): Extract<CredentialSource, { kind: "keyvault" }>["secret"] {
    try {
        return parseKeyVaultSecretUri(uri, name);
    } catch (err) {
        throw err instanceof CredentialsError ? new EnvError(err.message) : err;
    }
}

function requireWith(env: Env, name: string, other: string): void {
    if (optionalString(env, name) === undefined) {
        throw new EnvError(`${name} is not set; it is required with ${other}`);
    }
}

export function connectionFromEnv(env: Env): ConnectionConfig {
    const { source, sslmode } = credentialFromEnv(env, DB_VARIABLES);
    const port = optionalString(env, "DB_PORT") === undefined ? undefined : integer(env, "DB_PORT", { min: 1, max: 65535 });
    const host = optionalString(env, "DB_HOST");
    const database = optionalString(env, "DB_NAME");
    return {
        source,
        overrides: {
            ...(host === undefined ? {} : { host }),
            ...(port === undefined ? {} : { port }),
            ...(database === undefined ? {} : { database }),
            ...(sslmode === undefined ? {} : { sslmode }),
        },
    };
}
