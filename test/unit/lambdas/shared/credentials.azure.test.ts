import { strict as assert } from "node:assert";
import type { SecretClient } from "@azure/keyvault-secrets";
import { DefaultAzureCredential, ManagedIdentityCredential } from "@azure/identity";
import { azureCredential } from "../../../../lambdas/shared/azureIdentity";
import { connectionFromEnv } from "../../../../lambdas/shared/connectionEnv";
import {
    CredentialsError,
    ENTRA_POSTGRES_SCOPE,
    parseKeyVaultSecretUri,
    resolveTarget,
    type KeyVaultSecretGetter,
    type TokenSource,
} from "../../../../lambdas/shared/credentials";
import { EnvError } from "../../../../lambdas/shared/env";
import { redactText } from "../../../../lambdas/shared/redact";

/** Compile-time proof that the real Azure SDK objects fit the interfaces the functions take (checked by `npm test`'s typecheck). */
export const secretClientFits = (client: SecretClient): KeyVaultSecretGetter => client;
export const credentialFits = (credential: ManagedIdentityCredential): TokenSource => credential;

const URI = "https://pgbs-prod-kv.vault.azure.net/secrets/orders-db";
const VERSION = "0123456789abcdef0123456789abcdef";
const KV_PASSWORD = "kv-Pa55word-7f3e1c";

/** A stand-in Key Vault that serves one secret and records what it was asked. */
function standInVault(value: string | undefined = JSON.stringify({ username: "backup", password: KV_PASSWORD, host: "orders.postgres.database.azure.com", dbname: "orders" })) {
    const calls: { vaultUrl: string; name: string; version: string | undefined }[] = [];
    const keyVault = (vaultUrl: string): KeyVaultSecretGetter => ({
        async getSecret(name, options) {
            calls.push({ vaultUrl, name, version: options?.version });
            return value === undefined ? {} : { value };
        },
    });
    return { calls, keyVault };
}

/** A stand-in credential whose every token differs, recording the scopes asked for. */
function standInCredential() {
    const scopes: string[] = [];
    const entra: TokenSource = {
        async getToken(scope) {
            scopes.push(scope);
            return { token: `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.token-${scopes.length}.signature` };
        },
    };
    return { scopes, entra };
}

describe("Key Vault secret URIs", () => {
    it("splits a secret's identifier, with and without its version", () => {
        // given the base identifier and a versioned one, and a host in capitals (identifiers are case-insensitive)
        // when parsed
        // then the vault URL, name and version come apart
        assert.deepEqual(parseKeyVaultSecretUri(URI, "DB_KEYVAULT_SECRET_URI"), { uri: URI, vaultUrl: "https://pgbs-prod-kv.vault.azure.net", secretName: "orders-db" });
        assert.deepEqual(parseKeyVaultSecretUri(`https://PGBS-prod-kv.vault.azure.net/secrets/orders-db/${VERSION}`, "X"), {
            uri: `https://PGBS-prod-kv.vault.azure.net/secrets/orders-db/${VERSION}`,
            vaultUrl: "https://pgbs-prod-kv.vault.azure.net",
            secretName: "orders-db",
            version: VERSION,
        });
    });

    const refused: [string, string][] = [
        ["plain http", "http://pgbs-prod-kv.vault.azure.net/secrets/orders-db"],
        ["another host", "https://pgbs-prod-kv.example.com/secrets/orders-db"],
        ["a key, not a secret", "https://pgbs-prod-kv.vault.azure.net/keys/orders-db"],
        ["no secret name", "https://pgbs-prod-kv.vault.azure.net/secrets/"],
        ["a name with an underscore", "https://pgbs-prod-kv.vault.azure.net/secrets/orders_db"],
        ["a version that is not 32 hex digits", "https://pgbs-prod-kv.vault.azure.net/secrets/orders-db/latest"],
        ["a segment after the version", `https://pgbs-prod-kv.vault.azure.net/secrets/orders-db/${VERSION}/x`],
        ["a query", "https://pgbs-prod-kv.vault.azure.net/secrets/orders-db?api-version=7.4"],
        ["a port", "https://pgbs-prod-kv.vault.azure.net:8443/secrets/orders-db"],
        ["not a URL", "orders-db"],
    ];
    for (const [what, uri] of refused) {
        it(`refuses ${what}, naming the variable and the form expected`, () => {
            assert.throws(
                () => parseKeyVaultSecretUri(uri, "VERIFY_DB_KEYVAULT_SECRET_URI"),
                (e: unknown) =>
                    e instanceof CredentialsError &&
                    e.message.startsWith(`VERIFY_DB_KEYVAULT_SECRET_URI: "${uri}" is not`) &&
                    e.message.endsWith("expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]"),
            );
        });
    }
});

