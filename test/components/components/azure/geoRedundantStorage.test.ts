import { strict as assert } from "node:assert";
import { MockState, settle, setupMocks, unwrap } from "../../../helpers/mocks";

const ACCOUNT = "azure-native:storage:StorageAccount";
const BLOB_SERVICE = "azure-native:storage:BlobServiceProperties";
const CONTAINER = "azure-native:storage:BlobContainer";
const IMMUTABILITY = "azure-native:storage:BlobContainerImmutabilityPolicy";
const POLICY = "azure-native:storage:ManagementPolicy";
const SUFFIX = "random:index/randomString:RandomString";
const COMPONENT = "pg-backup-stack:azure:GeoRedundantStorage";

describe("GeoRedundantStorage (under mocks)", () => {
    let mocks: MockState;
    let mod: typeof import("../../../../components/azure/geoRedundantStorage");

    beforeEach(async () => {
        mocks = setupMocks();
        mod = await import("../../../../components/azure/geoRedundantStorage");
    });

    const base = { resourceGroupName: "rg-db", location: "eastus" };

    it("hardened account: StorageV2 on the chosen geo-redundant SKU, TLS 1.2, HTTPS only, no public blobs, Entra only", async () => {
        // given a prod-like account on RA-GRS, protected
        new mod.GeoRedundantStorage("files", { ...base, accountName: "blogbackups01", redundancy: "Standard_RAGRS", protect: true });
        await settle(mocks);
        // when the account is inspected
        const account = mocks.one(ACCOUNT, "files-account");
        // then it carries the security settings and the SKU, and is protected
        assert.equal(account.inputs["kind"], "StorageV2");
        assert.deepEqual(account.inputs["sku"], { name: "Standard_RAGRS" });
        assert.equal(account.inputs["accountName"], "blogbackups01");
        assert.equal(account.inputs["minimumTlsVersion"], "TLS1_2");
        assert.equal(account.inputs["enableHttpsTrafficOnly"], true);
        assert.equal(account.inputs["allowBlobPublicAccess"], false);
        assert.equal(account.inputs["allowSharedKeyAccess"], false);
        assert.equal(account.inputs["defaultToOAuthAuthentication"], true);
        assert.equal(mocks.one(BLOB_SERVICE, "files-blob-service").inputs["accountName"], "blogbackups01");
        assert.equal(account.protect, true);
        assert.equal(mocks.one(CONTAINER, "files-backups").protect, true);
        assert.equal(mocks.one(CONTAINER, "files-exports").protect, false);
    });

    it("blob service: versioning, blob and container soft delete, change feed as long as any blob may live", async () => {
        // given soft delete of 10 days and deletion after 400
        new mod.GeoRedundantStorage("files", { ...base, softDeleteDays: 10, containerSoftDeleteDays: 21, lifecycle: { deleteAfterDays: 400 } });
        await settle(mocks);
        // when the blob service is inspected
        const svc = mocks.one(BLOB_SERVICE, "files-blob-service");
        // then versioning is on, both soft deletes carry their days, and the change feed covers 400 + 10 days
        assert.equal(svc.inputs["isVersioningEnabled"], true);
        assert.deepEqual(svc.inputs["deleteRetentionPolicy"], { enabled: true, days: 10 });
        assert.deepEqual(svc.inputs["containerDeleteRetentionPolicy"], { enabled: true, days: 21 });
        assert.deepEqual(svc.inputs["changeFeed"], { enabled: true, retentionInDays: 410 });
    });

    it("containers: private backups and exports, the backups container immutable for the configured days", async () => {
        // given 30 days of immutability and 30 days of retention
        const c = new mod.GeoRedundantStorage("files", { ...base, immutabilityDays: 30, exportContainerName: "table-exports" });
        await settle(mocks);
        // then both containers exist without public access and the policy sits on the backups container only
        assert.deepEqual(mocks.ofType(CONTAINER).map((r) => [r.inputs["containerName"], r.inputs["publicAccess"]]).sort(),
            [["backups", "None"], ["table-exports", "None"]]);
        assert.equal(await unwrap(c.backupContainerName), "backups");
        assert.equal(await unwrap(c.exportContainerName), "table-exports");
        const policies = mocks.ofType(IMMUTABILITY);
        assert.equal(policies.length, 1);
        assert.equal(policies[0]?.inputs["immutabilityPeriodSinceCreationInDays"], 30);
        assert.equal(policies[0]?.inputs["allowProtectedAppendWrites"], false);
        assert.equal(policies[0]?.inputs["containerName"], "backups");
        assert.equal(policies[0]?.inputs["accountName"], mocks.one(ACCOUNT, "files-account").inputs["accountName"]);
    });

    it("immutability policy: kept in Azure when Pulumi deletes it (the provider's delete lacks the etag), protected once locked", async () => {
        // given an unlocked policy in one account and a locked one in another
        new mod.GeoRedundantStorage("open", { ...base, immutabilityDays: 30 });
        new mod.GeoRedundantStorage("locked", { ...base, immutabilityDays: 30, immutabilityLocked: true });
        await settle(mocks);
        // then both are retained on delete, and only the locked one is protected
        const open = mocks.one(IMMUTABILITY, "open-backups-immutability");
        const locked = mocks.one(IMMUTABILITY, "locked-backups-immutability");
        assert.deepEqual([open.retainOnDelete, open.protect], [true, false]);
        assert.deepEqual([locked.retainOnDelete, locked.protect], [true, true]);
    });

    it("point-in-time restore of blobs: a day shorter than soft delete by default, off with 0; RA-GRS by default", async () => {
        // given soft delete of 10 days, and a second account with restore off
        new mod.GeoRedundantStorage("files", { ...base, softDeleteDays: 10 });
        new mod.GeoRedundantStorage("plain", { ...base, pointInTimeRestoreDays: 0 });
        await settle(mocks);
        // then the first restores 9 days back, the second not at all, and both are readable in the paired region
        assert.deepEqual(mocks.one(BLOB_SERVICE, "files-blob-service").inputs["restorePolicy"], { enabled: true, days: 9 });
        assert.deepEqual(mocks.one(BLOB_SERVICE, "plain-blob-service").inputs["restorePolicy"], { enabled: false });
        assert.deepEqual(mocks.one(ACCOUNT, "files-account").inputs["sku"], { name: "Standard_RAGRS" });
    });

    it("no immutability policy unless asked for", async () => {
        // given no immutabilityDays; when created; then there is no policy resource
        new mod.GeoRedundantStorage("files", base);
        await settle(mocks);
        assert.equal(mocks.ofType(IMMUTABILITY).length, 0);
    });

    it("lifecycle: Cool -> Cold -> Archive -> delete on both containers, for blobs and versions", async () => {
        // given a full tier schedule on GRS
        const lifecycle = { coolAfterDays: 30, coldAfterDays: 90, archiveAfterDays: 180, deleteAfterDays: 2555 };
        new mod.GeoRedundantStorage("files", { ...base, lifecycle });
        await settle(mocks);
        // when the management policy is inspected
        const rule = mocks.one(POLICY, "files-lifecycle").inputs["policy"]["rules"][0];
        // then the filter covers both containers and the actions carry the configured days
        assert.deepEqual(rule.definition.filters.prefixMatch, ["backups/", "exports/"]);
        assert.deepEqual(rule.definition.filters.blobTypes, ["blockBlob"]);
        const base_ = rule.definition.actions.baseBlob;
        assert.deepEqual(
            [base_.tierToCool, base_.tierToCold, base_.tierToArchive, base_.delete].map((a: { daysAfterModificationGreaterThan: number }) => a.daysAfterModificationGreaterThan),
            [30, 90, 180, 2555],
        );
        assert.equal(rule.definition.actions.version.delete.daysAfterCreationGreaterThan, 2555);
    });

    it("generates a valid account name from the component name when none is given", async () => {
        // given no accountName and a hyphenated component name
        new mod.GeoRedundantStorage("pg-backup-files", base);
        await settle(mocks);
        // then a random suffix resource exists and the name is the stem's letters and digits (suffix unknown under mocks)
        const suffix = mocks.one(SUFFIX, "pg-backup-files-account-suffix");
        assert.equal(suffix.inputs["length"], 8);
        assert.equal(suffix.inputs["upper"], false);
        assert.equal(suffix.inputs["special"], false);
        assert.equal(mod.accountNameStem("pg-backup-files"), "pgbackupfiles");
        assert.equal(mod.accountNameStem("A-very-long-component-name"), "averylongcompone");
        assert.match(mocks.one(ACCOUNT, "pg-backup-files-account").inputs["accountName"], /^pgbackupfiles/);
    });

    it("parents every child to the component", async () => {
        // given a full configuration; when created
        new mod.GeoRedundantStorage("files", { ...base, immutabilityDays: 7 });
        await settle(mocks);
        // then each of the children has the component as parent
        const children = mocks.resources.filter((r) => r.type !== COMPONENT);
        assert.deepEqual(children.map((r) => r.type).sort(),
            [ACCOUNT, BLOB_SERVICE, CONTAINER, CONTAINER, IMMUTABILITY, POLICY, SUFFIX].sort());
        for (const r of children) assert.deepEqual(r.parent, { type: COMPONENT, name: "files" }, `${r.type} ${r.name}`);
    });

    const refusals: { args: Record<string, unknown>; message: RegExp }[] = [
        { args: { redundancy: "Standard_ZRS", lifecycle: { archiveAfterDays: 200, deleteAfterDays: 400 } }, message: /lifecycle.archiveAfterDays: 200 is not possible on Standard_ZRS/ },
        { args: { lifecycle: { coolAfterDays: 60, coldAfterDays: 30, deleteAfterDays: 400 } }, message: /lifecycle.coldAfterDays: 30 must be later than coolAfterDays \(60\)/ },
        { args: { immutabilityDays: 31, lifecycle: { deleteAfterDays: 30 } }, message: /immutabilityDays: 31 is longer than lifecycle.deleteAfterDays \(30\)/ },
        { args: { immutabilityDays: 0 }, message: /immutabilityDays: 0 is out of range 1..146000/ },
        { args: { softDeleteDays: 7, pointInTimeRestoreDays: 7 }, message: /pointInTimeRestoreDays: 7 is not allowed: a point-in-time restore window must be shorter than the blob soft delete \(7 days\); allowed: 0 \(off\) or 1..6/ },
        { args: { immutabilityLocked: true }, message: /immutabilityLocked: true needs immutabilityDays/ },
        { args: { softDeleteDays: 366 }, message: /softDeleteDays: 366 is out of range 1..365/ },
        { args: { redundancy: "Premium_LRS" }, message: /redundancy: "Premium_LRS" is not one of/ },
        { args: { accountName: "Has-Dashes" }, message: /accountName: "Has-Dashes" must be 3-24 lower-case letters and digits/ },
        { args: { backupContainerName: "x" }, message: /backupContainerName: "x" must be 3-63/ },
        { args: { exportContainerName: "backups" }, message: /exportContainerName: "backups" must differ from backupContainerName/ },
    ];
    for (const { args, message } of refusals) {
        it(`refuses ${JSON.stringify(args)} before creating anything`, async () => {
            // given invalid arguments; when constructed; then it throws naming the argument and nothing is registered
            assert.throws(() => new mod.GeoRedundantStorage("bad", { ...base, ...args } as never), message);
            await settle(mocks);
            assert.deepEqual(mocks.resources.filter((r) => r.type !== COMPONENT).map((r) => r.type), []);
        });
    }
});
