import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as dataprotection from "@pulumi/azure-native/dataprotection";
import {
    FLEXIBLE_SERVER_DATASOURCE,
    VAULT_SOFT_DELETE_RANGE,
    VaultRetention,
    VaultSettings,
    Weekday,
    backupVaultProperties,
    flexibleServerBackupPolicy,
    vaultRetentionProblems,
    weeklyScheduleStart,
} from "./documents/backupVault";
import { builtInRoleDefinitionId } from "./documents/roles";

/** A server the vault protects. */
export interface VaultedServer {
    /** Logical name: stem of the child resources' names. */
    readonly key: string;
    /** ARM ID of the Flexible Server. */
    readonly serverId: pulumi.Input<string>;
    /** Azure name of the server. */
    readonly serverName: pulumi.Input<string>;
}

export interface FlexibleServerVaultBackupArgs {
    /** Resource group of the vault. @default none - required */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Azure location (programmatic name). @default none - required */
    readonly location: pulumi.Input<string>;
    /** ARM ID of the resource group holding the servers: the vault's identity reads it. @default none - required */
    readonly serverResourceGroupId: pulumi.Input<string>;
    /** Servers to back up. @default none - required */
    readonly servers: readonly VaultedServer[];
    /** Redundancy, immutability and soft delete of the vault. @default { redundancy: "GeoRedundant", immutability: "Unlocked", softDelete: "On", softDeleteDays: 14 } */
    readonly settings?: Partial<VaultSettings>;
    /** Retention of the weekly backups, and of the first of each month and year. @default none - required */
    readonly retention: VaultRetention;
    /** UTC weekday and time of the weekly backup. @default { weekday: "SUN", time: "02:00" } */
    readonly schedule?: { readonly weekday: Weekday; readonly time: string };
    /** Pulumi `protect` on the vault and the backup instances. @default false */
    readonly protect?: boolean;
}

/**
 * Azure Backup for Flexible Servers: a Backup vault (geo-redundant, immutable, soft delete), a
 * weekly policy whose retention comes from the stack's tiers (up to 10 years), one backup
 * instance per server, and the role assignments the vault's system-assigned identity needs before
 * a backup instance can be configured: "PostgreSQL Flexible Server Long Term Retention Backup
 * Role" on each server and Reader on the servers' resource group ("Back up Azure Database for
 * PostgreSQL flexible server", prerequisites, https://learn.microsoft.com/azure/backup/backup-azure-database-postgresql-flex).
 */
export class FlexibleServerVaultBackup extends pulumi.ComponentResource {
    /** ARM id of the backup vault. */
    public readonly vaultId: pulumi.Output<string>;
    /** Name of the backup vault. */
    public readonly vaultName: pulumi.Output<string>;
    /** ARM id of the backup policy. */
    public readonly policyId: pulumi.Output<string>;
    /** Backup instance ID per server key. */
    public readonly instanceIds: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: FlexibleServerVaultBackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-backup-stack:azure:FlexibleServerVaultBackup", name, {}, opts);
        const settings: VaultSettings = {
            redundancy: args.settings?.redundancy ?? "GeoRedundant",
            immutability: args.settings?.immutability ?? "Unlocked",
            softDelete: args.settings?.softDelete ?? "On",
            softDeleteDays: args.settings?.softDeleteDays ?? VAULT_SOFT_DELETE_RANGE.min,
        };
        const schedule = args.schedule ?? { weekday: "SUN" as const, time: "02:00" };
        const protect = args.protect ?? false;
        this.validate(args, settings);

        const vault = new dataprotection.BackupVault(`${name}-vault`, {
            resourceGroupName: args.resourceGroupName,
            location: args.location,
            identity: { type: "SystemAssigned" },
            properties: backupVaultProperties(settings),
        }, { parent: this, protect });
        const principalId = vault.identity.apply((i) => {
            if (i?.principalId === undefined) throw new Error(`${name}: the Backup vault has no system-assigned identity`);
            return i.principalId;
        });

        const policy = new dataprotection.BackupPolicy(`${name}-policy`, {
            resourceGroupName: args.resourceGroupName,
            vaultName: vault.name,
            properties: flexibleServerBackupPolicy(args.retention, weeklyScheduleStart(schedule.weekday, schedule.time)),
        }, { parent: this });

        const groupReader = new authorization.RoleAssignment(`${name}-group-reader`, {
            scope: args.serverResourceGroupId,
            principalId,
            principalType: "ServicePrincipal",
            roleDefinitionId: builtInRoleDefinitionId("reader"),
        }, { parent: this });

        const instances: Record<string, pulumi.Output<string>> = {};
        for (const server of args.servers) {
            const ltr = new authorization.RoleAssignment(`${name}-${server.key}-ltr-role`, {
                scope: server.serverId,
                principalId,
                principalType: "ServicePrincipal",
                roleDefinitionId: builtInRoleDefinitionId("postgresFlexibleServerLongTermRetentionBackup"),
            }, { parent: this });
            const datasource = {
                objectType: "Datasource",
                datasourceType: FLEXIBLE_SERVER_DATASOURCE,
                resourceType: FLEXIBLE_SERVER_DATASOURCE,
                resourceID: server.serverId,
                resourceName: server.serverName,
                resourceLocation: args.location,
            };
            const instance = new dataprotection.BackupInstance(`${name}-${server.key}-instance`, {
                resourceGroupName: args.resourceGroupName,
                vaultName: vault.name,
                properties: {
                    objectType: "BackupInstance",
                    friendlyName: server.serverName,
                    dataSourceInfo: datasource,
                    dataSourceSetInfo: { ...datasource, objectType: "DatasourceSet" },
                    policyInfo: { policyId: policy.id },
                },
            }, { parent: this, protect, dependsOn: [ltr, groupReader] });
            instances[server.key] = instance.id;
        }

        this.vaultId = vault.id;
        this.vaultName = vault.name;
        this.policyId = policy.id;
        this.instanceIds = pulumi.output(instances);
        this.registerOutputs({ vaultId: this.vaultId, vaultName: this.vaultName, policyId: this.policyId, instanceIds: this.instanceIds });
    }

    private validate(args: FlexibleServerVaultBackupArgs, s: VaultSettings): void {
        const fail = (message: string): never => {
            throw new pulumi.ResourceError(message, this);
        };
        if (args.servers.length === 0) fail("servers: [] must name at least one server to back up");
        for (const p of vaultRetentionProblems(args.retention)) fail(`retention.${p.key}: ${p.value} ${p.message}`);
        if (!Number.isInteger(s.softDeleteDays) || s.softDeleteDays < VAULT_SOFT_DELETE_RANGE.min || s.softDeleteDays > VAULT_SOFT_DELETE_RANGE.max) {
            fail(`settings.softDeleteDays: ${s.softDeleteDays} is out of range ${VAULT_SOFT_DELETE_RANGE.min}..${VAULT_SOFT_DELETE_RANGE.max}`);
        }
    }
}
