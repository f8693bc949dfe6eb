import * as keyVaultRules from "../../../../../config/rules/azure/keyVault";
import { staging, prod, describeAzureRules, type AzureRuleCase } from "../../../../helpers/azureRules";

const CASES: readonly AzureRuleCase[] = [
    {
        rule: "keyRotationValid",
        bad: staging({ "azure.keyVault": { rotateAfterDays: 365, keyExpiryDays: 371 } }),
        good: staging({ "azure.keyVault": { rotateAfterDays: 365, keyExpiryDays: 372 } }),
        path: "azure.keyVault.rotateAfterDays", severity: "error", message: /must be 7\.\.364: .* or the key expires before its successor exists/,
    },
    {
        rule: "prodStorageCustomerManagedKey",
        bad: prod({ "azure.keyVault": undefined }), good: prod({}),
        path: "azure.keyVault", severity: "error", message: /is required in prod with azure\.storage: .* customer-managed key .* purge protection/,
    },
];

describeAzureRules("Azure rules: Key Vault", keyVaultRules, CASES);
