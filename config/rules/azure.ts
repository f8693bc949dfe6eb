import type { Finding, Rule } from "../findings";
import { error, warning } from "../findings";
import { AZURE_LOCATIONS } from "../regions";
import {
    BlobTiers,
    GEO_REDUNDANCIES,
    READ_ACCESS_GEO_REDUNDANCIES,
    immutabilityProblem,
    lifecycleProblems,
    pointInTimeRestoreProblem,
    redundancyProblems,
} from "../../components/azure/documents/lifecycle";
import {
    SERVER_NAME,
    defaultGeoRedundantBackup,
    geoRedundancyChange,
    SERVER_HOST_SUFFIX,
    networkProblems,
    storageSizeProblem,
} from "../../components/azure/documents/flexibleServer";
import { keyRotationProblem } from "../../components/azure/documents/keyVault";
import { VaultImmutability, VaultRetention, VaultRetentionKey, vaultRetentionProblems } from "../../components/azure/documents/backupVault";
import { TIER_NAMES, type TierName } from "../../lambdas/shared/tiers";
import { regionsOffering, serverRegionCapabilities } from "../../components/azure/documents/serverRegions";
import type { ParsedConfig } from "../schema";

type AzureConfig = NonNullable<ParsedConfig["azure"]>;
type ServerConfig = AzureConfig["servers"][number];

const isProd = (config: ParsedConfig): boolean => config.environment === "prod";

/** What the component will set: the explicit value, else the environment's default. */
export function effectiveGeoRedundantBackup(config: ParsedConfig, server: ServerConfig): boolean {
    return server.geoRedundantBackup ?? defaultGeoRedundantBackup(isProd(config));
}

/**
 * The server's Azure name: the explicit one, else `<name>-<environment>`. Fixed, so that the
 * functions' host names can be written in config, and scoped to the environment, because
 * server names are unique across all of postgres.database.azure.com.
 */
export function effectiveServerName(config: ParsedConfig, server: ServerConfig): string {
    return server.serverName ?? `${server.name}-${config.environment}`;
}

/** `azure.location` must be a programmatic Azure region that offers Flexible Server. */
export const azureLocationKnown: Rule = (config) => {
    const location = config.azure?.location;
    if (location === undefined || AZURE_LOCATIONS.includes(location)) return [];
    const hint = AZURE_LOCATIONS.find((l) => l === location.toLowerCase().replace(/[\s_-]/g, ""));
    return [error("azure.location", location,
        `is not a known Azure location${hint !== undefined ? ` (did you mean "${hint}"?)` : ""}; ` +
        `use a programmatic name such as eastus or westeurope (the list is in config/regions.ts)`)];
};

/** Prod servers keep their backups in the paired region too. */
export const prodServersGeoRedundant: Rule = (config) => {
    if (!isProd(config)) return [];
    const location = config.azure?.location ?? "";
    const offered = serverRegionCapabilities(location).geoRedundantBackup;
    return (config.azure?.servers ?? []).flatMap((server, i) =>
        effectiveGeoRedundantBackup(config, server) ? [] : [error(`azure.servers[${i}].geoRedundantBackup`, server.geoRedundantBackup,
            "must be true in prod: without it, losing the region loses the server's backups (it is the default in prod; " +
            `remove the key or set it to true)${offered ? "" : `, and ${location} does not offer it: move azure.location to one of ` +
                `${regionsOffering("geoRedundantBackup").join(", ")}`}`)]);
};

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

/** A geo-redundant backup setting different from the server's creation replaces the server. */
export const geoRedundantBackupUnchanged: Rule = (config) =>
    (config.azure?.servers ?? []).flatMap((server, i) => {
        const wanted = effectiveGeoRedundantBackup(config, server);
        const why = geoRedundancyChange(server.createdWithGeoRedundantBackup, wanted);
        return why === undefined ? [] : [error(`azure.servers[${i}].geoRedundantBackup`,
            server.geoRedundantBackup ?? wanted, `${why}${server.geoRedundantBackup === undefined ? " (this is the environment's default)" : ""}`)];
    });

