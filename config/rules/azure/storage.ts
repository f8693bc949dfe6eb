/** Rules of the backup storage account: redundancy, immutability (container policy or per blob), soft delete and point-in-time restore, and the blob lifecycles of the tiers. */
import type { Rule } from "../../findings";
import { error, warning } from "../../findings";
import { type BlobTiers, GEO_REDUNDANCIES, READ_ACCESS_GEO_REDUNDANCIES, immutabilityProblem, lifecycleProblems, pointInTimeRestoreProblem, redundancyProblems } from "../../../components/azure/documents/lifecycle";
import { TIER_NAMES, type TierName } from "../../../lambdas/shared/tiers";
import type { ParsedConfig } from "../../schema";
import { isProd } from "./shared";

/** Prod file backups live in a storage account replicated to the paired region. */
export const prodStorageGeoRedundant: Rule = (config) => {
    const storage = config.azure?.storage;
    if (!isProd(config) || storage === undefined || GEO_REDUNDANCIES.includes(storage.redundancy)) return [];
    return [error("azure.storage.redundancy", storage.redundancy,
        `is not geo-redundant; prod needs one of ${GEO_REDUNDANCIES.join(", ")} (Standard_GRS or Standard_RAGRS if the Archive tier is used)`)];
};

/** Prod backup blobs cannot be deleted or overwritten before their retention ends. */
export const prodStorageImmutable: Rule = (config) => {
    const storage = config.azure?.storage;
    if (!isProd(config) || storage === undefined || storage.immutabilityDays !== undefined || storage.versionLevelImmutability) return [];
    return [error("azure.storage.immutabilityDays", undefined,
        "is required in prod unless azure.storage.versionLevelImmutability is true: without an immutability policy, anyone with write " +
        `access can delete the backups; allowed: 1..${storage.lifecycle.deleteAfterDays} (at most lifecycle.deleteAfterDays)`)];
};

/**
 * The immutability policy is created unlocked: until it is locked, anyone with Contributor on
 * the account can shorten or delete it ("Time-based retention policies for immutable blob
 * data", https://learn.microsoft.com/azure/storage/blobs/immutable-time-based-retention-policy-overview).
 */
export const prodImmutabilityLocked: Rule = (config) => {
    const storage = config.azure?.storage;
    if (storage === undefined) return [];
    if (storage.immutabilityLocked && storage.immutabilityDays === undefined) {
        return [error("azure.storage.immutabilityLocked", true, "needs azure.storage.immutabilityDays: there is no immutability policy to be locked")];
    }
    if (!isProd(config) || storage.immutabilityDays === undefined || storage.immutabilityLocked) return [];
    return [warning("azure.storage.immutabilityLocked", false,
        "the backups container's immutability policy is unlocked: anyone with Contributor on the storage account can shorten " +
        "or delete it. After `pulumi up`, lock it (docs/components.md, \"Locking the Azure immutability policy\") and set " +
        "azure.storage.immutabilityLocked: true")];
};

/** Point-in-time restore of blobs must end before their soft delete does. */
export const pointInTimeRestoreWithinSoftDelete: Rule = (config) => {
    const storage = config.azure?.storage;
    if (storage?.pointInTimeRestoreDays === undefined || storage.pointInTimeRestoreDays < storage.softDeleteDays) return [];
    return [error("azure.storage.pointInTimeRestoreDays", storage.pointInTimeRestoreDays, pointInTimeRestoreProblem(storage.softDeleteDays))];
};

/** Prod files are read from the paired region in a disaster: only RA-GRS and RA-GZRS allow that without a failover. */
export const prodStorageReadableInPairedRegion: Rule = (config) => {
    const storage = config.azure?.storage;
    if (!isProd(config) || storage === undefined || !GEO_REDUNDANCIES.includes(storage.redundancy) ||
        READ_ACCESS_GEO_REDUNDANCIES.includes(storage.redundancy)) return [];
    return [warning("azure.storage.redundancy", storage.redundancy,
        `keeps a copy in the paired region but cannot read it until a customer-managed failover of the account; ` +
        `for read access to the files during a regional outage use ${READ_ACCESS_GEO_REDUNDANCIES.join(" or ")}`)];
};

