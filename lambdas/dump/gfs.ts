/**
 * Grandfather-father-son tiers: which run becomes a weekly or monthly backup.
 *
 * The rule, in UTC:
 * - a run on the configured day of the month is a candidate for `monthly`;
 * - otherwise a run on the configured weekday is a candidate for `weekly`;
 * - a candidate is promoted only if it is a scheduled run (on-demand runs, e.g. before a
 *   deployment, are always `daily`) and no backup of that UTC day has been promoted yet, i.e.
 *   no manifest exists under the day's weekly/ or monthly/ prefix. So the first successful
 *   scheduled run of the day is promoted, and a failed run does not use up the promotion;
 * - everything else is `daily`.
 * When the monthly day falls on the weekly weekday, that day's backup is monthly (it outlives a
 * weekly one); that week has no separate weekly backup.
 */
import type { TierName } from "../shared/tiers";

export const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface GfsPolicy {
    /** UTC weekday whose first scheduled backup is kept as weekly. @default "sunday" */
    readonly weeklyOn: Weekday;
    /** UTC day of the month (1..28, so every month has it) whose first scheduled backup is kept as monthly. @default 1 */
    readonly monthlyOnDay: number;
}

export const DEFAULT_GFS_POLICY: GfsPolicy = { weeklyOn: "sunday", monthlyOnDay: 1 };

export class GfsPolicyError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "GfsPolicyError";
    }
}

export function validateGfsPolicy(policy: GfsPolicy): void {
    if (!WEEKDAYS.includes(policy.weeklyOn)) {
        throw new GfsPolicyError(`weeklyOn: "${String(policy.weeklyOn)}" is not allowed; expected one of ${WEEKDAYS.join(", ")}`);
    }
    if (!Number.isInteger(policy.monthlyOnDay) || policy.monthlyOnDay < 1 || policy.monthlyOnDay > 28) {
        throw new GfsPolicyError(`monthlyOnDay: ${policy.monthlyOnDay} is out of range 1..28`);
    }
}

/** The tier a backup taken at `at` may be promoted to, before looking at the trigger or at what exists. */
export function candidateTier(policy: GfsPolicy, at: Date): TierName {
    if (at.getUTCDate() === policy.monthlyOnDay) {
        return "monthly";
    }
    if (WEEKDAYS[at.getUTCDay()] === policy.weeklyOn) {
        return "weekly";
    }
    return "daily";
}

export interface TierInput {
    readonly at: Date;
    readonly trigger: "schedule" | "on-demand";
    /** Whether a backup of the same UTC day already sits in the weekly or monthly tier. */
    readonly promotedToday: boolean;
}

/** The one place that decides a run's tier. */
export function gfsTier(policy: GfsPolicy, input: TierInput): TierName {
    const candidate = candidateTier(policy, input.at);
    if (candidate === "daily" || input.trigger === "on-demand" || input.promotedToday) {
        return "daily";
    }
    return candidate;
}
