import { strict as assert } from "node:assert";
import { formatFinding } from "../../../../config/findings";
import { stackConfigSchema } from "../../../../config/schema";
import { effectiveRunnerMemoryGi, runnerClientMajor } from "../../../../config/rules/azureRunner";
import { assertOneFinding, RuleCase, validConfig, validate } from "../../../helpers/config";

const SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers";
const SUBNET = `${SUB}/Microsoft.Network/virtualNetworks/vnet/subnets/runner`;
const DB_SUBNET = `${SUB}/Microsoft.Network/virtualNetworks/vnet/subnets/pg`;
const DNS_ZONE = `${SUB}/Microsoft.Network/privateDnsZones/blog.postgres.database.azure.com`;
const VAULT = `${SUB}/Microsoft.KeyVault/vaults/kv-staging`;
const ENTRA_ADMIN = {
    tenantId: "11111111-1111-1111-1111-111111111111", objectId: "22222222-2222-2222-2222-222222222222",
    principalName: "dba-group", principalType: "group",
};

/**
 * An Azure section with a runner that passes every rule: one server behind a firewall rule for the
 * NAT gateway the environment's subnet leaves through, a Key Vault secret for the login.
 */
const AZURE = {
    location: "eastus",
    resourceGroupName: "rg-db",
    servers: [{ name: "blog", network: { firewallRules: [{ name: "runner-nat", startIpAddress: "20.1.2.3" }] } }],
    storage: { immutabilityDays: 30 },
    runner: {
        targets: [{ server: "blog", keyVaultLogin: "blog-login" }],
        keyVaultId: VAULT,
        network: { infrastructureSubnetId: SUBNET, egressIpAddresses: ["20.1.2.3"] },
    },
};
const EMAILS = { "alerts.emails": ["dba@example.com"] };
/** What the other rules need of a prod stack, so that only the runner's rules speak. */
const PROD = {
    "storage.objectLock": { mode: "COMPLIANCE", days: 7 },
    "azure.storage.immutabilityLocked": true,
    "azure.servers[0].geoRedundantBackup": true,
    "azure.storage.redundancy": "Standard_RAGRS",
    "azure.keyVault": {},
};
const staging = (overrides: Record<string, unknown>) => validConfig({ azure: structuredClone(AZURE), ...EMAILS, ...overrides });

interface Case extends RuleCase {
    readonly rule: string;
}

