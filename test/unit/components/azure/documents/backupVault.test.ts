import { strict as assert } from "node:assert";
import fc from "fast-check";
import {
    MAX_VAULT_RETENTION_DAYS,
    backupVaultProperties,
    flexibleServerBackupPolicy,
    vaultRetentionProblems,
    weeklyScheduleStart,
} from "../../../../../components/azure/documents/backupVault";
import { databaseSecretValue, keyRotationPolicy, keyRotationProblem, secretUri, KEY_VAULT_NAME } from "../../../../../components/azure/documents/keyVault";
import { immutabilityProblem, tieredManagementPolicy, type LifecycleRule } from "../../../../../components/azure/documents/lifecycle";
import { BUILT_IN_ROLES, builtInRoleDefinitionId } from "../../../../../components/azure/documents/roles";
import { TIER_TAG_KEY } from "../../../../../lambdas/shared/tiers";

describe("Azure built-in roles", () => {
    it("carry the GUIDs of the Azure built-in roles table", () => {
        // given the names and IDs published in "Azure built-in roles" (and the Az.DataProtection manifest for the PostgreSQL role)
        const documented: Record<string, string> = {
            Reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
            "Key Vault Crypto Service Encryption User": "e147488a-f6f5-4113-8e2d-b22465e65bf6",
            "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
            "PostgreSQL Flexible Server Long Term Retention Backup Role": "c088a766-074b-43ba-90d4-1fb21feae531",
        };
        // when the project's table is read / then each role has its documented ID
        assert.deepEqual(
            [BUILT_IN_ROLES.reader, BUILT_IN_ROLES.keyVaultCryptoServiceEncryptionUser, BUILT_IN_ROLES.keyVaultSecretsUser, BUILT_IN_ROLES.postgresFlexibleServerLongTermRetentionBackup],
            Object.values(documented),
        );
        assert.equal(builtInRoleDefinitionId("reader"), "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7");
    });
});

describe("Key Vault documents", () => {
    it("rotates after the given days and expires later, notifying before expiry", () => {
        // given yearly rotation and two-year expiry / when the policy is built
        const p = keyRotationPolicy({ rotateAfterDays: 365, expiryDays: 730 });
        // then rotation and expiry are ISO 8601 durations in days, with a notification 30 days before expiry
        assert.deepEqual(p, {
            attributes: { expiryTime: "P730D" },
            lifetimeActions: [
                { trigger: { timeAfterCreate: "P365D" }, action: { type: "rotate" } },
                { trigger: { timeBeforeExpiry: "P30D" }, action: { type: "notify" } },
            ],
        });
    });

    it("refuses what Key Vault refuses: expiry under 28 days, rotation under 7 days or within 7 days of expiry", () => {
        const table: [number, number, string | undefined][] = [
            [7, 28, undefined], [6, 28, "rotateAfterDays"], [7, 27, "expiryDays"], [22, 28, "rotateAfterDays"], [21, 28, undefined], [365, 372, undefined], [365, 371, "rotateAfterDays"],
        ];
        for (const [rotateAfterDays, expiryDays, key] of table) {
            assert.equal(keyRotationProblem({ rotateAfterDays, expiryDays })?.key, key, `${rotateAfterDays}/${expiryDays}`);
        }
        assert.throws(() => keyRotationPolicy({ rotateAfterDays: 365, expiryDays: 371 }), /rotateAfterDays: 365 must be 7\.\.364/);
    });

    it("property: every accepted rotation happens before expiry and its notification comes no earlier than the rotation", () => {
        fc.assert(fc.property(fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 1, max: 4000 }), (rotateAfterDays, expiryDays) => {
            if (keyRotationProblem({ rotateAfterDays, expiryDays }) !== undefined) return;
            const p = keyRotationPolicy({ rotateAfterDays, expiryDays });
            const days = (d: string | undefined) => Number(d?.slice(1, -1));
            const notifyAt = expiryDays - days(p.lifetimeActions[1]?.trigger.timeBeforeExpiry);
            assert.ok(rotateAfterDays + 7 <= expiryDays && notifyAt >= rotateAfterDays);
        }));
    });

    it("names secrets the way DB_KEYVAULT_SECRET_URI expects, and writes the Secrets Manager JSON shape", () => {
        assert.equal(secretUri("kv-prod-1a2b3c4d", "blog-db-dump"), "https://kv-prod-1a2b3c4d.vault.azure.net/secrets/blog-db-dump");
        assert.deepEqual(JSON.parse(databaseSecretValue({ username: "pgadmin", password: "p", host: "h.postgres.database.azure.com", port: 5432 })),
            { username: "pgadmin", password: "p", host: "h.postgres.database.azure.com", port: 5432 });
    });

    it("accepts vault names Azure accepts and no others", () => {
        for (const ok of ["kv-prod-1a2b3c4d", "abc", "A1-b2-C3"]) assert.ok(KEY_VAULT_NAME.test(ok), ok);
        for (const bad of ["ab", "1kv", "kv-", "kv--prod", "kv_prod", "a".repeat(25)]) assert.ok(!KEY_VAULT_NAME.test(bad), bad);
    });
});

