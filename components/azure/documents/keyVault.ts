/**
 * The Key Vault of an Azure stack: its name, the rotation policy of the storage account's
 * customer-managed key, and the database credential secrets the jobs read. Pure functions of
 * plain values, shared by the configuration rules and the component.
 */

/**
 * Key Vault names: 3-24 characters, letters, digits and '-', starting with a letter, ending with
 * a letter or digit, no "--" ("Naming rules for Azure resources", Microsoft.KeyVault/vaults,
 * https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftkeyvault).
 */
export const KEY_VAULT_NAME = /^(?=.{3,24}$)[a-zA-Z](?:[a-zA-Z0-9]|-(?=[a-zA-Z0-9]))*$/;

/** Secret and key names: 1-127 letters, digits and '-'. */
export const KEY_VAULT_OBJECT_NAME = /^[0-9a-zA-Z-]{1,127}$/;

/** Days a deleted vault, key or secret can be recovered (Key Vault soft delete: 7..90). */
export const SOFT_DELETE_RANGE = { min: 7, max: 90 } as const;

/**
 * Bounds of a key rotation policy ("Configure cryptographic key auto-rotation in Azure Key
 * Vault", https://learn.microsoft.com/azure/key-vault/keys/how-to-configure-key-rotation): a key
 * expires at least 28 days after creation, is rotated at least 7 days after creation and at
 * least 7 days before it expires.
 */
export const ROTATION_LIMITS = { minExpiryDays: 28, minRotateAfterDays: 7, minDaysBeforeExpiry: 7 } as const;

/** Days before expiry at which Key Vault raises the near-expiry event of a key. */
const NOTIFY_BEFORE_EXPIRY_DAYS = 30;

export interface KeyRotation {
    /** Days after a key version's creation at which Key Vault creates the next one. */
    readonly rotateAfterDays: number;
    /** Days after creation at which a key version expires; later than the rotation by at least 7 days. */
    readonly expiryDays: number;
}

/** The rotation policy document (ISO 8601 durations) of {@link KeyRotation}; throws on a rule above. */
export function keyRotationPolicy(r: KeyRotation): {
    readonly attributes: { readonly expiryTime: string };
    readonly lifetimeActions: { readonly trigger: { readonly timeAfterCreate?: string; readonly timeBeforeExpiry?: string }; readonly action: { readonly type: "rotate" | "notify" } }[];
} {
    const problem = keyRotationProblem(r);
    if (problem !== undefined) throw new RangeError(`${problem.key}: ${problem.value} ${problem.message}`);
    return {
        attributes: { expiryTime: `P${r.expiryDays}D` },
        lifetimeActions: [
            { trigger: { timeAfterCreate: `P${r.rotateAfterDays}D` }, action: { type: "rotate" } },
            { trigger: { timeBeforeExpiry: `P${Math.min(NOTIFY_BEFORE_EXPIRY_DAYS, r.expiryDays - r.rotateAfterDays)}D` }, action: { type: "notify" } },
        ],
    };
}

/** Why a rotation is refused by Key Vault, naming the field, or undefined. */
export function keyRotationProblem(r: KeyRotation): { readonly key: keyof KeyRotation; readonly value: number; readonly message: string } | undefined {
    const { minExpiryDays, minRotateAfterDays, minDaysBeforeExpiry } = ROTATION_LIMITS;
    if (!Number.isInteger(r.expiryDays) || r.expiryDays < minExpiryDays) {
        return { key: "expiryDays", value: r.expiryDays, message: `must be a whole number of days, at least ${minExpiryDays} (Key Vault rotation policy)` };
    }
    if (!Number.isInteger(r.rotateAfterDays) || r.rotateAfterDays < minRotateAfterDays || r.rotateAfterDays > r.expiryDays - minDaysBeforeExpiry) {
        return {
            key: "rotateAfterDays", value: r.rotateAfterDays,
            message: `must be ${minRotateAfterDays}..${r.expiryDays - minDaysBeforeExpiry}: at least ${minRotateAfterDays} days after creation and ` +
                `${minDaysBeforeExpiry} before expiry (expiryDays ${r.expiryDays}), or the key expires before its successor exists`,
        };
    }
    return undefined;
}

/** `https://<vault>.vault.azure.net/secrets/<name>`: the form DB_KEYVAULT_SECRET_URI takes (latest version). */
export function secretUri(vaultName: string, secretName: string): string {
    return `https://${vaultName}.vault.azure.net/secrets/${secretName}`;
}

/** `https://<vault>.vault.azure.net/`: the vault URI a customer-managed key is read from. */
export function vaultUri(vaultName: string): string {
    return `https://${vaultName}.vault.azure.net/`;
}

/** The database credential a job reads: the same JSON as the Secrets Manager secret on AWS (dbname optional there too). */
export interface DatabaseCredential {
    readonly username: string;
    readonly password: string;
    readonly host: string;
    readonly port: number;
    readonly dbname?: string;
}

/** The secret's value; keys in a fixed order so that the state does not churn. */
export function databaseSecretValue(c: DatabaseCredential): string {
    return JSON.stringify({ username: c.username, password: c.password, host: c.host, port: c.port, ...(c.dbname !== undefined ? { dbname: c.dbname } : {}) });
}

/** Name of the secret holding a server's dump credential: `<server logical name>-dump`. */
export function databaseSecretName(serverKey: string): string {
    return `${serverKey}-dump`;
}
