/**
 * Blob lifecycle management (Azure Storage management policy) for backup and export containers,
 * and the checks that keep it meaningful. Pure functions of plain values: no Pulumi here, so the
 * configuration rules and the component share them.
 */
import { TIER_NAMES, TIER_TAG_KEY, type TierName } from "../../../lambdas/shared/tiers";

/** Storage account redundancies this project supports (Standard general-purpose v2). */
export const STORAGE_REDUNDANCIES = [
    "Standard_LRS", "Standard_ZRS", "Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS",
] as const;
export type StorageRedundancy = (typeof STORAGE_REDUNDANCIES)[number];

/** Redundancies that keep a copy in the paired region. */
export const GEO_REDUNDANCIES: readonly StorageRedundancy[] = ["Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS"];

/**
 * Redundancies whose paired-region copy can be read without a failover. GRS and GZRS keep the
 * copy but expose it only after a (customer-managed) failover ("Azure Storage redundancy",
 * "Read access to data in the secondary region", https://learn.microsoft.com/azure/storage/common/storage-redundancy).
 */
export const READ_ACCESS_GEO_REDUNDANCIES: readonly StorageRedundancy[] = ["Standard_RAGRS", "Standard_RAGZRS"];

/** Why a point-in-time restore window is refused: it must end a day before soft delete does. */
export function pointInTimeRestoreProblem(softDeleteDays: number): string {
    return `is not allowed: a point-in-time restore window must be shorter than the blob soft delete (${softDeleteDays} days); ` +
        `allowed: 0 (off)${softDeleteDays > 1 ? ` or 1..${softDeleteDays - 1}` : ""}`;
}

/** Redundancies on which Azure does not offer the Archive tier. */
export const ARCHIVE_UNSUPPORTED_REDUNDANCIES: readonly StorageRedundancy[] = ["Standard_ZRS", "Standard_GZRS", "Standard_RAGZRS"];

/**
 * When blobs move to colder access tiers and when they are deleted, in days after they were
 * written (Azure acts once a blob is *more than* that many days old). An omitted tier is skipped.
 */
export interface BlobTiers {
    readonly coolAfterDays?: number;
    readonly coldAfterDays?: number;
    readonly archiveAfterDays?: number;
    readonly deleteAfterDays: number;
}
export type BlobTierKey = keyof BlobTiers;

/**
 * Minimum days a blob is billed for in each tier: leaving earlier costs an early-deletion charge
 * ("Access tiers for blob data", https://learn.microsoft.com/azure/storage/blobs/access-tiers-overview:
 * Cool 30, Cold 90, Archive 180 days; Cold is an online tier of general-purpose v2 accounts, and
 * lifecycle management can move blobs to it with `tierToCold`).
 */
export const TIER_MINIMUM_DAYS = { coolAfterDays: 30, coldAfterDays: 90, archiveAfterDays: 180 } as const;

const TIER_LABEL: Readonly<Record<BlobTierKey, string>> = {
    coolAfterDays: "Cool",
    coldAfterDays: "Cold",
    archiveAfterDays: "Archive",
    deleteAfterDays: "deletion",
};

/** The tier keys in the order a blob passes through them. */
export const TIER_ORDER: readonly BlobTierKey[] = ["coolAfterDays", "coldAfterDays", "archiveAfterDays", "deleteAfterDays"];

const BLOB_TIER_LABEL: Readonly<Record<BlobTierKey, string>> = { coolAfterDays: "Cool", coldAfterDays: "Cold", archiveAfterDays: "Archive", deleteAfterDays: "delete" };

/**
 * A blob's access tiers in words, in the order the lifecycle moves it: `Hot day 0 -> Cool day 30 ->
 * delete day 90` (new blobs land in the account's default tier, Hot; "Access tiers for blob data",
 * https://learn.microsoft.com/azure/storage/blobs/access-tiers-overview).
 */
export function blobTierTimeline(t: BlobTiers): string {
    return ["Hot day 0", ...TIER_ORDER.flatMap((key) => t[key] === undefined ? [] : [`${BLOB_TIER_LABEL[key]} day ${t[key]}`])].join(" -> ");
}

/** One finding about a lifecycle: `key` names the offending field of {@link BlobTiers}. */
export interface LifecycleProblem {
    readonly key: BlobTierKey;
    readonly value: number;
    readonly message: string;
    readonly severity: "error" | "warning";
}

