import * as assert from "assert";
import { dailyOverlapsWeekly, dailyWindowsOverlap, parseDailyWindow, parseWeeklyWindow } from "../../../../../components/aws/documents/windows";

describe("RDS maintenance and backup windows", () => {
    it("parses a daily window, wrapping past midnight", () => {
        assert.deepStrictEqual(parseDailyWindow("03:00-03:30"), { startMinute: 180, lengthMinutes: 30 });
        assert.deepStrictEqual(parseDailyWindow("23:45-00:30"), { startMinute: 1425, lengthMinutes: 45 });
    });
    it("parses a weekly window, wrapping past Sunday", () => {
        assert.deepStrictEqual(parseWeeklyWindow("mon:00:00-mon:00:30"), { startMinute: 0, lengthMinutes: 30 });
        assert.deepStrictEqual(parseWeeklyWindow("sun:23:30-mon:00:30"), { startMinute: 6 * 1440 + 1410, lengthMinutes: 60 });
    });
    it("refuses malformed windows with what is expected", () => {
        assert.match(String(parseDailyWindow("3:00-3:30")), /hh24:mi-hh24:mi/);
        assert.match(String(parseDailyWindow("03:00-24:10")), /outside 00:00..23:59/);
        assert.match(String(parseDailyWindow("03:00-03:00")), /same minute/);
        assert.match(String(parseWeeklyWindow("sun:05:00-sun:05:30x")), /ddd:hh24:mi-ddd:hh24:mi/);
        assert.match(String(parseWeeklyWindow("sox:05:00-sun:05:30")), /day that is not one of/);
    });
    const overlapCases: [string, string, boolean][] = [
        ["03:00-03:30", "sun:05:00-sun:05:30", false],
        ["05:10-05:40", "sun:05:00-sun:05:30", true],
        ["04:30-05:00", "sun:05:00-sun:05:30", false], // touching ends do not overlap
        ["04:30-05:01", "sun:05:00-sun:05:30", true],
        ["23:50-00:20", "mon:00:00-mon:00:30", true], // daily window wraps into Monday
        ["00:10-00:40", "sun:23:50-mon:00:20", true], // weekly window wraps into Monday
    ];
    for (const [daily, weekly, expected] of overlapCases) {
        it(`${daily} ${expected ? "overlaps" : "does not overlap"} ${weekly}`, () => {
            const d = parseDailyWindow(daily);
            const w = parseWeeklyWindow(weekly);
            assert.ok(typeof d !== "string" && typeof w !== "string");
            assert.strictEqual(dailyOverlapsWeekly(d, w), expected);
        });
    }
    it("two daily windows overlap across midnight", () => {
        const a = parseDailyWindow("23:30-00:30");
        const b = parseDailyWindow("00:00-01:00");
        const c = parseDailyWindow("01:00-02:00");
        assert.ok(typeof a !== "string" && typeof b !== "string" && typeof c !== "string");
        assert.strictEqual(dailyWindowsOverlap(a, b), true);
        assert.strictEqual(dailyWindowsOverlap(a, c), false);
    });
});
