import { z } from "zod";
import { logicalName, positiveInt } from "./common";
import { IPV4, POSTGRES_VERSIONS, SERVER_NAME } from "../../components/azure/documents/flexibleServer";

const uuid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, {
    message: "must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
});

/** The Microsoft Entra principal made administrator of a Flexible Server. */
export const entraAdminSchema = z.strictObject({
    /** Microsoft Entra tenant of the principal. */
    tenantId: uuid,
    /** Object id of the user, group or service principal. */
    objectId: uuid,
    /** Its display name (user principal name for users); it becomes the PostgreSQL role name. */
    principalName: z.string().min(1).max(128),
    /** Kind of principal. */
    principalType: z.enum(["user", "group", "servicePrincipal"]),
});

const ipv4 = z.string().regex(IPV4, {
    message: "must be an IPv4 address (a.b.c.d)",
});

/** How clients (the dump and verify functions among them) reach a server: firewall rules, or VNet integration. */
export const serverNetworkSchema = z.strictObject({
    /**
     * Public access for these address ranges only (e.g. the NAT gateway addresses the functions leave through).
     * @default []
     */
    firewallRules: z.array(z.strictObject({
        /** Name of the firewall rule. */
        name: z.string().regex(/^[-\w]{1,80}$/, { message: "must be 1-80 letters, digits, '_' or '-'" }),
        /** First address of the range. */
        startIpAddress: ipv4,
        /** Last address of the range; omitted: the start address alone. */
        endIpAddress: ipv4.optional(),
    })).prefault([]),
    /** VNet integration (private access): ARM id of a subnet delegated to Microsoft.DBforPostgreSQL/flexibleServers. */
    delegatedSubnetId: z.string().regex(/^\/subscriptions\/.+\/subnets\/[^/]+$/i, { message: "must be the ARM id of a subnet" }).optional(),
    /** With delegatedSubnetId: ARM id of the private DNS zone (`*.postgres.database.azure.com`) linked to the VNet. */
    privateDnsZoneId: z.string().regex(/^\/subscriptions\/.+\/privateDnsZones\/[^/]+$/i, { message: "must be the ARM id of a private DNS zone" }).optional(),
});

/** A PostgreSQL Flexible Server and its backup settings. */
export const flexibleServerSchema = z.strictObject({
    /** Logical name: resource-name stem, metric dimension. */
    name: logicalName,
    /** Azure name of the server (DNS label, globally unique in postgres.database.azure.com); omitted: `<name>-<environment>`. */
    serverName: z.string().regex(SERVER_NAME, {
        message: "must be 3-63 characters: lower-case letters, digits and '-', not starting or ending with '-'",
    }).optional(),
    /**
     * PostgreSQL major version.
     * @default "15"
     */
    version: z.enum(POSTGRES_VERSIONS).prefault("15"),
    /**
     * Compute size of the server.
     * @default "Standard_D2ds_v5"
     */
    skuName: z.string().min(1).prefault("Standard_D2ds_v5"),
    /**
     * Compute tier, matching `skuName`.
     * @default "GeneralPurpose"
     */
    skuTier: z.enum(["Burstable", "GeneralPurpose", "MemoryOptimized"]).prefault("GeneralPurpose"),
    /**
     * Storage of the server in GiB; the storage alert follows it.
     * @default 128
     */
    storageSizeGb: z.int().min(32).max(32767).prefault(128),
    /**
     * Network path to the server; none means no client can connect.
     * @default {} - no firewall rule and no VNet integration: no client can connect
     */
    network: serverNetworkSchema.prefault({}),
    /**
     * Days of backups (and so of point-in-time restore).
     * @default 7
     */
    backupRetentionDays: z.int().min(7).max(35).prefault(7),
    /** Geo-redundant backup: can only be chosen when the server is created; defaults to true in prod. */
    geoRedundantBackup: z.boolean().optional(),
    /** What the server was created with, when it already exists; a difference means a replacement. */
    createdWithGeoRedundantBackup: z.boolean().optional(),
    /**
     * High-availability mode (a standby server in the same or another zone).
     * @default "Disabled"
     */
    highAvailability: z.enum(["Disabled", "SameZone", "ZoneRedundant"]).prefault("Disabled"),
    /**
     * Administrator login of the server.
     * @default "pgadmin"
     */
    administratorLogin: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/).prefault("pgadmin"),
    /**
     * How the administrator signs in: password, Microsoft Entra, or both.
     * @default {} - password login
     */
    authentication: z.strictObject({
        /**
         * Password login for `administratorLogin` (the password is generated and kept as a secret).
         * @default true
         */
        password: z.boolean().prefault(true),
        /** Microsoft Entra administrator; required when `password` is false (Entra-only authentication). */
        entraAdmin: entraAdminSchema.optional(),
    }).prefault({}),
});

