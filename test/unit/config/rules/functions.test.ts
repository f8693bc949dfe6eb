import * as assert from "assert";
import { stackConfigSchema } from "../../../../config/schema";
import { ALL_RULES } from "../../../../config/validate";
import {
    backupMaxAgeMinutes,
    clientCoversServers,
    compressionSupported,
    exportScheduleMatchesTables,
    freshnessAlarmFits,
    imageClientMajor,
    partSizeFitsDump,
    prodLogRetention,
    rules,
    verifyScratchFitsDump,
    dumpScratchFitsDirectoryDump,
    verificationServerReachable,
    verifyTimeoutCoversRto,
} from "../../../../config/rules/functions";
import { findingsAt, RuleCase, showFindings as show, validConfig, validate } from "../../../helpers/config";

/** What the foundation rules need of a prod stack, so that only the function rules speak. */
const PROD = { environment: "prod", "storage.objectLock": { mode: "COMPLIANCE", days: 7 } };
const VERIFY_SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:verify-server-AbC";

interface Case extends RuleCase {
    readonly rule: string;
}

const CASES: readonly Case[] = [
    {
        rule: "prodLogRetention",
        bad: validConfig({ ...PROD, "functions.logRetentionDays": 180 }),
        good: validConfig({ ...PROD, "functions.logRetentionDays": 365 }),
        path: "functions.logRetentionDays", severity: "error", message: /is below 365 days; prod keeps .* at least a year/,
    },
    {
        rule: "prodLogRetention (staging may keep less)",
        bad: validConfig({ ...PROD, "functions.logRetentionDays": 90 }),
        good: validConfig({ "functions.logRetentionDays": 90 }),
        path: "functions.logRetentionDays", severity: "error", message: /is below 365 days/,
    },
    {
        rule: "verifyTimeoutCoversRto",
        bad: validConfig({ "objectives.rtoMinutes": 10, "functions.verify.timeoutSeconds": 300 }),
        good: validConfig({ "objectives.rtoMinutes": 10, "functions.verify.timeoutSeconds": 600 }),
        path: "functions.verify.timeoutSeconds", severity: "warning", message: /is shorter than the RTO \(objectives\.rtoMinutes 10 = 600 s\).*use at least 600/,
    },
    {
        rule: "verifyTimeoutCoversRto (an RTO beyond Lambda's 15 minutes asks for the maximum only)",
        bad: validConfig({ "objectives.rtoMinutes": 240, "functions.verify.timeoutSeconds": 899 }),
        good: validConfig({ "objectives.rtoMinutes": 240, "functions.verify.timeoutSeconds": 900 }),
        path: "functions.verify.timeoutSeconds", severity: "warning", message: /use at least 900$/,
    },
    {
        rule: "exportScheduleMatchesTables",
        bad: validConfig({ "aws.databases[0].exportTables": [{ table: "public.orders", watermarkColumn: "updated_at" }] }),
        good: validConfig({ "aws.databases[0].exportTables": [{ table: "public.orders", watermarkColumn: "updated_at" }], "schedules.export": "rate(1 hour)" }),
        path: "schedules.export", severity: "error", message: /is required: aws\.databases\[0\] \(app\) list exportTables/,
    },
    {
        rule: "exportScheduleMatchesTables (a schedule with nothing to export)",
        bad: validConfig({ "schedules.export": "rate(1 hour)" }),
        good: validConfig({}),
        path: "schedules.export", severity: "warning", message: /no database lists exportTables/,
    },
    {
        rule: "compressionSupported",
        bad: validConfig({ "functions.compression": { method: "zstd", level: 3 } }),
        good: validConfig({ "functions.compression": { method: "zstd", level: 3 }, "functions.image.pgMajor": 16 }),
        path: "functions.compression.method", severity: "error", message: /needs pg_dump 16 or newer, but the function image has the PostgreSQL 15 client/,
    },
    {
        rule: "compressionSupported (levels per method)",
        bad: validConfig({ "functions.compression": { method: "gzip", level: 12 } }),
        good: validConfig({ "functions.compression": { method: "gzip", level: 9 } }),
        path: "functions.compression.level", severity: "error", message: /is out of range for gzip: allowed 1\.\.9/,
    },
    {
        rule: "compressionSupported (a 16 server brings a 16 client by default)",
        bad: validConfig({ "functions.compression": { method: "lz4", level: 1 }, "aws.databases[0].instance.engineVersion": "16.4", "functions.image.pgMajor": 15 }),
        good: validConfig({ "functions.compression": { method: "lz4", level: 1 }, "aws.databases[0].instance.engineVersion": "16.4" }),
        path: "functions.compression.method", severity: "error", message: /needs pg_dump 16 or newer/,
    },
    {
        rule: "clientCoversServers",
        bad: validConfig({ "aws.databases[0].instance.engineVersion": "16.4", "functions.image.pgMajor": 15 }),
        good: validConfig({ "aws.databases[0].instance.engineVersion": "16.4", "functions.image.pgMajor": 16 }),
        path: "functions.image.pgMajor", severity: "error", message: /is older than aws\.databases\[0\]\.instance\.engineVersion "16\.4" \(app\).*at least 16/,
    },
    {
        rule: "partSizeFitsDump",
        bad: validConfig({ "functions.maxDumpSizeGiB": 500 }),
        good: validConfig({ "functions.maxDumpSizeGiB": 500, "functions.partSizeMiB": 52 }),
        path: "functions.partSizeMiB", severity: "error", message: /holds at most 156\.3 GiB in S3's 10000 parts, less than functions\.maxDumpSizeGiB \(500 GiB\): use at least 52/,
    },
    {
        rule: "partSizeFitsDump (against the function's default expectation)",
        bad: validConfig({ "functions.partSizeMiB": 5 }),
        good: validConfig({ "functions.partSizeMiB": 11 }),
        path: "functions.partSizeMiB", severity: "error", message: /less than the default expected maximum of 100 GiB/,
    },
    {
        rule: "verifyScratchFitsDump",
        bad: validConfig({ "functions.maxDumpSizeGiB": 8, "functions.verify.ephemeralStorageMb": 4096 }),
        good: validConfig({ "functions.maxDumpSizeGiB": 8, "functions.verify.ephemeralStorageMb": 8192 }),
        path: "functions.verify.ephemeralStorageMb", severity: "error", message: /cannot hold the largest dump, functions\.maxDumpSizeGiB 8 GiB = 8192 MB.*use at least 8192/,
    },
    {
        rule: "verifyScratchFitsDump (beyond what Lambda can hold)",
        bad: validConfig({ "functions.maxDumpSizeGiB": 20 }),
        good: validConfig({ "functions.maxDumpSizeGiB": 20, "aws.databases[0].verify": false }),
        path: "functions.verify.ephemeralStorageMb", severity: "error", message: /holds at most 10240 MB, so dumps this large cannot be verified by the function/,
    },
    {
        rule: "dumpScratchFitsDirectoryDump",
        bad: validConfig({ "functions.maxDumpSizeGiB": 4, "aws.databases[0].dumpFormat": "directory" }),
        good: validConfig({ "functions.maxDumpSizeGiB": 4, "aws.databases[0].dumpFormat": "directory", "functions.dump.ephemeralStorageMb": 4096 }),
        path: "functions.dump.ephemeralStorageMb", severity: "error", message: /cannot hold the largest dump, functions\.maxDumpSizeGiB 4 GiB = 4096 MB.*dumpFormat: directory.*use at least 4096/,
    },
    {
        rule: "freshnessAlarmFits",
        bad: validConfig({ "objectives.rpoMinutes": 15, "schedules.dump": "cron(0 2 ? * SUN *)" }),
        good: validConfig({ "objectives.rpoMinutes": 15, "schedules.dump": "cron(0 2 * * ? *)" }),
        path: "schedules.dump", severity: "warning", message: /lets backups be 7 d.* apart; a CloudWatch alarm looks back at most 7 days/,
    },
    {
        rule: "verificationServerReachable",
        bad: validConfig({ "functions.verification": { credentialsSecretArn: VERIFY_SECRET } }),
        good: validConfig({ "functions.verification": { credentialsSecretArn: VERIFY_SECRET, securityGroupIds: ["sg-0abc"] } }),
        path: "functions.verification.securityGroupIds", severity: "error", message: /is empty, and so is functions.verification.cidrBlocks.*no network path to the verification server/,
    },
    {
        rule: "verificationServerReachable (a CIDR block is a path too)",
        bad: validConfig({ "functions.verification": { credentialsSecretArn: VERIFY_SECRET, securityGroupIds: [] } }),
        good: validConfig({ "functions.verification": { credentialsSecretArn: VERIFY_SECRET, cidrBlocks: ["10.1.0.0/24"] } }),
        path: "functions.verification.securityGroupIds", severity: "error", message: /no network path to the verification server/,
    },
    {
        rule: "verificationServerReachable (no verify function without a verified database)",
        bad: validConfig({ "functions.verification": { credentialsSecretArn: VERIFY_SECRET } }),
        good: validConfig({ "functions.verification": { credentialsSecretArn: VERIFY_SECRET }, "aws.databases[0].verify": false }),
        path: "functions.verification.securityGroupIds", severity: "error", message: /no network path to the verification server/,
    },
];

