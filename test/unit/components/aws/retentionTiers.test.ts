import * as assert from "assert";
import { RetentionTiers } from "../../../../components/aws/retentionTiers";
import { TIER_NAMES, lifecycleProblems, lifecycleRules } from "../../../../components/aws/documents/lifecycle";
import { tierLifecycleFindings } from "../../../../config/rules/foundation";

describe("RetentionTiers presets", () => {
    it("gfs(): three tiers, each longer-lived than the previous, accepted by the builder", () => {
        // given the preset / when it is checked and built
        const tiers = RetentionTiers.gfs();
        const problems = lifecycleProblems({ tiers, prefix: "backups", noncurrentVersionExpireDays: 30, abortIncompleteUploadDays: 1 });
        // then it has no problem and yields one rule per tier
        assert.deepStrictEqual(problems, []);
        const keep = TIER_NAMES.map((t) => tiers[t]?.keepDays ?? 0);
        assert.ok(keep[0]! > 0 && keep[1]! > keep[0]! && keep[2]! > keep[1]!, `keepDays ${keep.join(", ")} do not grow`);
        assert.strictEqual(lifecycleRules({ tiers, prefix: "backups", noncurrentVersionExpireDays: 30, abortIncompleteUploadDays: 1 }).length, 4);
    });

    it("gfs(): passes the stack's lifecycle validation, minimum storage durations included", () => {
        // given the preset / when each tier goes through the stack configuration rule
        const tiers = RetentionTiers.gfs();
        // then no tier has a finding (no early-deletion charge accepted silently)
        for (const name of TIER_NAMES) {
            const tier = tiers[name];
            assert.ok(tier);
            assert.deepStrictEqual(tierLifecycleFindings(name, { ...tier, allowEarlyDeletion: false }), [], name);
        }
    });

    it("dailyOnly(n): one daily tier kept n days, with the transitions given", () => {
        // given 14 days, then 120 days with Standard-IA at 30
        assert.deepStrictEqual(RetentionTiers.dailyOnly(14), { daily: { keepDays: 14 } });
        assert.deepStrictEqual(RetentionTiers.dailyOnly(120, { standardIaAfterDays: 30 }), { daily: { standardIaAfterDays: 30, keepDays: 120 } });
    });

    it("dailyOnly(n): refuses a non-positive or fractional n, naming it", () => {
        // given bad day counts / then each is refused with the argument and value
        assert.throws(() => RetentionTiers.dailyOnly(0), /RetentionTiers\.dailyOnly: keepDays 0 is not allowed; give a positive whole number of days/);
        assert.throws(() => RetentionTiers.dailyOnly(2.5), /keepDays 2\.5 is not allowed/);
    });
});
