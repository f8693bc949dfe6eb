/**
 * Database credentials for the functions: a Secrets Manager secret or a Key Vault secret (the
 * same JSON: username, password and, as RDS-managed secrets have, host, port and dbname), a
 * Microsoft Entra access token for a role mapped to the managed identity, or, for local runs, a
 * database URL. The secret's value and the token never leave the returned PgTarget: no logging,
 * no errors that quote them, and `hideSecret` has every redacted line replace them.
 */
import { checkIdentifier, parsePostgresUrl, type PgTarget, type SslMode } from "./pgTarget";
import { hideSecret } from "./redact";

/** Reads a secret's string value; the handler adapts Secrets Manager to this. */
export interface SecretReader {
    getSecretString(secretId: string): Promise<string>;
}

/** The call the functions make on a Key Vault, shaped like @azure/keyvault-secrets' SecretClient. */
export interface KeyVaultSecretGetter {
    getSecret(secretName: string, options?: { readonly version?: string }): Promise<{ readonly value?: string | undefined }>;
}

/** Issues access tokens, shaped like @azure/identity's credentials (ManagedIdentityCredential). */
export interface TokenSource {
    getToken(scope: string): Promise<{ readonly token: string } | null>;
}

/** What reads the credential of each kind of source; a handler gives the ones its environment can build. */
export interface CredentialReaders {
    /** Secrets Manager, for a `secret` source. */
    readonly secrets?: SecretReader;
    /** A SecretClient for a vault URL, for a `keyvault` source. */
    readonly keyVault?: (vaultUrl: string) => KeyVaultSecretGetter;
    /** The managed identity's credential, for an `entra` source. */
    readonly entra?: TokenSource;
}

/**
 * A Key Vault secret's identifier, split. Per "Azure Key Vault keys, secrets, and certificates
 * overview", object identifiers
 * (https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-and-certificates#object-identifiers)
 * have the form https://{vault-name}.vault.azure.net/{object-type}/{object-name}/{object-version}
 * and a secret read without its version is its current version.
 */
export interface KeyVaultSecretId {
    /** The identifier as configured, for messages. */
    readonly uri: string;
    /** https://{vault-name}.vault.azure.net */
    readonly vaultUrl: string;
    readonly secretName: string;
    readonly version?: string;
}

/**
 * Microsoft Entra authentication for Azure Database for PostgreSQL flexible server: the client
 * sends an access token for this scope as the role's password, over TLS. "Use Microsoft Entra
 * ID for authentication with Azure Database for PostgreSQL",
 * https://learn.microsoft.com/azure/postgresql/flexible-server/how-to-configure-sign-in-azure-ad-authentication
 * (and "Connect with managed identity",
 * https://learn.microsoft.com/azure/postgresql/flexible-server/how-to-connect-with-managed-identity).
 */
export const ENTRA_POSTGRES_SCOPE = "https://ossrdbms-aad.database.windows.net/.default";

/** sslmodes that encrypt the connection: the only ones a token or a password from a store is sent over. */
export const ENCRYPTED_SSL_MODES: readonly SslMode[] = ["require", "verify-ca", "verify-full"];

/** Where the connection comes from; `name` is the variable it was configured in, for messages. */
export type CredentialSource =
    | { readonly kind: "secret"; readonly secretId: string }
    | { readonly kind: "url"; readonly url: string; readonly name: string }
    | { readonly kind: "keyvault"; readonly secret: KeyVaultSecretId; readonly name: string }
    | { readonly kind: "entra"; readonly user: string; readonly name: string };

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

const VAULT_HOST = /^[A-Za-z0-9-]{3,24}\.vault\.azure\.net$/i;
const SECRET_NAME = /^[A-Za-z0-9-]{1,127}$/;
const SECRET_VERSION = /^[0-9a-f]{32}$/i;

/**
 * Splits https://<vault>.vault.azure.net/secrets/<name>[/<version>], refusing anything else
 * with a message that names the variable. Vault names are 3..24 letters, digits and hyphens,
 * secret names 1..127 letters, digits and hyphens, versions 32 hex digits (Key Vault naming,
 * same page as KeyVaultSecretId).
 */
