import { z } from "zod";
import { logicalName, positiveInt } from "./common";

/** A PostgreSQL Flexible Server and its backup settings. */
export const flexibleServerSchema = z.strictObject({
    name: logicalName,
    version: z.enum(["13", "14", "15", "16", "17"]).prefault("15"),
    skuName: z.string().min(1).prefault("Standard_D2ds_v5"),
    skuTier: z.enum(["Burstable", "GeneralPurpose", "MemoryOptimized"]).prefault("GeneralPurpose"),
    storageSizeGb: z.int().min(32).max(32767).prefault(128),
    /** Days of backups (and so of point-in-time restore). */
    backupRetentionDays: z.int().min(7).max(35).prefault(7),
    /** Geo-redundant backup: can only be chosen when the server is created. */
    geoRedundantBackup: z.boolean().optional(),
    /** What the server was created with, when it already exists; a difference means a replacement. */
    createdWithGeoRedundantBackup: z.boolean().optional(),
    highAvailability: z.enum(["Disabled", "SameZone", "ZoneRedundant"]).prefault("Disabled"),
    administratorLogin: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/).prefault("pgadmin"),
});

/** Storage account for file backups and exports. */
export const azureStorageSchema = z.strictObject({
    redundancy: z.enum(["Standard_LRS", "Standard_ZRS", "Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS"])
        .prefault("Standard_GRS"),
    softDeleteDays: z.int().min(1).max(365).prefault(14),
    /** Time-based immutability of the backup container, days. */
    immutabilityDays: z.int().min(1).max(146000).optional(),
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
