import { strict as assert } from "node:assert";
import fc from "fast-check";
import { dumpRetention, dumpSettings } from "../../../../lambdas/dump/settings";

const DAY_MS = 86_400_000;

describe("per-object lock of a dump", () => {
    const lock = { mode: "COMPLIANCE" as const, keepDays: { daily: 14, weekly: 60, monthly: 400 } };

    it("lasts each tier's keep days from the dump's start (property), and is absent without a lock", () => {
        fc.assert(fc.property(fc.date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2099-01-01T00:00:00Z"), noInvalidDate: true }), fc.constantFrom("daily" as const, "weekly" as const, "monthly" as const), (at, tier) => {
            const r = dumpRetention(lock, tier, at);
            assert.equal(r?.mode, "COMPLIANCE");
            assert.equal(r?.retainUntil.getTime(), at.getTime() + lock.keepDays[tier] * DAY_MS);
        }));
        assert.equal(dumpRetention(undefined, "monthly", new Date()), undefined);
    });

    it("is refused with a mode S3 does not have or days outside 1..36500, naming the field", () => {
        const base = { database: "orders", bucket: "acme-backups", pgDumpPath: "/bin/pg_dump" };
        assert.throws(() => dumpSettings({ ...base, objectLock: { ...lock, keepDays: { ...lock.keepDays, weekly: 0 } } }), /objectLock\.keepDays\.weekly: 0 is out of range 1\.\.36500/);
        assert.throws(() => dumpSettings({ ...base, objectLock: { ...lock, keepDays: { ...lock.keepDays, monthly: 36_501 } } }), /objectLock\.keepDays\.monthly: 36501 is out of range/);
        assert.throws(() => dumpSettings({ ...base, objectLock: { ...lock, mode: "LEGAL" as "COMPLIANCE" } }), /objectLock\.mode: "LEGAL" is not allowed/);
        assert.deepEqual(dumpSettings({ ...base, objectLock: lock }).objectLock, lock);
    });
});
