import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { MockState, settle, setupMocks, unwrap } from "../../../helpers/mocks";

const SERVER = "azure-native:dbforpostgresql:Server";
const PASSWORD = "random:index/randomPassword:RandomPassword";
const ENTRA = "azure-native:dbforpostgresql:AdministratorsMicrosoftEntra";
const COMPONENT = "pg-backup-stack:azure:FlexibleServerBackup";

const entraAdmin = {
    tenantId: "11111111-2222-3333-4444-555555555555",
    objectId: "66666666-7777-8888-9999-000000000000",
    principalName: "dba-group",
    principalType: "group" as const,
};

describe("FlexibleServerBackup (under mocks)", () => {
    let mocks: MockState;
    let mod: typeof import("../../../../components/azure/flexibleServerBackup");

    beforeEach(async () => {
        mocks = setupMocks();
        mod = await import("../../../../components/azure/flexibleServerBackup");
    });

    const base = { resourceGroupName: "rg-db", location: "eastus" };

    it("production defaults: geo-redundant backups, protected server, replacement on a geo-backup change", async () => {
        // given a production server with 30-day retention and zone-redundant HA
        const c = new mod.FlexibleServerBackup("blog", { ...base, production: true, backupRetentionDays: 30, highAvailability: "ZoneRedundant" });
        await unwrap(c.serverId);
        await settle(mocks);
        // when the registered server is inspected
        const server = mocks.one(SERVER, "blog-server");
        // then its backup block is geo-redundant with the retention, HA as asked, and it is protected
        assert.deepEqual(server.inputs["backup"], { backupRetentionDays: 30, geoRedundantBackup: "Enabled" });
        assert.equal(server.inputs["highAvailability"]["mode"], "ZoneRedundant");
        assert.deepEqual({ protect: server.protect, replaceOnChanges: server.replaceOnChanges }, { protect: true, replaceOnChanges: ["backup.geoRedundantBackup"] });
        assert.equal(await unwrap(c.geoRedundantBackup), "Enabled");
        assert.equal(await unwrap(c.backupRetentionDays), 30);
    });

    it("non-production defaults: local backups for 7 days, not protected, still replaced on a geo-backup change", async () => {
        // given a server with no production flag; when created
        new mod.FlexibleServerBackup("dev", base);
        await settle(mocks);
        // then the backup block and options follow the non-production defaults
        const server = mocks.one(SERVER, "dev-server");
        assert.deepEqual(server.inputs["backup"], { backupRetentionDays: 7, geoRedundantBackup: "Disabled" });
        assert.deepEqual({ protect: server.protect, replaceOnChanges: server.replaceOnChanges }, { protect: false, replaceOnChanges: ["backup.geoRedundantBackup"] });
        assert.deepEqual(server.inputs["sku"], { name: "Standard_D2ds_v5", tier: "GeneralPurpose" });
        assert.equal(server.inputs["highAvailability"]["mode"], "Disabled");
        assert.deepEqual(server.inputs["storage"], { storageSizeGB: 128, autoGrow: "Enabled" });
        assert.equal(server.inputs["version"], "15");
    });

    it("an explicit geoRedundantBackup wins over the production default", async () => {
        // given a production server that opts out (validation refuses this for prod stacks; the component honours it)
        new mod.FlexibleServerBackup("p", { ...base, production: true, geoRedundantBackup: false, protect: false });
        await settle(mocks);
        // then geo-redundancy is off and protect follows the explicit value
        assert.equal(mocks.one(SERVER, "p-server").inputs["backup"]["geoRedundantBackup"], "Disabled");
        assert.equal(mocks.one(SERVER, "p-server").protect, false);
    });

    it("password authentication: a generated 32-character password, passed to the server and exposed only as a secret", async () => {
        // given the default authentication
        const c = new mod.FlexibleServerBackup("blog", { ...base, serverName: "blog-db-2025", administratorLogin: "blogadmin" });
        await settle(mocks);
        // when the password resource and the server are inspected
        const password = mocks.one(PASSWORD, "blog-admin-password");
        const server = mocks.one(SERVER, "blog-server");
        // then the password is long, mixed, and only the password-auth block is on
        assert.equal(password.inputs["length"], 32);
        assert.equal(password.inputs["minSpecial"], 1);
        assert.equal(server.inputs["administratorLogin"], "blogadmin");
        assert.equal(server.inputs["serverName"], "blog-db-2025");
        assert.equal(server.inputs["authConfig"]["passwordAuth"], "Enabled");
        assert.equal(server.inputs["authConfig"]["activeDirectoryAuth"], "Disabled");
        assert.equal(await unwrap(c.administratorLogin), "blogadmin");
        assert.equal(await pulumi.isSecret(c.administratorPassword), true);
        assert.equal(mocks.ofType(ENTRA).length, 0);
    });

    it("Entra-only authentication: no password resource, no admin login, an Entra administrator on the server", async () => {
        // given password authentication off and an Entra group as administrator
        const c = new mod.FlexibleServerBackup("blog", { ...base, passwordAuth: false, entraAdmin });
        await settle(mocks);
        // then there is no password anywhere and the Entra admin is registered against the server
        assert.equal(mocks.ofType(PASSWORD).length, 0);
        const server = mocks.one(SERVER, "blog-server");
        assert.equal(server.inputs["administratorLogin"], undefined);
        assert.equal(server.inputs["administratorLoginPassword"], undefined);
        assert.deepEqual(server.inputs["authConfig"], { passwordAuth: "Disabled", activeDirectoryAuth: "Enabled", tenantId: entraAdmin.tenantId });
        const admin = mocks.one(ENTRA, "blog-entra-admin");
        assert.equal(admin.inputs["objectId"], entraAdmin.objectId);
        assert.equal(admin.inputs["principalType"], "group");
        assert.equal(admin.inputs["tenantId"], entraAdmin.tenantId);
        assert.equal(await unwrap(c.administratorLogin), undefined);
    });

    it("parents every child to the component", async () => {
        // given a server with both password and Entra authentication
        new mod.FlexibleServerBackup("blog", { ...base, entraAdmin });
        await settle(mocks);
        // then each of the three children has the component as parent
        const children = mocks.resources.filter((r) => r.type !== COMPONENT);
        assert.deepEqual(children.map((r) => r.type).sort(), [ENTRA, SERVER, PASSWORD].sort());
        for (const r of children) assert.deepEqual(r.parent, { type: COMPONENT, name: "blog" }, `${r.type} ${r.name}`);
    });

    it("accepts PostgreSQL 18, which the azure-native server version enum offers", async () => {
        // given a server on version 18; when created
        new mod.FlexibleServerBackup("pg18", { ...base, version: "18" });
        await settle(mocks);
        // then the server is registered with that version
        assert.equal(mocks.one(SERVER, "pg18-server").inputs["version"], "18");
    });

    it("ignores storage size changes while autogrow is on, so a disk Azure has grown is not sent back smaller", async () => {
        // given one server with autogrow (the default) and one without
        new mod.FlexibleServerBackup("grows", base);
        new mod.FlexibleServerBackup("fixed", { ...base, storageAutoGrow: false });
        await settle(mocks);
        // then only the autogrowing server ignores changes to its storage size
        assert.deepEqual(mocks.one(SERVER, "grows-server").ignoreChanges, ["storage.storageSizeGB"]);
        assert.deepEqual(mocks.one(SERVER, "fixed-server").ignoreChanges, []);
        assert.deepEqual(mocks.one(SERVER, "fixed-server").inputs["storage"], { storageSizeGB: 128, autoGrow: "Disabled" });
    });

    it("opens the server to the stated egress addresses only, with one firewall rule each", async () => {
        // given a server reachable from one NAT address
        new mod.FlexibleServerBackup("blog", { ...base, serverName: "blog-prod", network: { firewallRules: [{ name: "functions-nat", startIpAddress: "203.0.113.10" }] } });
        await settle(mocks);
        // then the server has public access and exactly that rule, a single address
        assert.deepEqual(mocks.one(SERVER, "blog-server").inputs["network"], { publicNetworkAccess: "Enabled" });
        assert.equal(mocks.one(SERVER, "blog-server").inputs["serverName"], "blog-prod");
        const rule = mocks.one("azure-native:dbforpostgresql:FirewallRule", "blog-firewall-functions-nat");
        assert.deepEqual([rule.inputs["firewallRuleName"], rule.inputs["startIpAddress"], rule.inputs["endIpAddress"]], ["functions-nat", "203.0.113.10", "203.0.113.10"]);
    });

    it("integrates the server into a VNet without public access", async () => {
        // given a delegated subnet and a private DNS zone
        const network = { delegatedSubnetId: "/subscriptions/s/resourceGroups/n/providers/Microsoft.Network/virtualNetworks/v/subnets/pg", privateDnsZoneId: "/subscriptions/s/resourceGroups/n/providers/Microsoft.Network/privateDnsZones/z" };
        new mod.FlexibleServerBackup("blog", { ...base, network });
        await settle(mocks);
        // then the server's network block is private, and no firewall rule exists
        assert.deepEqual(mocks.one(SERVER, "blog-server").inputs["network"], {
            publicNetworkAccess: "Disabled", delegatedSubnetResourceId: network.delegatedSubnetId, privateDnsZoneArmResourceId: network.privateDnsZoneId,
        });
        assert.deepEqual(mocks.ofType("azure-native:dbforpostgresql:FirewallRule"), []);
    });

    const refusals: { args: Record<string, unknown>; message: RegExp }[] = [
        { args: { backupRetentionDays: 6 }, message: /backupRetentionDays: 6 is out of range 7..35/ },
        { args: { backupRetentionDays: 36 }, message: /backupRetentionDays: 36 is out of range 7..35/ },
        { args: { storageSizeGb: 16 }, message: /storageSizeGb: 16 is not a Premium SSD size; allowed: 32, 64, 128, 256, 512, 1024, 2048, 4095, 4096, 8192, 16384, 32767/ },
        { args: { storageSizeGb: 100 }, message: /storageSizeGb: 100 is not a Premium SSD size; allowed: 32, 64, 128/ },
        { args: { location: "westus3", geoRedundantBackup: true }, message: /geoRedundantBackup: true is not offered in westus3.*allowed there: false/ },
        { args: { location: "westus", highAvailability: "ZoneRedundant" }, message: /highAvailability: "ZoneRedundant" is not offered in westus.*"Disabled", "SameZone"/ },
        { args: { skuTier: "Burstable", highAvailability: "SameZone" }, message: /highAvailability: "SameZone" is not available on the Burstable tier/ },
        { args: { administratorLogin: "azure_superuser" }, message: /administratorLogin: "azure_superuser" is reserved by Azure/ },
        { args: { administratorLogin: "pg_admin" }, message: /administratorLogin: "pg_admin" is reserved/ },
        { args: { administratorLogin: "Admin-1" }, message: /administratorLogin: "Admin-1" must be/ },
        { args: { passwordAuth: false }, message: /passwordAuth: false needs entraAdmin/ },
        { args: { serverName: "-bad-" }, message: /serverName: "-bad-" must be 3-63 characters/ },
        { args: { network: { firewallRules: [{ name: "all", startIpAddress: "0.0.0.0", endIpAddress: "255.255.255.255" }] } }, message: /network.firewallRules\[0\]: "0.0.0.0-255.255.255.255" opens 4294967296 addresses \(the whole internet\)/ },
        { args: { version: "12" }, message: /version: "12" is not supported; allowed: 13, 14, 15, 16, 17, 18/ },
    ];
    for (const { args, message } of refusals) {
        it(`refuses ${JSON.stringify(args)} before creating anything`, async () => {
            // given invalid arguments; when the component is constructed; then it throws naming the argument
            assert.throws(() => new mod.FlexibleServerBackup("bad", { ...base, ...args } as never), message);
            await settle(mocks);
            // and no child resource was registered
            assert.deepEqual(mocks.resources.filter((r) => r.type !== COMPONENT).map((r) => r.type), []);
        });
    }
});
