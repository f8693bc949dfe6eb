import * as assert from "assert";
import * as fc from "fast-check";
import { ScheduleError, firings, formatMinutes, longestGapMinutes, parseSchedule } from "../../../../../components/aws/documents/schedule";

describe("EventBridge Scheduler expressions", () => {
    describe("parseSchedule accepts", () => {
        const cases: [string, number][] = [
            ["rate(1 minute)", 1],
            ["rate(15 minutes)", 15],
            ["rate(1 hour)", 60],
            ["rate(6 hours)", 360],
            ["rate(1 day)", 1440],
            ["cron(0/15 * * * ? *)", 15],
            ["cron(5 * * * ? *)", 60],
            ["cron(0 2 * * ? *)", 1440],
            ["cron(0 8,14,20 ? * MON-FRI *)", 60 * 60], // Friday 20:00 -> Monday 08:00
            ["cron(0 2 ? * SUN *)", 7 * 1440],
        ];
        for (const [expression, gap] of cases) {
            it(`${expression}, longest gap ${gap} min`, () => {
                // given / when
                const parsed = parseSchedule(expression);
                // then
                assert.strictEqual(longestGapMinutes(parsed), gap);
            });
        }
        it("monthly cron: the longest gap is the longest month", () => {
            assert.strictEqual(longestGapMinutes(parseSchedule("cron(0 2 1 * ? *)")), 31 * 1440);
        });
        it("L (last day of month) fires on Feb 28 in 2027", () => {
            const times = firings(parseSchedule("cron(0 0 L * ? *)"), new Date(Date.UTC(2027, 1, 1)), 28);
            assert.deepStrictEqual(times.map((t) => t.toISOString()), ["2027-02-28T00:00:00.000Z"]);
        });
        it("MON#1 fires on the first Monday only", () => {
            const times = firings(parseSchedule("cron(0 0 ? * MON#1 *)"), new Date(Date.UTC(2027, 0, 1)), 31);
            assert.deepStrictEqual(times.map((t) => t.toISOString()), ["2027-01-04T00:00:00.000Z"]);
        });
        it("at(...) fires once, so it never repeats", () => {
            const parsed = parseSchedule("at(2027-03-01T10:00:00)");
            assert.strictEqual(longestGapMinutes(parsed), Number.POSITIVE_INFINITY);
        });
    });

    describe("parseSchedule refuses, saying why", () => {
        const cases: [string, RegExp][] = [
            ["every hour", /is not an EventBridge Scheduler expression/],
            ["rate(5 minute)", /plural unit: rate\(5 minutes\)/],
            ["rate(1 hours)", /singular unit: rate\(1 hour\)/],
            ["rate(0 minutes)", /at least 1/],
            ["cron(0 2 * * *)", /has 5 fields; EventBridge needs 6/],
            ["cron(0 2 * * * *)", /exactly one of day-of-month and day-of-week to be '\?'/],
            ["cron(0 2 ? * ? *)", /exactly one of day-of-month and day-of-week/],
            ["cron(60 2 * * ? *)", /minutes 60 is out of range 0..59/],
            ["cron(0 24 * * ? *)", /hours 24 is out of range 0..23/],
            ["cron(0 2 * FOO ? *)", /month "FOO" is not a number/],
            ["cron(0 5-2 * * ? *)", /runs backwards/],
            ["at(2027-13-01T10:00:00)", /no valid date-time/],
        ];
        for (const [expression, message] of cases) {
            it(expression, () => {
                assert.throws(() => parseSchedule(expression), (err: unknown) => err instanceof ScheduleError && message.test(err.message));
            });
        }
    });

    it("property: rate(n minutes) fires every n minutes", () => {
        fc.assert(fc.property(fc.integer({ min: 2, max: 600 }), (n) => {
            const parsed = parseSchedule(`rate(${n} minutes)`);
            const times = firings(parsed, new Date(Date.UTC(2027, 0, 1)), 2);
            return times.every((t, i) => i === 0 || t.getTime() - (times[i - 1]?.getTime() ?? 0) === n * 60_000);
        }));
    });

    it("property: a cron every k minutes past each hour has a gap of at most 60 and at least k", () => {
        fc.assert(fc.property(fc.integer({ min: 1, max: 59 }), (k) => {
            const gap = longestGapMinutes(parseSchedule(`cron(0/${k} * * * ? *)`));
            return gap >= k && gap <= 60;
        }), { numRuns: 20 });
    });

    it("formats minutes for messages", () => {
        assert.strictEqual(formatMinutes(15), "15 min");
        assert.strictEqual(formatMinutes(90), "1 h 30 min");
        assert.strictEqual(formatMinutes(1440), "1 d");
        assert.strictEqual(formatMinutes(Number.POSITIVE_INFINITY), "never again");
    });
});