describe("database credential from Key Vault", () => {
    it("reads the secret's JSON with a client for its vault, with configuration overriding its fields", async () => {
        // given a stand-in vault and the environment of a dump on Azure
        const vault = standInVault();
        const { source, overrides } = connectionFromEnv({ DB_KEYVAULT_SECRET_URI: `${URI}/${VERSION}`, DB_PORT: "6432" });
        // when the target is resolved
        const target = await resolveTarget(source, { keyVault: vault.keyVault }, overrides);
        // then the vault was asked for that secret and version, and its JSON is the connection, over TLS
        assert.deepEqual(vault.calls, [{ vaultUrl: "https://pgbs-prod-kv.vault.azure.net", name: "orders-db", version: VERSION }]);
        assert.deepEqual(target, { host: "orders.postgres.database.azure.com", port: 6432, user: "backup", password: KV_PASSWORD, database: "orders", sslmode: "require" });
    });

    it("asks for no version when the URI has none (the current one)", async () => {
        const vault = standInVault();
        await resolveTarget(connectionFromEnv({ DB_KEYVAULT_SECRET_URI: URI }).source, { keyVault: vault.keyVault });
        assert.deepEqual(vault.calls.map((c) => c.version), [undefined]);
    });

    it("names the variable and the URI when the read fails or the secret is empty, never the value", async () => {
        // given a vault that refuses, one with an empty secret and one whose JSON lacks the username
        const source = connectionFromEnv({ DB_KEYVAULT_SECRET_URI: URI }).source;
        const refusing = (): KeyVaultSecretGetter => ({
            getSecret: async () => {
                throw Object.assign(new Error("Caller is not authorized to perform action on resource"), { name: "RestError" });
            },
        });
        // when resolved
        // then each error says which variable, which secret and why
        await assert.rejects(resolveTarget(source, { keyVault: refusing }), (e: unknown) =>
            e instanceof CredentialsError &&
            e.message === `DB_KEYVAULT_SECRET_URI ${URI} could not be read (RestError: Caller is not authorized to perform action on resource); the managed identity (AZURE_CLIENT_ID) needs the Key Vault Secrets User role on the vault`);
        await assert.rejects(resolveTarget(source, { keyVault: standInVault("").keyVault }), new CredentialsError(`DB_KEYVAULT_SECRET_URI ${URI} has no value`));
        await assert.rejects(resolveTarget(source, { keyVault: standInVault(JSON.stringify({ password: KV_PASSWORD })).keyVault }), (e: unknown) =>
            e instanceof CredentialsError && e.message === `secret ${URI}: "username" and "password" are required` && !e.message.includes(KV_PASSWORD));
        await assert.rejects(resolveTarget(source, {}), /DB_KEYVAULT_SECRET_URI https:\/\/pgbs-prod-kv\.vault\.azure\.net\/secrets\/orders-db: no Key Vault client to read it with/);
    });
});

