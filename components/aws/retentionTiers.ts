import { RetentionTier, RetentionTierSet } from "./documents/lifecycle";

/**
 * Ready-made retention tier sets for `BackupBucket` and `ReplicaBucket`, in the style of
 * aws-cdk's presets: a named factory instead of defaults hidden in the component.
 */
export class RetentionTiers {
    private constructor() {}

    /**
     * Grandfather-father-son: dailies for 35 days in Standard; weeklies for 91 days (13 weeks),
     * in Standard-IA from day 30; monthlies for 365 days, in Standard-IA from day 30 and in
     * Glacier Flexible Retrieval from day 90. Every step respects the classes' minimum stays.
     */
    static gfs(): RetentionTierSet {
        return {
            daily: { keepDays: 35 },
            weekly: { keepDays: 91, standardIaAfterDays: 30 },
            monthly: { keepDays: 365, standardIaAfterDays: 30, glacierAfterDays: 90 },
        };
    }

    /**
     * One tier only: every dump is tagged `daily` and kept `keepDays` days, with the optional
     * transitions given.
     */
    static dailyOnly(keepDays: number, transitions: Omit<RetentionTier, "keepDays"> = {}): RetentionTierSet {
        if (!Number.isInteger(keepDays) || keepDays < 1) {
            throw new RangeError(`RetentionTiers.dailyOnly: keepDays ${keepDays} is not allowed; give a positive whole number of days`);
        }
        return { daily: { ...transitions, keepDays } };
    }
}