describe("configuration validation: function rules", () => {
    it("the base configuration raises none of them", () => {
        // given the smallest valid config; when validated; then no finding is at a functions or export key
        const findings = validate(validConfig({}));
        assert.deepStrictEqual(findings.filter((f) => f.path.startsWith("functions.") || f.path === "schedules.export"), [], show(findings));
    });

    it("every rule is registered", () => {
        // given the module's rules; when the validator's list is read; then each of them is in it
        const all = [
            prodLogRetention, verifyTimeoutCoversRto, exportScheduleMatchesTables, compressionSupported, clientCoversServers,
            partSizeFitsDump, verifyScratchFitsDump, dumpScratchFitsDirectoryDump, freshnessAlarmFits, verificationServerReachable,
        ];
        for (const rule of all) {
            assert.ok(rules.includes(rule) && ALL_RULES.includes(rule), rule.name);
        }
    });

    for (const c of CASES) {
        describe(c.rule, () => {
            it("reports the breaking config at its key, with the value and what is allowed", () => {
                // given a config that breaks the rule; when validated
                const findings = findingsAt(validate(c.bad), c.path);
                // then exactly one finding names the key with the expected severity and message
                assert.strictEqual(findings.length, 1, show(validate(c.bad)));
                assert.strictEqual(findings[0]?.severity, c.severity);
                assert.match(findings[0]?.message ?? "", c.message);
            });
            it("accepts its nearest valid neighbour", () => {
                // given the fixed config; when validated; then nothing is reported at that key
                const findings = validate(c.good);
                assert.deepStrictEqual(findingsAt(findings, c.path), [], show(findings));
            });
        });
    }

    it("the image's client follows the newest database unless configured, and is at least 15", () => {
        // given databases of several majors
        const parse = (raw: Record<string, unknown>) => stackConfigSchema.parse(raw);
        const two = validConfig({ "aws.databases[0].instance.engineVersion": "14.12" });
        (two["aws"] as { databases: unknown[] }).databases.push({ name: "billing", databaseName: "billing", instance: { engineVersion: "17" } });
        // when the client major is resolved
        // then it is the newest server's, 15 for older ones, and the configured value when set
        assert.strictEqual(imageClientMajor(parse(two)), 17);
        assert.strictEqual(imageClientMajor(parse(validConfig({ "aws.databases[0].instance.engineVersion": "13" }))), 15);
        assert.strictEqual(imageClientMajor(parse(validConfig({ "functions.image.pgMajor": 16 }))), 16);
    });

    it("the allowed backup age is the RPO, or the dump gap when point-in-time recovery carries the RPO", () => {
        // given an hourly RPO with daily dumps, with and without RDS automated backups
        const parse = (raw: Record<string, unknown>) => stackConfigSchema.parse(raw);
        const withPitr = parse(validConfig({ "objectives.rpoMinutes": 60, "schedules.dump": "cron(0 2 * * ? *)" }));
        const hourly = parse(validConfig({ "objectives.rpoMinutes": 60, "schedules.dump": "rate(1 hour)", "aws.databases[0].instance.backupRetentionDays": 0 }));
        // when the allowed age is computed
        // then PITR lets the daily gap stand, and without it the RPO rules
        assert.strictEqual(backupMaxAgeMinutes(withPitr), 1440);
        assert.strictEqual(backupMaxAgeMinutes(hourly), 60);
    });
});
