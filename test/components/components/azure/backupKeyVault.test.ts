import { strict as assert } from "node:assert";
import { MockState, settle, setupMocks, unwrap } from "../../../helpers/mocks";

const VAULT = "azure-native:keyvault:Vault";
const KEY = "azure-native:keyvault:Key";
const SECRET = "azure-native:keyvault:Secret";
const ROLE = "azure-native:authorization:RoleAssignment";
const ACCOUNT = "azure-native:storage:StorageAccount";
const CONTAINER = "azure-native:storage:BlobContainer";
const POLICY = "azure-native:storage:ManagementPolicy";
const BACKUP_VAULT = "azure-native:dataprotection:BackupVault";
const BACKUP_POLICY = "azure-native:dataprotection:BackupPolicy";
const INSTANCE = "azure-native:dataprotection:BackupInstance";

const base = { resourceGroupName: "rg-db", location: "eastus" };

describe("BackupKeyVault (under mocks)", () => {
    let mocks: MockState;
    let mod: typeof import("../../../../components/azure/backupKeyVault");
    beforeEach(async () => {
        mocks = setupMocks();
        mod = await import("../../../../components/azure/backupKeyVault");
    });

    it("a vault with purge protection and RBAC only, an RSA key with rotation, usable by one identity only", async () => {
        // given a vault with a fixed name
        const kv = new mod.BackupKeyVault("keys", { ...base, tenantId: "t-1", vaultName: "kv-prod-01", protect: true });
        await settle(mocks);
        // then the vault refuses purge and access policies, and is protected
        const vault = mocks.one(VAULT, "keys-vault");
        const p = vault.inputs["properties"];
        assert.deepEqual([p["enablePurgeProtection"], p["enableSoftDelete"], p["softDeleteRetentionInDays"], p["enableRbacAuthorization"]], [true, true, 90, true]);
        assert.equal(p["accessPolicies"], undefined);
        assert.equal(vault.protect, true);
        // and the key is RSA 3072, wrap/unwrap only, rotated yearly
        const key = mocks.one(KEY, "keys-key").inputs["properties"];
        assert.deepEqual([key["kty"], key["keySize"], key["keyOps"]], ["RSA", 3072, ["wrapKey", "unwrapKey"]]);
        assert.equal(key["rotationPolicy"]["lifetimeActions"][0]["trigger"]["timeAfterCreate"], "P365D");
        // and the only role assignment gives the storage identity the crypto service role on that key
        const [role] = mocks.ofType(ROLE);
        assert.equal(mocks.ofType(ROLE).length, 1);
        assert.equal(role?.inputs["scope"], "keys-key-id");
        assert.equal(role?.inputs["principalId"], "keys-storage-identity-principal-id");
        assert.equal(role?.inputs["roleDefinitionId"], "/providers/Microsoft.Authorization/roleDefinitions/e147488a-f6f5-4113-8e2d-b22465e65bf6");
        assert.equal(await unwrap(kv.vaultUri), "https://kv-prod-01.vault.azure.net/");
    });

    it("holds the jobs' secrets as secrets and outputs their versionless URIs", async () => {
        // given one database credential
        const kv = new mod.BackupKeyVault("keys", { ...base, tenantId: "t-1", vaultName: "kv-prod-01", secrets: { "blog-db-dump": '{"username":"u","password":"p"}' } });
        await settle(mocks);
        // then the secret is declared in the vault and its URI is the DB_KEYVAULT_SECRET_URI form
        const secret = mocks.one(SECRET, "keys-secret-blog-db-dump");
        assert.equal(secret.inputs["secretName"], "blog-db-dump");
        assert.deepEqual(await unwrap(kv.secretUris), { "blog-db-dump": "https://kv-prod-01.vault.azure.net/secrets/blog-db-dump" });
    });

    it("derives a 24-character-safe vault name when none is given", async () => {
        const kv = new mod.BackupKeyVault("azure-keys-of-a-long-name", { ...base, tenantId: "t-1" });
        await settle(mocks);
        const name = String(mocks.one(VAULT, "azure-keys-of-a-long-name-vault").inputs["vaultName"]);
        assert.match(name, /^kv-azurekeysofa-[a-z0-9]{8}$/);
        assert.ok(name.length <= 24);
        assert.ok(await unwrap(kv.vaultName));
    });

    it("refuses a rotation Key Vault refuses and a soft delete out of 7..90, before declaring anything", () => {
        assert.throws(() => new mod.BackupKeyVault("k1", { ...base, tenantId: "t", rotation: { rotateAfterDays: 365, expiryDays: 370 } }), /rotation\.rotateAfterDays: 365 must be 7\.\.363/);
        assert.throws(() => new mod.BackupKeyVault("k2", { ...base, tenantId: "t", softDeleteDays: 91 }), /softDeleteDays: 91 is out of range 7\.\.90/);
        assert.throws(() => new mod.BackupKeyVault("k3", { ...base, tenantId: "t", vaultName: "kv--x" }), /vaultName: "kv--x" must be/);
    });
});

