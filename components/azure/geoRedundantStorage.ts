import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as storage from "@pulumi/azure-native/storage";
import type * as outputs from "@pulumi/azure-native/types/output";
import type { TierName } from "../../lambdas/shared/tiers";
import {
    BlobTiers,
    STORAGE_REDUNDANCIES,
    StorageRedundancy,
    lifecycleProblems,
    managementPolicy,
    pointInTimeRestoreProblem,
    immutabilityProblem,
    redundancyProblems,
    tieredManagementPolicy,
} from "./documents/lifecycle";

/** A customer-managed key in Key Vault and the user-assigned identity that may use it. */
export interface CustomerManagedKey {
    /** `https://<vault>.vault.azure.net/`. */
    readonly keyVaultUri: pulumi.Input<string>;
    /** The key's name; no version, so the account follows the key's rotations. */
    readonly keyName: pulumi.Input<string>;
    /** ARM ID of the user-assigned identity holding "Key Vault Crypto Service Encryption User" on the key. */
    readonly identityId: pulumi.Input<string>;
}

export interface GeoRedundantStorageArgs {
    /** Resource group of the account. @default none - required */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Azure location (programmatic name). @default none - required */
    readonly location: pulumi.Input<string>;
    /** Azure name of the account (3-24 lower-case letters and digits, globally unique). @default the component name's letters and digits (up to 16) plus 8 random characters */
    readonly accountName?: pulumi.Input<string>;
    /** Redundancy SKU; the Archive tier needs an LRS, GRS or RA-GRS account; only RA-GRS and RA-GZRS can be read in the paired region without a failover. @default "Standard_RAGRS" */
    readonly redundancy?: StorageRedundancy;
    /** Days a deleted blob or version can be undeleted (1..365). @default 14 */
    readonly softDeleteDays?: number;
    /** Days back a point-in-time restore of block blobs can go; 0 turns it off. Azure requires fewer days than `softDeleteDays`. @default softDeleteDays - 1 */
    readonly pointInTimeRestoreDays?: number;
    /** Days a deleted container can be undeleted (1..365). @default 14 */
    readonly containerSoftDeleteDays?: number;
    /** Time-based immutability of the backup container, days (1..146000, at most `lifecycle.deleteAfterDays`). @default none - no immutability policy */
    readonly immutabilityDays?: number;
    /** The immutability policy has been locked (docs/components.md, "Locking the Azure immutability policy"): it is then protected in Pulumi too, since Azure only lets a locked policy be extended. @default false - unlocked: anyone with Contributor on the account can shorten or delete it */
    readonly immutabilityLocked?: boolean;
    /** Tiering and deletion of backup and export blobs. @default { deleteAfterDays: 30 } - Hot for 30 days, then deleted */
    readonly lifecycle?: BlobTiers;
    /** Container of the file backups (carries the immutability policy). @default "backups" */
    readonly backupContainerName?: string;
    /** Container of the table exports. @default "exports" */
    readonly exportContainerName?: string;
    /** Blob lifecycle of the backup container per retention tier, matched by the blob index tag `tier`; `lifecycle` then applies to the export container only. Every tier the dump writes must be given. @default none - `lifecycle` applies to both containers */
    readonly tierLifecycle?: Readonly<Partial<Record<TierName, BlobTiers>>>;
    /** Version-level immutability on the backup container, so that each dump and manifest carries its own retention (set by the dump). @default false */
    readonly versionLevelImmutability?: boolean;
    /** Encryption at rest with a customer-managed key through a user-assigned identity. @default none - Microsoft-managed keys */
    readonly customerManagedKey?: CustomerManagedKey;
    /** Account keys and SAS tokens; false means Microsoft Entra authorization only. @default false */
    readonly allowSharedKeyAccess?: boolean;
    /** Days the change feed (the log of every blob write and delete) is kept. @default lifecycle.deleteAfterDays + softDeleteDays - as long as any blob it records may exist */
    readonly changeFeedRetentionDays?: number;
    /** Pulumi `protect` on the account and the backup container. @default false */
    readonly protect?: boolean;
    /** Tags on the account. @default none */
    readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

type Optional = "accountName" | "immutabilityDays" | "tags" | "tierLifecycle" | "customerManagedKey";
type ResolvedArgs = Required<Omit<GeoRedundantStorageArgs, Optional>> & Pick<GeoRedundantStorageArgs, Optional>;

/** Every default of {@link GeoRedundantStorageArgs}, filled in one place. */
function withDefaults(args: GeoRedundantStorageArgs): ResolvedArgs {
    const softDeleteDays = args.softDeleteDays ?? 14;
    const lifecycle = args.lifecycle ?? { deleteAfterDays: 30 };
    return {
        ...args,
        redundancy: args.redundancy ?? "Standard_RAGRS",
        pointInTimeRestoreDays: args.pointInTimeRestoreDays ?? softDeleteDays - 1,
        softDeleteDays,
        containerSoftDeleteDays: args.containerSoftDeleteDays ?? 14,
        lifecycle,
        backupContainerName: args.backupContainerName ?? "backups",
        exportContainerName: args.exportContainerName ?? "exports",
        allowSharedKeyAccess: args.allowSharedKeyAccess ?? false,
        immutabilityLocked: args.immutabilityLocked ?? false,
        versionLevelImmutability: args.versionLevelImmutability ?? false,
        changeFeedRetentionDays: args.changeFeedRetentionDays ?? lifecycle.deleteAfterDays + softDeleteDays,
        protect: args.protect ?? false,
    };
}

/**
 * Account settings for encryption at rest with a customer-managed key read through a
 * user-assigned identity. The key is named without a version, so Azure Storage moves to each
 * new key version on its own ("Configure customer-managed keys in the same tenant for an existing
 * storage account", automatic updating of the key version,
 * https://learn.microsoft.com/azure/storage/common/customer-managed-keys-configure-existing-account).
 */
export function customerManagedKeySettings(k: CustomerManagedKey): Pick<storage.StorageAccountArgs, "identity" | "encryption"> {
    return {
        identity: { type: "UserAssigned", userAssignedIdentities: [k.identityId] },
        encryption: {
            keySource: "Microsoft.Keyvault",
            keyVaultProperties: { keyVaultUri: k.keyVaultUri, keyName: k.keyName },
            encryptionIdentity: { encryptionUserAssignedIdentity: k.identityId },
            services: { blob: { enabled: true, keyType: "Account" }, file: { enabled: true, keyType: "Account" } },
        },
    };
}

/** When the backup container's blobs are deleted: per tier when tiered, else by `lifecycle`. */
function backupDeletions(a: ResolvedArgs): { key: string; deleteAfterDays: number }[] {
    return a.tierLifecycle === undefined
        ? [{ key: "lifecycle.deleteAfterDays", deleteAfterDays: a.lifecycle.deleteAfterDays }]
        : Object.entries(a.tierLifecycle).map(([tier, t]) => ({ key: `tierLifecycle.${tier}.deleteAfterDays`, deleteAfterDays: t.deleteAfterDays }));
}

/**
 * Eight random lower-case letters and digits, kept in the state: the unique part of a globally
 * unique Azure name (storage account, Key Vault) derived from a component's name.
 */
export function randomNameSuffix(name: string, parent: pulumi.Resource): pulumi.Output<string> {
    return new random.RandomString(name, { length: 8, upper: false, special: false, numeric: true, lower: true }, { parent }).result;
}

/** Letters and digits of a component name, cut to 16: the stem of a generated account name. */
export function accountNameStem(name: string): string {
    return name.toLowerCase().replace(/[^a-z0-9]/g, "").slice(0, 16);
}

type EndpointsResponse = outputs.storage.EndpointsResponse;

const CONTAINER_NAME = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * A StorageV2 account for file backups and table exports: geo-redundant, TLS 1.2, no public
 * blob access, HTTPS only, blob versioning, blob and container soft delete, a change feed, a
 * `backups` container with a time-based immutability policy and/or version-level immutability, an
 * `exports` container, encryption with a customer-managed key when given, and a lifecycle (Cool ->
 * Cold -> Archive -> delete, per retention tier when `tierLifecycle` is given) whose order is
 * checked before anything is created.
 */
export class GeoRedundantStorage extends pulumi.ComponentResource {
    /** ARM id of the storage account. */
    public readonly accountId: pulumi.Output<string>;
    /** Name of the storage account. */
    public readonly accountName: pulumi.Output<string>;
    /** `https://<account>.blob.core.windows.net/`. */
    public readonly primaryBlobEndpoint: pulumi.Output<string | undefined>;
    /** Read endpoint in the paired region (RA-GRS and RA-GZRS only). */
    public readonly secondaryBlobEndpoint: pulumi.Output<string | undefined>;
    /** The account's redundancy (SKU name). */
    public readonly redundancy: pulumi.Output<string>;
    /** Name of the container the dumps are written to. */
    public readonly backupContainerName: pulumi.Output<string>;
    /** Name of the container the table exports are written to. */
    public readonly exportContainerName: pulumi.Output<string>;

