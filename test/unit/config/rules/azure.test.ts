import { strict as assert } from "node:assert";
import { formatFinding } from "../../../../config/findings";
import { stackConfigSchema } from "../../../../config/schema";
import { effectiveGeoRedundantBackup, effectiveVaultImmutability, rules } from "../../../../config/rules/azure";
import { validateConfig } from "../../../../config/validate";
import { AZURE_LOCATIONS } from "../../../../config/regions";
import { assertOneFinding, RuleCase, validConfig, validate } from "../../../helpers/config";

/** An Azure section that passes every rule: one server, a storage account with immutability. */
const AZURE = {
    location: "eastus",
    resourceGroupName: "rg-db",
    servers: [{ name: "blog" }],
    storage: { immutabilityDays: 30, immutabilityLocked: true },
    keyVault: {},
};
/** What the foundation rules need of a prod stack, so that only the Azure rules speak. */
const PROD = { environment: "prod", "storage.objectLock": { mode: "COMPLIANCE", days: 7 } };
const EMAILS = { "alerts.emails": ["dba@example.com"] };

const staging = (overrides: Record<string, unknown>) => validConfig({ azure: structuredClone(AZURE), ...EMAILS, ...overrides });
const prod = (overrides: Record<string, unknown>) => staging({ ...PROD, ...overrides });
/** No regions and no AWS section: an Azure-only stack. */
const AZURE_ONLY = { regions: undefined, aws: undefined };
const azureOnlyProd = (overrides: Record<string, unknown>) => prod({ ...AZURE_ONLY, "azure.backupVault": {}, ...overrides });
/** Per-tier lifecycle with version-level immutability instead of the container policy. */
const PER_TIER = { "azure.storage": { versionLevelImmutability: true, tierLifecycle: {} } };
const GOVERNANCE = { "storage.objectLock": { mode: "GOVERNANCE", days: 7 } };

const SUBNET = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/pg";
const DNS_ZONE = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/Microsoft.Network/privateDnsZones/blog.postgres.database.azure.com";
/** A database the functions dump, on a server the stack does not manage as RDS. */
const dumpOf = (host: string) => ({
    name: "blog", databaseName: "blog", host, credentialsSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:blog-AbCdEf",
});

interface Case extends RuleCase {
    readonly rule: string;
}

