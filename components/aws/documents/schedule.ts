/**
 * EventBridge Scheduler expressions: `rate(value unit)`, `cron(min hour dom month dow year)`
 * and `at(yyyy-mm-ddThh:mm:ss)`, parsed so that validation can tell how often a schedule
 * fires, and compare that with the recovery point objective.
 */
export type Schedule =
    | { readonly kind: "rate"; readonly minutes: number }
    | { readonly kind: "cron"; readonly cron: CronSchedule }
    | { readonly kind: "at"; readonly at: Date };

export interface CronSchedule {
    readonly minutes: ReadonlySet<number>;
    readonly hours: ReadonlySet<number>;
    readonly months: ReadonlySet<number>;
    readonly years: ReadonlySet<number> | "any";
    readonly dayOfMonth: DayOfMonth;
    readonly dayOfWeek: DayOfWeek;
}

type DayOfMonth = { readonly kind: "any" } | { readonly kind: "days"; readonly days: ReadonlySet<number>; readonly last: boolean; readonly nearestWeekday?: number; readonly lastWeekday: boolean };
type DayOfWeek = { readonly kind: "any" } | { readonly kind: "days"; readonly days: ReadonlySet<number>; readonly lastOf?: number; readonly nth?: { readonly day: number; readonly n: number } };

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
/** EventBridge numbers days of week 1 (SUN) .. 7 (SAT). */
const WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

export class ScheduleError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ScheduleError";
    }
}

/** Parses an expression, or throws ScheduleError saying what is wrong and what is allowed. */
export function parseSchedule(expression: string): Schedule {
    const text = expression.trim();
    const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(text);
    if (rate !== null) return parseRate(Number(rate[1]), rate[2] ?? "");
    const cron = /^cron\((.*)\)$/.exec(text);
    if (cron !== null) return { kind: "cron", cron: parseCron(cron[1] ?? "") };
    const at = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(text);
    if (at !== null) {
        const date = new Date(`${at[1]}-${at[2]}-${at[3]}T${at[4]}:${at[5]}:${at[6]}Z`);
        if (Number.isNaN(date.getTime())) throw new ScheduleError("at(...) holds no valid date-time");
        return { kind: "at", at: date };
    }
    throw new ScheduleError(
        "is not an EventBridge Scheduler expression; use rate(<n> minutes|hours|days), cron(<min> <hour> <day-of-month> <month> <day-of-week> <year>) or at(yyyy-mm-ddThh:mm:ss)",
    );
}

function parseRate(value: number, unit: string): Schedule {
    if (value < 1) throw new ScheduleError("rate(...) needs a value of at least 1");
    const singular = !unit.endsWith("s");
    if (value === 1 && !singular) throw new ScheduleError(`rate(1 ${unit}) must use the singular unit: rate(1 ${unit.slice(0, -1)})`);
    if (value > 1 && singular) throw new ScheduleError(`rate(${value} ${unit}) must use the plural unit: rate(${value} ${unit}s)`);
    const perUnit = unit.startsWith("minute") ? 1 : unit.startsWith("hour") ? 60 : 1440;
    return { kind: "rate", minutes: value * perUnit };
}