/** Archive is not offered on ZRS, GZRS and RA-GZRS accounts. */
export const archiveNeedsSupportedRedundancy: Rule = (config) => {
    const storage = config.azure?.storage;
    if (storage === undefined) return [];
    return redundancyProblems(storage.redundancy, storage.lifecycle).map((p) =>
        error(`azure.storage.lifecycle.${p.key}`, p.value, p.message));
};

/** Cool -> Cold -> Archive -> delete, each strictly later; early-deletion minimums as warnings. */
export const lifecycleOrder: Rule = (config) => {
    const storage = config.azure?.storage;
    if (storage === undefined) return [];
    return lifecycleProblems(storage.lifecycle).map((p) =>
        (p.severity === "error" ? error : warning)(`azure.storage.lifecycle.${p.key}`, p.value, p.message));
};

/** The lifecycle cannot delete a blob that is still immutable: the container's period ends before the shortest deletion. */
export const immutabilityWithinRetention: Rule = (config) => {
    const storage = config.azure?.storage;
    if (storage?.immutabilityDays === undefined) return [];
    const tiers = tierBlobLifecycles(config);
    const deletions = tiers === undefined
        ? [{ key: "lifecycle.deleteAfterDays", deleteAfterDays: storage.lifecycle.deleteAfterDays }]
        : TIER_NAMES.map((t) => ({ key: `retention.${t}.keepDays`, deleteAfterDays: config.retention[t].keepDays }));
    const problem = immutabilityProblem(storage.immutabilityDays, deletions);
    return problem === undefined ? [] : [error("azure.storage.immutabilityDays", storage.immutabilityDays, problem)];
};

/** Each tier's blob lifecycle: its steps from `azure.storage.tierLifecycle.<tier>`, its deletion after `retention.<tier>.keepDays`. */
export function tierBlobLifecycles(config: ParsedConfig): Partial<Record<TierName, BlobTiers>> | undefined {
    const tiers = config.azure?.storage?.tierLifecycle;
    if (tiers === undefined) return undefined;
    return Object.fromEntries(TIER_NAMES.map((t) => [t, { ...tiers[t], deleteAfterDays: config.retention[t].keepDays }]));
}

/** Per-tier lifecycles follow the same order, early-deletion and redundancy checks as the untagged one. */
export const tierLifecycleValid: Rule = (config) => {
    const storage = config.azure?.storage;
    const tiers = tierBlobLifecycles(config);
    if (storage === undefined || tiers === undefined) return [];
    return TIER_NAMES.flatMap((tier) => {
        const t = tiers[tier];
        if (t === undefined) return [];
        return [...lifecycleProblems(t), ...redundancyProblems(storage.redundancy, t)].map((p) =>
            (p.severity === "error" ? error : warning)(
                p.key === "deleteAfterDays" ? `retention.${tier}.keepDays` : `azure.storage.tierLifecycle.${tier}.${p.key}`, p.value, p.message));
    });
};

/**
 * Per-blob locks last the tier's keepDays, so blobs must be deleted per tier: with a single
 * lifecycle, a deletion before the longest tier's lock ends fails, and one after it keeps the short tiers too long.
 */
export const versionLevelImmutabilityComplete: Rule = (config) => {
    const storage = config.azure?.storage;
    if (storage === undefined || !storage.versionLevelImmutability) return [];
    return [
        ...(storage.tierLifecycle === undefined ? [error("azure.storage.versionLevelImmutability", true,
            "needs azure.storage.tierLifecycle: each dump is locked for its tier's keepDays, so the lifecycle must delete per tier " +
            "(a single azure.storage.lifecycle.deleteAfterDays would fail on monthly dumps still locked, or keep daily ones too long); give tierLifecycle: {} at least")] : []),
        ...(config.storage.objectLock?.mode === undefined ? [error("azure.storage.versionLevelImmutability", true,
            "needs storage.objectLock.mode: it chooses the per-blob policy the dump sets (GOVERNANCE: unlocked, COMPLIANCE: locked)")] : []),
    ];
};