describe("database credential from Microsoft Entra", () => {
    const env = { DB_ENTRA_USER: "pgbs-prod-dump", DB_HOST: "orders.postgres.database.azure.com", DB_NAME: "orders" };

    it("sends a token for the Azure Database for PostgreSQL scope as the mapped role's password, over TLS", async () => {
        // given a stand-in credential
        const credential = standInCredential();
        const { source, overrides } = connectionFromEnv(env);
        // when the target is resolved
        const target = await resolveTarget(source, { entra: credential.entra }, overrides);
        // then the token for the PostgreSQL scope is the password of the configured role, with sslmode require
        assert.deepEqual(credential.scopes, ["https://ossrdbms-aad.database.windows.net/.default"]);
        assert.equal(ENTRA_POSTGRES_SCOPE, "https://ossrdbms-aad.database.windows.net/.default");
        assert.deepEqual(target, {
            host: "orders.postgres.database.azure.com",
            port: 5432,
            user: "pgbs-prod-dump",
            password: "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.token-1.signature",
            database: "orders",
            sslmode: "require",
        });
    });

    it("asks the credential for a token at every resolution, since tokens expire", async () => {
        const credential = standInCredential();
        const { source, overrides } = connectionFromEnv(env);
        const first = await resolveTarget(source, { entra: credential.entra }, overrides);
        const second = await resolveTarget(source, { entra: credential.entra }, overrides);
        assert.equal(credential.scopes.length, 2);
        assert.notEqual(first.password, second.password);
    });

    it("keeps a stricter sslmode, and refuses one that would send the token in clear", () => {
        assert.equal(connectionFromEnv({ ...env, DB_SSLMODE: "verify-full" }).overrides.sslmode, "verify-full");
        for (const mode of ["disable", "allow", "prefer"]) {
            assert.throws(() => connectionFromEnv({ ...env, DB_SSLMODE: mode }), new EnvError(`DB_SSLMODE: "${mode}" is not allowed with DB_ENTRA_USER; expected one of require, verify-ca, verify-full`));
        }
    });

    it("requires the host and the database, which no secret supplies", () => {
        assert.throws(() => connectionFromEnv({ ...env, DB_HOST: undefined }), new EnvError("DB_HOST is not set; it is required with DB_ENTRA_USER"));
        assert.throws(() => connectionFromEnv({ ...env, DB_NAME: undefined }), new EnvError("DB_NAME is not set; it is required with DB_ENTRA_USER"));
    });

    it("names the variable and the scope when no token comes, without any token text", async () => {
        const { source, overrides } = connectionFromEnv(env);
        const failing: TokenSource = {
            getToken: async () => {
                throw Object.assign(new Error("ManagedIdentityCredential: no managed identity endpoint"), { name: "CredentialUnavailableError" });
            },
        };
        await assert.rejects(resolveTarget(source, { entra: failing }, overrides), new CredentialsError(
            "DB_ENTRA_USER: no Entra token for https://ossrdbms-aad.database.windows.net/.default (CredentialUnavailableError: ManagedIdentityCredential: no managed identity endpoint)",
        ));
        await assert.rejects(resolveTarget(source, { entra: { getToken: async () => null } }, overrides), /DB_ENTRA_USER: no Entra token for .* \(the credential returned none\)/);
        await assert.rejects(resolveTarget(source, {}, overrides), /DB_ENTRA_USER: no Azure credential to fetch an Entra token with/);
    });
});

describe("one credential source per server", () => {
    const sources = {
        DB_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db",
        DATABASE_URL: "postgres://u@h/d",
        DB_KEYVAULT_SECRET_URI: URI,
        DB_ENTRA_USER: "mi-role",
    };
    const names = Object.keys(sources) as (keyof typeof sources)[];
    for (const [i, a] of names.entries()) {
        for (const b of names.slice(i + 1)) {
            it(`refuses ${a} with ${b}, naming both`, () => {
                assert.throws(
                    () => connectionFromEnv({ [a]: sources[a], [b]: sources[b], DB_HOST: "h", DB_NAME: "d" }),
                    new EnvError(`${a} and ${b} are both set; set exactly one of DB_SECRET_ARN, DATABASE_URL, DB_KEYVAULT_SECRET_URI, DB_ENTRA_USER`),
                );
            });
        }
    }
});

describe("tokens and passwords from a store stay out of every redacted line", () => {
    it("replaces the token and the Key Vault password wherever they appear once resolved", async () => {
        // given a resolved Entra target and a resolved Key Vault target
        const credential = standInCredential();
        const entra = connectionFromEnv({ DB_ENTRA_USER: "role", DB_HOST: "h", DB_NAME: "d" });
        const token = (await resolveTarget(entra.source, { entra: credential.entra }, entra.overrides)).password ?? "";
        await resolveTarget(connectionFromEnv({ DB_KEYVAULT_SECRET_URI: URI }).source, { keyVault: standInVault().keyVault });
        // when a message that quotes them is redacted (a tool echoing its environment, an SDK error)
        const out = redactText(`pg_dump: PGPASSWORD=${token} failed\nsecret was "${KV_PASSWORD}", url postgres://role:${token}@h/d`);
        // then neither is left, and the rest of the text is
        assert.equal(out, 'pg_dump: PGPASSWORD=*** failed\nsecret was "***", url postgres://role:***@h/d');
    });
});

describe("the functions' Azure credential", () => {
    it("is the user-assigned managed identity AZURE_CLIENT_ID names, and the default chain without it", async () => {
        assert.ok((await azureCredential({ AZURE_CLIENT_ID: "11111111-2222-3333-4444-555555555555" })) instanceof ManagedIdentityCredential);
        assert.ok((await azureCredential({})) instanceof DefaultAzureCredential);
    });
});
