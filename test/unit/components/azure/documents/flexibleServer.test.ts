import { strict as assert } from "node:assert";
import fc from "fast-check";
import {
    defaultGeoRedundantBackup,
    geoRedundancyChange,
    serverAuthBlock,
    serverBackupBlock,
} from "../../../../../components/azure/documents/flexibleServer";

const admin = {
    tenantId: "11111111-2222-3333-4444-555555555555",
    objectId: "66666666-7777-8888-9999-000000000000",
    principalName: "dba-group",
    principalType: "group" as const,
};

describe("Flexible Server backup block", () => {
    it("maps retention and geo-redundancy to the ARM values", () => {
        // given 30 days, geo-redundant; when built; then the block carries both
        assert.deepEqual(serverBackupBlock(30, true), { backupRetentionDays: 30, geoRedundantBackup: "Enabled" });
        assert.deepEqual(serverBackupBlock(7, false), { backupRetentionDays: 7, geoRedundantBackup: "Disabled" });
    });

    it("property: accepts exactly the whole days 7..35", () => {
        fc.assert(fc.property(fc.integer({ min: -10, max: 60 }), (days) => {
            // given any day count; when built; then it succeeds iff Azure accepts it, with the range in the message
            const ok = days >= 7 && days <= 35;
            if (ok) assert.equal(serverBackupBlock(days, false).backupRetentionDays, days);
            else assert.throws(() => serverBackupBlock(days, false), new RegExp(`backupRetentionDays: ${days} is out of range 7..35`));
        }));
        assert.throws(() => serverBackupBlock(7.5, false), /7.5 is out of range/);
    });

    it("defaults geo-redundant backup on for production only", () => {
        // given each environment kind; when/then prod is geo-redundant, others not
        assert.equal(defaultGeoRedundantBackup(true), true);
        assert.equal(defaultGeoRedundantBackup(false), false);
    });
});

describe("Flexible Server authentication block", () => {
    it("password only, password with Entra, and Entra only", () => {
        // given the three combinations; when built; then the flags and tenant follow
        assert.deepEqual(serverAuthBlock(true, undefined), { passwordAuth: "Enabled", activeDirectoryAuth: "Disabled" });
        assert.deepEqual(serverAuthBlock(true, admin), { passwordAuth: "Enabled", activeDirectoryAuth: "Enabled", tenantId: admin.tenantId });
        assert.deepEqual(serverAuthBlock(false, admin), { passwordAuth: "Disabled", activeDirectoryAuth: "Enabled", tenantId: admin.tenantId });
    });

    it("refuses a server nobody could log in to", () => {
        // given password off and no Entra admin; when/then it throws naming the argument
        assert.throws(() => serverAuthBlock(false, undefined), /passwordAuth: false needs an entraAdmin/);
    });
});

describe("Flexible Server geo-redundancy change", () => {
    it("is silent when the server's creation setting is unknown or the same", () => {
        // given no recorded setting, or the same one; when/then no explanation
        assert.equal(geoRedundancyChange(undefined, true), undefined);
        assert.equal(geoRedundancyChange(true, true), undefined);
        assert.equal(geoRedundancyChange(false, false), undefined);
    });

    it("explains the replacement and the way out when it differs", () => {
        // given a server created without geo-redundant backups that is now wanted with them
        const why = geoRedundancyChange(false, true);
        // then the text says replacement, data loss, and what to set afterwards
        assert.ok(why !== undefined);
        assert.match(why, /createdWithGeoRedundantBackup \(false\)/);
        assert.match(why, /replace the server with a new, empty one/);
        assert.match(why, /set createdWithGeoRedundantBackup to true/);
    });
});
