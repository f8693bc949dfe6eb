/**
 * The functions' Azure identity. On Azure they run as a job with a user-assigned managed
 * identity whose client ID the runner sets in AZURE_CLIENT_ID; ManagedIdentityCredential with
 * that client ID gets its tokens, as "Managed identities in Azure Container Apps" describes
 * (https://learn.microsoft.com/azure/container-apps/managed-identity#connect-to-azure-services-in-app-code).
 * Without AZURE_CLIENT_ID (an operator's machine) DefaultAzureCredential's chain applies
 * (environment, Azure CLI login).
 */
import type { TokenCredential } from "@azure/identity";
import type { CredentialReaders } from "./credentials";
import { optionalString, type Env } from "./env";

export const AZURE_IDENTITY_ENV: Readonly<Record<string, string>> = {
    AZURE_CLIENT_ID:
        "client ID of the user-assigned managed identity the function authenticates to Azure with (ManagedIdentityCredential): Blob Storage, Key Vault, Entra logins and the servers' own backups; required with STORAGE_PROVIDER=azure-blob; unset outside Azure: DefaultAzureCredential (environment, Azure CLI login)",
};

/** The credential AZURE_CLIENT_ID selects; @azure/identity is loaded only when a function needs Azure. */
export async function azureCredential(env: Env): Promise<TokenCredential> {
    const clientId = optionalString(env, "AZURE_CLIENT_ID");
    const { DefaultAzureCredential, ManagedIdentityCredential } = await import("@azure/identity");
    return clientId === undefined ? new DefaultAzureCredential() : new ManagedIdentityCredential({ clientId });
}

/**
 * Key Vault and Entra readers backed by that credential, built on first use: a function
 * configured with a Secrets Manager secret or a URL never loads the Azure SDK. The credential
 * keeps its tokens until shortly before they expire and fetches new ones after.
 */
export function azureCredentialReaders(env: Env): Required<Pick<CredentialReaders, "keyVault" | "entra">> {
    let credential: Promise<TokenCredential> | undefined;
    const shared = (): Promise<TokenCredential> => (credential ??= azureCredential(env));
    return {
        entra: { getToken: async (scope) => (await shared()).getToken(scope) },
        keyVault: (vaultUrl) => ({
            async getSecret(secretName, options) {
                const [{ SecretClient }, cred] = await Promise.all([import("@azure/keyvault-secrets"), shared()]);
                return new SecretClient(vaultUrl, cred).getSecret(secretName, options);
            },
        }),
    };
}
