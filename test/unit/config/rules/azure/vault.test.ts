import { strict as assert } from "node:assert";
import { validateConfig } from "../../../../../config/validate";
import * as vaultRules from "../../../../../config/rules/azure/vault";
import { staging, azureOnlyProd, describeAzureRules, type AzureRuleCase } from "../../../../helpers/azureRules";

const CASES: readonly AzureRuleCase[] = [
    {
        rule: "prodAzureOnlyBackupVault",
        bad: azureOnlyProd({ "azure.backupVault": undefined }), good: azureOnlyProd({}),
        path: "azure.backupVault", severity: "error", message: /is required in prod for an Azure-only stack with servers/,
    },
    {
        rule: "prodBackupVaultProtected (redundancy)",
        bad: azureOnlyProd({ "azure.backupVault": { redundancy: "ZoneRedundant" } }), good: azureOnlyProd({ "azure.backupVault": { redundancy: "GeoRedundant" } }),
        path: "azure.backupVault.redundancy", severity: "error", message: /must be "GeoRedundant" in prod/,
    },
    {
        rule: "prodBackupVaultProtected (immutability)",
        bad: azureOnlyProd({ "azure.backupVault": { immutability: "Unlocked" } }), good: azureOnlyProd({ "azure.backupVault": { immutability: "Locked" } }),
        path: "azure.backupVault.immutability", severity: "error", message: /must be "Locked" in prod \(the default there\)/,
    },
    {
        rule: "prodBackupVaultProtected (soft delete)",
        bad: azureOnlyProd({ "azure.backupVault": { softDelete: "Off" } }), good: azureOnlyProd({ "azure.backupVault": { softDelete: "On" } }),
        path: "azure.backupVault.softDelete", severity: "error", message: /must be "On" or "AlwaysOn" in prod/,
    },
    {
        rule: "vaultRetentionValid",
        bad: staging({ "azure.backupVault": { yearlyKeepDays: 365 } }), good: staging({ "azure.backupVault": { yearlyKeepDays: 366 } }),
        path: "azure.backupVault.yearlyKeepDays", severity: "error", message: /must be longer than monthlyKeepDays \(365\)/,
    },
];

describeAzureRules("Azure rules: Backup vault", vaultRules, CASES);

describe("Azure rules: Backup vault, beyond the table", () => {
    it("locks the Backup vault by default in prod only", () => {
        // given a Backup vault without an immutability key, in prod and in staging; when resolved
        const inProd = validateConfig({ source: "t", origin: "program", values: azureOnlyProd({}), foreign: {} }).config;
        const inStaging = validateConfig({ source: "t", origin: "program", values: staging({ "azure.backupVault": {} }), foreign: {} }).config;
        // then prod's vault is Locked and staging's Unlocked
        assert.ok(inProd?.azure?.backupVault !== undefined && inStaging?.azure?.backupVault !== undefined);
        assert.equal(vaultRules.effectiveVaultImmutability(inProd, inProd.azure.backupVault), "Locked");
        assert.equal(vaultRules.effectiveVaultImmutability(inStaging, inStaging.azure.backupVault), "Unlocked");
    });
});
