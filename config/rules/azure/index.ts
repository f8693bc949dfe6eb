/**
 * The Azure rules, one module per concern: servers, storage, Key Vault, Backup vault and the
 * stack as a whole. `rules` lists them in the order validate reports their findings.
 */
import type { Rule } from "../../findings";
import {
    azureLocationKnown,
    burstableWithoutHighAvailability,
    derivedServerNameValid,
    entraOnlyNeedsAdmin,
    geoRedundantBackupUnchanged,
    prodServersGeoRedundant,
    regionOffersGeoRedundantBackup,
    regionOffersZoneRedundantHa,
    serverNetworkValid,
    storageSizeOffered,
    uniqueServerNames,
} from "./servers";
import {
    archiveNeedsSupportedRedundancy,
    immutabilityWithinRetention,
    lifecycleOrder,
    pointInTimeRestoreWithinSoftDelete,
    prodImmutabilityLocked,
    prodStorageGeoRedundant,
    prodStorageImmutable,
    prodStorageReadableInPairedRegion,
    tierLifecycleValid,
    versionLevelImmutabilityComplete,
} from "./storage";
import { keyRotationValid, prodStorageCustomerManagedKey } from "./keyVault";
import { prodAzureOnlyBackupVault, prodBackupVaultProtected, vaultRetentionValid } from "./vault";
import { azureAlertsHaveReceivers, azureOnlyStackComplete, noAwsFunctionsForAzureServers } from "./stack";

export { effectiveGeoRedundantBackup, effectiveServerName } from "./servers";
export { tierBlobLifecycles } from "./storage";
export { effectiveVaultImmutability, vaultRetention } from "./vault";

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