const CASES: readonly Case[] = [
    {
        rule: "azureLocationKnown",
        bad: staging({ "azure.location": "East US" }), good: staging({ "azure.location": "westeurope" }),
        path: "azure.location", severity: "error", message: /not a known Azure location \(did you mean "eastus"\?\)/,
    },
    {
        rule: "prodServersGeoRedundant",
        bad: prod({ "azure.servers[0].geoRedundantBackup": false }), good: prod({ "azure.servers[0].geoRedundantBackup": true }),
        path: "azure.servers[0].geoRedundantBackup", severity: "error", message: /must be true in prod/,
    },
    {
        rule: "prodServersGeoRedundant (region without it)",
        bad: prod({ "azure.location": "westus3", "azure.servers[0].geoRedundantBackup": false }),
        good: prod({ "azure.location": "westus2", "azure.servers[0].geoRedundantBackup": true }),
        path: "azure.servers[0].geoRedundantBackup", severity: "error", message: /must be true in prod.*westus3 does not offer it: move azure.location to one of eastus/,
    },
    {
        rule: "prodStorageGeoRedundant",
        bad: prod({ "azure.storage.redundancy": "Standard_ZRS" }), good: prod({ "azure.storage.redundancy": "Standard_RAGZRS" }),
        path: "azure.storage.redundancy", severity: "error", message: /is not geo-redundant; prod needs one of Standard_GRS/,
    },
    {
        rule: "prodStorageImmutable",
        bad: prod({ "azure.storage.immutabilityDays": undefined, "azure.storage.immutabilityLocked": false }), good: prod({ "azure.storage.immutabilityDays": 1 }),
        path: "azure.storage.immutabilityDays", severity: "error", message: /required in prod.*allowed: 1..30/,
    },
    {
        rule: "archiveNeedsSupportedRedundancy",
        bad: staging({ "azure.storage.redundancy": "Standard_GZRS", "azure.storage.lifecycle": { archiveAfterDays: 200, deleteAfterDays: 400 } }),
        good: staging({ "azure.storage.redundancy": "Standard_RAGRS", "azure.storage.lifecycle": { archiveAfterDays: 200, deleteAfterDays: 400 } }),
        path: "azure.storage.lifecycle.archiveAfterDays", severity: "error", message: /not possible on Standard_GZRS: Azure has no Archive tier/,
    },
    {
        rule: "lifecycleOrder (order)",
        bad: staging({ "azure.storage.lifecycle": { coolAfterDays: 100, coldAfterDays: 90, deleteAfterDays: 400 } }),
        good: staging({ "azure.storage.lifecycle": { coolAfterDays: 60, coldAfterDays: 90, deleteAfterDays: 400 } }),
        path: "azure.storage.lifecycle.coldAfterDays", severity: "error", message: /must be later than coolAfterDays \(100\)/,
    },
    {
        rule: "lifecycleOrder (delete after the last tier)",
        bad: staging({ "azure.storage.lifecycle": { coolAfterDays: 30, deleteAfterDays: 30 } }),
        good: staging({ "azure.storage.lifecycle": { coolAfterDays: 30, deleteAfterDays: 60 } }),
        path: "azure.storage.lifecycle.deleteAfterDays", severity: "error", message: /must be later than coolAfterDays \(30\)/,
    },
    {
        rule: "lifecycleOrder (early deletion)",
        bad: staging({ "azure.storage.lifecycle": { coldAfterDays: 30, deleteAfterDays: 100 } }),
        good: staging({ "azure.storage.lifecycle": { coldAfterDays: 30, deleteAfterDays: 120 } }),
        path: "azure.storage.lifecycle.deleteAfterDays", severity: "warning", message: /Cold bills at least 90 days/,
    },
    {
        rule: "immutabilityWithinRetention",
        bad: staging({ "azure.storage.immutabilityDays": 31 }), good: staging({ "azure.storage.immutabilityDays": 30 }),
        path: "azure.storage.immutabilityDays", severity: "error",
        message: /longer than lifecycle.deleteAfterDays \(30\): an immutable blob cannot be deleted.*at most 30/,
    },
    {
        rule: "geoRedundantBackupUnchanged (explicit)",
        bad: staging({ "azure.servers[0].geoRedundantBackup": true, "azure.servers[0].createdWithGeoRedundantBackup": false }),
        good: staging({ "azure.servers[0].geoRedundantBackup": false, "azure.servers[0].createdWithGeoRedundantBackup": false }),
        path: "azure.servers[0].geoRedundantBackup", severity: "error", message: /replace the server with a new, empty one/,
    },
    {
        rule: "geoRedundantBackupUnchanged (prod default)",
        bad: prod({ "azure.servers[0].createdWithGeoRedundantBackup": false }),
        good: prod({ "azure.servers[0].createdWithGeoRedundantBackup": true }),
        path: "azure.servers[0].geoRedundantBackup", severity: "error", message: /replace the server.*this is the environment's default/,
    },
    {
        rule: "uniqueServerNames (name)",
        bad: staging({ "azure.servers": [{ name: "blog" }, { name: "blog" }] }), good: staging({ "azure.servers": [{ name: "blog" }, { name: "shop" }] }),
        path: "azure.servers[1].name", severity: "error", message: /already used by azure.servers\[0\]/,
    },
    {
        rule: "uniqueServerNames (serverName)",
        bad: staging({ "azure.servers": [{ name: "blog", serverName: "db-2025" }, { name: "shop", serverName: "db-2025" }] }),
        good: staging({ "azure.servers": [{ name: "blog", serverName: "db-2025" }, { name: "shop", serverName: "db-2026" }] }),
        path: "azure.servers[1].serverName", severity: "error", message: /already used by azure.servers\[0\]; serverName must be unique/,
    },
    {
        rule: "entraOnlyNeedsAdmin",
        bad: staging({ "azure.servers[0].authentication": { password: false } }),
        good: staging({
            "azure.servers[0].authentication": {
                password: false,
                entraAdmin: {
                    tenantId: "11111111-2222-3333-4444-555555555555", objectId: "66666666-7777-8888-9999-000000000000",
                    principalName: "dba-group", principalType: "group",
                },
            },
        }),
        path: "azure.servers[0].authentication.password", severity: "error", message: /authentication.entraAdmin must name/,
    },
    {
        rule: "burstableWithoutHighAvailability",
        bad: staging({ "azure.servers[0].skuTier": "Burstable", "azure.servers[0].skuName": "Standard_B1ms", "azure.servers[0].highAvailability": "ZoneRedundant" }),
        good: staging({ "azure.servers[0].skuTier": "Burstable", "azure.servers[0].skuName": "Standard_B1ms" }),
        path: "azure.servers[0].highAvailability", severity: "error", message: /not available on the Burstable tier/,
    },
    {
        rule: "azureAlertsHaveReceivers (prod)",
        bad: prod({ "alerts.emails": [] }), good: prod({ "alerts.emails": [], "alerts.webhookUrls": [{ secure: "v1:AAAA" }] }),
        path: "alerts.emails", severity: "error", message: /would notify nobody/,
    },
    {
        rule: "azureAlertsHaveReceivers (staging)",
        bad: staging({ "alerts.emails": [] }), good: staging({}),
        path: "alerts.emails", severity: "warning", message: /would notify nobody/,
    },
    {
        rule: "prodImmutabilityLocked (unlocked in prod)",
        bad: prod({ "azure.storage.immutabilityLocked": false }), good: prod({ "azure.storage.immutabilityLocked": true }),
        path: "azure.storage.immutabilityLocked", severity: "warning",
        message: /immutability policy is unlocked: anyone with Contributor on the storage account can shorten or delete it.*set azure.storage.immutabilityLocked: true/,
    },
    {
        rule: "prodImmutabilityLocked (nothing to lock)",
        bad: staging({ "azure.storage.immutabilityDays": undefined }), good: staging({ "azure.storage.immutabilityDays": undefined, "azure.storage.immutabilityLocked": false }),
        path: "azure.storage.immutabilityLocked", severity: "error", message: /needs azure.storage.immutabilityDays/,
    },
    {
        rule: "pointInTimeRestoreWithinSoftDelete",
        bad: staging({ "azure.storage.pointInTimeRestoreDays": 14 }), good: staging({ "azure.storage.pointInTimeRestoreDays": 13 }),
        path: "azure.storage.pointInTimeRestoreDays", severity: "error",
        message: /must be shorter than the blob soft delete \(14 days\); allowed: 0 \(off\) or 1..13/,
    },
    {
        rule: "prodStorageReadableInPairedRegion",
        bad: prod({ "azure.storage.redundancy": "Standard_GRS" }), good: prod({ "azure.storage.redundancy": "Standard_RAGRS" }),
        path: "azure.storage.redundancy", severity: "warning", message: /cannot read it until a customer-managed failover.*Standard_RAGRS or Standard_RAGZRS/,
    },
    {
        rule: "storageSizeOffered",
        bad: staging({ "azure.servers[0].storageSizeGb": 100 }), good: staging({ "azure.servers[0].storageSizeGb": 4095 }),
        path: "azure.servers[0].storageSizeGb", severity: "error",
        message: /is not a Premium SSD size; allowed: 32, 64, 128, 256, 512, 1024, 2048, 4095, 4096, 8192, 16384, 32767 \(GiB\)/,
    },
    {
        rule: "regionOffersGeoRedundantBackup (explicit)",
        bad: staging({ "azure.location": "westus3", "azure.servers[0].geoRedundantBackup": true }),
        good: staging({ "azure.location": "westus2", "azure.servers[0].geoRedundantBackup": true }),
        path: "azure.servers[0].geoRedundantBackup", severity: "error",
        message: /is not offered in westus3 \(Flexible Server region table\); allowed here: false\. Regions that offer geo-redundant backup: eastus, /,
    },
    {
        rule: "regionOffersGeoRedundantBackup (prod default)",
        bad: prod({ "azure.location": "polandcentral" }), good: prod({ "azure.location": "germanywestcentral" }),
        path: "azure.servers[0].geoRedundantBackup", severity: "error", message: /not offered in polandcentral.*true is the environment's default/,
    },
    {
        rule: "regionOffersZoneRedundantHa",
        bad: staging({ "azure.location": "westus", "azure.servers[0].highAvailability": "ZoneRedundant" }),
        good: staging({ "azure.location": "westus", "azure.servers[0].highAvailability": "SameZone" }),
        path: "azure.servers[0].highAvailability", severity: "error",
        message: /is not offered in westus \(Flexible Server region table\); allowed here: "Disabled", "SameZone"/,
    },
    {
        rule: "derivedServerNameValid",
        bad: staging({ "azure.servers[0].name": "a".repeat(40), environment: "b".repeat(30) }),
        good: staging({ "azure.servers[0].name": "a".repeat(40), environment: "b".repeat(30), "azure.servers[0].serverName": "blog-db" }),
        path: "azure.servers[0].serverName", severity: "error", message: /derived from name and environment .* give serverName/,
    },
    {
        rule: "serverNetworkValid (whole internet)",
        bad: staging({ "azure.servers[0].network.firewallRules": [{ name: "all", startIpAddress: "0.0.0.0", endIpAddress: "255.255.255.255" }] }),
        good: staging({ "azure.servers[0].network.firewallRules": [{ name: "nat", startIpAddress: "203.0.113.10" }] }),
        path: "azure.servers[0].network.firewallRules[0]", severity: "error",
        message: /opens 4294967296 addresses \(the whole internet\); allowed: at most 65536 \(a \/16\)/,
    },
    {
        rule: "serverNetworkValid (all Azure services)",
        bad: staging({ "azure.servers[0].network.firewallRules": [{ name: "azure", startIpAddress: "0.0.0.0" }] }),
        good: staging({ "azure.servers[0].network.firewallRules": [{ name: "nat", startIpAddress: "203.0.113.0", endIpAddress: "203.0.113.255" }] }),
        path: "azure.servers[0].network.firewallRules[0]", severity: "error", message: /allow every Azure service", of any tenant/,
    },
    {
        rule: "serverNetworkValid (reversed range)",
        bad: staging({ "azure.servers[0].network.firewallRules": [{ name: "nat", startIpAddress: "203.0.113.20", endIpAddress: "203.0.113.10" }] }),
        good: staging({ "azure.servers[0].network.firewallRules": [{ name: "nat", startIpAddress: "203.0.113.10", endIpAddress: "203.0.113.20" }] }),
        path: "azure.servers[0].network.firewallRules[0].endIpAddress", severity: "error", message: /is before startIpAddress \(203.0.113.20\)/,
    },
    {
        rule: "serverNetworkValid (VNet without DNS zone)",
        bad: staging({ "azure.servers[0].network.delegatedSubnetId": SUBNET }),
        good: staging({ "azure.servers[0].network": { delegatedSubnetId: SUBNET, privateDnsZoneId: DNS_ZONE } }),
        path: "azure.servers[0].network.privateDnsZoneId", severity: "error", message: /is required with delegatedSubnetId/,
    },
    {
        rule: "serverNetworkValid (VNet and firewall)",
        bad: staging({ "azure.servers[0].network": { delegatedSubnetId: SUBNET, privateDnsZoneId: DNS_ZONE, firewallRules: [{ name: "nat", startIpAddress: "203.0.113.10" }] } }),
        good: staging({ "azure.servers[0].network": { delegatedSubnetId: SUBNET, privateDnsZoneId: DNS_ZONE } }),
        path: "azure.servers[0].network.firewallRules", severity: "error", message: /must be empty with delegatedSubnetId/,
    },
    {
        rule: "noAwsFunctionsForAzureServers",
        bad: staging({ "aws.backup.enabled": false, "aws.databases[1]": dumpOf("blog-staging.postgres.database.azure.com") }),
        good: staging({ "aws.backup.enabled": false, "aws.databases[1]": dumpOf("blog.db.example.com") }),
        path: "aws.databases[1].host", severity: "error",
        message: /no Azure credential reaches .* run its dump, export and verify with the Azure runner \(azure\.runner/,
    },
    {
        rule: "azureOnlyStackComplete (no Azure either)",
        bad: validConfig({ regions: undefined, aws: undefined }), good: staging(AZURE_ONLY),
        path: "regions", severity: "error", message: /is required .* unless the stack is Azure-only, which needs azure/,
    },
    {
        rule: "azureOnlyStackComplete (AWS databases)",
        bad: staging({ regions: undefined }), good: staging(AZURE_ONLY),
        path: "regions", severity: "error", message: /is required: aws\.databases, aws\.network declare AWS resources .* without regions the stack is Azure-only/,
    },
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
    {
        rule: "tierLifecycleValid (Archive on ZRS)",
        bad: staging({ "azure.storage": { redundancy: "Standard_ZRS", tierLifecycle: { monthly: { archiveAfterDays: 180 } } } }),
        good: staging({ "azure.storage": { redundancy: "Standard_RAGRS", tierLifecycle: { monthly: { archiveAfterDays: 180 } } } }),
        path: "azure.storage.tierLifecycle.monthly.archiveAfterDays", severity: "error", message: /is not possible on Standard_ZRS/,
    },
    {
        rule: "tierLifecycleValid (deletion before the last step)",
        bad: staging({ "azure.storage": { tierLifecycle: { weekly: { coolAfterDays: 35 } } } }),
        good: staging({ "azure.storage": { tierLifecycle: { weekly: { coolAfterDays: 5 } } } }),
        path: "retention.weekly.keepDays", severity: "error", message: /must be later than coolAfterDays \(35\)/,
    },
    {
        rule: "versionLevelImmutabilityComplete",
        bad: staging({ ...GOVERNANCE, "azure.storage": { versionLevelImmutability: true } }), good: staging({ ...GOVERNANCE, ...PER_TIER }),
        path: "azure.storage.versionLevelImmutability", severity: "error", message: /needs azure\.storage\.tierLifecycle: each dump is locked for its tier's keepDays/,
    },
];

describe("configuration validation: Azure rules", () => {
    it("locks the Backup vault by default in prod only", () => {
        // given a Backup vault without an immutability key, in prod and in staging; when resolved
        const inProd = validateConfig({ source: "t", origin: "program", values: azureOnlyProd({}), foreign: {} }).config;
        const inStaging = validateConfig({ source: "t", origin: "program", values: staging({ "azure.backupVault": {} }), foreign: {} }).config;
        // then prod's vault is Locked and staging's Unlocked
        assert.ok(inProd?.azure?.backupVault !== undefined && inStaging?.azure?.backupVault !== undefined);
        assert.equal(effectiveVaultImmutability(inProd, inProd.azure.backupVault), "Locked");
        assert.equal(effectiveVaultImmutability(inStaging, inStaging.azure.backupVault), "Unlocked");
    });

    it("the Azure baseline is valid in staging and in prod, without warnings", () => {
        // given the baseline Azure section; when validated in both environments; then nothing is found
        assert.deepEqual(validate(staging({})).map(formatFinding), []);
        assert.deepEqual(validate(prod({})).map(formatFinding), []);
    });

    it("accepts PostgreSQL 18 and refuses a version Azure does not offer, naming the allowed ones", () => {
        // given servers on version 18 and on version 12; when validated
        const v18 = validate(staging({ "azure.servers[0].version": "18" }));
        const v12 = validate(staging({ "azure.servers[0].version": "12" }));
        // then 18 passes and 12 is refused at its key with the list of versions
        assert.deepEqual(v18.map(formatFinding), []);
        assert.match(v12.map(formatFinding).join("\n"), /azure\.servers\[0\]\.version: "12" .*"18"/);
    });

    it("refuses geo-redundant backup in exactly the regions the Flexible Server table marks without it", () => {
        // given a staging server with geo-redundant backup in each known region; when validated
        const refused = AZURE_LOCATIONS.filter((location) =>
            validate(staging({ "azure.location": location, "azure.servers[0].geoRedundantBackup": true }))
                .some((f) => f.path === "azure.servers[0].geoRedundantBackup"));
        // then the refused regions are those of the table (westindia is not in it at all)
        assert.deepEqual(refused.sort(), ["brazilsouth", "israelcentral", "italynorth", "polandcentral", "qatarcentral", "spaincentral", "westindia", "westus3"]);
    });

    it("every rule is registered", () => {
        // given the rule list; then it has one entry per named rule the cases exercise
        const named = new Set(CASES.map((c) => c.rule.split(" ")[0]));
        assert.equal(rules.length, named.size);
    });

    for (const c of CASES) {
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

    it("prints a finding the way the validate command shows it: key path, value, what is allowed", () => {
        // given immutability longer than the retention; when validated and formatted
        const line = validate(staging({ "azure.storage.immutabilityDays": 45 })).map(formatFinding)[0];
        // then the line starts with the path and the value
        assert.match(line ?? "", /^azure\.storage\.immutabilityDays: 45 is longer than lifecycle\.deleteAfterDays \(30\)/);
    });

    it("resolves geo-redundant backup the way the component does: explicit value, else on in prod only", () => {
        // given parsed configs in both environments, with and without an explicit value
        const parse = (env: string, geo?: boolean) => stackConfigSchema.parse(validConfig({
            environment: env, azure: { ...AZURE, servers: [{ name: "blog", ...(geo === undefined ? {} : { geoRedundantBackup: geo }) }] },
        }));
        const effective = (env: string, geo?: boolean) => {
            const config = parse(env, geo);
            const server = config.azure?.servers[0];
            assert.ok(server);
            return effectiveGeoRedundantBackup(config, server);
        };
        // then the default follows the environment and an explicit value wins
        assert.equal(effective("prod"), true);
        assert.equal(effective("staging"), false);
        assert.equal(effective("prod", false), false);
        assert.equal(effective("staging", true), true);
    });
});
