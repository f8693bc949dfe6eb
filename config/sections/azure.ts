import { z } from "zod";
import { logicalName, positiveInt } from "./common";
import { exportTableSchema } from "./rds";
import { IPV4, POSTGRES_VERSIONS, SERVER_NAME } from "../../components/azure/documents/flexibleServer";
import { CONSUMPTION_CPUS, MAX_LOG_ALERT_LOOKBACK_HOURS, cronProblem } from "../../components/azure/documents/jobs";

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
    /** Five-field cron expressions, evaluated in UTC. */
    schedules: z.strictObject({
        /** When the dump jobs run. @default "0 2 * * *" */
        dump: cron.prefault("0 2 * * *"),
        /** When the export jobs run. @default none - no export jobs */
        export: cron.optional(),
        /** When the verify jobs run: after the dump has had time to finish. @default "30 4 * * *" */
        verify: cron.prefault("30 4 * * *"),
    }).prefault({}),
    /** Longest run expected per kind, minutes: the job's replica timeout (the handler stops itself 2 minutes earlier). */
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
    /** ARM id of the Key Vault holding the targets' secrets (RBAC authorization); required when a target uses keyVaultLogin. */
    keyVaultId: z.string().regex(/^\/subscriptions\/.+\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+$/i, { message: "must be the ARM id of a Key Vault" }).optional(),
    /** How the jobs reach the servers. */
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
    location: z.string().min(1),
    resourceGroupName: z.string().regex(/^[-\w._()]{1,90}$/),
    servers: z.array(flexibleServerSchema).prefault([]),
    storage: azureStorageSchema.optional(),
    /** Run dump, export and verify in Azure as Container Apps jobs; needs azure.storage. Omitted: no Azure runner. */
    runner: azureRunnerSchema.optional(),
});
