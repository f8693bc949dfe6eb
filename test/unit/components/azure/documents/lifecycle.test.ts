import { strict as assert } from "node:assert";
import fc from "fast-check";
import {
    ARCHIVE_UNSUPPORTED_REDUNDANCIES,
    BlobTiers,
    STORAGE_REDUNDANCIES,
    TIER_ORDER,
    lifecycleProblems,
    managementPolicy,
    redundancyProblems,
} from "../../../../../components/azure/documents/lifecycle";

const errors = (tiers: BlobTiers) => lifecycleProblems(tiers).filter((p) => p.severity === "error");
const warnings = (tiers: BlobTiers) => lifecycleProblems(tiers).filter((p) => p.severity === "warning");

/** Optional tier days, in any order, from 1..400; delete always present. */
const anyTiers = fc.record({
    coolAfterDays: fc.option(fc.integer({ min: 1, max: 400 }), { nil: undefined }),
    coldAfterDays: fc.option(fc.integer({ min: 1, max: 400 }), { nil: undefined }),
    archiveAfterDays: fc.option(fc.integer({ min: 1, max: 400 }), { nil: undefined }),
    deleteAfterDays: fc.integer({ min: 1, max: 400 }),
});

function strictlyIncreasing(tiers: BlobTiers): boolean {
    const days = TIER_ORDER.map((k) => tiers[k]).filter((d): d is number => d !== undefined);
    return days.every((d, i) => i === 0 || d > (days[i - 1] ?? 0));
}

describe("Azure blob lifecycle: ordering checks", () => {
    const table: { tiers: BlobTiers; errorKeys: string[] }[] = [
        { tiers: { deleteAfterDays: 30 }, errorKeys: [] },
        { tiers: { coolAfterDays: 30, coldAfterDays: 90, archiveAfterDays: 180, deleteAfterDays: 365 }, errorKeys: [] },
        { tiers: { coolAfterDays: 30, deleteAfterDays: 30 }, errorKeys: ["deleteAfterDays"] },
        { tiers: { coolAfterDays: 100, coldAfterDays: 60, deleteAfterDays: 365 }, errorKeys: ["coldAfterDays"] },
        { tiers: { coldAfterDays: 200, archiveAfterDays: 200, deleteAfterDays: 400 }, errorKeys: ["archiveAfterDays"] },
        { tiers: { archiveAfterDays: 400, deleteAfterDays: 365 }, errorKeys: ["deleteAfterDays"] },
        { tiers: { coolAfterDays: 0, deleteAfterDays: 30 }, errorKeys: ["coolAfterDays"] },
        { tiers: { deleteAfterDays: 2.5 }, errorKeys: ["deleteAfterDays"] },
    ];
    for (const { tiers, errorKeys } of table) {
        it(`${JSON.stringify(tiers)} -> errors on [${errorKeys.join(", ")}]`, () => {
            // given the tiers of the row; when they are checked
            const found = errors(tiers).map((p) => p.key);
            // then exactly the expected keys are errors
            assert.deepEqual(found, errorKeys);
        });
    }

    it("says why a mis-ordered tier is an error: Azure applies only the cheapest due action", () => {
        // given Cold before Cool
        const tiers: BlobTiers = { coolAfterDays: 100, coldAfterDays: 60, deleteAfterDays: 365 };
        // when checked
        const [problem] = errors(tiers);
        // then the message names the earlier key, its value, and the skipped tier
        assert.ok(problem);
        assert.match(problem.message, /later than coolAfterDays \(100\)/);
        assert.match(problem.message, /cheapest/);
        assert.match(problem.message, /Cool would be skipped/);
    });

    it("property: strictly increasing tiers have no errors, any other order has at least one", () => {
        fc.assert(fc.property(anyTiers, (tiers) => {
            // given any tiers; when checked; then errors appear exactly when the order is broken
            assert.equal(errors(tiers).length === 0, strictlyIncreasing(tiers));
        }));
    });
});

describe("Azure blob lifecycle: early-deletion warnings", () => {
    const table: { tiers: BlobTiers; warned: string[] }[] = [
        { tiers: { coolAfterDays: 30, coldAfterDays: 60, archiveAfterDays: 150, deleteAfterDays: 330 }, warned: [] },
        { tiers: { coolAfterDays: 30, coldAfterDays: 59, deleteAfterDays: 365 }, warned: ["coldAfterDays"] },
        { tiers: { coldAfterDays: 30, deleteAfterDays: 119 }, warned: ["deleteAfterDays"] },
        { tiers: { archiveAfterDays: 30, deleteAfterDays: 209 }, warned: ["deleteAfterDays"] },
        { tiers: { archiveAfterDays: 30, deleteAfterDays: 210 }, warned: [] },
        { tiers: { coolAfterDays: 7, deleteAfterDays: 30 }, warned: ["deleteAfterDays"] },
    ];
    for (const { tiers, warned } of table) {
        it(`${JSON.stringify(tiers)} -> warnings on [${warned.join(", ")}]`, () => {
            // given the row's tiers; when checked; then only the expected keys are warned about, none is an error
            assert.deepEqual(warnings(tiers).map((p) => p.key), warned);
            assert.deepEqual(errors(tiers), []);
        });
    }

    it("the warning says how long blobs stay and the cheapest compliant day", () => {
        // given Cool at 30 and Cold at 40
        const [w] = warnings({ coolAfterDays: 30, coldAfterDays: 40, deleteAfterDays: 400 });
        // when/then the message gives the 10 days spent, Cool's 30-day minimum, and 60 as the break-even day
        assert.ok(w);
        assert.equal(w.value, 40);
        assert.match(w.message, /after 10 days; Cool bills at least 30 days/);
        assert.match(w.message, /so 60 or more/);
    });
});

