/**
 * RDS-style time windows, all UTC. A daily window `hh24:mi-hh24:mi` recurs every day; a
 * weekly window `ddd:hh24:mi-ddd:hh24:mi` once a week. Both may wrap (past midnight / Sunday).
 */
export interface DailyWindow {
    /** Minute of the day the window opens, 0..1439. */
    readonly startMinute: number;
    readonly lengthMinutes: number;
}

export interface WeeklyWindow {
    /** Minute of the week the window opens, Monday 00:00 = 0. */
    readonly startMinute: number;
    readonly lengthMinutes: number;
}

const DAY = 24 * 60;
const WEEK = 7 * DAY;
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/** Parses `hh24:mi-hh24:mi`; returns a message saying what is wrong instead when it is not one. */
export function parseDailyWindow(text: string): DailyWindow | string {
    const m = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(text);
    if (m === null) return "is not a window of the form hh24:mi-hh24:mi (UTC), e.g. 03:00-03:30";
    const start = clock(m[1], m[2]);
    const end = clock(m[3], m[4]);
    if (start === undefined || end === undefined) return "has a time outside 00:00..23:59";
    const length = (end - start + DAY) % DAY;
    if (length === 0) return "opens and closes at the same minute";
    return { startMinute: start, lengthMinutes: length };
}

/** Parses `ddd:hh24:mi-ddd:hh24:mi` (ddd = mon..sun). */
export function parseWeeklyWindow(text: string): WeeklyWindow | string {
    const m = /^([a-z]{3}):(\d{2}):(\d{2})-([a-z]{3}):(\d{2}):(\d{2})$/.exec(text.toLowerCase());
    if (m === null) return "is not a window of the form ddd:hh24:mi-ddd:hh24:mi (UTC), e.g. sun:05:00-sun:05:30";
    const startDay = DAYS.indexOf(m[1] ?? "");
    const endDay = DAYS.indexOf(m[4] ?? "");
    if (startDay < 0 || endDay < 0) return `has a day that is not one of ${DAYS.join(", ")}`;
    const startClock = clock(m[2], m[3]);
    const endClock = clock(m[5], m[6]);
    if (startClock === undefined || endClock === undefined) return "has a time outside 00:00..23:59";
    const start = startDay * DAY + startClock;
    const end = endDay * DAY + endClock;
    const length = (end - start + WEEK) % WEEK;
    if (length === 0) return "opens and closes at the same minute";
    return { startMinute: start, lengthMinutes: length };
}

/** True when the daily window is open at any minute the weekly window is open. */
export function dailyOverlapsWeekly(daily: DailyWindow, weekly: WeeklyWindow): boolean {
    for (let day = 0; day < 7; day++) {
        if (intervalsOverlap(day * DAY + daily.startMinute, daily.lengthMinutes, weekly.startMinute, weekly.lengthMinutes, WEEK)) {
            return true;
        }
    }
    return false;
}

/** True when two daily windows share a minute. */
export function dailyWindowsOverlap(a: DailyWindow, b: DailyWindow): boolean {
    return intervalsOverlap(a.startMinute, a.lengthMinutes, b.startMinute, b.lengthMinutes, DAY);
}

/** Overlap of two half-open intervals on a circle of `period` minutes. */
function intervalsOverlap(aStart: number, aLength: number, bStart: number, bLength: number, period: number): boolean {
    const offset = (((bStart - aStart) % period) + period) % period;
    return offset < aLength || offset + bLength > period;
}

export function formatClock(minuteOfDay: number): string {
    const m = ((minuteOfDay % DAY) + DAY) % DAY;
    return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

function clock(hh: string | undefined, mi: string | undefined): number | undefined {
    const h = Number(hh);
    const m = Number(mi);
    if (!Number.isInteger(h) || !Number.isInteger(m) || h > 23 || m > 59) return undefined;
    return h * 60 + m;
}