    constructor(name: string, args: GeoRedundantStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-backup-stack:azure:GeoRedundantStorage", name, {}, opts);
        const a = withDefaults(args);
        this.validate(name, a);

        const accountName = pulumi.output(a.accountName ?? randomNameSuffix(`${name}-account-suffix`, this).apply((suffix) => `${accountNameStem(name)}${suffix}`));

        const account = new storage.StorageAccount(`${name}-account`, {
            resourceGroupName: a.resourceGroupName,
            location: a.location,
            accountName,
            kind: "StorageV2",
            sku: { name: a.redundancy },
            accessTier: "Hot",
            minimumTlsVersion: "TLS1_2",
            enableHttpsTrafficOnly: true,
            allowBlobPublicAccess: false,
            allowSharedKeyAccess: a.allowSharedKeyAccess,
            defaultToOAuthAuthentication: !a.allowSharedKeyAccess,
            allowCrossTenantReplication: false,
            ...(a.customerManagedKey !== undefined ? customerManagedKeySettings(a.customerManagedKey) : {}),
            ...(a.tags !== undefined ? { tags: a.tags } : {}),
        }, { parent: this, protect: a.protect });

        const blobService = new storage.BlobServiceProperties(`${name}-blob-service`, {
            resourceGroupName: a.resourceGroupName,
            accountName,
            blobServicesName: "default",
            isVersioningEnabled: true,
            deleteRetentionPolicy: { enabled: true, days: a.softDeleteDays },
            containerDeleteRetentionPolicy: { enabled: true, days: a.containerSoftDeleteDays },
            changeFeed: { enabled: true, retentionInDays: a.changeFeedRetentionDays },
            // Point-in-time restore needs versioning, change feed and soft delete (all on above)
            // and fewer days than soft delete. It does not restore Archive-tier blobs, and leaves
            // blobs under the immutability policy as they are ("Point-in-time restore for block
            // blobs", https://learn.microsoft.com/azure/storage/blobs/point-in-time-restore-overview).
            restorePolicy: a.pointInTimeRestoreDays > 0 ? { enabled: true, days: a.pointInTimeRestoreDays } : { enabled: false },
        }, { parent: this, dependsOn: [account] });

        const container = (suffix: string, containerName: string, protect: boolean, versionLevelImmutability: boolean): storage.BlobContainer =>
            new storage.BlobContainer(`${name}-${suffix}`, {
                resourceGroupName: a.resourceGroupName,
                accountName,
                containerName,
                publicAccess: "None",
                // Version-level immutability lets each blob version carry its own retention
                // (Set Blob Immutability Policy); it needs versioning on the account, which is on
                // ("Configure immutability policies for blob versions",
                // https://learn.microsoft.com/azure/storage/blobs/immutable-policy-configure-version-scope).
                ...(versionLevelImmutability ? { immutableStorageWithVersioning: { enabled: true } } : {}),
            }, { parent: this, protect, dependsOn: [blobService] });
        const backupsContainer = container("backups", a.backupContainerName, a.protect, a.versionLevelImmutability);
        const exportsContainer = container("exports", a.exportContainerName, false, false);

        if (a.immutabilityDays !== undefined) {
            new storage.BlobContainerImmutabilityPolicy(`${name}-backups-immutability`, {
                resourceGroupName: a.resourceGroupName,
                accountName,
                containerName: a.backupContainerName,
                immutabilityPolicyName: "default",
                immutabilityPeriodSinceCreationInDays: a.immutabilityDays,
                allowProtectedAppendWrites: false,
            }, {
                parent: this,
                dependsOn: [backupsContainer],
                protect: a.protect || a.immutabilityLocked,
                // The provider deletes the policy without the If-Match etag Azure requires, and
                // Azure answers 412 "Operation not allowed on immutability policy with incorrect
                // etag" (pulumi/pulumi-azure-native#2156): on delete Pulumi only forgets the
                // policy; the documented destroy path (docs/components.md) removes an unlocked one with its etag.
                retainOnDelete: true,
            });
        }

        new storage.ManagementPolicy(`${name}-lifecycle`, {
            resourceGroupName: a.resourceGroupName,
            accountName,
            managementPolicyName: "default",
            policy: a.tierLifecycle === undefined
                ? managementPolicy(a.lifecycle, [a.backupContainerName, a.exportContainerName])
                : tieredManagementPolicy(a.tierLifecycle, a.backupContainerName, { tiers: a.lifecycle, containers: [a.exportContainerName] }),
        }, { parent: this, dependsOn: [backupsContainer, exportsContainer] });

        this.accountId = account.id;
        this.accountName = account.name;
        this.primaryBlobEndpoint = account.primaryEndpoints.apply((e: EndpointsResponse | undefined) => e?.blob);
        this.secondaryBlobEndpoint = account.secondaryEndpoints.apply((e: EndpointsResponse | undefined) => e?.blob);
        this.redundancy = pulumi.output(a.redundancy);
        this.backupContainerName = backupsContainer.id.apply(() => a.backupContainerName);
        this.exportContainerName = exportsContainer.id.apply(() => a.exportContainerName);

        this.registerOutputs({
            accountId: this.accountId,
            accountName: this.accountName,
            primaryBlobEndpoint: this.primaryBlobEndpoint,
            secondaryBlobEndpoint: this.secondaryBlobEndpoint,
            redundancy: this.redundancy,
            backupContainerName: this.backupContainerName,
            exportContainerName: this.exportContainerName,
        });
    }