describe("GeoRedundantStorage with a customer-managed key and per-tier immutability (under mocks)", () => {
    let mocks: MockState;
    let mod: typeof import("../../../../components/azure/geoRedundantStorage");
    beforeEach(async () => {
        mocks = setupMocks();
        mod = await import("../../../../components/azure/geoRedundantStorage");
    });

    it("encrypts the account with the versionless key through the user-assigned identity", async () => {
        new mod.GeoRedundantStorage("files", { ...base, accountName: "blogbackups01", customerManagedKey: { keyVaultUri: "https://kv.vault.azure.net/", keyName: "storage-cmk", identityId: "/id/storage" } });
        await settle(mocks);
        const account = mocks.one(ACCOUNT, "files-account");
        assert.deepEqual(account.inputs["identity"], { type: "UserAssigned", userAssignedIdentities: ["/id/storage"] });
        assert.equal(account.inputs["encryption"]["keySource"], "Microsoft.Keyvault");
        assert.deepEqual(account.inputs["encryption"]["keyVaultProperties"], { keyVaultUri: "https://kv.vault.azure.net/", keyName: "storage-cmk" }, "no keyVersion: the account follows rotations");
        assert.equal(account.inputs["encryption"]["encryptionIdentity"]["encryptionUserAssignedIdentity"], "/id/storage");
    });

    it("enables version-level immutability on the backups container only, and tiers its blobs by their tier tag", async () => {
        new mod.GeoRedundantStorage("files", {
            ...base, accountName: "blogbackups01", versionLevelImmutability: true,
            tierLifecycle: { daily: { deleteAfterDays: 7 }, weekly: { deleteAfterDays: 35 }, monthly: { coolAfterDays: 30, deleteAfterDays: 365 } },
            lifecycle: { deleteAfterDays: 14 },
        });
        await settle(mocks);
        assert.deepEqual(mocks.one(CONTAINER, "files-backups").inputs["immutableStorageWithVersioning"], { enabled: true });
        assert.equal(mocks.one(CONTAINER, "files-exports").inputs["immutableStorageWithVersioning"], undefined);
        const rules = mocks.one(POLICY, "files-lifecycle").inputs["policy"]["rules"] as { name: string; definition: { filters: { blobIndexMatch?: unknown[] } } }[];
        assert.deepEqual(rules.map((r) => [r.name, r.definition.filters.blobIndexMatch]), [
            ["backup-daily", [{ name: "tier", op: "==", value: "daily" }]],
            ["backup-weekly", [{ name: "tier", op: "==", value: "weekly" }]],
            ["backup-monthly", [{ name: "tier", op: "==", value: "monthly" }]],
            ["export-retention", undefined],
        ]);
    });

    it("refuses a container immutability period longer than the shortest tier, and Archive on a zone-redundant account", () => {
        const tierLifecycle = { daily: { deleteAfterDays: 7 }, weekly: { deleteAfterDays: 35 }, monthly: { deleteAfterDays: 365 } };
        assert.throws(() => new mod.GeoRedundantStorage("f1", { ...base, tierLifecycle, immutabilityDays: 8 }), /immutabilityDays: 8 is longer than tierLifecycle\.daily\.deleteAfterDays \(7\)/);
        assert.throws(() => new mod.GeoRedundantStorage("f2", { ...base, redundancy: "Standard_GZRS", tierLifecycle: { ...tierLifecycle, monthly: { archiveAfterDays: 180, deleteAfterDays: 365 } } }),
            /tierLifecycle\.monthly\.archiveAfterDays: 180 is not possible on Standard_GZRS/);
    });
});

