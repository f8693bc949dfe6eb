import { TIER_NAMES, TIER_TAG_KEY, type TierName } from "../../../lambdas/shared/tiers";

export { TIER_NAMES, TIER_TAG_KEY, type TierName };

/** One retention tier: days after creation at which its objects change class and expire. */
export interface RetentionTier {
    /** Days an object of this tier is kept (current version). */
    readonly keepDays: number;
    /** Day of the move to Standard-IA; none when absent. */
    readonly standardIaAfterDays?: number;
    /** Day of the move to Glacier Flexible Retrieval; none when absent. */
    readonly glacierAfterDays?: number;
    /** Day of the move to Glacier Deep Archive; none when absent. */
    readonly deepArchiveAfterDays?: number;
}

/** The tiers a bucket knows; a tier left out gets no rule (its objects are kept until deleted). */
export type RetentionTierSet = Readonly<Partial<Record<TierName, RetentionTier>>>;

/** Everything the lifecycle configuration of a backup bucket is built from. */
export interface LifecycleInput {
    readonly tiers: RetentionTierSet;
    /** Key prefix of the dumps, without slashes at either end (`backups`). */
    readonly prefix: string;
    /** Days a replaced or deleted object version is kept. */
    readonly noncurrentVersionExpireDays: number;
    /** Days after which an unfinished multipart upload is aborted. */
    readonly abortIncompleteUploadDays: number;
    /** Key prefix of the table exports and how long they are kept; no export rule when absent. */
    readonly exports?: { readonly prefix: string; readonly expireDays: number };
}

export type StorageClass = "STANDARD_IA" | "GLACIER" | "DEEP_ARCHIVE";

/** One S3 lifecycle rule, in the shape of `aws.s3.BucketLifecycleConfiguration` rules. */
export interface LifecycleRule {
    readonly id: string;
    readonly status: "Enabled";
    readonly filter: {
        readonly prefix?: string;
        readonly and?: { readonly prefix: string; readonly tags: Readonly<Record<string, string>> };
    };
    readonly transitions?: readonly { readonly days: number; readonly storageClass: StorageClass }[];
    readonly expiration?: { readonly days?: number; readonly expiredObjectDeleteMarker?: boolean };
    readonly noncurrentVersionExpiration?: { readonly noncurrentDays: number };
    readonly abortIncompleteMultipartUpload?: { readonly daysAfterInitiation: number };
}

interface Step {
    readonly field: "standardIaAfterDays" | "glacierAfterDays" | "deepArchiveAfterDays";
    readonly storageClass: StorageClass;
    readonly label: string;
    /** Days an object must stay in this class before S3 moves it further. */
    readonly stayDays: number;
}

/** The transitions in the only order S3 applies them. */
const STEPS: readonly Step[] = [
    { field: "standardIaAfterDays", storageClass: "STANDARD_IA", label: "Standard-IA", stayDays: 30 },
    { field: "glacierAfterDays", storageClass: "GLACIER", label: "Glacier Flexible Retrieval", stayDays: 90 },
    { field: "deepArchiveAfterDays", storageClass: "DEEP_ARCHIVE", label: "Deep Archive", stayDays: 180 },
];

/** S3 moves objects to Standard-IA no earlier than 30 days after creation. */
export const STANDARD_IA_MIN_DAYS = 30;

/** One problem of a retention tier; `field` names the offending field of {@link RetentionTier}. */
export interface TierProblem {
    readonly field: keyof RetentionTier;
    /** The offending value; undefined when the field is missing. */
    readonly value: number | undefined;
    /** What is wrong and what is allowed, written to follow `<path>: <value> `. */
    readonly message: string;
    /**
     * `error`: S3 would refuse the rule or never apply a transition. `earlyDeletion`: legal, but
     * objects expire before the minimum storage duration of their class and are billed for it.
     */
    readonly kind: "error" | "earlyDeletion";
}

/**
 * The ordering and storage-duration problems of one tier: whole positive days; Standard-IA no
 * earlier than day 30; Glacier at least 30 days after Standard-IA; Deep Archive at least 90 days
 * after Glacier (30 after Standard-IA when there is no Glacier step); expiry after the last
 * transition (errors), and not before the minimum storage duration of the class it sits in
 * (`earlyDeletion`).
 */
