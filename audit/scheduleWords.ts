import { ScheduleError, formatMinutes, longestGapMinutes, parseSchedule, type CronSchedule, type Schedule } from "../config/schedule";

/**
 * EventBridge Scheduler and AWS Backup expressions in words, for readers who do not read cron:
 * `cron(0 3 * * ? *)` -> "every day at 03:00 UTC", `cron(5 * * * ? *)` -> "every hour at :05",
 * `rate(15 minutes)` -> "every 15 minutes". Patterns without a plain reading (last weekday,
 * nth weekday, several months) keep the expression itself.
 */
export function scheduleInWords(expression: string): string {
    let schedule: Schedule;
    try {
        schedule = parseSchedule(expression);
    } catch (err) {
        if (err instanceof ScheduleError) return expression;
        throw err;
    }
    return words(schedule) ?? expression;
}

/** "every day at 03:00 UTC, at most 1 d apart": the words and the longest gap between two runs. */
export function cadence(expression: string): string {
    const gap = cadenceMinutes(expression);
    return gap === undefined ? expression : `${scheduleInWords(expression)}, at most ${formatMinutes(gap)} apart`;
}

/** The longest gap between two runs, or undefined for an expression that does not parse. */
export function cadenceMinutes(expression: string): number | undefined {
    try {
        return longestGapMinutes(parseSchedule(expression));
    } catch (err) {
        if (err instanceof ScheduleError) return undefined;
        throw err;
    }
}

const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

function words(s: Schedule): string | undefined {
    if (s.kind === "at") return `once, at ${s.at.toISOString().slice(0, 16).replace("T", " ")} UTC`;
    if (s.kind === "rate") return rateWords(s.minutes);
    return cronWords(s.cron);
}

function rateWords(minutes: number): string {
    if (minutes % 1440 === 0) return minutes === 1440 ? "every day" : `every ${minutes / 1440} days`;
    if (minutes % 60 === 0) return minutes === 60 ? "every hour" : `every ${minutes / 60} hours`;
    return minutes === 1 ? "every minute" : `every ${minutes} minutes`;
}

function cronWords(c: CronSchedule): string | undefined {
    if (c.months.size !== 12 || c.years !== "any") return undefined;
    const minutes = [...c.minutes].sort((a, b) => a - b);
    const hours = [...c.hours].sort((a, b) => a - b);
    const time = timeOfDay(hours, minutes);
    if (time === undefined) return undefined;
    const dom = c.dayOfMonth;
    const dow = c.dayOfWeek;
    const everyDayOfMonth = dom.kind === "any" || (dom.days.size === 31 && !dom.last && !dom.lastWeekday && dom.nearestWeekday === undefined);
    if (everyDayOfMonth && dow.kind === "any") return hours.length === 24 ? time : `every day ${time}`;
    if (everyDayOfMonth && dow.kind === "days" && dow.lastOf === undefined && dow.nth === undefined) {
        const days = [...dow.days].sort((a, b) => a - b).map((d) => DAY_NAMES[d - 1] ?? String(d));
        return `every ${days.join(", ")} ${time}`;
    }
    if (dow.kind === "any" && dom.kind === "days" && !dom.last && !dom.lastWeekday && dom.nearestWeekday === undefined) {
        const days = [...dom.days].sort((a, b) => a - b);
        return `on day ${days.join(", ")} of every month ${time}`;
    }
    return undefined;
}

/** "at 03:00 UTC", "at 03:00 and 15:00 UTC", "every hour at :05", "every 15 minutes". */
function timeOfDay(hours: readonly number[], minutes: readonly number[]): string | undefined {
    if (hours.length === 24) {
        if (minutes.length === 1) return `every hour at :${pad(minutes[0] ?? 0)}`;
        const step = evenStep(minutes, 60);
        return step === undefined ? undefined : `every ${step} minutes`;
    }
    if (hours.length * minutes.length > 6) return undefined;
    const times = hours.flatMap((h) => minutes.map((m) => `${pad(h)}:${pad(m)}`));
    const listed = times.length === 1 ? times[0] : `${times.slice(0, -1).join(", ")} and ${times[times.length - 1]}`;
    return `at ${listed} UTC`;
}

/** The step of values spread evenly over a cycle (0, 15, 30, 45 over 60 -> 15), else undefined. */
function evenStep(values: readonly number[], cycle: number): number | undefined {
    const first = values[0];
    const second = values[1];
    if (first === undefined || second === undefined) return undefined;
    const step = second - first;
    if (cycle % step !== 0 || values.length !== cycle / step) return undefined;
    return values.every((v, i) => v === first + i * step) ? step : undefined;
}

function pad(n: number): string {
    return String(n).padStart(2, "0");
}