    private validate(name: string, a: ResolvedArgs): void {
        const fail = (message: string): never => {
            throw new pulumi.ResourceError(message, this);
        };
        const days = (key: string, value: number, max: number): void => {
            if (!Number.isInteger(value) || value < 1 || value > max) fail(`${key}: ${value} is out of range 1..${max}`);
        };
        if (!STORAGE_REDUNDANCIES.includes(a.redundancy)) {
            fail(`redundancy: "${a.redundancy}" is not one of ${STORAGE_REDUNDANCIES.join(", ")}`);
        }
        days("softDeleteDays", a.softDeleteDays, 365);
        days("containerSoftDeleteDays", a.containerSoftDeleteDays, 365);
        const restoreDays = a.pointInTimeRestoreDays;
        if (!Number.isInteger(restoreDays) || restoreDays < 0 || restoreDays >= a.softDeleteDays) {
            fail(`pointInTimeRestoreDays: ${restoreDays} ${pointInTimeRestoreProblem(a.softDeleteDays)}`);
        }
        days("changeFeedRetentionDays", a.changeFeedRetentionDays, 146000);
        const lifecycles: [string, BlobTiers][] = [
            ["lifecycle", a.lifecycle],
            ...Object.entries(a.tierLifecycle ?? {}).map(([tier, t]): [string, BlobTiers] => [`tierLifecycle.${tier}`, t]),
        ];
        if (a.tierLifecycle !== undefined && lifecycles.length === 1) fail("tierLifecycle: {} must give at least one tier");
        for (const [key, tiers] of lifecycles) {
            const problems = [...lifecycleProblems(tiers), ...redundancyProblems(a.redundancy, tiers)];
            for (const p of problems.filter((x) => x.severity === "error")) fail(`${key}.${p.key}: ${p.value} ${p.message}`);
            for (const p of problems.filter((x) => x.severity === "warning")) pulumi.log.warn(`${key}.${p.key}: ${p.value} ${p.message}`, this);
        }
        if (a.immutabilityLocked && a.immutabilityDays === undefined) {
            fail("immutabilityLocked: true needs immutabilityDays: there is no immutability policy to be locked");
        }
        if (a.immutabilityDays !== undefined) {
            days("immutabilityDays", a.immutabilityDays, 146000);
            const problem = immutabilityProblem(a.immutabilityDays, backupDeletions(a));
            if (problem !== undefined) fail(`immutabilityDays: ${a.immutabilityDays} ${problem}`);
        }
        for (const [key, value] of [["backupContainerName", a.backupContainerName], ["exportContainerName", a.exportContainerName]] as const) {
            if (!CONTAINER_NAME.test(value)) {
                fail(`${key}: "${value}" must be 3-63 lower-case letters, digits and single '-' between them`);
            }
        }
        if (a.backupContainerName === a.exportContainerName) {
            fail(`exportContainerName: "${a.exportContainerName}" must differ from backupContainerName`);
        }
        if (typeof a.accountName === "string" && !/^[a-z0-9]{3,24}$/.test(a.accountName)) {
            fail(`accountName: "${a.accountName}" must be 3-24 lower-case letters and digits`);
        }
        if (a.accountName === undefined && accountNameStem(name).length === 0) {
            fail(`name: "${name}" has no letters or digits to derive an account name from; give accountName`);
        }
    }
}