export function tierProblems(tier: RetentionTier): TierProblem[] {
    const out: TierProblem[] = [];
    const error = (field: keyof RetentionTier, value: number | undefined, message: string): void => {
        out.push({ field, value, message, kind: "error" });
    };
    if (tier.keepDays === undefined) error("keepDays", undefined, "is required; give a positive whole number of days");
    for (const field of ["keepDays", ...STEPS.map((s) => s.field)] as const) {
        const value = tier[field];
        if (value !== undefined && !(Number.isInteger(value) && value > 0)) error(field, value, "is not allowed; give a positive whole number of days");
    }
    if (out.length > 0) return out;
    if (tier.standardIaAfterDays !== undefined && tier.standardIaAfterDays < STANDARD_IA_MIN_DAYS) {
        error("standardIaAfterDays", tier.standardIaAfterDays,
            `is out of range ${STANDARD_IA_MIN_DAYS}.. (S3 moves objects to Standard-IA at least ${STANDARD_IA_MIN_DAYS} days after creation)`);
    }
    let previous: { step: Step; days: number } | undefined;
    for (const step of STEPS) {
        const days = tier[step.field];
        if (days === undefined) continue;
        if (previous !== undefined) {
            const gap = previous.step.stayDays;
            if (days < previous.days + gap) {
                error(step.field, days,
                    `is too early; it must be at least ${previous.days + gap}: ${gap} days after ${previous.step.field} (${previous.days}), the shortest an object may stay in ${previous.step.label}`);
            }
        }
        previous = { step, days };
    }
    if (previous === undefined) return out;
    if (tier.keepDays <= previous.days) {
        error("keepDays", tier.keepDays,
            `must be greater than ${previous.step.field} (${previous.days}): an object must expire later than the last transition, or the transition never happens`);
    } else if (tier.keepDays < previous.days + previous.step.stayDays) {
        out.push({
            field: "keepDays",
            value: tier.keepDays,
            kind: "earlyDeletion",
            message: `expires ${tier.keepDays - previous.days} days after the move to ${previous.step.label}, which bills at least ${previous.step.stayDays} days: keep until day ${previous.days + previous.step.stayDays} or later, or drop the transition`,
        });
    }
    return out;
}

/** A tier's timeline for summaries: `Standard day 0 -> Standard-IA day 30 -> expire day 365`. */
export function tierTimeline(tier: RetentionTier): string {
    const steps = STEPS.filter((s) => tier[s.field] !== undefined).map((s) => `${s.label} day ${tier[s.field] ?? 0}`);
    return ["Standard day 0", ...steps, `expire day ${tier.keepDays}`].join(" -> ");
}

/**
 * Everything wrong with a lifecycle input, one message per problem, each naming the argument
 * path, the value and what is allowed. Empty when `lifecycleRules` can build the rules. An
 * early deletion is not a problem here: it is legal and only costs (see {@link tierProblems}).
 */
export function lifecycleProblems(input: LifecycleInput): string[] {
    const out: string[] = [];
    const positive = (path: string, value: number | undefined): boolean => {
        if (value === undefined) return true;
        if (Number.isInteger(value) && value > 0) return true;
        out.push(`${path}: ${value} is not allowed; give a positive whole number of days`);
        return false;
    };
    const present = TIER_NAMES.filter((t) => input.tiers?.[t] !== undefined);
    if (present.length === 0) out.push(`tiers: ${JSON.stringify(input.tiers)} names no tier; give at least one of ${TIER_NAMES.join(", ")}`);
    for (const name of present) {
        for (const p of tierProblems(input.tiers[name] as RetentionTier)) {
            if (p.kind === "error") out.push(`tiers.${name}.${p.field}: ${p.value ?? "(missing)"} ${p.message}`);
        }
    }
    positive("noncurrentVersionExpireDays", input.noncurrentVersionExpireDays);
    positive("abortIncompleteUploadDays", input.abortIncompleteUploadDays);
    if (!PREFIX.test(input.prefix)) out.push(`prefix: ${JSON.stringify(input.prefix)} is not allowed; give a key prefix of letters, digits, '/', '_', '-' without slashes at either end`);
    if (input.exports !== undefined) {
        positive("exports.expireDays", input.exports.expireDays);
        if (!PREFIX.test(input.exports.prefix)) out.push(`exports.prefix: ${JSON.stringify(input.exports.prefix)} is not allowed; give a key prefix of letters, digits, '/', '_', '-' without slashes at either end`);
        else if (input.exports.prefix === input.prefix || input.exports.prefix.startsWith(`${input.prefix}/`) || input.prefix.startsWith(`${input.exports.prefix}/`)) {
            out.push(`exports.prefix: ${JSON.stringify(input.exports.prefix)} overlaps prefix ${JSON.stringify(input.prefix)}; the export expiry would cut the dumps' retention`);
        }
    }
    return out;
}