describe("FlexibleServerVaultBackup (under mocks)", () => {
    let mocks: MockState;
    let mod: typeof import("../../../../components/azure/flexibleServerVaultBackup");
    beforeEach(async () => {
        mocks = setupMocks();
        mod = await import("../../../../components/azure/flexibleServerVaultBackup");
    });
    const servers = [{ key: "blog", serverId: "/subscriptions/s/resourceGroups/rg-db/providers/Microsoft.DBforPostgreSQL/flexibleServers/blog-prod", serverName: "blog-prod" }];

    it("a geo-redundant, immutable vault with soft delete; a weekly policy from the tiers; one instance per server", async () => {
        new mod.FlexibleServerVaultBackup("ltr", { ...base, serverResourceGroupId: "/subscriptions/s/resourceGroups/rg-db", servers, retention: { weeklyKeepDays: 35, monthlyKeepDays: 365 }, protect: true });
        await settle(mocks);
        const vault = mocks.one(BACKUP_VAULT, "ltr-vault");
        assert.deepEqual(vault.inputs["identity"], { type: "SystemAssigned" });
        assert.deepEqual(vault.inputs["properties"]["storageSettings"], [{ datastoreType: "VaultStore", type: "GeoRedundant" }]);
        assert.deepEqual(vault.inputs["properties"]["securitySettings"], { immutabilitySettings: { state: "Unlocked" }, softDeleteSettings: { state: "On", retentionDurationInDays: 14 } });
        assert.equal(vault.protect, true);
        const policy = mocks.one(BACKUP_POLICY, "ltr-policy").inputs["properties"];
        assert.deepEqual(policy["datasourceTypes"], ["Microsoft.DBforPostgreSQL/flexibleServers"]);
        const instance = mocks.one(INSTANCE, "ltr-blog-instance");
        assert.equal(instance.inputs["properties"]["dataSourceInfo"]["resourceID"], servers[0]?.serverId);
        assert.equal(instance.inputs["properties"]["policyInfo"]["policyId"], "ltr-policy-id");
    });

    it("gives the vault's identity the LTR backup role on each server and Reader on their resource group, before the instance", async () => {
        new mod.FlexibleServerVaultBackup("ltr", { ...base, serverResourceGroupId: "/subscriptions/s/resourceGroups/rg-db", servers, retention: { weeklyKeepDays: 35 } });
        await settle(mocks);
        const roles = mocks.ofType(ROLE).map((r) => [r.name, r.inputs["scope"], r.inputs["roleDefinitionId"], r.inputs["principalId"]]);
        assert.deepEqual(roles, [
            ["ltr-group-reader", "/subscriptions/s/resourceGroups/rg-db", "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7", "ltr-vault-principal"],
            ["ltr-blog-ltr-role", servers[0]?.serverId, "/providers/Microsoft.Authorization/roleDefinitions/c088a766-074b-43ba-90d4-1fb21feae531", "ltr-vault-principal"],
        ]);
        const deps = mocks.one(INSTANCE, "ltr-blog-instance").dependencies.join(" ");
        assert.match(deps, /ltr-blog-ltr-role/);
        assert.match(deps, /ltr-group-reader/);
    });

    it("refuses retention beyond 10 years and a vault with nothing to protect", () => {
        assert.throws(() => new mod.FlexibleServerVaultBackup("v1", { ...base, serverResourceGroupId: "g", servers, retention: { weeklyKeepDays: 35, yearlyKeepDays: 3651 } }), /retention\.yearlyKeepDays: 3651 is out of range 7\.\.3650/);
        assert.throws(() => new mod.FlexibleServerVaultBackup("v2", { ...base, serverResourceGroupId: "g", servers: [], retention: { weeklyKeepDays: 35 } }), /servers: \[\] must name at least one server/);
    });
});