/** Logical names and Azure server names appear once each. */
export const uniqueServerNames: Rule = (config) => {
    const servers = config.azure?.servers ?? [];
    const findings: Finding[] = [];
    for (const key of ["name", "serverName"] as const) {
        const first = new Map<string, number>();
        servers.forEach((server, i) => {
            const value = server[key];
            if (value === undefined) return;
            const earlier = first.get(value);
            if (earlier === undefined) first.set(value, i);
            else findings.push(error(`azure.servers[${i}].${key}`, value, `is already used by azure.servers[${earlier}]; ${key} must be unique`));
        });
    }
    return findings;
};

/** Entra-only authentication needs an Entra administrator. */
export const entraOnlyNeedsAdmin: Rule = (config) =>
    (config.azure?.servers ?? []).flatMap((server, i) =>
        server.authentication.password || server.authentication.entraAdmin !== undefined ? [] : [
            error(`azure.servers[${i}].authentication.password`, false,
                "turns password login off, so authentication.entraAdmin must name a Microsoft Entra administrator; " +
                "without one nobody could log in"),
        ]);

/** Burstable servers have no high availability. */
export const burstableWithoutHighAvailability: Rule = (config) =>
    (config.azure?.servers ?? []).flatMap((server, i) =>
        server.skuTier !== "Burstable" || server.highAvailability === "Disabled" ? [] : [
            error(`azure.servers[${i}].highAvailability`, server.highAvailability,
                'is not available on the Burstable tier; use skuTier GeneralPurpose or MemoryOptimized, or "Disabled"'),
        ]);

/** Premium SSD disks come in a fixed set of sizes. */
export const storageSizeOffered: Rule = (config) =>
    (config.azure?.servers ?? []).flatMap((server, i) => {
        const problem = storageSizeProblem(server.storageSizeGb);
        return problem === undefined ? [] : [error(`azure.servers[${i}].storageSizeGb`, server.storageSizeGb, problem)];
    });

/** Geo-redundant backup only where the region offers it (components/azure/documents/serverRegions.ts cites the table). */
export const regionOffersGeoRedundantBackup: Rule = (config) => {
    const location = config.azure?.location;
    if (location === undefined || serverRegionCapabilities(location).geoRedundantBackup) return [];
    return (config.azure?.servers ?? []).flatMap((server, i) => !effectiveGeoRedundantBackup(config, server) ? [] : [
        error(`azure.servers[${i}].geoRedundantBackup`, server.geoRedundantBackup ?? true,
            `is not offered in ${location} (Flexible Server region table); allowed here: false. ` +
            `Regions that offer geo-redundant backup: ${regionsOffering("geoRedundantBackup").join(", ")}` +
            `${server.geoRedundantBackup === undefined ? " (true is the environment's default)" : ""}`),
    ]);
};

/** Zone-redundant high availability only where the region offers it. */
export const regionOffersZoneRedundantHa: Rule = (config) => {
    const location = config.azure?.location;
    if (location === undefined || serverRegionCapabilities(location).zoneRedundantHa) return [];
    return (config.azure?.servers ?? []).flatMap((server, i) => server.highAvailability !== "ZoneRedundant" ? [] : [
        error(`azure.servers[${i}].highAvailability`, server.highAvailability,
            `is not offered in ${location} (Flexible Server region table); allowed here: "Disabled", "SameZone". ` +
            `Regions that offer zone-redundant HA: ${regionsOffering("zoneRedundantHa").join(", ")}`),
    ]);
};

/** A server name derived from name and environment must still be a DNS label. */
export const derivedServerNameValid: Rule = (config) =>
    (config.azure?.servers ?? []).flatMap((server, i) => {
        const name = effectiveServerName(config, server);
        return server.serverName !== undefined || SERVER_NAME.test(name) ? [] : [
            error(`azure.servers[${i}].serverName`, undefined,
                `is missing and the name derived from name and environment ("${name}") is not 3-63 lower-case letters, digits ` +
                `and '-'; give serverName`),
        ];
    });