describe("Azure blob lifecycle: redundancy", () => {
    it("refuses Archive on every zone-redundant SKU and allows it on the others", () => {
        for (const sku of STORAGE_REDUNDANCIES) {
            // given archive at 200 days on each SKU; when checked
            const found = redundancyProblems(sku, { archiveAfterDays: 200, deleteAfterDays: 400 });
            // then only ZRS / GZRS / RA-GZRS are refused, naming the SKU
            const refused = ARCHIVE_UNSUPPORTED_REDUNDANCIES.includes(sku);
            assert.equal(found.length, refused ? 1 : 0, sku);
            if (refused) assert.match(found[0]?.message ?? "", new RegExp(sku));
        }
    });

    it("has nothing to say when no Archive tier is configured", () => {
        // given a ZRS account without archive; when/then no problem
        assert.deepEqual(redundancyProblems("Standard_ZRS", { coolAfterDays: 30, deleteAfterDays: 90 }), []);
    });
});

describe("Azure blob lifecycle: management policy document", () => {
    it("tiers base blobs by modification age and versions by creation age, on the same days", () => {
        // given a full Cool -> Cold -> Archive -> delete schedule
        const tiers = { coolAfterDays: 30, coldAfterDays: 90, archiveAfterDays: 180, deleteAfterDays: 2555 };
        // when the policy is built for the two containers
        const policy = managementPolicy(tiers, ["exports", "backups"]);
        // then one rule covers both containers (sorted) and both action sets carry the days
        assert.deepEqual(policy, {
            rules: [{
                name: "backup-retention",
                enabled: true,
                type: "Lifecycle",
                definition: {
                    filters: { blobTypes: ["blockBlob"], prefixMatch: ["backups/", "exports/"] },
                    actions: {
                        baseBlob: {
                            tierToCool: { daysAfterModificationGreaterThan: 30 },
                            tierToCold: { daysAfterModificationGreaterThan: 90 },
                            tierToArchive: { daysAfterModificationGreaterThan: 180 },
                            delete: { daysAfterModificationGreaterThan: 2555 },
                        },
                        version: {
                            tierToCool: { daysAfterCreationGreaterThan: 30 },
                            tierToCold: { daysAfterCreationGreaterThan: 90 },
                            tierToArchive: { daysAfterCreationGreaterThan: 180 },
                            delete: { daysAfterCreationGreaterThan: 2555 },
                        },
                    },
                },
            }],
        });
    });

    it("leaves out the tiers that are not configured", () => {
        // given delete only; when built
        const actions = managementPolicy({ deleteAfterDays: 30 }, ["backups"]).rules[0]?.definition.actions;
        // then there is no tiering action at all
        assert.deepEqual(actions, {
            baseBlob: { delete: { daysAfterModificationGreaterThan: 30 } },
            version: { delete: { daysAfterCreationGreaterThan: 30 } },
        });
    });

    it("refuses to build a policy Azure would apply differently from what it says", () => {
        // given deletion before Archive; when/then the builder throws naming the key and value
        assert.throws(() => managementPolicy({ archiveAfterDays: 200, deleteAfterDays: 100 }, ["backups"]),
            /deleteAfterDays: 100 must be later than archiveAfterDays \(200\)/);
        assert.throws(() => managementPolicy({ deleteAfterDays: 30 }, []), /containers: \[\] must name at least one container/);
    });

    it("property: deterministic JSON, and every action of a valid schedule keeps its configured day", () => {
        fc.assert(fc.property(
            anyTiers.filter(strictlyIncreasing),
            fc.uniqueArray(fc.constantFrom("backups", "exports", "files", "media"), { minLength: 1, maxLength: 4 }),
            (tiers, containers) => {
                // given a valid schedule and containers in any order; when built twice, once reversed
                const a = managementPolicy(tiers, containers);
                const b = managementPolicy(tiers, [...containers].reverse());
                // then the documents are identical and carry the days
                assert.equal(JSON.stringify(a), JSON.stringify(b));
                const base = a.rules[0]?.definition.actions.baseBlob;
                assert.equal(base?.delete.daysAfterModificationGreaterThan, tiers.deleteAfterDays);
                assert.equal(base?.tierToCool?.daysAfterModificationGreaterThan, tiers.coolAfterDays);
                assert.equal(base?.tierToCold?.daysAfterModificationGreaterThan, tiers.coldAfterDays);
                assert.equal(base?.tierToArchive?.daysAfterModificationGreaterThan, tiers.archiveAfterDays);
            },
        ));
    });
});
