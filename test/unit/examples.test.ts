import * as assert from "assert";
import * as path from "path";
import { readStackFile } from "../../config/load";
import { effectiveVaultImmutability, tierBlobLifecycles, vaultRetention } from "../../config/rules/azure";
import { TIER_NAMES } from "../../config/schema";
import { pitrMeetsRpo } from "../../config/rules/foundation";
import { longestGapMinutes, parseSchedule, firings } from "../../config/schedule";
import { StackConfig, validateConfig } from "../../config/validate";
import { ROOT } from "../helpers/stackFiles";

/** A validated example; it carries no warnings but those named (what stays to do after `pulumi up`). */
function load(name: string, expectedWarnings: readonly string[] = []): StackConfig {
    const result = validateConfig(readStackFile(path.join(ROOT, "examples", name)));
    assert.ok(result.config, result.findings.map((f) => `${f.path}: ${f.message}`).join("\n"));
    assert.deepStrictEqual(result.findings.filter((f) => f.severity === "warning").map((f) => f.path), expectedWarnings, "examples carry no other warnings");
    return result.config;
}

/** A Lambda dump of the default fixed 50 GB volume: fine while the data is small, warned about (measure it; Fargate past about 21 GB). */
const FIXED_VOLUME_ON_LAMBDA = "aws.databases[0].runner";

const gap = (expression: string | undefined): number => longestGapMinutes(parseSchedule(expression ?? "at(2000-01-01T00:00:00)"));