const CASES: readonly Case[] = [
    {
        rule: "runnerNeedsStorage",
        bad: staging({ "azure.storage": undefined }), good: staging({}),
        path: "azure.storage", severity: "error", message: /required with azure\.runner/,
    },
    {
        rule: "runnerTargetsKnown (unknown server)",
        bad: staging({ "azure.runner.targets[0].server": "shop" }), good: staging({}),
        path: "azure.runner.targets[0].server", severity: "error", message: /names no server of azure\.servers; allowed: blog/,
    },
    {
        rule: "runnerTargetsKnown (twice)",
        bad: staging({ "azure.runner.targets[1]": { server: "blog", keyVaultLogin: "blog-login" } }), good: staging({}),
        path: "azure.runner.targets[1].server", severity: "error", message: /already a target \(azure\.runner\.targets\[0\]\)/,
    },
    {
        rule: "runnerTargetCredential (none)",
        bad: staging({ "azure.runner.targets[0].keyVaultLogin": undefined }), good: staging({}),
        path: "azure.runner.targets[0].keyVaultLogin", severity: "error", message: /both missing; give one/,
    },
    {
        rule: "runnerTargetCredential (both)",
        bad: staging({ "azure.runner.targets[0].entraUser": "pg-runner", "azure.servers[0].authentication": { entraAdmin: ENTRA_ADMIN } }),
        good: staging({}),
        path: "azure.runner.targets[0].keyVaultLogin", severity: "error", message: /both given; give one/,
    },
    {
        rule: "runnerKeyVaultGiven",
        bad: staging({ "azure.runner.keyVaultId": undefined }), good: staging({}),
        path: "azure.runner.keyVaultId", severity: "error", message: /targets\[0\]\.keyVaultLogin names a secret/,
    },
    {
        rule: "runnerEntraUserNeedsAdmin",
        bad: staging({ "azure.runner.targets[0].keyVaultLogin": undefined, "azure.runner.targets[0].entraUser": "pg-runner" }),
        good: staging({
            "azure.runner.targets[0].keyVaultLogin": undefined, "azure.runner.targets[0].entraUser": "pg-runner",
            "azure.servers[0].authentication": { entraAdmin: ENTRA_ADMIN },
        }),
        path: "azure.runner.targets[0].entraUser", severity: "error", message: /needs Microsoft Entra authentication on server blog/,
    },
    {
        rule: "runnerSizeOffered (memory)",
        bad: staging({ "azure.runner.cpu": 1, "azure.runner.memoryGi": 4 }), good: staging({ "azure.runner.cpu": 2, "azure.runner.memoryGi": 4 }),
        path: "azure.runner.memoryGi", severity: "error", message: /not allowed with cpu 1; the Consumption profile allows 2 only/,
    },
    {
        rule: "runnerSizeOffered (cpu)",
        bad: staging({ "azure.runner.cpu": 0.3 }), good: staging({ "azure.runner.cpu": 0.25 }),
        path: "azure.runner.cpu", severity: "error", message: /not a Consumption-profile size; allowed: 0\.25, 0\.5/,
    },
    {
        rule: "runnerReachesServers (VNet server, no subnet)",
        bad: staging({
            "azure.servers[0].network": { delegatedSubnetId: DB_SUBNET, privateDnsZoneId: DNS_ZONE },
            "azure.runner.network": {},
        }),
        good: staging({ "azure.servers[0].network": { delegatedSubnetId: DB_SUBNET, privateDnsZoneId: DNS_ZONE }, "azure.runner.network": { infrastructureSubnetId: SUBNET } }),
        path: "azure.runner.network.infrastructureSubnetId", severity: "error", message: /VNet-integrated \(private access only\)/,
    },
    {
        rule: "runnerReachesServers (firewall server, no fixed egress)",
        bad: staging({ "azure.runner.network.egressIpAddresses": [] }), good: staging({}),
        path: "azure.runner.network.egressIpAddresses", severity: "error", message: /NAT gateway .* no fixed outbound address/,
    },
    {
        rule: "runnerReachesServers (egress outside the firewall rules)",
        bad: staging({ "azure.runner.network.egressIpAddresses": ["20.1.2.4"] }),
        good: staging({ "azure.runner.network.egressIpAddresses": ["20.1.2.4"], "azure.servers[0].network.firewallRules[0].endIpAddress": "20.1.2.10" }),
        path: "azure.runner.network.egressIpAddresses[0]", severity: "error", message: /not inside any firewall rule of server blog/,
    },
    {
        rule: "runnerReachesServers (server without a network path)",
        bad: staging({ "azure.servers[0].network": {} }), good: staging({}),
        path: "azure.servers[0].network", severity: "error", message: /azure\.runner\.targets\[0\] runs against it/,
    },
    {
        rule: "runnerExportScheduled (tables without schedule)",
        bad: staging({ "azure.runner.targets[0].exportTables": [{ table: "public.orders" }] }),
        good: staging({ "azure.runner.targets[0].exportTables": [{ table: "public.orders" }], "azure.runner.schedules": { export: "0 * * * *" } }),
        path: "azure.runner.schedules.export", severity: "error", message: /exportTables lists tables/,
    },
    {
        rule: "runnerExportScheduled (schedule without tables)",
        bad: staging({ "azure.runner.schedules": { export: "0 * * * *" } }), good: staging({}),
        path: "azure.runner.schedules.export", severity: "warning", message: /no export job is created/,
    },
    {
        rule: "runnerSchedulesWithinBackupAge (room in the alert window)",
        bad: staging({ "azure.runner.maxBackupAgeHours": 27, "azure.runner.timeoutMinutes": { verify: 60 } }),
        good: staging({ "azure.runner.maxBackupAgeHours": 28, "azure.runner.timeoutMinutes": { verify: 60 } }),
        path: "azure.runner.maxBackupAgeHours", severity: "error", message: /schedules\.dump \("0 2 \* \* \*"\) plus timeoutMinutes\.dump: 1680 minutes.*allowed: 28\.\.48/,
    },
    {
        rule: "runnerSchedulesWithinBackupAge (no room)",
        bad: staging({ "azure.runner.schedules": { dump: "0 2 * * 0" } }), good: staging({ "azure.runner.schedules": { dump: "0 2 * * *" } }),
        path: "azure.runner.maxBackupAgeHours", severity: "error", message: /looks back 48 hours at most, so run dump more often/,
    },
    {
        rule: "prodRunnerLogsKept",
        bad: staging({ environment: "prod", "azure.runner.logRetentionDays": 364, ...PROD }),
        good: staging({ environment: "prod", "azure.runner.logRetentionDays": 365, ...PROD }),
        path: "azure.runner.logRetentionDays", severity: "error", message: /below 365 days; .* allowed 365\.\.730/,
    },
    {
        rule: "runnerClientCoversServers",
        bad: staging({ "azure.servers[0].version": "18" }), good: staging({ "azure.servers[0].version": "17" }),
        path: "azure.runner.targets[0].server", severity: "error", message: /PostgreSQL 18, newer than the newest client .* \(17\)/,
    },
];

