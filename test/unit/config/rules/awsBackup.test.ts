import * as assert from "assert";
import * as fc from "fast-check";
import { formatFinding } from "../../../../config/findings";
import { describeRuleCases, findingsAt, RuleCase, validConfig, validate } from "../../../helpers/config";

const PROD = { environment: "prod", "storage.objectLock": { mode: "COMPLIANCE", days: 7 } };
const PINNED = { "aws.backup.vaultLock.minRetentionDays": 7, "aws.backup.vaultLock.maxRetentionDays": 400 };
const SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:legacy-db";

interface Case extends RuleCase {
    readonly name: string;
}

/** Each rule: a config that breaks it (one finding at the path) and its nearest neighbour that does not. */
const CASES: readonly Case[] = [
    {
        name: "plan schedule is one fixed daily time",
        bad: { "aws.backup.schedule": "cron(0 1 ? * MON *)" },
        good: { "aws.backup.schedule": "cron(30 23 * * ? *)" },
        severity: "error", path: "aws.backup.schedule", message: /^must be a daily cron at one fixed UTC time, e.g. cron\(0 1 \* \* \? \*\)$/,
    },
    {
        name: "plan schedule parses",
        bad: { "aws.backup.schedule": "cron(0 1 * * * *)" },
        good: { "aws.backup.schedule": "cron(0 1 * * ? *)" },
        severity: "error", path: "aws.backup.schedule", message: /exactly one of day-of-month and day-of-week/,
    },
    {
        name: "cold storage only where delete >= cold + 90",
        bad: { "aws.backup.coldStorageAfterDays.monthly": 276 },
        good: { "aws.backup.coldStorageAfterDays.monthly": 275 },
        severity: "error", path: "aws.backup.coldStorageAfterDays.monthly", message: /needs retention.monthly.keepDays of at least 366 \(cold storage \+ 90 days\); it is 365: use at most 275/,
    },
    {
        name: "cold storage on a tier too short for any",
        bad: { "aws.backup.coldStorageAfterDays.weekly": 1 },
        good: { "aws.backup.coldStorageAfterDays.weekly": 1, "retention.weekly.keepDays": 91 },
        severity: "error", path: "aws.backup.coldStorageAfterDays.weekly", message: /it is 35: use at most none \(omit it\)/,
    },
    {
        name: "cold storage does not apply to RDS snapshots (warning)",
        bad: { "aws.backup.coldStorageAfterDays.monthly": 90 },
        good: { "aws.backup.coldStorageAfterDays.monthly": 90, "aws.databases[0].instance": undefined, "aws.databases[0].host": "legacy.example.internal", "aws.databases[0].credentialsSecretArn": SECRET },
        severity: "warning", path: "aws.backup.coldStorageAfterDays.monthly", message: /no effect on RDS snapshots/,
    },
    {
        name: "vault lock minimum not above the shortest tier",
        bad: { "aws.backup.vaultLock.minRetentionDays": 8 },
        good: { "aws.backup.vaultLock.minRetentionDays": 7 },
        severity: "error", path: "aws.backup.vaultLock.minRetentionDays", message: /is more than retention.daily.keepDays \(7\); AWS Backup would fail the daily jobs: use at most 7/,
    },
    {
        name: "vault lock maximum not below the longest tier",
        bad: { "aws.backup.vaultLock.maxRetentionDays": 364 },
        good: { "aws.backup.vaultLock.maxRetentionDays": 365 },
        severity: "error", path: "aws.backup.vaultLock.maxRetentionDays", message: /is less than retention.monthly.keepDays \(365\); AWS Backup would fail the monthly jobs: use at least 365/,
    },
    {
        name: "vault lock minimum not above its maximum",
        bad: { "aws.backup.vaultLock.minRetentionDays": 500, "aws.backup.vaultLock.maxRetentionDays": 400 },
        good: { "aws.backup.vaultLock.minRetentionDays": 7, "aws.backup.vaultLock.maxRetentionDays": 400 },
        severity: "error", path: "aws.backup.vaultLock.minRetentionDays", message: /must not exceed aws.backup.vaultLock.maxRetentionDays \(400\)/,
    },
    {
        name: "prod vault lock is COMPLIANCE",
        bad: { ...PROD, ...PINNED, "aws.backup.vaultLock.mode": "GOVERNANCE" },
        good: { ...PROD, ...PINNED },
        severity: "error", path: "aws.backup.vaultLock.mode", message: /must be COMPLIANCE in prod \(or omitted, which means COMPLIANCE\)/,
    },
    {
        name: "completion window after the start window",
        bad: { "aws.backup.startWindowMinutes": 120, "aws.backup.completionWindowMinutes": 120 },
        good: { "aws.backup.startWindowMinutes": 120, "aws.backup.completionWindowMinutes": 121 },
        severity: "error", path: "aws.backup.completionWindowMinutes", message: /must be greater than aws.backup.startWindowMinutes \(120\)/,
    },
    {
        name: "file buckets need the AWS Backup plan",
        bad: { "aws.backup.fileBuckets": ["media-uploads"], "aws.backup.enabled": false },
        good: { "aws.backup.fileBuckets": ["media-uploads"] },
        severity: "error", path: "aws.backup.fileBuckets", message: /^needs aws.backup.enabled: true; the buckets are backed up by the AWS Backup plan$/,
    },
    {
        name: "file buckets are valid bucket names",
        bad: { "aws.backup.fileBuckets": ["Media_Uploads"] },
        good: { "aws.backup.fileBuckets": ["media-uploads"] },
        severity: "error", path: "aws.backup.fileBuckets[0]", message: /may hold only lower-case letters, digits, dots and hyphens/,
    },
    {
        name: "file buckets are named once",
        bad: { "aws.backup.fileBuckets": ["media-uploads", "docs.example.com", "media-uploads"] },
        good: { "aws.backup.fileBuckets": ["media-uploads", "docs.example.com"] },
        severity: "error", path: "aws.backup.fileBuckets[2]", message: /^repeats aws.backup.fileBuckets\[0\]$/,
    },
    {
        name: "restore testing schedule is a cron",
        bad: { "aws.backup.restoreTesting.schedule": "rate(7 days)" },
        good: { "aws.backup.restoreTesting.schedule": "cron(0 6 ? * SUN *)" },
        severity: "error", path: "aws.backup.restoreTesting.schedule", message: /must be a cron\(...\) expression/,
    },
    {
        name: "restore testing schedule parses",
        bad: { "aws.backup.restoreTesting.schedule": "cron(0 6 * * SAT *)" },
        good: { "aws.backup.restoreTesting.schedule": "cron(0 6 ? * SAT *)" },
        severity: "error", path: "aws.backup.restoreTesting.schedule", message: /exactly one of day-of-month and day-of-week/,
    },
    {
        name: "an unmanaged instance is in the plan only if tagged (warning)",
        bad: { "aws.databases[0].instance": undefined, "aws.databases[0].host": "legacy.example.internal", "aws.databases[0].credentialsSecretArn": SECRET },
        good: { "aws.databases[0].instance": undefined, "aws.databases[0].host": "legacy.example.internal", "aws.databases[0].credentialsSecretArn": SECRET, "aws.backup.enabled": false },
        severity: "warning", path: "aws.databases[0].instance", message: /covers it only if you tag the instance backup-plan=pg-backup-<stack> and pg-backup-stack:stack=<stack> yourself/,
    },
];

