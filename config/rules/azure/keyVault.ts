/** Rules of the stack's Key Vault: the key's rotation and expiry, and a customer-managed key for the storage account in prod. */
import type { Rule } from "../../findings";
import { error } from "../../findings";
import { keyRotationProblem } from "../../../components/azure/documents/keyVault";
import { isProd } from "./shared";

/** Key Vault refuses a rotation too close to the key's expiry. */
export const keyRotationValid: Rule = (config) => {
    const kv = config.azure?.keyVault;
    if (kv === undefined) return [];
    const problem = keyRotationProblem({ rotateAfterDays: kv.rotateAfterDays, expiryDays: kv.keyExpiryDays });
    if (problem === undefined) return [];
    return [error(`azure.keyVault.${problem.key === "expiryDays" ? "keyExpiryDays" : "rotateAfterDays"}`, problem.value, problem.message)];
};

/** Prod file backups are encrypted with the stack's own key, in a vault with purge protection. */
export const prodStorageCustomerManagedKey: Rule = (config) => {
    const azure = config.azure;
    if (!isProd(config) || azure?.storage === undefined || azure.keyVault !== undefined) return [];
    return [error("azure.keyVault", undefined,
        "is required in prod with azure.storage: the storage account is encrypted with a customer-managed key kept in a Key Vault " +
        "with purge protection, so that nobody can destroy or swap the key the backups depend on; give {} for the defaults")];
};
