import { strict as assert } from "node:assert";
import { MockState, RecordedResource, settle, setupMocks, unwrap } from "../../helpers/mocks";
import { stackConfig, validConfig } from "../../helpers/config";

const SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers";
const JOB = "azure-native:app:Job";

/** A staging stack with one server behind a firewall rule for the runner's NAT gateway, and the runner. */
const config = () => stackConfig(validConfig({
    "alerts.emails": ["dba@example.com"],
    "storage.objectLock": { mode: "GOVERNANCE", days: 7 },
    azure: {
        location: "eastus",
        resourceGroupName: "rg-db",
        servers: [{ name: "blog", version: "16", network: { firewallRules: [{ name: "runner-nat", startIpAddress: "20.1.2.3" }] } }],
        storage: { immutabilityDays: 30 },
        runner: {
            targets: [{ server: "blog", databaseName: "app", keyVaultLogin: "blog-login", exportTables: [{ table: "public.orders", watermarkColumn: "updated_at" }] }],
            schedules: { export: "0 * * * *" },
            keyVaultId: `${SUB}/Microsoft.KeyVault/vaults/kv-staging`,
            cpu: 0.5,
            maxBackupAgeHours: 30,
            network: { infrastructureSubnetId: `${SUB}/Microsoft.Network/virtualNetworks/vnet/subnets/runner`, egressIpAddresses: ["20.1.2.3"] },
        },
    },
}));

const envOf = (job: RecordedResource): Record<string, string> =>
    Object.fromEntries((job.inputs["template"]["containers"][0]["env"] as { name: string; value: string }[]).map((v) => [v.name, v.value]));

describe("program: the Azure runner from azure.runner (under mocks)", () => {
    let mocks: MockState;

    before(async () => {
        mocks = setupMocks();
        const { deployAzure } = await import("../../../program/azure");
        const c = config();
        const outputs = deployAzure(c, c.azure!, []);
        await unwrap(outputs.actionGroupId);
        await settle(mocks);
    });

    it("creates dump, export and verify jobs for the target, sized and scheduled from the config", () => {
        const jobs = mocks.ofType(JOB);
        assert.deepEqual(jobs.map((j) => j.inputs["jobName"]).sort(), ["blog-staging-dump", "blog-staging-export", "blog-staging-verify"]);
        for (const job of jobs) assert.deepEqual(job.inputs["template"]["containers"][0]["resources"], { cpu: 0.5, memory: "1Gi" });
        assert.equal(mocks.one(JOB, "azure-runner-blog-export").inputs["configuration"]["scheduleTriggerConfig"]["cronExpression"], "0 * * * *");
        assert.equal(mocks.one(JOB, "azure-runner-blog-dump").inputs["configuration"]["scheduleTriggerConfig"]["cronExpression"], "0 2 * * *");
    });

    it("passes the stack's tier, lock and export settings, the same as the AWS functions get", () => {
        const dump = envOf(mocks.one(JOB, "azure-runner-blog-dump"));
        assert.equal(dump["WEEKLY_ON"], "sunday");
        assert.equal(dump["MONTHLY_ON_DAY"], "1");
        assert.equal(dump["OBJECT_LOCK_MODE"], "GOVERNANCE");
        assert.equal(dump["RETAIN_DAYS_DAILY"], "7");
        assert.equal(dump["DB_NAME"], "app");
        assert.equal(dump["DB_KEYVAULT_SECRET_URI"], "https://kv-staging.vault.azure.net/secrets/blog-login");
        const exp = envOf(mocks.one(JOB, "azure-runner-blog-export"));
        assert.deepEqual(JSON.parse(exp["EXPORT_TABLES"] ?? ""), [{ schema: "public", table: "orders", column: "updated_at" }]);
        assert.equal(exp["EXPORT_PREFIX"], "exports");
        const verify = envOf(mocks.one(JOB, "azure-runner-blog-verify"));
        assert.equal(verify["VERIFY_MAX_BACKUP_AGE_MINUTES"], String(30 * 60));
        assert.equal(verify["VERIFY_DATABASES"], "blog");
    });

    it("builds the image with a client as new as the target server", () => {
        assert.deepEqual(mocks.one("docker-build:index:Image", "azure-runner-image").inputs["buildArgs"], { PG_MAJOR: "16" });
    });

    it("sends the runner's alerts to the servers' action group", () => {
        const rules = mocks.ofType("azure-native:monitor:ScheduledQueryRule");
        assert.ok(rules.length > 0);
        for (const r of rules) assert.deepEqual(r.inputs["actions"], { actionGroups: ["azure-alerts-action-group-id"] });
    });
});