describe("Azure Backup vault documents", () => {
    it("keeps every weekly backup for the weekly tier, the first of each month and year longer, weekly from the anchor", () => {
        // given the example's tiers / when the policy is built
        const p = flexibleServerBackupPolicy({ weeklyKeepDays: 90, monthlyKeepDays: 365, yearlyKeepDays: 3650 }, weeklyScheduleStart("SUN", "02:00"));
        // then one weekly full backup into the vault store, tagged Yearly > Monthly > Default, each tag with its own retention
        const [backup, ...retention] = p.policyRules;
        assert.deepEqual(p.datasourceTypes, ["Microsoft.DBforPostgreSQL/flexibleServers"]);
        assert.ok(backup !== undefined && backup.objectType === "AzureBackupRule");
        assert.deepEqual(backup.trigger.schedule.repeatingTimeIntervals, ["R/2025-01-05T02:00:00+00:00/P1W"]);
        assert.deepEqual(backup.trigger.taggingCriteria.map((t) => [t.tagInfo.tagName, t.taggingPriority, t.criteria?.[0]?.absoluteCriteria[0]]),
            [["Yearly", 10, "FirstOfYear"], ["Monthly", 15, "FirstOfMonth"], ["Default", 99, undefined]]);
        assert.deepEqual(retention.map((r) => r.objectType === "AzureRetentionRule" ? [r.name, r.isDefault, r.lifecycles[0]?.deleteAfter.duration] : []),
            [["Default", true, "P90D"], ["Monthly", false, "P365D"], ["Yearly", false, "P3650D"]]);
        // every tag the trigger sets has a retention rule of the same name
        assert.deepEqual(backup.trigger.taggingCriteria.map((t) => t.tagInfo.tagName).sort(), retention.map((r) => r.name).sort());
    });

    it("anchors the weekly schedule on the configured weekday", () => {
        for (const [weekday, utcDay] of [["SUN", 0], ["MON", 1], ["WED", 3], ["SAT", 6]] as const) {
            assert.equal(new Date(weeklyScheduleStart(weekday, "23:30")).getUTCDay(), utcDay, weekday);
        }
        assert.throws(() => weeklyScheduleStart("SUN", "24:00"), /must be hh:mm/);
    });

    it("refuses retention Azure Backup cannot keep, or a tag that does not extend the one before", () => {
        assert.deepEqual(vaultRetentionProblems({ weeklyKeepDays: 90, monthlyKeepDays: 365, yearlyKeepDays: MAX_VAULT_RETENTION_DAYS }), []);
        assert.deepEqual(vaultRetentionProblems({ weeklyKeepDays: 6 }).map((p) => p.key), ["weeklyKeepDays"]);
        assert.deepEqual(vaultRetentionProblems({ weeklyKeepDays: 90, yearlyKeepDays: MAX_VAULT_RETENTION_DAYS + 1 }).map((p) => p.key), ["yearlyKeepDays"]);
        assert.deepEqual(vaultRetentionProblems({ weeklyKeepDays: 90, monthlyKeepDays: 90 }).map((p) => p.key), ["monthlyKeepDays"]);
        assert.throws(() => flexibleServerBackupPolicy({ weeklyKeepDays: 90, monthlyKeepDays: 60 }, weeklyScheduleStart("SUN", "02:00")), /monthlyKeepDays: 60 must be longer than weeklyKeepDays/);
    });

    it("enables cross-region restore only on a geo-redundant vault, and alerts on every failed job", () => {
        for (const redundancy of ["LocallyRedundant", "ZoneRedundant", "GeoRedundant"] as const) {
            const p = backupVaultProperties({ redundancy, immutability: "Locked", softDelete: "AlwaysOn", softDeleteDays: 30 });
            assert.equal(p.featureSettings.crossRegionRestoreSettings.state, redundancy === "GeoRedundant" ? "Enabled" : "Disabled");
            assert.deepEqual(p.storageSettings, [{ datastoreType: "VaultStore", type: redundancy }]);
            assert.equal(p.monitoringSettings.azureMonitorAlertSettings.alertsForAllJobFailures, "Enabled");
        }
        assert.throws(() => backupVaultProperties({ redundancy: "GeoRedundant", immutability: "Locked", softDelete: "On", softDeleteDays: 13 }), /14\.\.180/);
    });
});