/** Firewall rules open only stated ranges; VNet integration is complete and exclusive. */
export const serverNetworkValid: Rule = (config) =>
    (config.azure?.servers ?? []).flatMap((server, i) =>
        networkProblems(server.network).map((p) => error(`azure.servers[${i}].network.${p.key}`, p.value, p.message)));

/**
 * An Azure server cannot be backed up by AWS functions: Lambda and Fargate get no Azure
 * credential, so the verify cannot list the server's backups, the dumps cannot reach the Blob
 * container, and the database credential cannot come from Key Vault. Its jobs run on the Azure
 * runner instead.
 */
export const noAwsFunctionsForAzureServers: Rule = (config) =>
    config.aws.databases.flatMap((db, j) => db.host === undefined || !db.host.endsWith(SERVER_HOST_SUFFIX) ? [] : [
        error(`aws.databases[${j}].host`, db.host,
            `is an Azure Database for PostgreSQL server, but aws.databases run as AWS Lambda functions or Fargate tasks, which no ` +
            `Azure credential reaches (no managed identity, no Key Vault, no Blob access): remove ${db.name} from aws.databases, ` +
            `declare the server under azure.servers and run its dump, export and verify with the Azure runner (azure.runner; docs/azure.md)`),
    ]);

/** A stack without `regions` is Azure-only: it must declare Azure, and nothing that only AWS can run. */
export const azureOnlyStackComplete: Rule = (config) => {
    if (config.regions !== undefined) return [];
    if (config.azure === undefined) {
        return [error("regions", undefined, "is required (primary and dr AWS regions) unless the stack is Azure-only, which needs azure")];
    }
    const declared = [
        ...(config.aws.databases.length > 0 ? ["aws.databases"] : []),
        ...(config.aws.network !== undefined ? ["aws.network"] : []),
        ...(config.aws.backup.fileBuckets.length > 0 ? ["aws.backup.fileBuckets"] : []),
        ...(config.alerts.slack.length > 0 ? ["alerts.slack"] : []),
        ...(config.alerts.teams.length > 0 ? ["alerts.teams"] : []),
    ];
    return declared.length === 0 ? [] : [error("regions", undefined,
        `is required: ${declared.join(", ")} declare${declared.length === 1 ? "s" : ""} AWS resources (Slack and Teams are reached through AWS Chatbot); ` +
        "without regions the stack is Azure-only: remove them, or give regions")];
};

/** Key Vault refuses a rotation too close to the key's expiry. */
export const keyRotationValid: Rule = (config) => {
    const kv = config.azure?.keyVault;
    if (kv === undefined) return [];
    const problem = keyRotationProblem({ rotateAfterDays: kv.rotateAfterDays, expiryDays: kv.keyExpiryDays });
    if (problem === undefined) return [];
    return [error(`azure.keyVault.${problem.key === "expiryDays" ? "keyExpiryDays" : "rotateAfterDays"}`, problem.value, problem.message)];
};

/** Prod file backups are encrypted with the stack's own key, in a vault with purge protection. */
export const prodStorageCustomerManagedKey: Rule = (config) => {
    const azure = config.azure;
    if (!isProd(config) || azure?.storage === undefined || azure.keyVault !== undefined) return [];
    return [error("azure.keyVault", undefined,
        "is required in prod with azure.storage: the storage account is encrypted with a customer-managed key kept in a Key Vault " +
        "with purge protection, so that nobody can destroy or swap the key the backups depend on; give {} for the defaults")];
};

/** A prod Azure-only stack keeps long-term vaulted backups of its servers (the AWS Backup plan's counterpart). */
export const prodAzureOnlyBackupVault: Rule = (config) => {
    const azure = config.azure;
    if (!isProd(config) || config.regions !== undefined || azure === undefined || azure.servers.length === 0 || azure.backupVault !== undefined) return [];
    return [error("azure.backupVault", undefined,
        "is required in prod for an Azure-only stack with servers: Azure Backup keeps weekly, monthly (and yearly) backups of each server " +
        "outside it, immutable and soft-deleted, for up to 10 years; give {} for the defaults")];
};

