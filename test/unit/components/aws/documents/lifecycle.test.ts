import * as assert from "assert";
import * as fc from "fast-check";
import {
    LifecycleInput,
    LifecycleInputError,
    RetentionTier,
    STANDARD_IA_MIN_DAYS,
    TIER_NAMES,
    TIER_TAG_KEY,
    lifecycleProblems,
    lifecycleRules,
    logBucketLifecycleRules,
} from "../../../../../components/aws/documents/lifecycle";
import { dumpTags } from "../../../../../lambdas/dump/settings";

function input(tiers: LifecycleInput["tiers"], extra: Partial<LifecycleInput> = {}): LifecycleInput {
    return { tiers, prefix: "backups", noncurrentVersionExpireDays: 30, abortIncompleteUploadDays: 1, ...extra };
}

const CLASS_ORDER = ["STANDARD_IA", "GLACIER", "DEEP_ARCHIVE"];

/** A valid tier: each present step at or after the earliest day S3 and the class stays allow. */
const validTier: fc.Arbitrary<RetentionTier> = fc
    .record({
        ia: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }),
        glacier: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }),
        deep: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }),
        keepAfter: fc.integer({ min: 1, max: 4000 }),
    })
    .map(({ ia, glacier, deep, keepAfter }) => {
        const tier: { keepDays: number; standardIaAfterDays?: number; glacierAfterDays?: number; deepArchiveAfterDays?: number } = { keepDays: 0 };
        let last: { days: number; gap: number } | undefined;
        if (ia !== undefined) {
            tier.standardIaAfterDays = STANDARD_IA_MIN_DAYS + ia;
            last = { days: tier.standardIaAfterDays, gap: 30 };
        }
        if (glacier !== undefined) {
            tier.glacierAfterDays = (last === undefined ? 1 : last.days + last.gap) + glacier;
            last = { days: tier.glacierAfterDays, gap: 90 };
        }
        if (deep !== undefined) {
            tier.deepArchiveAfterDays = (last === undefined ? 1 : last.days + last.gap) + deep;
            last = { days: tier.deepArchiveAfterDays, gap: 180 };
        }
        tier.keepDays = (last?.days ?? 0) + keepAfter;
        return tier;
    });

