import { strict as assert } from "node:assert";
import fc from "fast-check";
import {
    FLEXIBLE_SERVER_NAMESPACE,
    MetricAlertDefinition,
    STORAGE_ACCOUNT_NAMESPACE,
    actionGroupShortName,
    backupStorageUsedAlert,
    emailReceivers,
    serverAvailabilityAlert,
    storageAccountCapacityAlert,
    storagePercentAlert,
    webhookReceivers,
} from "../../../../../components/azure/documents/alerts";

/** Durations Azure Monitor accepts for metric alerts, in minutes. */
const FREQUENCIES: Record<string, number> = { PT1M: 1, PT5M: 5, PT15M: 15, PT30M: 30, PT1H: 60 };
const WINDOWS: Record<string, number> = { ...FREQUENCIES, PT6H: 360, PT12H: 720, PT24H: 1440 };

function criterion(d: MetricAlertDefinition) {
    return d.criteria.allOf[0];
}

describe("Azure alert definitions", () => {
    it("backup storage used: bytes above the threshold in GiB, on the Flexible Server namespace", () => {
        // given a 128 GiB server; when the alert is built with its size
        const d = backupStorageUsedAlert("orders", 128);
        // then the threshold is 128 GiB in bytes and the metric is backup_storage_used
        assert.deepEqual(criterion(d), {
            criterionType: "StaticThresholdCriterion",
            name: "backup-storage-used",
            metricName: "backup_storage_used",
            metricNamespace: FLEXIBLE_SERVER_NAMESPACE,
            operator: "GreaterThan",
            threshold: 137438953472,
            timeAggregation: "Maximum",
        });
        assert.match(d.description, /^orders: backup storage above 128 GiB/);
    });

    it("storage percent: average above the given percent, a warning", () => {
        // given 80 %; when built
        const d = storagePercentAlert("orders", 80);
        // then storage_percent > 80 at severity 2
        assert.equal(criterion(d).metricName, "storage_percent");
        assert.equal(criterion(d).threshold, 80);
        assert.equal(criterion(d).operator, "GreaterThan");
        assert.equal(d.severity, 2);
    });

    it("server not available: is_db_alive maximum below 1 over five minutes, an error", () => {
        // given a server; when built
        const d = serverAvailabilityAlert("orders");
        // then a whole window without a live sample fires, severity 1
        assert.deepEqual(
            { metric: criterion(d).metricName, op: criterion(d).operator, threshold: criterion(d).threshold, agg: criterion(d).timeAggregation },
            { metric: "is_db_alive", op: "LessThan", threshold: 1, agg: "Maximum" },
        );
        assert.equal(d.windowSize, "PT5M");
        assert.equal(d.severity, 1);
    });

    it("storage account used capacity: bytes, on the storage account namespace, hourly metric so a multi-hour window", () => {
        // given 1024 GiB; when built
        const d = storageAccountCapacityAlert("backups", 1024);
        // then UsedCapacity > 1 TiB with a window of at least an hour
        assert.equal(criterion(d).metricNamespace, STORAGE_ACCOUNT_NAMESPACE);
        assert.equal(criterion(d).metricName, "UsedCapacity");
        assert.equal(criterion(d).threshold, 1024 ** 4);
        assert.ok((WINDOWS[d.windowSize] ?? 0) >= 60);
    });

    it("refuses thresholds that cannot mean anything", () => {
        // given zero, negative, NaN and out-of-range values; when built; then each throws naming the argument
        assert.throws(() => backupStorageUsedAlert("a", 0), /thresholdGb: 0 must be a positive number/);
        assert.throws(() => storageAccountCapacityAlert("a", -1), /thresholdGb: -1/);
        assert.throws(() => storagePercentAlert("a", 100), /percent: 100 is out of range/);
        assert.throws(() => storagePercentAlert("a", Number.NaN), /percent: NaN/);
    });

    it("property: every definition has an accepted frequency, an accepted window no shorter than it, and a valid severity", () => {
        fc.assert(fc.property(fc.integer({ min: 1, max: 32767 }), fc.integer({ min: 1, max: 99 }), (gb, pct) => {
            // given any positive sizes and percents; when every builder runs
            const all = [
                backupStorageUsedAlert("s", gb), storagePercentAlert("s", pct), serverAvailabilityAlert("s"),
                storageAccountCapacityAlert("a", gb),
            ];
            // then Azure would accept the timing, and the single criterion is a static threshold that auto-resolves
            for (const d of all) {
                const freq = FREQUENCIES[d.evaluationFrequency];
                const window = WINDOWS[d.windowSize];
                assert.ok(freq !== undefined && window !== undefined && window >= freq, JSON.stringify(d));
                assert.ok([0, 1, 2, 3, 4].includes(d.severity));
                assert.equal(d.autoMitigate, true);
                assert.equal(d.criteria.allOf.length, 1);
            }
        }));
    });
});

describe("Azure action group receivers", () => {
    it("names email receivers by position and keeps the addresses", () => {
        // given two addresses; when turned into receivers
        const r = emailReceivers(["dba@example.com", "ops@example.org"]);
        // then one receiver each, with the common alert schema
        assert.deepEqual(r, [
            { name: "email-0", emailAddress: "dba@example.com", useCommonAlertSchema: true },
            { name: "email-1", emailAddress: "ops@example.org", useCommonAlertSchema: true },
        ]);
    });

    it("refuses a malformed or repeated address, naming its position", () => {
        // given a bad and a repeated address; when/then each throws with the index and the value
        assert.throws(() => emailReceivers(["dba@example.com", "not-an-address"]), /emails\[1\]: "not-an-address" is not an email address/);
        assert.throws(() => emailReceivers(["dba@example.com", "DBA@example.com"]), /emails\[1\]: "DBA@example.com" is listed twice/);
    });

    it("requires https webhooks and never echoes the secret URL in the error", () => {
        // given an http URL with a token in it; when/then the error names the index but not the URL
        const secret = "http://hooks.example.com/T000/secret-token";
        assert.throws(() => webhookReceivers([secret]), (e: unknown) => {
            const message = e instanceof Error ? e.message : "";
            return /webhookUrls\[0\]: \(secret\) must be an https:\/\/ URL/.test(message) && !message.includes("secret-token");
        });
        // and an https URL becomes a receiver
        assert.deepEqual(webhookReceivers(["https://hooks.example.com/x"]),
            [{ name: "webhook-0", serviceUri: "https://hooks.example.com/x", useCommonAlertSchema: true }]);
    });

    it("derives a short name of at most 12 letters and digits", () => {
        // given component names; when/then the short names are their letters and digits, cut to 12
        assert.equal(actionGroupShortName("pg-backup-alerts-prod"), "pgbackupaler");
        assert.equal(actionGroupShortName("ops"), "ops");
        assert.throws(() => actionGroupShortName("---"), /name: "---" has no letters or digits/);
        fc.assert(fc.property(fc.string({ minLength: 1 }).filter((s) => /[A-Za-z0-9]/.test(s)), (s) => {
            assert.match(actionGroupShortName(s), /^[A-Za-z0-9]{1,12}$/);
        }));
    });
});