/** Storage account for file backups and exports. */
export const azureStorageSchema = z.strictObject({
    /** Azure name of the account (globally unique); omitted: generated from the stack's names with a random suffix. */
    accountName: z.string().regex(/^[a-z0-9]{3,24}$/, { message: "must be 3-24 lower-case letters and digits" }).optional(),
    /**
     * Replication of the account (geo-redundant ones copy to the paired region).
     * @default "Standard_RAGRS"
     */
    redundancy: z.enum(["Standard_LRS", "Standard_ZRS", "Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS"])
        .prefault("Standard_RAGRS"),
    /**
     * Days a deleted blob (or blob version) can be undeleted.
     * @default 14
     */
    softDeleteDays: z.int().min(1).max(365).prefault(14),
    /** Days back a point-in-time restore of the blobs can go (0: off); fewer than softDeleteDays. Omitted: softDeleteDays - 1. */
    pointInTimeRestoreDays: z.int().min(0).max(364).optional(),
    /**
     * Days a deleted container can be undeleted.
     * @default 14
     */
    containerSoftDeleteDays: z.int().min(1).max(365).prefault(14),
    /** Time-based immutability of the backup container, days. */
    immutabilityDays: z.int().min(1).max(146000).optional(),
    /**
     * The immutability policy has been locked with `az storage container immutability-policy lock` (docs/components.md, "Locking the Azure immutability policy"); it is created unlocked.
     * @default false
     */
    immutabilityLocked: z.boolean().prefault(false),
    /**
     * Account keys and SAS tokens; off means Microsoft Entra authorization only.
     * @default false
     */
    allowSharedKeyAccess: z.boolean().prefault(false),
    /**
     * The account's UsedCapacity above this many GiB raises an alert.
     * @default 1024
     */
    capacityAlertGb: positiveInt.prefault(1024),
    /**
     * Lifecycle management of the backup blobs: tiers by days since last modification, then deletion.
     * @default {} - delete after 30 days, no tiering
     */
    lifecycle: z.strictObject({
        /**
         * Days after which blobs move to the Cool tier.
         * @default - never
         */
        coolAfterDays: positiveInt.optional(),
        /**
         * Days after which blobs move to the Cold tier.
         * @default - never
         */
        coldAfterDays: positiveInt.optional(),
        /**
         * Days after which blobs move to the Archive tier.
         * @default - never
         */
        archiveAfterDays: positiveInt.optional(),
        /**
         * Days after which blobs are deleted.
         * @default 30
         */
        deleteAfterDays: positiveInt.prefault(30),
    }).prefault({}),
});

export const azureSchema = z.strictObject({
    /** Azure region of the servers and the storage account. */
    location: z.string().min(1),
    /** Existing resource group the resources are created in. */
    resourceGroupName: z.string().regex(/^[-\w._()]{1,90}$/),
    /**
     * The Flexible Servers the stack creates, with their backup settings.
     * @default []
     */
    servers: z.array(flexibleServerSchema).prefault([]),
    /**
     * Storage account for file backups and exports.
     * @default - no storage account
     */
    storage: azureStorageSchema.optional(),
});