describe("configuration validation: AWS Backup rules", () => {
    it("the base configuration has no AWS Backup finding", () => {
        assert.deepStrictEqual(validate(validConfig()).filter((f) => f.path.startsWith("aws.backup")).map(formatFinding), []);
    });

    // every neighbour is free of errors at any key, warning cases' too
    describeRuleCases(CASES, () => true);

    it("with AWS Backup off, none of its rules speak", () => {
        // given every AWS Backup setting broken, but the plan disabled
        const findings = validate(validConfig({
            "aws.backup.enabled": false, "aws.backup.schedule": "rate(1 day)", "aws.backup.vaultLock.minRetentionDays": 500,
            "aws.backup.restoreTesting.schedule": "rate(7 days)", "aws.backup.startWindowMinutes": 720, "aws.backup.completionWindowMinutes": 700,
        }));
        // then nothing is reported under aws.backup
        assert.deepStrictEqual(findings.filter((f) => f.path.startsWith("aws.backup")).map(formatFinding), []);
    });

    it("property: cold storage is accepted exactly where keepDays >= cold + 90", () => {
        fc.assert(fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 366, max: 2000 }), (cold, keep) => {
            // given a monthly tier and a cold-storage day / when validated
            const findings = validate(validConfig({ "retention.monthly.keepDays": keep, "aws.backup.coldStorageAfterDays.monthly": cold }));
            // then an error at the key iff the 90-day minimum is not met
            return (findingsAt(findings, "aws.backup.coldStorageAfterDays.monthly", "error").length === 1) === (keep < cold + 90);
        }), { numRuns: 60 });
    });
});