/**
 * Checks the order of the tiers and their minimum storage durations.
 *
 * Errors: a tier not strictly after the one before it, or deletion not strictly after the last
 * tier. Azure applies only the cheapest of several due actions (delete < Archive < Cold < Cool),
 * so a mis-ordered tier is skipped silently rather than refused.
 *
 * Warnings: a blob leaving Cool within 30 days, Cold within 90 or Archive within 180 of entering
 * it. That is legal but billed as if it had stayed the minimum.
 */
export function lifecycleProblems(tiers: BlobTiers): LifecycleProblem[] {
    const problems: LifecycleProblem[] = [];
    for (const key of TIER_ORDER) {
        const value = tiers[key];
        if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
            problems.push({ key, value, severity: "error", message: "must be a whole number of days, at least 1" });
        }
    }
    if (problems.length > 0) return problems;

    const present = TIER_ORDER.flatMap((key) => {
        const value = tiers[key];
        return value === undefined ? [] : [{ key, value }];
    });
    for (let i = 1; i < present.length; i++) {
        const earlier = present[i - 1];
        const later = present[i];
        if (earlier === undefined || later === undefined) continue;
        if (later.value <= earlier.value) {
            problems.push({
                key: later.key,
                value: later.value,
                severity: "error",
                message:
                    `must be later than ${earlier.key} (${earlier.value}): Azure applies only the cheapest due action, ` +
                    `so ${TIER_LABEL[earlier.key]} would be skipped (allowed: more than ${earlier.value})`,
            });
            continue;
        }
        const minimum = minimumDaysOf(earlier.key);
        if (minimum !== undefined && later.value - earlier.value < minimum) {
            problems.push({
                key: later.key,
                value: later.value,
                severity: "warning",
                message:
                    `moves blobs out of ${TIER_LABEL[earlier.key]} after ${later.value - earlier.value} days; ` +
                    `${TIER_LABEL[earlier.key]} bills at least ${minimum} days (early-deletion charge), ` +
                    `so ${earlier.value + minimum} or more costs the same or less`,
            });
        }
    }
    return problems;
}

function minimumDaysOf(key: BlobTierKey): number | undefined {
    return key === "deleteAfterDays" ? undefined : TIER_MINIMUM_DAYS[key];
}

/** Problems of a redundancy and lifecycle pair: Archive is refused on zone-redundant accounts. */
export function redundancyProblems(redundancy: StorageRedundancy, tiers: BlobTiers): LifecycleProblem[] {
    if (tiers.archiveAfterDays === undefined || !ARCHIVE_UNSUPPORTED_REDUNDANCIES.includes(redundancy)) return [];
    return [{
        key: "archiveAfterDays",
        value: tiers.archiveAfterDays,
        severity: "error",
        message:
            `is not possible on ${redundancy}: Azure has no Archive tier on ZRS, GZRS or RA-GZRS accounts ` +
            `(use Standard_GRS or Standard_RAGRS, or drop archiveAfterDays)`,
    }];
}

/**
 * Why a container-level immutability period is refused: it outlives the shortest deletion of the
 * blobs it covers. A blob under an active retention policy cannot be deleted, by the lifecycle
 * either ("Store business-critical blob data with immutable storage", feature support:
 * lifecycle deletes fail on protected blobs,
 * https://learn.microsoft.com/azure/storage/blobs/immutable-storage-overview), so those
 * blobs would outlive their retention. `lifecycles` names each deletion by its key.
 */
export function immutabilityProblem(immutabilityDays: number, lifecycles: readonly { readonly key: string; readonly deleteAfterDays: number }[]): string | undefined {
    const shortest = [...lifecycles].sort((x, y) => x.deleteAfterDays - y.deleteAfterDays)[0];
    if (shortest === undefined || immutabilityDays <= shortest.deleteAfterDays) return undefined;
    return `is longer than ${shortest.key} (${shortest.deleteAfterDays}): an immutable blob cannot be deleted, so the lifecycle ` +
        `would fail to delete backups until their immutability ends and they would outlive their retention; ` +
        `allowed: at most ${shortest.deleteAfterDays}`;
}

