import * as assert from "assert";
import * as fc from "fast-check";
import { firings, parseSchedule } from "../../../../../components/aws/documents/schedule";
import {
    BackupDocumentError,
    backupPlanRules,
    backupRoleKmsPolicy,
    backupServiceRolePolicyArns,
    dailyStart,
    effectiveVaultLockMode,
    type PlanTiers,
    planRuleTemplates,
    recoveryPointLifecycle,
    restoreMetadataOverrides,
    restoreTestingName,
    tagConditions,
    tierSchedules,
    vaultLockBounds,
    vaultLockSettings,
    type Weekday,
} from "../../../../../components/aws/documents/awsBackup";

const TIERS: PlanTiers = {
    daily: { keepDays: 7 },
    weekly: { keepDays: 35 },
    monthly: { keepDays: 365, coldStorageAfterDays: 30 },
};
const WEEKDAYS: readonly Weekday[] = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];
const JAN_2027 = new Date(Date.UTC(2027, 0, 1));

describe("AWS Backup documents", () => {
    describe("recoveryPointLifecycle", () => {
        const cases: { keep: number; cold?: number; ok: boolean }[] = [
            { keep: 7, ok: true },
            { keep: 120, cold: 30, ok: true },
            { keep: 119, cold: 30, ok: false },
            { keep: 91, cold: 1, ok: true },
            { keep: 90, cold: 1, ok: false },
        ];
        for (const c of cases) {
            it(`keep ${c.keep}, cold ${c.cold ?? "none"} -> ${c.ok ? "accepted" : "refused"}`, () => {
                // given a tier / when its lifecycle is built
                const build = () => recoveryPointLifecycle("weekly", { keepDays: c.keep, coldStorageAfterDays: c.cold });
                // then it is accepted exactly where delete >= cold + 90
                if (c.ok) assert.deepStrictEqual(build(), c.cold === undefined ? { deleteAfter: c.keep } : { coldStorageAfter: c.cold, deleteAfter: c.keep });
                else assert.throws(build, (e: unknown) => e instanceof BackupDocumentError && /weekly\.coldStorageAfterDays: 30|weekly\.coldStorageAfterDays: 1/.test(e.message) && /keepDays of at least/.test(e.message));
            });
        }

        it("property: cold storage appears only where the point stays cold for 90 days", () => {
            fc.assert(fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 3000 }), (keep, cold) => {
                // given any keep/cold pair / when the lifecycle is built
                let result;
                try {
                    result = recoveryPointLifecycle("monthly", { keepDays: keep, coldStorageAfterDays: cold });
                } catch (err) {
                    // then a refusal happens only for keep < cold + 90
                    return err instanceof BackupDocumentError && keep < cold + 90;
                }
                return keep >= cold + 90 && result.deleteAfter === keep && result.coldStorageAfter === cold;
            }));
        });
    });

    describe("dailyStart and tierSchedules", () => {
        it("reads the start time of a daily cron in either day field", () => {
            // given two spellings of 01:15 every day / when read / then both give 01:15
            assert.deepStrictEqual(dailyStart("cron(15 1 * * ? *)"), { hour: 1, minute: 15 });
            assert.deepStrictEqual(dailyStart("cron(15 1 ? * * *)"), { hour: 1, minute: 15 });
        });

        for (const bad of ["rate(1 day)", "cron(0 1,13 * * ? *)", "cron(0 1 ? * MON-FRI *)", "cron(0/30 1 * * ? *)", "cron(0 1 1 * ? *)", "cron(0 1 * * ? 2027)", "nonsense"]) {
            it(`refuses ${bad}, naming the schedule`, () => {
                // given a schedule that is not one fixed daily time / when read / then refused
                assert.throws(() => dailyStart(bad), (e: unknown) => e instanceof BackupDocumentError && e.message.startsWith(`schedule: "${bad}"`));
            });
        }

        it("derives weekly and monthly schedules at the daily time", () => {
            // given a daily 01:00 start, weekly on Sunday, monthly on the 1st / when derived
            const s = tierSchedules("cron(0 1 * * ? *)", "SUN", 1);
            // then
            assert.deepStrictEqual(s, { daily: "cron(0 1 * * ? *)", weekly: "cron(0 1 ? * SUN *)", monthly: "cron(0 1 1 * ? *)" });
        });

        it("refuses a monthly day outside 1..28", () => {
            assert.throws(() => tierSchedules("cron(0 1 * * ? *)", "SUN", 29), /monthlyOn: 29 is out of range 1..28/);
        });

        it("property: weekly and monthly firings are daily firings on the right day", () => {
            fc.assert(fc.property(
                fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 23 }), fc.constantFrom(...WEEKDAYS), fc.integer({ min: 1, max: 28 }),
                (minute, hour, weeklyOn, monthlyOn) => {
                    // given any daily start / when the tier schedules are derived and fired over 70 days
                    const s = tierSchedules(`cron(${minute} ${hour} * * ? *)`, weeklyOn, monthlyOn);
                    const daily = new Set(firings(parseSchedule(s.daily), JAN_2027, 70).map((d) => d.getTime()));
                    const weekly = firings(parseSchedule(s.weekly), JAN_2027, 70);
                    const monthly = firings(parseSchedule(s.monthly), JAN_2027, 70);
                    // then daily fires every day, and each weekly/monthly firing coincides with a daily one
                    return daily.size === 70 &&
                        weekly.length === 10 && weekly.every((d) => daily.has(d.getTime()) && ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"][d.getUTCDay()] === weeklyOn) &&
                        monthly.length >= 2 && monthly.every((d) => daily.has(d.getTime()) && d.getUTCDate() === monthlyOn);
                },
            ), { numRuns: 40 });
        });
    });

    describe("planRuleTemplates and backupPlanRules", () => {
        const input = { schedule: "cron(0 1 * * ? *)", weeklyOn: "SUN" as const, monthlyOn: 1, tiers: TIERS, startWindowMinutes: 60, completionWindowMinutes: 480 };

        it("writes one rule per tier with its lifecycle, tag and DR copy", () => {
            // given the tiers and a DR vault / when the rules are built
            const rules = backupPlanRules(planRuleTemplates(input), "vault-a", "arn:aws:backup:eu-central-1:123456789012:backup-vault:dr");
            // then daily, weekly, monthly in order, each copied to the DR vault with the same lifecycle
            assert.deepStrictEqual(rules.map((r) => [r.ruleName, r.schedule, r.lifecycle]), [
                ["daily", "cron(0 1 * * ? *)", { deleteAfter: 7 }],
                ["weekly", "cron(0 1 ? * SUN *)", { deleteAfter: 35 }],
                ["monthly", "cron(0 1 1 * ? *)", { coldStorageAfter: 30, deleteAfter: 365 }],
            ]);
            for (const r of rules) {
                assert.strictEqual(r.targetVaultName, "vault-a");
                assert.deepStrictEqual(r.copyActions, [{ destinationVaultArn: "arn:aws:backup:eu-central-1:123456789012:backup-vault:dr", lifecycle: r.lifecycle }]);
                assert.deepStrictEqual(r.recoveryPointTags, { "pg-backup-stack:tier": r.ruleName });
            }
        });

        it("has no copy action without a DR vault", () => {
            assert.ok(backupPlanRules(planRuleTemplates(input), "vault-a").every((r) => r.copyActions.length === 0));
        });

        it("refuses a completion window not longer than the start window", () => {
            assert.throws(() => planRuleTemplates({ ...input, completionWindowMinutes: 60 }), /completionWindowMinutes: 60 must be greater than startWindowMinutes \(60\)/);
        });

        it("is deterministic", () => {
            assert.strictEqual(JSON.stringify(planRuleTemplates(input)), JSON.stringify(planRuleTemplates({ ...input })));
        });
    });

    describe("vaultLockSettings", () => {
        const lock = { mode: "COMPLIANCE" as const, minRetentionDays: 7, maxRetentionDays: 400, changeableForDays: 3 };

        it("COMPLIANCE carries changeableForDays, GOVERNANCE does not", () => {
            // given one lock in both modes / when settings are built / then only compliance has the grace period
            assert.deepStrictEqual(vaultLockSettings(lock, TIERS), { minRetentionDays: 7, maxRetentionDays: 400, changeableForDays: 3 });
            assert.deepStrictEqual(vaultLockSettings({ ...lock, mode: "GOVERNANCE" }, TIERS), { minRetentionDays: 7, maxRetentionDays: 400 });
        });

        it("refuses a tier outside the lock's bounds, naming the tier", () => {
            assert.throws(() => vaultLockSettings({ ...lock, maxRetentionDays: 364 }, TIERS), /monthly\.keepDays: 365 is outside the vault lock's 7\.\.364 days/);
            assert.throws(() => vaultLockSettings({ ...lock, minRetentionDays: 8 }, TIERS), /daily\.keepDays: 7 is outside the vault lock's 8\.\.400 days/);
        });

        it("refuses min above max and a compliance grace period under 3 days", () => {
            assert.throws(() => vaultLockSettings({ ...lock, minRetentionDays: 500 }, TIERS), /minRetentionDays: 500 must be at least 1 and at most maxRetentionDays \(400\)/);
            assert.throws(() => vaultLockSettings({ ...lock, changeableForDays: 2 }, TIERS), /changeableForDays: 2 must be at least 3/);
        });

        it("property: accepted exactly when every tier lies within [min, max]", () => {
            fc.assert(fc.property(
                fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 500 }),
                fc.tuple(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 600 })),
                (min, max, [d, w, m]) => {
                    // given random bounds and tiers / when settings are built
                    const tiers: PlanTiers = { daily: { keepDays: d }, weekly: { keepDays: w }, monthly: { keepDays: m } };
                    const within = min <= max && [d, w, m].every((k) => k >= min && k <= max);
                    let accepted = true;
                    try {
                        vaultLockSettings({ ...lock, minRetentionDays: min, maxRetentionDays: max }, tiers);
                    } catch {
                        accepted = false;
                    }
                    // then accepted iff within
                    return accepted === within;
                },
            ));
        });

        it("bounds default to 7..400, widened to the tiers; explicit ones win", () => {
            // given no bounds, tiers outside 7..400, then explicit bounds / when resolved
            const wide: PlanTiers = { daily: { keepDays: 2 }, weekly: { keepDays: 35 }, monthly: { keepDays: 730 } };
            // then
            assert.deepStrictEqual(vaultLockBounds({}, TIERS), { minRetentionDays: 7, maxRetentionDays: 400 });
            assert.deepStrictEqual(vaultLockBounds({}, wide), { minRetentionDays: 2, maxRetentionDays: 730 });
            assert.deepStrictEqual(vaultLockBounds({ minRetentionDays: 1, maxRetentionDays: 365 }, TIERS), { minRetentionDays: 1, maxRetentionDays: 365 });
        });

        it("property: default bounds always admit every tier", () => {
            fc.assert(fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 3000 }), (d, w, m) => {
                const tiers: PlanTiers = { daily: { keepDays: d }, weekly: { keepDays: w }, monthly: { keepDays: m } };
                return vaultLockSettings({ ...lock, ...vaultLockBounds({}, tiers) }, tiers).minRetentionDays <= Math.min(d, w, m);
            }));
        });

        it("effective mode: COMPLIANCE in prod unless set, GOVERNANCE elsewhere", () => {
            assert.strictEqual(effectiveVaultLockMode(undefined, "prod"), "COMPLIANCE");
            assert.strictEqual(effectiveVaultLockMode(undefined, "staging"), "GOVERNANCE");
            assert.strictEqual(effectiveVaultLockMode("GOVERNANCE", "prod"), "GOVERNANCE");
            assert.strictEqual(effectiveVaultLockMode("COMPLIANCE", "staging"), "COMPLIANCE");
        });
    });

    describe("restore testing", () => {
        it("names allow only letters, digits and underscores, at most 50", () => {
            assert.strictEqual(restoreTestingName("prod-backup", "rds"), "prod_backup_rds");
            assert.strictEqual(restoreTestingName("1db", "rds"), "rt_1db_rds");
            assert.throws(() => restoreTestingName("a".repeat(40), "restore_testing"), /56 characters long; at most 50/);
        });

        it("overrides only what is given, security groups as a sorted JSON list", () => {
            // given class, subnet group and two groups out of order / when built
            const o = restoreMetadataOverrides({ dbInstanceClass: "db.t4g.small", dbSubnetGroupName: "sg-db", vpcSecurityGroupIds: ["sg-b", "sg-a"] });
            // then
            assert.deepStrictEqual(o, { dbInstanceClass: "db.t4g.small", dbSubnetGroupName: "sg-db", vpcSecurityGroupIds: "[\"sg-a\",\"sg-b\"]" });
            assert.deepStrictEqual(restoreMetadataOverrides({ vpcSecurityGroupIds: [] }), {});
        });

        it("selects resources by every tag given (conditions AWS Backup ANDs)", () => {
            assert.deepStrictEqual(tagConditions([{ key: "backup-plan", value: "x" }, { key: "pg-backup-stack:stack", value: "prod" }]), {
                stringEquals: [{ key: "aws:ResourceTag/backup-plan", value: "x" }, { key: "aws:ResourceTag/pg-backup-stack:stack", value: "prod" }],
            });
        });
    });

    describe("backup role", () => {
        it("uses the partition's managed backup and restore policies", () => {
            assert.deepStrictEqual(backupServiceRolePolicyArns("aws-cn"), {
                backup: "arn:aws-cn:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
                restores: "arn:aws-cn:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
            });
        });

        it("KMS policy: sorted, deduplicated keys; grants only for AWS resources", () => {
            // given the two keys twice, out of order / when the policy is built
            const doc = JSON.parse(backupRoleKmsPolicy(["arn:k2", "arn:k1", "arn:k2"])) as { Statement: { Action: unknown; Resource: string[]; Condition?: unknown }[] };
            // then
            assert.deepStrictEqual(doc.Statement[0]?.Resource, ["arn:k1", "arn:k2"]);
            assert.deepStrictEqual(doc.Statement[1]?.Action, "kms:CreateGrant");
            assert.deepStrictEqual(doc.Statement[1]?.Condition, { Bool: { "kms:GrantIsForAWSResource": "true" } });
            assert.throws(() => backupRoleKmsPolicy([]), /at least one key/);
        });

        it("property: the KMS policy does not depend on key order", () => {
            fc.assert(fc.property(fc.uniqueArray(fc.stringMatching(/^arn:aws:kms:[a-z0-9-]{1,12}$/), { minLength: 1, maxLength: 5 }), (keys) =>
                backupRoleKmsPolicy(keys) === backupRoleKmsPolicy([...keys].reverse())));
        });
    });
});