/** The rules a blob matches: Azure applies a rule when the blob's name starts with one of its prefixes and every tag condition holds. */
function rulesFor(rules: readonly LifecycleRule[], blobName: string, tags: Readonly<Record<string, string>>): string[] {
    return rules.filter((r) => r.definition.filters.prefixMatch.some((p) => blobName.startsWith(p)) &&
        (r.definition.filters.blobIndexMatch ?? []).every((m) => m.op === "==" && tags[m.name] === m.value)).map((r) => r.name);
}

describe("Azure blob lifecycle per tier", () => {
    const tiers = {
        daily: { deleteAfterDays: 30 },
        weekly: { coolAfterDays: 30, deleteAfterDays: 90 },
        monthly: { coolAfterDays: 30, coldAfterDays: 60, archiveAfterDays: 150, deleteAfterDays: 365 },
    };
    const doc = tieredManagementPolicy(tiers, "backups", { tiers: { deleteAfterDays: 7 }, containers: ["exports"] });

    it("gives each tagged dump exactly its tier's rule, exports the untagged rule, and other containers none", () => {
        for (const tier of ["daily", "weekly", "monthly"] as const) {
            assert.deepEqual(rulesFor(doc.rules, "backups/backups/blog/monthly/2027/01/01/dump.pgdump", { [TIER_TAG_KEY]: tier }), [`backup-${tier}`]);
        }
        assert.deepEqual(rulesFor(doc.rules, "exports/blog/users.csv.gz", {}), ["export-retention"]);
        assert.deepEqual(rulesFor(doc.rules, "other/x", { [TIER_TAG_KEY]: "daily" }), []);
    });

    it("deletes each tier after its own keep days, versions on the same days, and moves monthly dumps Cool -> Cold -> Archive", () => {
        const monthly = doc.rules.find((r) => r.name === "backup-monthly");
        assert.deepEqual(monthly?.definition.actions.baseBlob, {
            tierToCool: { daysAfterModificationGreaterThan: 30 }, tierToCold: { daysAfterModificationGreaterThan: 60 },
            tierToArchive: { daysAfterModificationGreaterThan: 150 }, delete: { daysAfterModificationGreaterThan: 365 },
        });
        assert.deepEqual(monthly?.definition.actions.version.delete, { daysAfterCreationGreaterThan: 365 });
        assert.deepEqual(doc.rules.map((r) => [r.name, r.definition.actions.baseBlob.delete.daysAfterModificationGreaterThan]),
            [["backup-daily", 30], ["backup-weekly", 90], ["backup-monthly", 365], ["export-retention", 7]]);
    });

    it("refuses a tier out of order, and the backup container taking the untagged rule too", () => {
        assert.throws(() => tieredManagementPolicy({ weekly: { coolAfterDays: 100, deleteAfterDays: 90 } }, "backups", { tiers: { deleteAfterDays: 7 }, containers: [] }), /backup-weekly: deleteAfterDays: 90 must be later/);
        assert.throws(() => tieredManagementPolicy(tiers, "backups", { tiers: { deleteAfterDays: 7 }, containers: ["backups"] }), /cannot also take the untagged rule/);
    });

    it("refuses a container immutability period longer than the shortest deletion, naming it", () => {
        const deletions = [{ key: "retention.weekly.keepDays", deleteAfterDays: 35 }, { key: "retention.daily.keepDays", deleteAfterDays: 7 }];
        assert.equal(immutabilityProblem(7, deletions), undefined);
        assert.match(immutabilityProblem(8, deletions) ?? "", /longer than retention\.daily\.keepDays \(7\).*allowed: at most 7/);
    });
});