/** Prod vaulted backups survive the region and cannot be deleted at once. */
export const prodBackupVaultProtected: Rule = (config) => {
    const v = config.azure?.backupVault;
    if (!isProd(config) || v === undefined) return [];
    return [
        ...(v.redundancy !== "GeoRedundant" ? [error("azure.backupVault.redundancy", v.redundancy, 'must be "GeoRedundant" in prod: the vault then keeps a copy in the paired region and allows cross-region restore')] : []),
        ...(effectiveVaultImmutability(config, v) !== "Locked" ? [error("azure.backupVault.immutability", v.immutability,
            'must be "Locked" in prod (the default there): a locked immutable vault refuses every operation that would lose recovery points, ' +
            "and nobody can turn it off; remove the key or set Locked")] : []),
        ...(v.softDelete === "Off" ? [error("azure.backupVault.softDelete", v.softDelete, 'must be "On" or "AlwaysOn" in prod: deleted recovery points then stay recoverable for softDeleteDays')] : []),
    ];
};

/** What the vault's immutability will be: the explicit value, else Locked in prod and Unlocked elsewhere. */
export function effectiveVaultImmutability(config: ParsedConfig, v: NonNullable<AzureConfig["backupVault"]>): VaultImmutability {
    return v.immutability ?? (isProd(config) ? "Locked" : "Unlocked");
}

/** The vault keeps the weekly and monthly tiers as long as the dumps, within Azure Backup's 10 years. */
export const vaultRetentionValid: Rule = (config) => {
    const v = config.azure?.backupVault;
    if (v === undefined) return [];
    const keys: Record<VaultRetentionKey, string> = {
        weeklyKeepDays: "retention.weekly.keepDays",
        monthlyKeepDays: "retention.monthly.keepDays",
        yearlyKeepDays: "azure.backupVault.yearlyKeepDays",
    };
    return vaultRetentionProblems(vaultRetention(config, v)).map((p) => error(keys[p.key], p.value, `${p.message} (Azure Backup vault)`));
};

/** What the vault keeps, from the tiers: every weekly backup as long as the weekly tier, the first of the month as long as the monthly one. */
export function vaultRetention(config: ParsedConfig, v: NonNullable<AzureConfig["backupVault"]>): VaultRetention {
    return {
        weeklyKeepDays: config.retention.weekly.keepDays,
        monthlyKeepDays: config.retention.monthly.keepDays,
        ...(v.yearlyKeepDays !== undefined ? { yearlyKeepDays: v.yearlyKeepDays } : {}),
    };
}

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

/** Azure alerts need somebody to notify: an error in prod, a warning elsewhere. */
export const azureAlertsHaveReceivers: Rule = (config) => {
    const azure = config.azure;
    if (azure === undefined || (azure.servers.length === 0 && azure.storage === undefined)) return [];
    if (config.alerts.emails.length + config.alerts.webhookUrls.length > 0) return [];
    const message = "is empty and so is alerts.webhookUrls: the Azure alerts (server down, storage full, backup storage) would notify nobody";
    return [isProd(config) ? error("alerts.emails", [], message) : warning("alerts.emails", [], message)];
};

export const rules: readonly Rule[] = [
    azureLocationKnown,
    prodServersGeoRedundant,
    prodStorageGeoRedundant,
    prodStorageImmutable,
    prodImmutabilityLocked,
    pointInTimeRestoreWithinSoftDelete,
    prodStorageReadableInPairedRegion,
    archiveNeedsSupportedRedundancy,
    lifecycleOrder,
    immutabilityWithinRetention,
    geoRedundantBackupUnchanged,
    uniqueServerNames,
    entraOnlyNeedsAdmin,
    burstableWithoutHighAvailability,
    azureAlertsHaveReceivers,
    storageSizeOffered,
    regionOffersGeoRedundantBackup,
    regionOffersZoneRedundantHa,
    derivedServerNameValid,
    serverNetworkValid,
    noAwsFunctionsForAzureServers,
    azureOnlyStackComplete,
    keyRotationValid,
    prodStorageCustomerManagedKey,
    prodAzureOnlyBackupVault,
    prodBackupVaultProtected,
    vaultRetentionValid,
    tierLifecycleValid,
    versionLevelImmutabilityComplete,
];
