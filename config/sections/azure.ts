import { z } from "zod";
import { logicalName, positiveInt } from "./common";
import { IPV4, POSTGRES_VERSIONS, SERVER_NAME } from "../../components/azure/documents/flexibleServer";

const uuid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, {
    message: "must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
});

/** The Microsoft Entra principal made administrator of a Flexible Server. */
export const entraAdminSchema = z.strictObject({
    tenantId: uuid,
    /** Object id of the user, group or service principal. */
    objectId: uuid,
    /** Its display name (user principal name for users); it becomes the PostgreSQL role name. */
    principalName: z.string().min(1).max(128),
    principalType: z.enum(["user", "group", "servicePrincipal"]),
});

const ipv4 = z.string().regex(IPV4, {
    message: "must be an IPv4 address (a.b.c.d)",
});

/** How clients (the dump and verify functions among them) reach a server: firewall rules, or VNet integration. */
export const serverNetworkSchema = z.strictObject({
    /** Public access for these address ranges only (e.g. the NAT gateway addresses the functions leave through). */
    firewallRules: z.array(z.strictObject({
        name: z.string().regex(/^[-\w]{1,80}$/, { message: "must be 1-80 letters, digits, '_' or '-'" }),
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
    name: logicalName,
    /** Azure name of the server (DNS label, globally unique in postgres.database.azure.com); omitted: `<name>-<environment>`. */
    serverName: z.string().regex(SERVER_NAME, {
        message: "must be 3-63 characters: lower-case letters, digits and '-', not starting or ending with '-'",
    }).optional(),
    version: z.enum(POSTGRES_VERSIONS).prefault("15"),
    skuName: z.string().min(1).prefault("Standard_D2ds_v5"),
    skuTier: z.enum(["Burstable", "GeneralPurpose", "MemoryOptimized"]).prefault("GeneralPurpose"),
    storageSizeGb: z.int().min(32).max(32767).prefault(128),
    /** Network path to the server; none means no client can connect. */
    network: serverNetworkSchema.prefault({}),
    /** Days of backups (and so of point-in-time restore). */
    backupRetentionDays: z.int().min(7).max(35).prefault(7),
    /** Geo-redundant backup: can only be chosen when the server is created; defaults to true in prod. */
    geoRedundantBackup: z.boolean().optional(),
    /** What the server was created with, when it already exists; a difference means a replacement. */
    createdWithGeoRedundantBackup: z.boolean().optional(),
    highAvailability: z.enum(["Disabled", "SameZone", "ZoneRedundant"]).prefault("Disabled"),
    administratorLogin: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/).prefault("pgadmin"),
    authentication: z.strictObject({
        /** Password login for `administratorLogin` (the password is generated and kept as a secret). */
        password: z.boolean().prefault(true),
        /** Microsoft Entra administrator; required when `password` is false (Entra-only authentication). */
        entraAdmin: entraAdminSchema.optional(),
    }).prefault({}),
});

/** Storage account for file backups and exports. */
export const azureStorageSchema = z.strictObject({
    /** Azure name of the account (globally unique); omitted: generated from the stack's names with a random suffix. */
    accountName: z.string().regex(/^[a-z0-9]{3,24}$/, { message: "must be 3-24 lower-case letters and digits" }).optional(),
    redundancy: z.enum(["Standard_LRS", "Standard_ZRS", "Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS"])
        .prefault("Standard_RAGRS"),
    /** Days a deleted blob (or blob version) can be undeleted. */
    softDeleteDays: z.int().min(1).max(365).prefault(14),
    /** Days back a point-in-time restore of the blobs can go (0: off); fewer than softDeleteDays. Omitted: softDeleteDays - 1. */
    pointInTimeRestoreDays: z.int().min(0).max(364).optional(),
    /** Days a deleted container can be undeleted. */
    containerSoftDeleteDays: z.int().min(1).max(365).prefault(14),
    /** Time-based immutability of the backup container, days. */
    immutabilityDays: z.int().min(1).max(146000).optional(),
    /** The immutability policy has been locked with `az storage container immutability-policy lock` (docs/components.md, "Locking the Azure immutability policy"); it is created unlocked. */
    immutabilityLocked: z.boolean().prefault(false),
    /** Account keys and SAS tokens; off means Microsoft Entra authorization only. */
    allowSharedKeyAccess: z.boolean().prefault(false),
    /** The account's UsedCapacity above this many GiB raises an alert. */
    capacityAlertGb: positiveInt.prefault(1024),
    lifecycle: z.strictObject({
        coolAfterDays: positiveInt.optional(),
        coldAfterDays: positiveInt.optional(),
        archiveAfterDays: positiveInt.optional(),
        deleteAfterDays: positiveInt.prefault(30),
    }).prefault({}),
});

export const azureSchema = z.strictObject({
    location: z.string().min(1),
    resourceGroupName: z.string().regex(/^[-\w._()]{1,90}$/),
    servers: z.array(flexibleServerSchema).prefault([]),
    storage: azureStorageSchema.optional(),
});
