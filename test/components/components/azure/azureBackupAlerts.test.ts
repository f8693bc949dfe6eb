import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { MockState, settle, setupMocks, unwrap } from "../../../helpers/mocks";

const ACTION_GROUP = "azure-native:monitor:ActionGroup";
const METRIC_ALERT = "azure-native:monitor:MetricAlert";
const COMPONENT = "pg-backup-stack:azure:AzureBackupAlerts";
const GIB = 1024 ** 3;
/** How the engine marks a secret value in resource inputs. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_MARK = "1b47061264138c4ac30d75fd1eb44270";

const SERVER_ID = "/subscriptions/s/resourceGroups/rg-db/providers/Microsoft.DBforPostgreSQL/flexibleServers/blog-db";
const ACCOUNT_ID = "/subscriptions/s/resourceGroups/rg-db/providers/Microsoft.Storage/storageAccounts/blogfiles";

describe("AzureBackupAlerts (under mocks)", () => {
    let mocks: MockState;
    let mod: typeof import("../../../../components/azure/azureBackupAlerts");

    beforeEach(async () => {
        mocks = setupMocks();
        mod = await import("../../../../components/azure/azureBackupAlerts");
    });

    const base = { resourceGroupName: "rg-db" };

    it("one action group with email and secret webhook receivers", async () => {
        // given two emails and a webhook given as a secret
        const c = new mod.AzureBackupAlerts("pg-alerts", {
            ...base,
            emails: ["dba@example.com", "ops@example.com"],
            webhookUrls: [pulumi.secret("https://hooks.example.com/T0/secret")],
        });
        await unwrap(c.actionGroupId);
        await settle(mocks);
        // when the action group is inspected
        const group = mocks.one(ACTION_GROUP, "pg-alerts-action-group");
        // then receivers are named by position, the short name is derived, and it is enabled
        assert.equal(group.inputs["groupShortName"], "pgalerts");
        assert.equal(group.inputs["enabled"], true);
        assert.deepEqual(group.inputs["emailReceivers"].map((r: { name: string; emailAddress: string }) => [r.name, r.emailAddress]),
            [["email-0", "dba@example.com"], ["email-1", "ops@example.com"]]);
        const webhooks = group.inputs["webhookReceivers"];
        assert.equal(webhooks[SECRET_SIG], SECRET_MARK, "webhook receivers must reach the engine as a secret");
        assert.deepEqual(webhooks.value.map((r: { name: string; serviceUri: string }) => [r.name, r.serviceUri]),
            [["webhook-0", "https://hooks.example.com/T0/secret"]]);
    });

    it("keeps webhook receivers secret even when a URL is passed in plain", async () => {
        // given a webhook URL as a plain string
        new mod.AzureBackupAlerts("a", { ...base, webhookUrls: ["https://hooks.example.com/T1/token"] });
        await settle(mocks);
        // then the engine still receives the receivers as a secret
        const webhooks = mocks.one(ACTION_GROUP, "a-action-group").inputs["webhookReceivers"];
        assert.equal(webhooks[SECRET_SIG], SECRET_MARK);
    });

    it("three alerts per server, scoped to it, wired to the action group, thresholds derived from its storage", async () => {
        // given a 256 GiB server; when alerts are created for it
        const c = new mod.AzureBackupAlerts("pg-alerts", {
            ...base, emails: ["dba@example.com"], servers: [{ key: "blog", id: SERVER_ID, storageSizeGb: 256 }],
        });
        await settle(mocks);
        const ids = await unwrap(c.alertIds);
        // then backup storage, storage percent and availability alerts exist with the right metric and scope
        const byName = (n: string) => mocks.one(METRIC_ALERT, `pg-alerts-${n}`).inputs;
        const backup = byName("blog-backup-storage");
        assert.deepEqual(backup["scopes"], [SERVER_ID]);
        assert.equal(backup["criteria"]["allOf"][0]["metricName"], "backup_storage_used");
        assert.equal(backup["criteria"]["allOf"][0]["threshold"], 256 * GIB);
        assert.equal(byName("blog-storage-percent")["criteria"]["allOf"][0]["threshold"], 80);
        assert.equal(byName("blog-not-alive")["criteria"]["allOf"][0]["metricName"], "is_db_alive");
        for (const n of ["blog-backup-storage", "blog-storage-percent", "blog-not-alive"]) {
            assert.deepEqual(byName(n)["actions"], [{ actionGroupId: "pg-alerts-action-group-id" }], n);
            assert.equal(byName(n)["enabled"], true);
        }
        assert.deepEqual(Object.keys(ids).sort(), ["blog-backup-storage", "blog-not-alive", "blog-storage-percent"]);
    });

    it("a Resource Health activity-log alert per server, so an outage that stops the metric still notifies", async () => {
        // given one server; when alerts are created for it
        new mod.AzureBackupAlerts("pg-alerts", { ...base, emails: ["dba@example.com"], servers: [{ key: "blog", id: SERVER_ID, storageSizeGb: 256 }] });
        await settle(mocks);
        // then an activity-log alert on category ResourceHealth, scoped to the server, goes to the action group
        const health = mocks.one("azure-native:monitor:ActivityLogAlert", "pg-alerts-blog-resource-health").inputs;
        assert.deepEqual(health["scopes"], [SERVER_ID]);
        assert.equal(health["location"], "global");
        assert.deepEqual(health["actions"], { actionGroups: [{ actionGroupId: "pg-alerts-action-group-id" }] });
        assert.deepEqual(health["condition"]["allOf"][0], { field: "category", equals: "ResourceHealth" });
        assert.deepEqual(health["condition"]["allOf"][1]["anyOf"].map((c: { equals: string }) => c.equals), ["Unavailable", "Degraded", "Unknown"]);
    });

    it("explicit thresholds override the derived ones", async () => {
        // given a backup threshold of 50 GiB and a storage threshold of 90 %
        new mod.AzureBackupAlerts("a", {
            ...base, emails: ["dba@example.com"], storagePercentThreshold: 90,
            servers: [{ key: "blog", id: SERVER_ID, storageSizeGb: 256, backupStorageThresholdGb: 50 }],
        });
        await settle(mocks);
        // then the recorded criteria use them
        assert.equal(mocks.one(METRIC_ALERT, "a-blog-backup-storage").inputs["criteria"]["allOf"][0]["threshold"], 50 * GIB);
        assert.equal(mocks.one(METRIC_ALERT, "a-blog-storage-percent").inputs["criteria"]["allOf"][0]["threshold"], 90);
    });

    it("storage account used capacity alert, scoped to the account", async () => {
        // given a storage account with a 2048 GiB threshold and no servers
        new mod.AzureBackupAlerts("a", { ...base, emails: ["dba@example.com"], storageAccount: { id: ACCOUNT_ID, capacityThresholdGb: 2048 } });
        await settle(mocks);
        // then a single UsedCapacity alert on the account
        const alerts = mocks.ofType(METRIC_ALERT);
        assert.equal(alerts.length, 1);
        const inputs = alerts[0]?.inputs ?? {};
        assert.deepEqual(inputs["scopes"], [ACCOUNT_ID]);
        assert.equal(inputs["criteria"]["allOf"][0]["metricName"], "UsedCapacity");
        assert.equal(inputs["criteria"]["allOf"][0]["threshold"], 2048 * GIB);
    });

    it("parents every child to the component", async () => {
        // given two servers and an account
        new mod.AzureBackupAlerts("a", {
            ...base, emails: ["dba@example.com"],
            servers: [{ key: "blog", id: SERVER_ID, storageSizeGb: 128 }, { key: "shop", id: `${SERVER_ID}2`, storageSizeGb: 64 }],
            storageAccount: { id: ACCOUNT_ID, capacityThresholdGb: 10 },
        });
        await settle(mocks);
        // then 1 action group + 7 alerts, all under the component
        const children = mocks.resources.filter((r) => r.type !== COMPONENT);
        assert.equal(children.filter((r) => r.type === ACTION_GROUP).length, 1);
        assert.equal(children.filter((r) => r.type === METRIC_ALERT).length, 7);
        for (const r of children) assert.deepEqual(r.parent, { type: COMPONENT, name: "a" }, `${r.type} ${r.name}`);
    });

    const refusals: { args: Record<string, unknown>; message: RegExp }[] = [
        { args: { emails: ["oncall"] }, message: /emails\[0\]: "oncall" is not an email address/ },
        { args: { webhookUrls: ["http://hooks.example.com/x"] }, message: /webhookUrls\[0\]: \(secret\) must be an https:\/\/ URL/ },
        { args: { storagePercentThreshold: 100 }, message: /storagePercentThreshold: 100 is out of range 1..99/ },
        { args: { actionGroupShortName: "much-too-long-name" }, message: /actionGroupShortName: "much-too-long-name" must be 1-12 letters and digits/ },
        { args: { servers: [{ key: "blog", id: "x", storageSizeGb: 32 }, { key: "blog", id: "y", storageSizeGb: 32 }] }, message: /servers\[1\].key: "blog" is used twice/ },
        { args: { servers: [{ key: "Blog", id: "x", storageSizeGb: 32 }] }, message: /servers\[0\].key: "Blog" must be/ },
        { args: { servers: [{ key: "blog", id: "x", storageSizeGb: 32, backupStorageThresholdGb: 0 }] }, message: /servers\[0\].backupStorageThresholdGb: 0 must be a positive number of GiB/ },
        { args: { storageAccount: { id: "x", capacityThresholdGb: -5 } }, message: /storageAccount.capacityThresholdGb: -5 must be a positive/ },
    ];
    for (const { args, message } of refusals) {
        it(`refuses ${JSON.stringify(args)} before creating anything`, async () => {
            // given invalid arguments; when constructed; then it throws naming the argument and nothing is registered
            assert.throws(() => new mod.AzureBackupAlerts("bad", { ...base, ...args } as never), message);
            await settle(mocks);
            assert.deepEqual(mocks.resources.filter((r) => r.type !== COMPONENT).map((r) => r.type), []);
        });
    }
});
