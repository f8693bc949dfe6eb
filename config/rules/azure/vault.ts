/** Rules of the Azure Backup vault: required and protected in prod, and its retention. */
import type { Rule } from "../../findings";
import { error } from "../../findings";
import { type VaultImmutability, type VaultRetention, type VaultRetentionKey, vaultRetentionProblems } from "../../../components/azure/documents/backupVault";
import type { ParsedConfig } from "../../schema";
import { type AzureConfig, isProd } from "./shared";

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
