/** Fixtures of the Azure rules' tests (test/unit/config/rules/azure/), and the table runner they share. */
import { strict as assert } from "node:assert";
import { formatFinding } from "../../config/findings";
import { rules } from "../../config/rules/azure";
import { assertOneFinding, RuleCase, validConfig, validate } from "./config";

/** An Azure section that passes every rule: one server, a storage account with immutability. */
export const AZURE = {
    location: "eastus",
    resourceGroupName: "rg-db",
    servers: [{ name: "blog" }],
    storage: { immutabilityDays: 30, immutabilityLocked: true },
    keyVault: {},
};
/** What the foundation rules need of a prod stack, so that only the Azure rules speak. */
export const PROD = { environment: "prod", "storage.objectLock": { mode: "COMPLIANCE", days: 7 } };
export const EMAILS = { "alerts.emails": ["dba@example.com"] };

export const staging = (overrides: Record<string, unknown>): Record<string, unknown> => validConfig({ azure: structuredClone(AZURE), ...EMAILS, ...overrides });
export const prod = (overrides: Record<string, unknown>): Record<string, unknown> => staging({ ...PROD, ...overrides });
/** No regions and no AWS section: an Azure-only stack. */
export const AZURE_ONLY = { regions: undefined, aws: undefined };
export const azureOnlyProd = (overrides: Record<string, unknown>): Record<string, unknown> => prod({ ...AZURE_ONLY, "azure.backupVault": {}, ...overrides });
/** Per-tier lifecycle with version-level immutability instead of the container policy. */
export const PER_TIER = { "azure.storage": { versionLevelImmutability: true, tierLifecycle: {} } };
export const GOVERNANCE = { "storage.objectLock": { mode: "GOVERNANCE", days: 7 } };

export const SUBNET = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/pg";
export const DNS_ZONE = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/Microsoft.Network/privateDnsZones/blog.postgres.database.azure.com";
/** A database the functions dump, on a server the stack does not manage as RDS. */
export const dumpOf = (host: string) => ({
    name: "blog", databaseName: "blog", host, credentialsSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:blog-AbCdEf",
});


/** A rule case of the table, with the rule it exercises (its name, then words when a rule has several). */
export interface AzureRuleCase extends RuleCase {
    readonly rule: string;
}

/**
 * Runs a table of rule cases for one module of config/rules/azure/: each breaking config gives
 * exactly one finding at its path and no other error, each neighbour none at all; and the table
 * names every rule the module exports, so a new rule without a case fails here.
 */
export function describeAzureRules(title: string, module: Readonly<Record<string, unknown>>, cases: readonly AzureRuleCase[]): void {
    describe(title, () => {
        it("has a case for every rule of the module, and for no other", () => {
            const exported = Object.entries(module).filter(([, value]) => (rules as readonly unknown[]).includes(value)).map(([name]) => name).sort();
            const covered = [...new Set(cases.map((c) => c.rule.split(" ")[0] ?? ""))].sort();
            assert.deepEqual(covered, exported);
        });
        for (const c of cases) {
            describe(c.rule, () => {
                it(`flags ${c.path} as ${c.severity}`, () => {
                    // given the breaking config; when validated
                    const findings = validate(c.bad);
                    // then exactly one finding of that severity at the path, and no error elsewhere
                    const here = assertOneFinding(findings, c);
                    const otherErrors = findings.filter((f) => f.severity === "error" && f !== here);
                    assert.deepEqual(otherErrors.map(formatFinding), []);
                });
                it("accepts its nearest valid neighbour", () => {
                    // given the fixed config; when validated; then nothing at all is found
                    assert.deepEqual(validate(c.good).map(formatFinding), []);
                });
            });
        }
    });
}