/** Action on the current version of a blob, counted from its last modification. */
export interface DaysAfterModification {
    readonly daysAfterModificationGreaterThan: number;
}
/** Action on a previous version, counted from the version's creation. */
export interface DaysAfterCreation {
    readonly daysAfterCreationGreaterThan: number;
}
export interface TierActions<T> {
    readonly tierToCool?: T;
    readonly tierToCold?: T;
    readonly tierToArchive?: T;
    readonly delete: T;
}
/** A blob index tag condition of a lifecycle filter. */
export interface BlobIndexMatch {
    readonly name: string;
    readonly op: "==";
    readonly value: string;
}
export interface LifecycleRule {
    readonly name: string;
    readonly enabled: true;
    readonly type: "Lifecycle";
    readonly definition: {
        readonly filters: { readonly blobTypes: ["blockBlob"]; readonly prefixMatch: string[]; readonly blobIndexMatch?: BlobIndexMatch[] };
        readonly actions: {
            readonly baseBlob: TierActions<DaysAfterModification>;
            readonly version: TierActions<DaysAfterCreation>;
        };
    };
}
/** The storage account's management policy document (ARM `policy` property). */
export interface ManagementPolicyDocument {
    readonly rules: LifecycleRule[];
}

/**
 * The management policy that tiers and deletes the blobs of the given containers: current
 * blobs by age since last modification, previous versions by age since their creation, both on
 * the same schedule so a version never outlives the retention of the blob it came from.
 * Throws when the tiers have an ordering error (see {@link lifecycleProblems}).
 */
export function managementPolicy(tiers: BlobTiers, containers: readonly string[]): ManagementPolicyDocument {
    if (containers.length === 0) throw new RangeError("containers: [] must name at least one container");
    return { rules: [lifecycleRule("backup-retention", tiers, containers)] };
}

/**
 * The management policy of a backup container whose blobs carry the blob index tag
 * `tier=<daily|weekly|monthly>` ({@link TIER_TAG_KEY}): one rule per tier, matched by that tag
 * (`blobIndexMatch`), each deleting after its own tier's keep days, and one rule by prefix for the
 * other containers (exports). A tier absent from `tiers` gets no rule, so its blobs are never deleted
 * by the lifecycle: every tier the dump writes must be given. Throws on an ordering error.
 *
 * Azure: a filter holds up to 10 blob index conditions, and tag filters apply to block blobs only
 * ("Lifecycle management overview", Rule filters,
 * https://learn.microsoft.com/azure/storage/blobs/lifecycle-management-overview#rule-filters).
 */
export function tieredManagementPolicy(
    tiers: Readonly<Partial<Record<TierName, BlobTiers>>>,
    backupContainer: string,
    others: { readonly tiers: BlobTiers; readonly containers: readonly string[] },
): ManagementPolicyDocument {
    if (others.containers.includes(backupContainer)) {
        throw new RangeError(`containers: "${backupContainer}" is the tiered backup container; it cannot also take the untagged rule`);
    }
    const tierRules = TIER_NAMES.flatMap((tier) => {
        const t = tiers[tier];
        return t === undefined ? [] : [lifecycleRule(`backup-${tier}`, t, [backupContainer], [{ name: TIER_TAG_KEY, op: "==", value: tier }])];
    });
    if (tierRules.length === 0) throw new RangeError("tiers: {} must give at least one tier");
    return { rules: [...tierRules, ...(others.containers.length > 0 ? [lifecycleRule("export-retention", others.tiers, others.containers)] : [])] };
}

function lifecycleRule(name: string, tiers: BlobTiers, containers: readonly string[], blobIndexMatch?: BlobIndexMatch[]): LifecycleRule {
    const errors = lifecycleProblems(tiers).filter((p) => p.severity === "error");
    if (errors.length > 0) {
        throw new RangeError(`${name}: ${errors.map((p) => `${p.key}: ${p.value} ${p.message}`).join("; ")}`);
    }
    const prefixMatch = [...new Set(containers)].sort().map((c) => `${c}/`);
    return {
        name,
        enabled: true,
        type: "Lifecycle",
        definition: {
            filters: { blobTypes: ["blockBlob"], prefixMatch, ...(blobIndexMatch !== undefined ? { blobIndexMatch } : {}) },
            actions: {
                baseBlob: tierActions(tiers, (days) => ({ daysAfterModificationGreaterThan: days })),
                version: tierActions(tiers, (days) => ({ daysAfterCreationGreaterThan: days })),
            },
        },
    };
}

function tierActions<T>(tiers: BlobTiers, at: (days: number) => T): TierActions<T> {
    return {
        ...(tiers.coolAfterDays !== undefined ? { tierToCool: at(tiers.coolAfterDays) } : {}),
        ...(tiers.coldAfterDays !== undefined ? { tierToCold: at(tiers.coldAfterDays) } : {}),
        ...(tiers.archiveAfterDays !== undefined ? { tierToArchive: at(tiers.archiveAfterDays) } : {}),
        delete: at(tiers.deleteAfterDays),
    };
}