export function parseKeyVaultSecretUri(uri: string, name: string): KeyVaultSecretId {
    const expected = "expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]";
    let url: URL;
    try {
        url = new URL(uri);
    } catch {
        throw new CredentialsError(`${name}: "${uri}" is not a URL; ${expected}`);
    }
    const [, type, secretName, version, ...rest] = url.pathname.replace(/\/$/, "").split("/");
    const ok =
        url.protocol === "https:" && VAULT_HOST.test(url.hostname) && url.port === "" && url.username === "" && url.password === "" && url.search === "" && url.hash === "" &&
        type?.toLowerCase() === "secrets" && secretName !== undefined && SECRET_NAME.test(secretName) && (version === undefined || SECRET_VERSION.test(version)) && rest.length === 0;
    if (!ok || secretName === undefined) {
        throw new CredentialsError(`${name}: "${uri}" is not a Key Vault secret URI; ${expected}`);
    }
    return { uri, vaultUrl: `https://${url.hostname.toLowerCase()}`, secretName, ...(version === undefined ? {} : { version }) };
}

/** "Name: message" of a failed call, without anything the call was given. */
function reasonOf(err: unknown): string {
    return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/**
 * Resolves the configured source into a connection, reading the secret or fetching the token
 * through the injected readers. The overrides take precedence over a URL's host, port,
 * database and sslmode just as over a secret's fields. Entra tokens expire, so one is asked for
 * at every call (the credential hands out its cached token until shortly before it expires),
 * never kept in a target between runs.
 */
export async function resolveTarget(source: CredentialSource, readers: CredentialReaders, overrides: ConnectionOverrides = {}): Promise<PgTarget> {
    const target = await targetOf(source, readers, overrides);
    if (source.kind !== "url" && target.password !== undefined) {
        hideSecret(target.password);
    }
    return target;
}

async function targetOf(source: CredentialSource, readers: CredentialReaders, overrides: ConnectionOverrides): Promise<PgTarget> {
    if (source.kind === "entra") {
        return entraTarget(source, readers.entra, overrides);
    }
    if (source.kind === "keyvault") {
        return targetFromSecret(await readKeyVaultSecret(source, readers.keyVault), source.secret.uri, overrides);
    }
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
    if (readers.secrets === undefined) {
        throw new CredentialsError(`secret ${source.secretId}: no Secrets Manager client to read it with`);
    }
    let value: string;
    try {
        value = await readers.secrets.getSecretString(source.secretId);
    } catch (err) {
        throw new CredentialsError(`secret ${source.secretId} could not be read (${reasonOf(err)})`);
    }
    return targetFromSecret(value, source.secretId, overrides);
}

/**
 * The secret's value, read with the vault's client. Reading a secret's value takes the built-in
 * role Key Vault Secrets User ("Provide access to Key Vault keys, certificates, and secrets with
 * Azure role-based access control", https://learn.microsoft.com/azure/key-vault/general/rbac-guide),
 * which a failed read names.
 */
async function readKeyVaultSecret(source: Extract<CredentialSource, { kind: "keyvault" }>, keyVault: CredentialReaders["keyVault"]): Promise<string> {
    const where = `${source.name} ${source.secret.uri}`;
    if (keyVault === undefined) {
        throw new CredentialsError(`${where}: no Key Vault client to read it with`);
    }
    let value: string | undefined;
    try {
        const version = source.secret.version;
        value = (await keyVault(source.secret.vaultUrl).getSecret(source.secret.secretName, version === undefined ? {} : { version })).value;
    } catch (err) {
        throw new CredentialsError(`${where} could not be read (${reasonOf(err)}); the managed identity (AZURE_CLIENT_ID) needs the Key Vault Secrets User role on the vault`);
    }
    if (value === undefined || value === "") {
        throw new CredentialsError(`${where} has no value`);
    }
    return value;
}

/**
 * The mapped role, the configured host, port and database, and an Entra token as the
 * password, over TLS (connectionEnv refuses an sslmode that does not encrypt).
 */
async function entraTarget(source: Extract<CredentialSource, { kind: "entra" }>, entra: TokenSource | undefined, overrides: ConnectionOverrides): Promise<PgTarget> {
    if (overrides.host === undefined || overrides.database === undefined) {
        throw new CredentialsError(`${source.name}: the host and the database must be configured with it`);
    }
    if (entra === undefined) {
        throw new CredentialsError(`${source.name}: no Azure credential to fetch an Entra token with`);
    }
    let token: { readonly token: string } | null;
    try {
        token = await entra.getToken(ENTRA_POSTGRES_SCOPE);
    } catch (err) {
        throw new CredentialsError(`${source.name}: no Entra token for ${ENTRA_POSTGRES_SCOPE} (${reasonOf(err)})`);
    }
    if (token === null || token.token === "") {
        throw new CredentialsError(`${source.name}: no Entra token for ${ENTRA_POSTGRES_SCOPE} (the credential returned none)`);
    }
    checkIdentifier(overrides.database, `${source.name} database`);
    return { host: overrides.host, port: overrides.port ?? 5432, user: source.user, password: token.token, database: overrides.database, sslmode: overrides.sslmode ?? "require" };
}