describe("lifecycle rules (documents/lifecycle)", () => {
    describe("tier rules: example table", () => {
        const cases: { tier: RetentionTier; transitions: { days: number; storageClass: string }[] }[] = [
            { tier: { keepDays: 35 }, transitions: [] },
            { tier: { keepDays: 91, standardIaAfterDays: 30 }, transitions: [{ days: 30, storageClass: "STANDARD_IA" }] },
            { tier: { keepDays: 400, glacierAfterDays: 1 }, transitions: [{ days: 1, storageClass: "GLACIER" }] },
            { tier: { keepDays: 400, deepArchiveAfterDays: 10 }, transitions: [{ days: 10, storageClass: "DEEP_ARCHIVE" }] },
            {
                tier: { keepDays: 2555, standardIaAfterDays: 30, glacierAfterDays: 90, deepArchiveAfterDays: 180 },
                transitions: [{ days: 30, storageClass: "STANDARD_IA" }, { days: 90, storageClass: "GLACIER" }, { days: 180, storageClass: "DEEP_ARCHIVE" }],
            },
            { tier: { keepDays: 61, standardIaAfterDays: 30, deepArchiveAfterDays: 60 }, transitions: [{ days: 30, storageClass: "STANDARD_IA" }, { days: 60, storageClass: "DEEP_ARCHIVE" }] },
        ];
        for (const c of cases) {
            it(`${JSON.stringify(c.tier)} -> ${c.transitions.map((t) => `${t.storageClass}@${t.days}`).join(", ") || "Standard only"}, expiry ${c.tier.keepDays}`, () => {
                // given a weekly tier
                // when the rules are built
                const rules = lifecycleRules(input({ weekly: c.tier }));
                // then the tier rule carries exactly these transitions and the expiry
                const rule = rules.find((r) => r.id === "tier-weekly");
                assert.ok(rule, "tier-weekly rule missing");
                assert.deepStrictEqual(rule.transitions ?? [], c.transitions);
                assert.deepStrictEqual(rule.expiration, { days: c.tier.keepDays });
            });
        }
    });

    describe("boundaries: every minimum is accepted exactly, and one day less is refused", () => {
        // field path, the input at its minimum, and the same input one day under it
        const at = (tier: RetentionTier, extra: Partial<LifecycleInput> = {}) => input({ weekly: tier }, extra);
        const cases: { what: string; path: string; min: number; build: (days: number) => LifecycleInput }[] = [
            { what: "Standard-IA no earlier than day 30", path: "tiers.weekly.standardIaAfterDays", min: 30, build: (d) => at({ keepDays: 400, standardIaAfterDays: d }) },
            { what: "Glacier 30 days after Standard-IA", path: "tiers.weekly.glacierAfterDays", min: 60, build: (d) => at({ keepDays: 400, standardIaAfterDays: 30, glacierAfterDays: d }) },
            { what: "Deep Archive 30 days after Standard-IA", path: "tiers.weekly.deepArchiveAfterDays", min: 75, build: (d) => at({ keepDays: 400, standardIaAfterDays: 45, deepArchiveAfterDays: d }) },
            { what: "Deep Archive 90 days after Glacier", path: "tiers.weekly.deepArchiveAfterDays", min: 100, build: (d) => at({ keepDays: 400, glacierAfterDays: 10, deepArchiveAfterDays: d }) },
            { what: "expiry after the last transition", path: "tiers.weekly.keepDays", min: 181, build: (d) => at({ keepDays: d, standardIaAfterDays: 30, glacierAfterDays: 90, deepArchiveAfterDays: 180 }) },
            { what: "expiry at least one day", path: "tiers.weekly.keepDays", min: 1, build: (d) => at({ keepDays: d }) },
            { what: "Glacier from day 1", path: "tiers.weekly.glacierAfterDays", min: 1, build: (d) => at({ keepDays: 400, glacierAfterDays: d }) },
            { what: "noncurrent versions kept at least one day", path: "noncurrentVersionExpireDays", min: 1, build: (d) => at({ keepDays: 7 }, { noncurrentVersionExpireDays: d }) },
            { what: "incomplete uploads aborted after at least one day", path: "abortIncompleteUploadDays", min: 1, build: (d) => at({ keepDays: 7 }, { abortIncompleteUploadDays: d }) },
            { what: "exports kept at least one day", path: "exports.expireDays", min: 1, build: (d) => at({ keepDays: 7 }, { exports: { prefix: "exports", expireDays: d } }) },
        ];
        for (const c of cases) {
            it(`${c.what}: ${c.path} = ${c.min} is accepted, ${c.min - 1} is refused`, () => {
                // given the input exactly at the minimum / then it builds
                assert.deepStrictEqual(lifecycleProblems(c.build(c.min)), []);
                assert.doesNotThrow(() => lifecycleRules(c.build(c.min)));
                // given one day less / then exactly that field is refused
                const problems = lifecycleProblems(c.build(c.min - 1));
                assert.strictEqual(problems.length, 1, problems.join("; "));
                assert.ok(problems[0]?.startsWith(`${c.path}: ${c.min - 1} `), problems[0]);
                assert.throws(() => lifecycleRules(c.build(c.min - 1)), LifecycleInputError);
            });
        }
    });

    it("every rule names an explicit prefix filter, never an empty filter", () => {
        // given a full input and the log bucket's rules
        const rules = [...lifecycleRules(input({ daily: { keepDays: 14 }, weekly: { keepDays: 60 } }, { exports: { prefix: "exports", expireDays: 14 } })), ...logBucketLifecycleRules(90, 30, 1)];
        // then each filter carries a prefix, alone or with tags
        for (const rule of rules) {
            assert.strictEqual(typeof (rule.filter.prefix ?? rule.filter.and?.prefix), "string", rule.id);
        }
    });

    it("selects each tier by its tag under the dump prefix, in tier order, housekeeping last", () => {
        // given all three tiers and an export retention
        const rules = lifecycleRules(input(
            { monthly: { keepDays: 365 }, daily: { keepDays: 7 }, weekly: { keepDays: 35 } },
            { prefix: "pg/dumps", exports: { prefix: "exports", expireDays: 14 } },
        ));
        // then one rule per tier, filtered by prefix AND tag, then exports, then housekeeping
        assert.deepStrictEqual(rules.map((r) => r.id), ["tier-daily", "tier-weekly", "tier-monthly", "exports", "housekeeping"]);
        for (const tier of TIER_NAMES) {
            const rule = rules.find((r) => r.id === `tier-${tier}`);
            assert.deepStrictEqual(rule?.filter, { and: { prefix: "pg/dumps/", tags: { [TIER_TAG_KEY]: tier } } });
        }
        assert.deepStrictEqual(rules[3], { id: "exports", status: "Enabled", filter: { prefix: "exports/" }, expiration: { days: 14 } });
    });

    it("the dump tags each tier's objects with exactly the tags its tier's rule filters on", () => {
        // given every tier in the bucket's lifecycle
        const rules = lifecycleRules(input({ daily: { keepDays: 7 }, weekly: { keepDays: 35 }, monthly: { keepDays: 365 } }));
        for (const tier of TIER_NAMES) {
            // when the dump tags an object of that tier
            const tags = dumpTags(tier);
            // then the tier's rule selects it, and no other tier's rule does
            const selecting = rules.filter((r) => r.filter.and !== undefined && Object.entries(r.filter.and.tags).every(([k, v]) => tags[k] === v));
            assert.deepStrictEqual(selecting.map((r) => r.id), [`tier-${tier}`]);
            assert.deepStrictEqual(rules.find((r) => r.id === `tier-${tier}`)?.filter.and?.tags, tags);
        }
    });

    it("puts noncurrent expiry, delete-marker clean-up and multipart abort in one bucket-wide rule without tags", () => {
        // given custom housekeeping days
        const rules = lifecycleRules(input({ daily: { keepDays: 7 } }, { noncurrentVersionExpireDays: 45, abortIncompleteUploadDays: 3 }));
        // then the housekeeping rule applies to the whole bucket
        const housekeeping = rules.find((r) => r.id === "housekeeping");
        assert.deepStrictEqual(housekeeping, {
            id: "housekeeping",
            status: "Enabled",
            filter: { prefix: "" },
            expiration: { expiredObjectDeleteMarker: true },
            noncurrentVersionExpiration: { noncurrentDays: 45 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 3 },
        });
        // and no rule filtered by tags carries an action S3 refuses with tag filters
        for (const rule of rules.filter((r) => r.filter.and !== undefined)) {
            assert.strictEqual(rule.abortIncompleteMultipartUpload, undefined, rule.id);
            assert.strictEqual(rule.expiration?.expiredObjectDeleteMarker, undefined, rule.id);
        }
    });

    it("leaves out tiers that are not given, and the export rule without an export retention", () => {
        // given only a daily tier and no export retention
        const rules = lifecycleRules(input({ daily: { keepDays: 10 } }));
        // then only the daily and housekeeping rules exist
        assert.deepStrictEqual(rules.map((r) => r.id), ["tier-daily", "housekeeping"]);
    });

    it("log bucket: expiry of every log plus housekeeping", () => {
        // given a log retention / when its rules are built
        const rules = logBucketLifecycleRules(90, 7, 2);
        // then logs expire at 90 days and housekeeping uses the given days
        assert.deepStrictEqual(rules[0], { id: "access-logs", status: "Enabled", filter: { prefix: "" }, expiration: { days: 90 } });
        assert.deepStrictEqual(rules[1]?.noncurrentVersionExpiration, { noncurrentDays: 7 });
        assert.deepStrictEqual(rules[1]?.abortIncompleteMultipartUpload, { daysAfterInitiation: 2 });
    });

    describe("preconditions: each problem is named with its path, value and what is allowed", () => {
        const cases: { name: string; input: LifecycleInput; message: RegExp }[] = [
            { name: "Standard-IA before day 30", input: input({ weekly: { keepDays: 90, standardIaAfterDays: 29 } }), message: /^tiers\.weekly\.standardIaAfterDays: 29 is out of range 30\.\./ },
            { name: "Glacier less than 30 days after Standard-IA", input: input({ monthly: { keepDays: 400, standardIaAfterDays: 30, glacierAfterDays: 40 } }), message: /^tiers\.monthly\.glacierAfterDays: 40 is too early; it must be at least 60/ },
            { name: "Deep Archive less than 90 days after Glacier", input: input({ monthly: { keepDays: 400, glacierAfterDays: 90, deepArchiveAfterDays: 100 } }), message: /^tiers\.monthly\.deepArchiveAfterDays: 100 is too early; it must be at least 180/ },
            { name: "Deep Archive less than 30 days after Standard-IA", input: input({ monthly: { keepDays: 400, standardIaAfterDays: 30, deepArchiveAfterDays: 45 } }), message: /^tiers\.monthly\.deepArchiveAfterDays: 45 is too early; it must be at least 60/ },
            { name: "expiry not after the last transition", input: input({ weekly: { keepDays: 30, standardIaAfterDays: 30 } }), message: /^tiers\.weekly\.keepDays: 30 must be greater than standardIaAfterDays \(30\)/ },
            { name: "zero days", input: input({ daily: { keepDays: 0 } }), message: /^tiers\.daily\.keepDays: 0 is not allowed; give a positive whole number/ },
            { name: "fractional days", input: input({ daily: { keepDays: 7, glacierAfterDays: 1.5 } }), message: /^tiers\.daily\.glacierAfterDays: 1\.5 is not allowed/ },
            { name: "no tier", input: input({}), message: /^tiers: \{\} names no tier; give at least one of daily, weekly, monthly/ },
            { name: "noncurrent expiry zero", input: input({ daily: { keepDays: 7 } }, { noncurrentVersionExpireDays: 0 }), message: /^noncurrentVersionExpireDays: 0 is not allowed/ },
            { name: "abort after -1 days", input: input({ daily: { keepDays: 7 } }, { abortIncompleteUploadDays: -1 }), message: /^abortIncompleteUploadDays: -1 is not allowed/ },
            { name: "prefix with a trailing slash", input: input({ daily: { keepDays: 7 } }, { prefix: "backups/" }), message: /^prefix: "backups\/" is not allowed/ },
            { name: "export prefix inside the dump prefix", input: input({ daily: { keepDays: 7 } }, { exports: { prefix: "backups/exports", expireDays: 7 } }), message: /^exports\.prefix: "backups\/exports" overlaps prefix "backups"/ },
        ];
        for (const c of cases) {
            it(c.name, () => {
                // given the input / when it is checked
                const problems = lifecycleProblems(c.input);
                // then exactly the expected problem is reported, and the builder refuses it
                assert.strictEqual(problems.length, 1, problems.join("\n"));
                assert.match(problems[0] ?? "", c.message);
                assert.throws(() => lifecycleRules(c.input), (e: unknown) => e instanceof LifecycleInputError && c.message.test(e.problems[0] ?? ""));
            });
        }

        it("reports every problem at once", () => {
            // given two broken tiers
            const bad = input({ daily: { keepDays: 0 }, weekly: { keepDays: 90, standardIaAfterDays: 10 } });
            // when the rules are built / then both problems are in the error
            assert.throws(() => lifecycleRules(bad), (e: unknown) =>
                e instanceof LifecycleInputError && e.problems.length === 2 && /tiers\.daily\.keepDays/.test(e.message) && /tiers\.weekly\.standardIaAfterDays/.test(e.message));
        });
    });

    describe("properties", () => {
        const tierSets = fc.record({ daily: validTier, weekly: validTier, monthly: validTier }, { requiredKeys: [] })
            .filter((t) => Object.keys(t).length > 0);

        it("transitions are strictly increasing in day and storage class", () => {
            fc.assert(fc.property(tierSets, (tiers) => {
                // given any valid tiers / when the rules are built
                const rules = lifecycleRules(input(tiers));
                // then within each tier rule days and classes only go forward
                return rules.every((r) => (r.transitions ?? []).every((t, i, all) => {
                    const prev = all[i - 1];
                    return prev === undefined || (t.days > prev.days && CLASS_ORDER.indexOf(t.storageClass) > CLASS_ORDER.indexOf(prev.storageClass));
                }));
            }));
        });

        it("expiry comes after the last transition and equals keepDays", () => {
            fc.assert(fc.property(tierSets, (tiers) => {
                // given any valid tiers / when the rules are built
                const rules = lifecycleRules(input(tiers));
                // then every tier's expiry is its keepDays, later than its last transition
                return TIER_NAMES.every((name) => {
                    const tier = tiers[name];
                    const rule = rules.find((r) => r.id === `tier-${name}`);
                    if (tier === undefined) return rule === undefined;
                    const last = rule?.transitions?.[rule.transitions.length - 1];
                    return rule?.expiration?.days === tier.keepDays && (last === undefined || tier.keepDays > last.days);
                });
            }));
        });

        it("output is deterministic: same JSON for the same tiers given in any key order", () => {
            fc.assert(fc.property(tierSets, (tiers) => {
                // given the tiers and a copy with keys in reverse order
                const reversed = Object.fromEntries(Object.entries(tiers).reverse().map(([k, v]) => [k, Object.fromEntries(Object.entries(v).reverse())]));
                // when both are built / then the JSON is identical
                return JSON.stringify(lifecycleRules(input(tiers))) === JSON.stringify(lifecycleRules(input(reversed)));
            }));
        });

        it("a keepDays not after the last transition is always refused with its path", () => {
            fc.assert(fc.property(validTier.filter((t) => t.standardIaAfterDays !== undefined || t.glacierAfterDays !== undefined || t.deepArchiveAfterDays !== undefined), fc.nat(30), (tier, back) => {
                // given a valid tier whose expiry is moved to or before its last transition
                const last = Math.max(tier.standardIaAfterDays ?? 0, tier.glacierAfterDays ?? 0, tier.deepArchiveAfterDays ?? 0);
                const keepDays = Math.max(1, last - back);
                // when it is checked / then the keepDays problem is reported
                return lifecycleProblems(input({ monthly: { ...tier, keepDays } })).some((p) => p.startsWith(`tiers.monthly.keepDays: ${keepDays} must be greater than`));
            }));
        });
    });
});
