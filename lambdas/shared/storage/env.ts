/**
 * Which storage the functions write to and read from, read from the environment: Amazon S3
 * (STORAGE_PROVIDER=s3, the default: BACKUP_BUCKET as before) or Azure Blob Storage
 * (STORAGE_PROVIDER=azure-blob: AZURE_BLOB_ENDPOINT, BACKUP_CONTAINER, AZURE_CLIENT_ID).
 */
import { DefaultAzureCredential, ManagedIdentityCredential } from "@azure/identity";
import { BlobServiceClient, StorageSharedKeyCredential, type ContainerClient } from "@azure/storage-blob";
import type { S3Client } from "@aws-sdk/client-s3";
import { EnvError, integer, oneOf, optionalString, requireString, type Env } from "../env";
import { azureBlobStorage } from "./azureBlob";
import type { BackupStorage } from "./port";
import { s3Storage } from "./s3";

export const STORAGE_PROVIDERS = ["s3", "azure-blob"] as const;
export type StorageProvider = (typeof STORAGE_PROVIDERS)[number];

/**
 * Variable -> meaning and default, for documentation and the infrastructure code. The identity
 * the Blob client signs in with, AZURE_CLIENT_ID, is the functions' one Azure identity
 * (AZURE_IDENTITY_ENV in ../azureIdentity.ts).
 */
export const STORAGE_ENV: Readonly<Record<string, string>> = {
    STORAGE_PROVIDER: "s3 (Amazon S3, BACKUP_BUCKET) or azure-blob (Azure Blob Storage, AZURE_BLOB_ENDPOINT and BACKUP_CONTAINER) (default s3)",
    AZURE_BLOB_ENDPOINT: "with azure-blob: the storage account's blob endpoint, https://<account>.blob.core.windows.net (required with azure-blob)",
    BACKUP_CONTAINER: "with azure-blob: container of the dumps, manifests and exports, 3..63 lower-case letters, digits and single hyphens (required with azure-blob; BACKUP_BUCKET and EXPORT_BUCKET are not used)",
    AZURE_BLOB_MAX_TRIES: "with azure-blob: tries per Blob request, retries included, 1..10 (default 5)",
    AZURE_BLOB_LOCAL_ACCOUNT_KEY:
        "local runs against the Azurite emulator only: the emulator account's key, used instead of AZURE_CLIENT_ID; refused unless AZURE_BLOB_ENDPOINT is a loopback address (default: unset)",
};

export interface AzureBlobSettings {
    readonly endpoint: string;
    readonly container: string;
    /**
     * How the client signs in: the functions' managed identity; an operator's own sign-in
     * (DefaultAzureCredential: az login, environment, workload identity), for the CLI only; or
     * (Azurite on loopback only) the account key.
     */
    readonly credential:
        | { readonly kind: "managed-identity"; readonly clientId: string }
        | { readonly kind: "operator" }
        | { readonly kind: "local-account-key"; readonly accountKey: string };
    readonly maxTries: number;
}

export type StorageSettings = { readonly provider: "s3"; readonly bucket: string } | ({ readonly provider: "azure-blob" } & AzureBlobSettings);

/** Azure's container names: 3..63 lower-case letters, digits and hyphens, starting and ending with a letter or digit, no "--". */
const CONTAINER_NAME = /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** Why `name` is not a valid Blob container name, or undefined when it is. */
export function containerNameProblem(name: string): string | undefined {
    return CONTAINER_NAME.test(name) ? undefined : `"${name}" is not a valid container name; expected 3..63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit`;
}

/** Reads the storage settings; `bucketVariable` names the S3 bucket's variable (BACKUP_BUCKET, EXPORT_BUCKET). */
export function storageFromEnv(env: Env, bucketVariable: string): StorageSettings {
    const provider = oneOf(env, "STORAGE_PROVIDER", STORAGE_PROVIDERS, "s3");
    if (provider === "s3") {
        for (const name of ["AZURE_BLOB_ENDPOINT", "BACKUP_CONTAINER", "AZURE_BLOB_LOCAL_ACCOUNT_KEY"]) {
            if (optionalString(env, name) !== undefined) {
                throw new EnvError(`${name} is set but STORAGE_PROVIDER is s3; set STORAGE_PROVIDER=azure-blob to use Azure Blob Storage, or unset ${name}`);
            }
        }
        return { provider, bucket: requireString(env, bucketVariable) };
    }
    return { provider, ...azureBlobFromEnv(env, "managed-identity") };
}

/**
 * AZURE_BLOB_ENDPOINT, BACKUP_CONTAINER and the credential. `signIn` "operator" (the CLI) takes
 * the operator's own sign-in when neither AZURE_CLIENT_ID nor the local account key is set.
 */