describe("configuration validation: Azure runner rules", () => {
    it("the runner baseline is valid, without warnings", () => {
        assert.deepEqual(validate(staging({})).map(formatFinding), []);
    });

    for (const c of CASES) {
        describe(c.rule, () => {
            it(`flags ${c.path} as ${c.severity}`, () => {
                // given the breaking config; when validated
                const findings = validate(c.bad);
                // then exactly one finding of that severity at the path, and no error elsewhere
                const here = assertOneFinding(findings, c);
                assert.deepEqual(findings.filter((f) => f.severity === "error" && f !== here).map(formatFinding), []);
            });
            it("accepts its nearest valid neighbour", () => {
                assert.deepEqual(validate(c.good).map(formatFinding), []);
            });
        });
    }

    describe("schema ranges", () => {
        const cases: [string, unknown, RegExp][] = [
            ["azure.runner.schedules.dump", "cron(0 2 * * ? *)", /5 \(minute hour/],
            ["azure.runner.logRetentionDays", 7, /./],
            ["azure.runner.maxBackupAgeHours", 49, /./],
            ["azure.runner.retryLimit", 11, /./],
            ["azure.runner.timeoutMinutes.dump", 1441, /./],
            ["azure.runner.cpu", 8, /./],
            ["azure.runner.keyVaultId", "kv-staging", /ARM id of a Key Vault/],
            ["azure.runner.network.egressIpAddresses", ["20.1.2"], /IPv4/],
        ];
        for (const [key, value, message] of cases) {
            it(`refuses ${key}: ${JSON.stringify(value)}, naming the key`, () => {
                const findings = validate(staging({ [key]: value }));
                const at = findings.filter((f) => f.path.startsWith(key) && f.severity === "error");
                assert.equal(at.length, 1, findings.map(formatFinding).join("\n"));
                assert.match(at[0]!.message, message);
            });
        }
    });

    it("the memory defaults to the one the Consumption profile pairs with the CPU", () => {
        const parsed = stackConfigSchema.parse(staging({ "azure.runner.cpu": 1.5 }));
        assert.equal(effectiveRunnerMemoryGi(parsed.azure!.runner!), 3);
    });

    it("the runner's image carries a client at least as new as every target server", () => {
        const parsed = stackConfigSchema.parse(staging({ "azure.servers[0].version": "17" }));
        assert.equal(runnerClientMajor(parsed), 17);
    });
});
