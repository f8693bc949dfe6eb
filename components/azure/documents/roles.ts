/**
 * Azure built-in role definitions this project assigns, by their fixed GUIDs ("Azure built-in
 * roles", https://learn.microsoft.com/azure/role-based-access-control/built-in-roles). The GUIDs
 * are the same in every tenant and subscription.
 */
export const BUILT_IN_ROLES = {
    /** Pull images from the registry (Containers: AcrPull): the jobs' identity on the stack's registry. */
    acrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    /** View all resources (the Backup vault reads the server's resource group). */
    reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    /** Read a key's metadata and wrap/unwrap with it: what Azure Storage needs for a customer-managed key. */
    keyVaultCryptoServiceEncryptionUser: "e147488a-f6f5-4113-8e2d-b22465e65bf6",
    /** Read secret contents (the jobs' database credentials). */
    keyVaultSecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
    /**
     * Start and read long-term retention backups of a Flexible Server: what the Backup vault's
     * identity needs on each server it protects, with Reader on the server's resource group
     * (Az.DataProtection manifest AzureDatabaseForPGFlexServer.json: datasourcePermissions,
     * datasourceRGPermissions; "Back up Azure Database for PostgreSQL flexible server",
     * https://learn.microsoft.com/azure/backup/backup-azure-database-postgresql-flex).
     */
    postgresFlexibleServerLongTermRetentionBackup: "c088a766-074b-43ba-90d4-1fb21feae531",
} as const;
export type BuiltInRole = keyof typeof BUILT_IN_ROLES;

/**
 * The role definition ID of a built-in role in the tenant-level form
 * `/providers/Microsoft.Authorization/roleDefinitions/<guid>`, which role assignments accept at
 * any scope (ARM template function `tenantResourceId`), so no subscription ID is needed.
 */
export function builtInRoleDefinitionId(role: BuiltInRole): string {
    return `/providers/Microsoft.Authorization/roleDefinitions/${BUILT_IN_ROLES[role]}`;
}