export function azureBlobFromEnv(env: Env, signIn: "managed-identity" | "operator"): AzureBlobSettings {
    const endpointText = requireString(env, "AZURE_BLOB_ENDPOINT");
    let endpoint: URL;
    try {
        endpoint = new URL(endpointText);
    } catch {
        throw new EnvError(`AZURE_BLOB_ENDPOINT: "${endpointText}" is not a URL; expected https://<account>.blob.core.windows.net`);
    }
    const loopback = LOOPBACK.has(endpoint.hostname);
    if (endpoint.protocol !== "https:" && !(loopback && endpoint.protocol === "http:")) {
        throw new EnvError(`AZURE_BLOB_ENDPOINT: "${endpointText}" is not allowed; expected https://<account>.blob.core.windows.net (http only on a loopback address)`);
    }
    if (endpoint.search !== "" || endpoint.hash !== "" || endpoint.username !== "" || endpoint.password !== "") {
        throw new EnvError("AZURE_BLOB_ENDPOINT: must not carry a query, fragment or credentials (no SAS token in settings); expected https://<account>.blob.core.windows.net");
    }
    const container = requireString(env, "BACKUP_CONTAINER");
    const problem = containerNameProblem(container);
    if (problem !== undefined) {
        throw new EnvError(`BACKUP_CONTAINER: ${problem}`);
    }
    const accountKey = optionalString(env, "AZURE_BLOB_LOCAL_ACCOUNT_KEY");
    const clientId = optionalString(env, "AZURE_CLIENT_ID");
    let credential: AzureBlobSettings["credential"];
    if (accountKey !== undefined) {
        if (!loopback) {
            throw new EnvError(`AZURE_BLOB_LOCAL_ACCOUNT_KEY: refused with AZURE_BLOB_ENDPOINT ${endpoint.origin}; the account key is for the Azurite emulator on a loopback address only, Azure uses the managed identity (AZURE_CLIENT_ID)`);
        }
        credential = { kind: "local-account-key", accountKey };
    } else if (clientId !== undefined) {
        credential = { kind: "managed-identity", clientId };
    } else if (signIn === "operator") {
        credential = { kind: "operator" };
    } else {
        throw new EnvError("AZURE_CLIENT_ID is not set; it is required with STORAGE_PROVIDER=azure-blob (the client ID of the function's user-assigned managed identity)");
    }
    return { endpoint: endpointText.replace(/\/+$/, ""), container, credential, maxTries: integer(env, "AZURE_BLOB_MAX_TRIES", { min: 1, max: 10, default: 5 }) };
}

/**
 * The container client. With the account key (Azurite), the account name is the endpoint's first
 * path segment (`http://127.0.0.1:10000/devstoreaccount1`). Retries use the SDK's exponential
 * policy (503, 500, timeouts and connection resets), `maxTries` in all.
 */
export function azureContainerClient(settings: AzureBlobSettings, retryDelayMs?: number): ContainerClient {
    const credential =
        settings.credential.kind === "managed-identity"
            ? new ManagedIdentityCredential({ clientId: settings.credential.clientId })
            : settings.credential.kind === "operator"
              ? new DefaultAzureCredential()
              : new StorageSharedKeyCredential(new URL(settings.endpoint).pathname.split("/").filter((s) => s !== "")[0] ?? "", settings.credential.accountKey);
    const service = new BlobServiceClient(settings.endpoint, credential, {
        retryOptions: { maxTries: settings.maxTries, ...(retryDelayMs === undefined ? {} : { retryDelayInMs: retryDelayMs, maxRetryDelayInMs: retryDelayMs * 4 }) },
    });
    return service.getContainerClient(settings.container);
}

/** The bucket or container name the settings point at (what manifests record). */
export function storageName(settings: StorageSettings): string {
    return settings.provider === "s3" ? settings.bucket : settings.container;
}

/** The function's storage: S3 through `s3Client()` (SSE-KMS with `kmsKeyId`), or the Blob container. */
export function functionStorage(settings: StorageSettings, s3Client: () => S3Client, kmsKeyId: string | undefined): BackupStorage {
    return settings.provider === "s3" ? s3Storage({ client: s3Client(), bucket: settings.bucket, kmsKeyId }) : azureBlobStorage({ container: azureContainerClient(settings) });
}

/** KMS_KEY_ID: required with S3 (SSE-KMS on every object); refused with Blob, whose encryption is the account's customer-managed key. */
export function kmsKeyFromEnv(env: Env, storage: StorageSettings): string | undefined {
    if (storage.provider === "s3") {
        return requireString(env, "KMS_KEY_ID");
    }
    if (optionalString(env, "KMS_KEY_ID") !== undefined) {
        throw new EnvError("KMS_KEY_ID is set but STORAGE_PROVIDER is azure-blob; Blob Storage encrypts with the storage account's customer-managed key, so unset KMS_KEY_ID");
    }
    return undefined;
}
