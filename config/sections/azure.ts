import { z } from "zod";
import { logicalName, positiveInt } from "./common";
import { exportTableSchema } from "./rds";
import { IPV4, POSTGRES_VERSIONS, SERVER_NAME } from "../../components/azure/documents/flexibleServer";
import { CONSUMPTION_CPUS, MAX_LOG_ALERT_LOOKBACK_HOURS, cronProblem } from "../../components/azure/documents/jobs";
import { KEY_VAULT_NAME, ROTATION_LIMITS, SOFT_DELETE_RANGE } from "../../components/azure/documents/keyVault";
import {
    MAX_VAULT_RETENTION_DAYS,
    MIN_WEEKLY_RETENTION_DAYS,
    VAULT_IMMUTABILITY_STATES,
    VAULT_REDUNDANCIES,
    VAULT_SOFT_DELETE_RANGE,
    VAULT_SOFT_DELETE_STATES,
} from "../../components/azure/documents/backupVault";

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

/** When a tier's blobs move to colder access tiers, in days after they were written; they are deleted after the tier's `retention.<tier>.keepDays`. */
const blobTierSchema = z.strictObject({
    /** Days in Hot before Cool (Cool bills at least 30 days). @default none - no Cool step */
    coolAfterDays: positiveInt.optional(),
    /** Days before Cold (Cold bills at least 90 days). @default none - no Cold step */
    coldAfterDays: positiveInt.optional(),
    /** Days before Archive (Archive bills at least 180 days; not on ZRS, GZRS or RA-GZRS accounts). @default none - no Archive step */
    archiveAfterDays: positiveInt.optional(),
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
    /**
     * Lifecycle of the dumps per retention tier, matched by their blob index tag `tier`: each tier's
     * blobs are deleted after its `retention.<tier>.keepDays`, and `lifecycle` then applies to the
     * exports only. @default none - `lifecycle` applies to dumps and exports alike
     */
    tierLifecycle: z.strictObject({
        /** Access-tier moves of daily dumps and their manifests. @default {} - they stay in the account's default (hot) tier */
        daily: blobTierSchema.prefault({}),
        /** Access-tier moves of weekly dumps and their manifests. @default {} - they stay in the account's default (hot) tier */
        weekly: blobTierSchema.prefault({}),
        /** Access-tier moves of monthly dumps and their manifests. @default {} - they stay in the account's default (hot) tier */
        monthly: blobTierSchema.prefault({}),
    }).optional(),
    /**
     * Version-level immutability on the backups container: each dump and manifest is locked until
     * its start + its tier's keepDays (`storage.objectLock.mode` COMPLIANCE: a locked policy;
     * GOVERNANCE: an unlocked one). Needs `tierLifecycle`. @default false
     */
    versionLevelImmutability: z.boolean().prefault(false),
});

/** Key Vault of the stack: the storage account's customer-managed key and the jobs' database credentials. */
export const azureKeyVaultSchema = z.strictObject({
    /** Azure name of the vault (globally unique). @default "kv-<letters of the stack>-<8 random characters>" */
    vaultName: z.string().regex(KEY_VAULT_NAME, {
        message: "must be 3-24 letters, digits and single '-', starting with a letter and ending with a letter or digit",
    }).optional(),
    /** Days a deleted vault, key or secret stays recoverable; purge protection is always on. @default 90 */
    softDeleteDays: z.int().min(SOFT_DELETE_RANGE.min).max(SOFT_DELETE_RANGE.max).prefault(SOFT_DELETE_RANGE.max),
    /** RSA key size of the customer-managed key, bits. @default 3072 */
    keySize: z.union([z.literal(2048), z.literal(3072), z.literal(4096)]).prefault(3072),
    /** Days after creation at which Key Vault rotates the key. @default 365 */
    rotateAfterDays: z.int().min(ROTATION_LIMITS.minRotateAfterDays).max(3650).prefault(365),
    /** Days after creation at which a key version expires (at least 7 after the rotation). @default 730 */
    keyExpiryDays: z.int().min(ROTATION_LIMITS.minExpiryDays).max(3650).prefault(730),
});

/** Azure Backup vault keeping weekly, monthly and yearly backups of every Flexible Server (long-term retention). */
export const azureBackupVaultSchema = z.strictObject({
    /** Redundancy of the vault store; prod needs GeoRedundant. @default "GeoRedundant" */
    redundancy: z.enum(VAULT_REDUNDANCIES).prefault("GeoRedundant"),
    /** Immutable vault: Unlocked can be turned off, Locked cannot; prod needs Locked. @default "Locked" in prod, "Unlocked" elsewhere */
    immutability: z.enum(VAULT_IMMUTABILITY_STATES).optional(),
    /** Soft delete of recovery points: AlwaysOn cannot be turned off again; prod needs On or AlwaysOn. @default "On" */
    softDelete: z.enum(VAULT_SOFT_DELETE_STATES).prefault("On"),
    /** Days a soft-deleted recovery point stays recoverable. @default 14 */
    softDeleteDays: z.int().min(VAULT_SOFT_DELETE_RANGE.min).max(VAULT_SOFT_DELETE_RANGE.max).prefault(VAULT_SOFT_DELETE_RANGE.min),
    /** UTC time of the weekly backup (on `retention.weeklyOn`), hh:mm. @default "02:00" */
    time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: "must be hh:mm (UTC)" }).prefault("02:00"),
    /** Days the first backup of each year is kept; weekly and monthly backups are kept `retention.weekly.keepDays` and `retention.monthly.keepDays`. @default none - no yearly rule */
    yearlyKeepDays: z.int().min(MIN_WEEKLY_RETENTION_DAYS).max(MAX_VAULT_RETENTION_DAYS).optional(),
});

