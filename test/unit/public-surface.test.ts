import * as assert from "assert";
import * as surface from "../../components";

describe("the component library's public surface", () => {
    it("exports every component class by name", () => {
        const components = [
            "BackupKey", "BackupBucket", "ReplicaBucket", "RdsPostgres", "AwsBackupPlan", "AlertTopic", "ChatChannels", "BackupFunction",
            "FunctionImage", "BackupAlarms", "BackupDashboard", "FlexibleServerBackup", "GeoRedundantStorage", "AzureBackupAlerts",
        ];
        for (const name of components) {
            const value = (surface as Record<string, unknown>)[name];
            assert.strictEqual(typeof value, "function", `${name} is exported`);
        }
    });

    it("its presets and document builders work without Pulumi", () => {
        const tiers = surface.RetentionTiers.gfs();
        const rules = surface.lifecycleRules({ tiers, prefix: "backups", noncurrentVersionExpireDays: 30, abortIncompleteUploadDays: 1 });
        assert.ok(rules.some((r) => r.id.includes("monthly")));
        assert.deepStrictEqual(surface.lifecycleProblems({ tiers, prefix: "backups", noncurrentVersionExpireDays: 30, abortIncompleteUploadDays: 1 }), []);
    });
});