const PREFIX = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/;

/** Thrown by `lifecycleRules` for an input with problems; carries all of them. */
export class LifecycleInputError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(`invalid lifecycle input:\n  - ${problems.join("\n  - ")}`);
        this.name = "LifecycleInputError";
    }
}

/**
 * Lifecycle rules of a backup bucket, in a fixed order:
 * - one rule per tier, selecting objects under `<prefix>/` tagged `tier=<name>`: its transitions
 *   Standard -> Standard-IA -> Glacier Flexible Retrieval -> Deep Archive (those given), then
 *   expiry at `keepDays`;
 * - one rule for the exports prefix, if an export retention is given;
 * - one bucket-wide rule: noncurrent versions expire, expired delete markers are removed and
 *   unfinished multipart uploads are aborted. S3 refuses the latter two in a rule filtered by
 *   tags, so they cannot live in the tier rules.
 */
export function lifecycleRules(input: LifecycleInput): LifecycleRule[] {
    const problems = lifecycleProblems(input);
    if (problems.length > 0) throw new LifecycleInputError(problems);
    const rules: LifecycleRule[] = [];
    for (const name of TIER_NAMES) {
        const tier = input.tiers[name];
        if (tier === undefined) continue;
        const transitions = STEPS.flatMap((step) => {
            const days = tier[step.field];
            return days === undefined ? [] : [{ days, storageClass: step.storageClass }];
        });
        rules.push({
            id: `tier-${name}`,
            status: "Enabled",
            filter: { and: { prefix: `${input.prefix}/`, tags: { [TIER_TAG_KEY]: name } } },
            ...(transitions.length > 0 ? { transitions } : {}),
            expiration: { days: tier.keepDays },
        });
    }
    if (input.exports !== undefined) {
        rules.push({
            id: "exports",
            status: "Enabled",
            filter: { prefix: `${input.exports.prefix}/` },
            expiration: { days: input.exports.expireDays },
        });
    }
    rules.push(housekeepingRule(input.noncurrentVersionExpireDays, input.abortIncompleteUploadDays));
    return rules;
}

/**
 * Filter of a rule that applies to every object: an explicit empty prefix rather than an empty
 * filter, which the provider may send as no filter at all. Amazon S3 API Reference,
 * LifecycleRuleFilter ("Prefix identifying one or more objects to which the rule applies"; the
 * empty prefix matches every key): https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleRuleFilter.html
 */
export const EVERY_OBJECT = { prefix: "" } as const;

/** Bucket-wide clean-up: old versions, orphaned delete markers, unfinished uploads. */
export function housekeepingRule(noncurrentVersionExpireDays: number, abortIncompleteUploadDays: number): LifecycleRule {
    return {
        id: "housekeeping",
        status: "Enabled",
        filter: EVERY_OBJECT,
        expiration: { expiredObjectDeleteMarker: true },
        noncurrentVersionExpiration: { noncurrentDays: noncurrentVersionExpireDays },
        abortIncompleteMultipartUpload: { daysAfterInitiation: abortIncompleteUploadDays },
    };
}

/** Rules of the access-log bucket: logs expire after `expireDays`, plus the bucket-wide clean-up. */
export function logBucketLifecycleRules(expireDays: number, noncurrentVersionExpireDays: number, abortIncompleteUploadDays: number): LifecycleRule[] {
    return [
        { id: "access-logs", status: "Enabled", filter: EVERY_OBJECT, expiration: { days: expireDays } },
        housekeepingRule(noncurrentVersionExpireDays, abortIncompleteUploadDays),
    ];
}