const cron = z.string().superRefine((value, ctx) => {
    const problem = cronProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
});

const keyVaultSecretName = z.string().regex(/^[0-9a-zA-Z-]{1,127}$/, { message: "must be 1-127 letters, digits and '-' (a Key Vault secret name)" });

/** A database the Azure runner dumps, exports and verifies. */
export const runnerTargetSchema = z.strictObject({
    /** Logical name of the server in azure.servers: the job runs against its host, and its name is the backups' database name. @default none - required */
    server: logicalName,
    /** PostgreSQL database dumped and exported. @default "postgres" */
    databaseName: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: "must be an unquoted PostgreSQL identifier" }).prefault("postgres"),
    /** Name of the Key Vault secret (in azure.runner.keyVaultId) holding the login, {"username","password"}; this or entraUser. */
    keyVaultLogin: keyVaultSecretName.optional(),
    /** PostgreSQL role mapped to the runner's managed identity (the server needs an Entra administrator to create it); this or keyVaultLogin. */
    entraUser: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,62}$/, { message: "must be 1-63 letters, digits, '_' or '-', starting with a letter" }).optional(),
    /** Tables exported on schedules.export (changed rows since the watermark column's last value). @default [] */
    exportTables: z.array(exportTableSchema).prefault([]),
});

/** The Azure-native runner: Container Apps jobs in a Consumption workload profile, with a managed identity. */
export const azureRunnerSchema = z.strictObject({
    /** Databases the jobs run for; each names a server of azure.servers. @default none - required, at least one */
    targets: z.array(runnerTargetSchema).min(1),
    /** Five-field cron expressions, evaluated in UTC. @default {} - each kind takes its default */
    schedules: z.strictObject({
        /** When the dump jobs run. @default "0 2 * * *" */
        dump: cron.prefault("0 2 * * *"),
        /** When the export jobs run. @default none - no export jobs */
        export: cron.optional(),
        /** When the verify jobs run: after the dump has had time to finish. @default "30 4 * * *" */
        verify: cron.prefault("30 4 * * *"),
    }).prefault({}),
    /** Longest run expected per kind, minutes: the job's replica timeout (the handler stops itself 2 minutes earlier). @default {} - each kind takes its default */
    timeoutMinutes: z.strictObject({
        /** Dump jobs' replica timeout. @default 240 */
        dump: z.int().min(5).max(1440).prefault(240),
        /** Export jobs' replica timeout. @default 60 */
        export: z.int().min(5).max(1440).prefault(60),
        /** Verify jobs' replica timeout (download, restore, checks). @default 240 */
        verify: z.int().min(5).max(1440).prefault(240),
    }).prefault({}),
    /** vCPU per job on the Consumption profile, 0.25..4 in steps of 0.25. @default 1 */
    cpu: z.number().min(CONSUMPTION_CPUS[0]!).max(CONSUMPTION_CPUS[CONSUMPTION_CPUS.length - 1]!).prefault(1),
    /** GiB of memory per job: the Consumption profile allows exactly 2 per vCPU. @default twice cpu */
    memoryGi: z.number().positive().optional(),
    /** Retries of a failed replica before the execution fails. @default 1 */
    retryLimit: z.int().min(0).max(10).prefault(1),
    /** Days the Log Analytics workspace keeps the jobs' logs (PerGB2018: 30..730). @default 90 */
    logRetentionDays: z.int().min(30).max(730).prefault(90),
    /**
     * Hours without a successful dump or verify before "missing backup" fires: at least each schedule's longest gap plus its
     * timeout (a log search alert looks back 48 h at most). @default 30 - a daily run plus a 4-hour timeout, 2 hours spare
     */
    maxBackupAgeHours: z.int().min(1).max(MAX_LOG_ALERT_LOOKBACK_HOURS).prefault(30),
    /** ARM id of your own Key Vault holding the targets' secrets (RBAC authorization); required when a target uses keyVaultLogin and the stack declares no azure.keyVault. @default none - the stack's azure.keyVault */
    keyVaultId: z.string().regex(/^\/subscriptions\/.+\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+$/i, { message: "must be the ARM id of a Key Vault" }).optional(),
    /** How the jobs reach the servers. @default {} - no subnet and no egress addresses */
    network: z.strictObject({
        /**
         * ARM id of the environment's infrastructure subnet (at least /27, delegated to Microsoft.App/environments), in or peered
         * with the servers' VNet; required for VNet-integrated servers and for a fixed egress address.
         */
        infrastructureSubnetId: z.string().regex(/^\/subscriptions\/.+\/subnets\/[^/]+$/i, { message: "must be the ARM id of a subnet" }).optional(),
        /** Public IPs of the NAT gateway on infrastructureSubnetId: what servers with firewall rules must allow. @default [] */
        egressIpAddresses: z.array(ipv4).prefault([]),
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
    /** Customer-managed key of the storage account and the jobs' secrets; required in prod with `storage`. @default none - Microsoft-managed keys */
    keyVault: azureKeyVaultSchema.optional(),
    /** Vaulted long-term backups of the servers; required in prod for an Azure-only stack with servers. @default none - no Azure Backup */
    backupVault: azureBackupVaultSchema.optional(),
    /** Run dump, export and verify in Azure as Container Apps jobs; needs azure.storage. Omitted: no Azure runner. */
    runner: azureRunnerSchema.optional(),
});
