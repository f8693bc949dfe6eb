import { strict as assert } from "node:assert";
import { formatFinding } from "../../../../../config/findings";
import { stackConfigSchema } from "../../../../../config/schema";
import { AZURE_LOCATIONS } from "../../../../../config/regions";
import * as serversRules from "../../../../../config/rules/azure/servers";
import { validConfig, validate } from "../../../../helpers/config";
import { AZURE, staging, prod, SUBNET, DNS_ZONE, describeAzureRules, type AzureRuleCase } from "../../../../helpers/azureRules";

const CASES: readonly AzureRuleCase[] = [
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
];

describeAzureRules("Azure rules: servers", serversRules, CASES);

describe("Azure rules: servers, beyond the table", () => {
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

    it("resolves geo-redundant backup the way the component does: explicit value, else on in prod only", () => {
        // given parsed configs in both environments, with and without an explicit value
        const parse = (env: string, geo?: boolean) => stackConfigSchema.parse(validConfig({
            environment: env, azure: { ...AZURE, servers: [{ name: "blog", ...(geo === undefined ? {} : { geoRedundantBackup: geo }) }] },
        }));
        const effective = (env: string, geo?: boolean) => {
            const config = parse(env, geo);
            const server = config.azure?.servers[0];
            assert.ok(server);
            return serversRules.effectiveGeoRedundantBackup(config, server);
        };
        // then the default follows the environment and an explicit value wins
        assert.equal(effective("prod"), true);
        assert.equal(effective("staging"), false);
        assert.equal(effective("prod", false), false);
        assert.equal(effective("staging", true), true);
    });
});
