import { strict as assert } from "node:assert";
import { formatFinding } from "../../../../../config/findings";
import * as storageRules from "../../../../../config/rules/azure/storage";
import { validate } from "../../../../helpers/config";
import { staging, prod, PER_TIER, GOVERNANCE, describeAzureRules, type AzureRuleCase } from "../../../../helpers/azureRules";

const CASES: readonly AzureRuleCase[] = [
    {
        rule: "prodStorageGeoRedundant",
        bad: prod({ "azure.storage.redundancy": "Standard_ZRS" }), good: prod({ "azure.storage.redundancy": "Standard_RAGZRS" }),
        path: "azure.storage.redundancy", severity: "error", message: /is not geo-redundant; prod needs one of Standard_GRS/,
    },
    {
        rule: "prodStorageImmutable",
        bad: prod({ "azure.storage.immutabilityDays": undefined, "azure.storage.immutabilityLocked": false }), good: prod({ "azure.storage.immutabilityDays": 1 }),
        path: "azure.storage.immutabilityDays", severity: "error", message: /required in prod.*allowed: 1..30/,
    },
    {
        rule: "archiveNeedsSupportedRedundancy",
        bad: staging({ "azure.storage.redundancy": "Standard_GZRS", "azure.storage.lifecycle": { archiveAfterDays: 200, deleteAfterDays: 400 } }),
        good: staging({ "azure.storage.redundancy": "Standard_RAGRS", "azure.storage.lifecycle": { archiveAfterDays: 200, deleteAfterDays: 400 } }),
        path: "azure.storage.lifecycle.archiveAfterDays", severity: "error", message: /not possible on Standard_GZRS: Azure has no Archive tier/,
    },
    {
        rule: "lifecycleOrder (order)",
        bad: staging({ "azure.storage.lifecycle": { coolAfterDays: 100, coldAfterDays: 90, deleteAfterDays: 400 } }),
        good: staging({ "azure.storage.lifecycle": { coolAfterDays: 60, coldAfterDays: 90, deleteAfterDays: 400 } }),
        path: "azure.storage.lifecycle.coldAfterDays", severity: "error", message: /must be later than coolAfterDays \(100\)/,
    },
    {
        rule: "lifecycleOrder (delete after the last tier)",
        bad: staging({ "azure.storage.lifecycle": { coolAfterDays: 30, deleteAfterDays: 30 } }),
        good: staging({ "azure.storage.lifecycle": { coolAfterDays: 30, deleteAfterDays: 60 } }),
        path: "azure.storage.lifecycle.deleteAfterDays", severity: "error", message: /must be later than coolAfterDays \(30\)/,
    },
    {
        rule: "lifecycleOrder (early deletion)",
        bad: staging({ "azure.storage.lifecycle": { coldAfterDays: 30, deleteAfterDays: 100 } }),
        good: staging({ "azure.storage.lifecycle": { coldAfterDays: 30, deleteAfterDays: 120 } }),
        path: "azure.storage.lifecycle.deleteAfterDays", severity: "warning", message: /Cold bills at least 90 days/,
    },
    {
        rule: "immutabilityWithinRetention",
        bad: staging({ "azure.storage.immutabilityDays": 31 }), good: staging({ "azure.storage.immutabilityDays": 30 }),
        path: "azure.storage.immutabilityDays", severity: "error",
        message: /longer than lifecycle.deleteAfterDays \(30\): an immutable blob cannot be deleted.*at most 30/,
    },
    {
        rule: "prodImmutabilityLocked (unlocked in prod)",
        bad: prod({ "azure.storage.immutabilityLocked": false }), good: prod({ "azure.storage.immutabilityLocked": true }),
        path: "azure.storage.immutabilityLocked", severity: "warning",
        message: /immutability policy is unlocked: anyone with Contributor on the storage account can shorten or delete it.*set azure.storage.immutabilityLocked: true/,
    },
    {
        rule: "prodImmutabilityLocked (nothing to lock)",
        bad: staging({ "azure.storage.immutabilityDays": undefined }), good: staging({ "azure.storage.immutabilityDays": undefined, "azure.storage.immutabilityLocked": false }),
        path: "azure.storage.immutabilityLocked", severity: "error", message: /needs azure.storage.immutabilityDays/,
    },
    {
        rule: "pointInTimeRestoreWithinSoftDelete",
        bad: staging({ "azure.storage.pointInTimeRestoreDays": 14 }), good: staging({ "azure.storage.pointInTimeRestoreDays": 13 }),
        path: "azure.storage.pointInTimeRestoreDays", severity: "error",
        message: /must be shorter than the blob soft delete \(14 days\); allowed: 0 \(off\) or 1..13/,
    },
    {
        rule: "prodStorageReadableInPairedRegion",
        bad: prod({ "azure.storage.redundancy": "Standard_GRS" }), good: prod({ "azure.storage.redundancy": "Standard_RAGRS" }),
        path: "azure.storage.redundancy", severity: "warning", message: /cannot read it until a customer-managed failover.*Standard_RAGRS or Standard_RAGZRS/,
    },
    {
        rule: "tierLifecycleValid (Archive on ZRS)",
        bad: staging({ "azure.storage": { redundancy: "Standard_ZRS", tierLifecycle: { monthly: { archiveAfterDays: 180 } } } }),
        good: staging({ "azure.storage": { redundancy: "Standard_RAGRS", tierLifecycle: { monthly: { archiveAfterDays: 180 } } } }),
        path: "azure.storage.tierLifecycle.monthly.archiveAfterDays", severity: "error", message: /is not possible on Standard_ZRS/,
    },
    {
        rule: "tierLifecycleValid (deletion before the last step)",
        bad: staging({ "azure.storage": { tierLifecycle: { weekly: { coolAfterDays: 35 } } } }),
        good: staging({ "azure.storage": { tierLifecycle: { weekly: { coolAfterDays: 5 } } } }),
        path: "retention.weekly.keepDays", severity: "error", message: /must be later than coolAfterDays \(35\)/,
    },
    {
        rule: "versionLevelImmutabilityComplete",
        bad: staging({ ...GOVERNANCE, "azure.storage": { versionLevelImmutability: true } }), good: staging({ ...GOVERNANCE, ...PER_TIER }),
        path: "azure.storage.versionLevelImmutability", severity: "error", message: /needs azure\.storage\.tierLifecycle: each dump is locked for its tier's keepDays/,
    },
];

describeAzureRules("Azure rules: storage", storageRules, CASES);

describe("Azure rules: storage, beyond the table", () => {
    it("prints a finding the way the validate command shows it: key path, value, what is allowed", () => {
        // given immutability longer than the retention; when validated and formatted
        const line = validate(staging({ "azure.storage.immutabilityDays": 45 })).map(formatFinding)[0];
        // then the line starts with the path and the value
        assert.match(line ?? "", /^azure\.storage\.immutabilityDays: 45 is longer than lifecycle\.deleteAfterDays \(30\)/);
    });
});