/** Each example states what its strategy promises; these tests hold the file to it. */
describe("example stacks keep the promises of their strategies", () => {
    it("Azure only: 30-day geo-redundant server backups, RPO 5 min, RTO 1 h, and no AWS resource", () => {
        const c = load("Pulumi.azure-flexible-geo.yaml");
        const server = c.azure?.servers[0];
        assert.ok(server);
        assert.strictEqual(c.regions, undefined, "no AWS regions: the stack declares no AWS resource");
        assert.deepStrictEqual(c.aws.databases, [], "no Lambda function dumps the Azure server");
        assert.strictEqual(server.backupRetentionDays, 30);
        assert.strictEqual(server.geoRedundantBackup, true);
        assert.ok(server.network.firewallRules.length > 0, "the jobs have a network path to the server");
        assert.strictEqual(c.objectives.rpoMinutes, 5);
        assert.strictEqual(c.objectives.rtoMinutes, 60);
        assert.ok(pitrMeetsRpo(c), "continuous backup carries the 5-minute RPO");
    });

    it("Azure only: dumps in RA-GRS storage under the stack's rotated key, each locked for its tier and tiered Cool -> Cold -> Archive", () => {
        const c = load("Pulumi.azure-flexible-geo.yaml");
        const st = c.azure?.storage;
        assert.ok(st);
        assert.strictEqual(st.redundancy, "Standard_RAGRS", "the disaster runbook reads files from the secondary");
        assert.ok(c.azure?.keyVault !== undefined, "customer-managed key");
        assert.ok(c.azure.keyVault.rotateAfterDays <= 365, "rotated at least yearly");
        assert.strictEqual(st.versionLevelImmutability, true);
        assert.strictEqual(c.storage.objectLock?.mode, "COMPLIANCE", "per-blob policies are locked");
        const tiers = tierBlobLifecycles(c);
        assert.deepStrictEqual(tiers?.monthly, { coolAfterDays: 30, coldAfterDays: 60, archiveAfterDays: 150, deleteAfterDays: 365 }, "monthly dumps kept a year, in Archive from day 150");
        for (const t of TIER_NAMES) assert.strictEqual(tiers?.[t]?.deleteAfterDays, c.retention[t].keepDays, `${t} deleted when its lock ends`);
    });

    it("Azure only: weekly vaulted backups in a geo-redundant, locked, always-on soft-delete vault; monthly a year, yearly 10 years", () => {
        const c = load("Pulumi.azure-flexible-geo.yaml");
        const v = c.azure?.backupVault;
        assert.ok(v);
        assert.deepStrictEqual([v.redundancy, effectiveVaultImmutability(c, v), v.softDelete], ["GeoRedundant", "Locked", "AlwaysOn"]);
        assert.deepStrictEqual(vaultRetention(c, v), { weeklyKeepDays: 90, monthlyKeepDays: 365, yearlyKeepDays: 3650 });
    });

    it("tiered GFS: 7 daily, 4 weekly, 3 monthly in Glacier, hourly incremental exports kept a day", () => {
        const c = load("Pulumi.tiered-gfs.yaml", [FIXED_VOLUME_ON_LAMBDA]);
        assert.strictEqual(c.retention.daily.keepDays, 7);
        assert.strictEqual(c.retention.weekly.keepDays, 28);
        assert.ok(c.retention.monthly.keepDays >= 90 && c.retention.monthly.keepDays <= 92);
        assert.strictEqual(c.retention.monthly.glacierAfterDays, 1);
        assert.strictEqual(c.retention.weeklyOn, "SUN");
        assert.strictEqual(c.retention.monthlyOn, 1);
        assert.strictEqual(gap(c.schedules.export), 60);
        assert.strictEqual(c.storage.exportKeepDays, 1);
        assert.ok(c.aws.databases[0]?.exportTables.every((t) => t.watermarkColumn === "updated_at"));
        assert.strictEqual(c.objectives.rpoMinutes, 60);
        assert.strictEqual(c.objectives.rtoMinutes, 60);
        assert.ok(c.storage.replication, "off-region copy");
        assert.deepStrictEqual(c.aws.backup.fileBuckets, ["translation-tool-uploads"], "uploaded files are backed up too");
    });

    it("15-minute RPO: a dump every 15 minutes kept 7 days, RTO 30 minutes", () => {
        const c = load("Pulumi.fifteen-minute-rpo.yaml", [FIXED_VOLUME_ON_LAMBDA]);
        assert.strictEqual(gap(c.schedules.dump), 15);
        assert.ok(gap(c.schedules.dump) <= c.objectives.rpoMinutes, "the dumps alone meet the RPO");
        assert.strictEqual(c.retention.daily.keepDays, 7);
        assert.strictEqual(c.objectives.rtoMinutes, 30);
    });

    it("daily encrypted dump with Standard-IA -> Glacier -> Deep Archive, kept 30 days, weekly verification", () => {
        const c = load("Pulumi.daily-archive-tiers.yaml", [FIXED_VOLUME_ON_LAMBDA]);
        const first = firings(parseSchedule(c.schedules.dump), new Date(Date.UTC(2027, 0, 1)), 1)[0];
        assert.strictEqual(first?.toISOString(), "2027-01-01T02:00:00.000Z");
        assert.strictEqual(c.retention.daily.keepDays, 30);
        const m = c.retention.monthly;
        assert.ok(m.standardIaAfterDays !== undefined && m.glacierAfterDays !== undefined && m.deepArchiveAfterDays !== undefined);
        assert.ok(m.standardIaAfterDays < m.glacierAfterDays && m.glacierAfterDays < m.deepArchiveAfterDays && m.deepArchiveAfterDays < m.keepDays);
        assert.strictEqual(gap(c.schedules.verify), 7 * 1440);
        assert.strictEqual(c.objectives.rpoMinutes, 1440);
    });

    it("WAL/PITR: 7 days of point-in-time recovery carry a 15-minute RPO, daily dumps kept 30 days", () => {
        const c = load("Pulumi.wal-pitr.yaml", [FIXED_VOLUME_ON_LAMBDA]);
        assert.strictEqual(c.aws.databases[0]?.instance?.backupRetentionDays, 7);
        assert.strictEqual(c.objectives.rpoMinutes, 15);
        assert.ok(pitrMeetsRpo(c));
        assert.ok(gap(c.schedules.dump) > c.objectives.rpoMinutes, "the dumps alone would not meet it");
        assert.strictEqual(c.retention.daily.keepDays, 30);
        const restoreTests = firings(parseSchedule(c.aws.backup.restoreTesting.schedule), new Date(Date.UTC(2027, 0, 1)), 62);
        assert.deepStrictEqual(restoreTests.map((t) => t.toISOString().slice(0, 10)), ["2027-01-03", "2027-02-07"], "monthly, first Sunday");
    });
});