function parseCron(body: string): CronSchedule {
    const fields = body.trim().split(/\s+/);
    if (fields.length !== 6) {
        throw new ScheduleError(`cron(...) has ${fields.length} fields; EventBridge needs 6: minutes hours day-of-month month day-of-week year`);
    }
    const [min, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
    if ((dom === "?") === (dow === "?")) {
        throw new ScheduleError("cron(...) needs exactly one of day-of-month and day-of-week to be '?'");
    }
    return {
        minutes: parseField(min, 0, 59, "minutes"),
        hours: parseField(hour, 0, 23, "hours"),
        months: parseField(month, 1, 12, "month", MONTHS, 1),
        years: year === "*" ? "any" : parseField(year, 1970, 2199, "year"),
        dayOfMonth: dom === "?" ? { kind: "any" } : parseDayOfMonth(dom),
        dayOfWeek: dow === "?" ? { kind: "any" } : parseDayOfWeek(dow),
    };
}

function parseDayOfMonth(field: string): DayOfMonth {
    if (field === "L") return { kind: "days", days: new Set(), last: true, lastWeekday: false };
    if (field === "LW") return { kind: "days", days: new Set(), last: false, lastWeekday: true };
    const w = /^(\d{1,2})W$/.exec(field);
    if (w !== null) {
        const day = Number(w[1]);
        if (day < 1 || day > 31) throw new ScheduleError(`day-of-month ${field}: ${day} is out of range 1..31`);
        return { kind: "days", days: new Set(), last: false, nearestWeekday: day, lastWeekday: false };
    }
    return { kind: "days", days: parseField(field, 1, 31, "day-of-month"), last: false, lastWeekday: false };
}

function parseDayOfWeek(field: string): DayOfWeek {
    const nth = /^([A-Z]{3}|\d)#([1-5])$/.exec(field);
    if (nth !== null) return { kind: "days", days: new Set(), nth: { day: weekdayNumber(nth[1] ?? ""), n: Number(nth[2]) } };
    const last = /^([A-Z]{3}|\d)L$/.exec(field);
    if (last !== null) return { kind: "days", days: new Set(), lastOf: weekdayNumber(last[1] ?? "") };
    if (field === "L") return { kind: "days", days: new Set([7]) };
    return { kind: "days", days: parseField(field, 1, 7, "day-of-week", WEEKDAYS, 1) };
}

function weekdayNumber(token: string): number {
    const named = WEEKDAYS.indexOf(token);
    const n = named >= 0 ? named + 1 : Number(token);
    if (!Number.isInteger(n) || n < 1 || n > 7) throw new ScheduleError(`day-of-week ${token} is not 1..7 or SUN..SAT`);
    return n;
}

function parseField(field: string, lo: number, hi: number, what: string, names?: readonly string[], nameBase = 0): Set<number> {
    const values = new Set<number>();
    const value = (token: string): number => {
        const named = names?.indexOf(token.toUpperCase()) ?? -1;
        const n = named >= 0 ? named + nameBase : Number(token);
        if (!/^\d+$/.test(token) && named < 0) throw new ScheduleError(`${what} "${token}" is not a number${names ? ` or one of ${names.join(",")}` : ""}`);
        if (n < lo || n > hi) throw new ScheduleError(`${what} ${token} is out of range ${lo}..${hi}`);
        return n;
    };
    for (const part of field.split(",")) {
        const [range, stepText] = part.split("/") as [string, string | undefined];
        const step = stepText === undefined ? 1 : Number(stepText);
        if (!Number.isInteger(step) || step < 1) throw new ScheduleError(`${what} step "${stepText ?? ""}" must be a positive whole number`);
        let from: number;
        let to: number;
        if (range === "*") {
            from = lo;
            to = hi;
        } else if (range.includes("-")) {
            const [a, b] = range.split("-") as [string, string];
            from = value(a);
            to = value(b);
            if (to < from) throw new ScheduleError(`${what} range ${range} runs backwards`);
        } else {
            from = value(range);
            to = stepText === undefined ? from : hi;
        }
        for (let v = from; v <= to; v += step) values.add(v);
    }
    return values;
}

/** Whether a cron schedule fires on this UTC day (hours/minutes aside). */
function firesOnDay(c: CronSchedule, date: Date): boolean {
    const year = date.getUTCFullYear();
    const month = date.getUTCMonth() + 1;
    const day = date.getUTCDate();
    if (c.years !== "any" && !c.years.has(year)) return false;
    if (!c.months.has(month)) return false;
    const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
    const weekday = date.getUTCDay() + 1;
    const dom = c.dayOfMonth;
    if (dom.kind === "days") {
        if (dom.last) return day === daysInMonth;
        if (dom.lastWeekday) return day === lastWeekdayOfMonth(year, month, daysInMonth);
        if (dom.nearestWeekday !== undefined) return day === nearestWeekday(year, month, Math.min(dom.nearestWeekday, daysInMonth), daysInMonth);
        return dom.days.has(day);
    }
    const dow = c.dayOfWeek;
    if (dow.kind === "any") return true;
    if (dow.nth !== undefined) return weekday === dow.nth.day && Math.ceil(day / 7) === dow.nth.n;
    if (dow.lastOf !== undefined) return weekday === dow.lastOf && day + 7 > daysInMonth;
    return dow.days.has(weekday);
}

function lastWeekdayOfMonth(year: number, month: number, daysInMonth: number): number {
    for (let d = daysInMonth; ; d--) {
        const wd = new Date(Date.UTC(year, month - 1, d)).getUTCDay();
        if (wd !== 0 && wd !== 6) return d;
    }
}

function nearestWeekday(year: number, month: number, day: number, daysInMonth: number): number {
    const wd = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
    if (wd === 6) return day === 1 ? 3 : day - 1;
    if (wd === 0) return day === daysInMonth ? day - 2 : day + 1;
    return day;
}

/** Firing times of a schedule in [from, from + days), in order. */
export function firings(schedule: Schedule, from: Date, days: number): Date[] {
    const end = from.getTime() + days * 86_400_000;
    if (schedule.kind === "at") {
        return schedule.at.getTime() >= from.getTime() && schedule.at.getTime() < end ? [schedule.at] : [];
    }
    const out: Date[] = [];
    if (schedule.kind === "rate") {
        for (let t = from.getTime(); t < end; t += schedule.minutes * 60_000) out.push(new Date(t));
        return out;
    }
    const c = schedule.cron;
    const hours = [...c.hours].sort((a, b) => a - b);
    const minutes = [...c.minutes].sort((a, b) => a - b);
    const firstDay = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate());
    for (let dayStart = firstDay; dayStart < end; dayStart += 86_400_000) {
        if (!firesOnDay(c, new Date(dayStart))) continue;
        for (const h of hours) {
            for (const m of minutes) {
                const t = dayStart + (h * 60 + m) * 60_000;
                if (t >= from.getTime() && t < end) out.push(new Date(t));
            }
        }
    }
    return out;
}

/**
 * The longest gap, in minutes, between two consecutive firings over a year and a bit
 * (so that monthly and leap-day patterns show), or Infinity if it fires fewer than twice.
 */
export function longestGapMinutes(schedule: Schedule, from = new Date(Date.UTC(2027, 0, 1))): number {
    if (schedule.kind === "rate") return schedule.minutes;
    const times = firings(schedule, from, 400);
    if (times.length < 2) return Number.POSITIVE_INFINITY;
    let longest = 0;
    for (let i = 1; i < times.length; i++) {
        longest = Math.max(longest, ((times[i]?.getTime() ?? 0) - (times[i - 1]?.getTime() ?? 0)) / 60_000);
    }
    return longest;
}

/** `90` -> `1 h 30 min`, for messages. */
export function formatMinutes(minutes: number): string {
    if (!Number.isFinite(minutes)) return "never again";
    const d = Math.floor(minutes / 1440);
    const h = Math.floor((minutes % 1440) / 60);
    const m = Math.round(minutes % 60);
    return [d > 0 ? `${d} d` : "", h > 0 ? `${h} h` : "", m > 0 || minutes === 0 ? `${m} min` : ""].filter(Boolean).join(" ");
}
