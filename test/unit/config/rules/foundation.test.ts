import * as assert from "assert";
import * as fc from "fast-check";
import { lifecycleProblems } from "../../../../components/aws/documents/lifecycle";
import { Finding, formatFinding } from "../../../../config/findings";
import { fromPulumiConfig } from "../../../../config/load";
import { validateConfig } from "../../../../config/validate";
import { errorsOf, validConfig, validate } from "../../../helpers/config";

/** Asserts exactly one error, at `path`, whose message matches. */
function expectOneError(findings: readonly Finding[], path: string, message: RegExp): void {
    const errors = findings.filter((f) => f.severity === "error");
    assert.strictEqual(errors.length, 1, `expected one error at ${path}, got:\n${errors.map(formatFinding).join("\n")}`);
    assert.strictEqual(errors[0]?.path, path);
    assert.match(errors[0]?.message ?? "", message);
}

function expectNoErrors(findings: readonly Finding[]): void {
    const errors = findings.filter((f) => f.severity === "error");
    assert.deepStrictEqual(errors.map(formatFinding), []);
}

/** Each rule: a config that breaks it, and its nearest valid neighbour. */
const RULES: { name: string; bad: Record<string, unknown>; good: Record<string, unknown>; path: string; message: RegExp }[] = [
    { name: "Standard-IA no earlier than day 30", bad: { "retention.weekly.standardIaAfterDays": 29, "retention.weekly.keepDays": 90 }, good: { "retention.weekly.standardIaAfterDays": 30, "retention.weekly.keepDays": 90 }, path: "retention.weekly.standardIaAfterDays", message: /at least 30/ },
    { name: "Glacier at least 30 days after Standard-IA", bad: { "retention.monthly.glacierAfterDays": 59 }, good: { "retention.monthly.glacierAfterDays": 60 }, path: "retention.monthly.glacierAfterDays", message: /at least 60: 30 days after standardIaAfterDays \(30\)/ },
    { name: "Deep Archive at least 90 days after Glacier", bad: { "retention.monthly.deepArchiveAfterDays": 149 }, good: { "retention.monthly.deepArchiveAfterDays": 150 }, path: "retention.monthly.deepArchiveAfterDays", message: /at least 150: 90 days after glacierAfterDays \(60\)/ },
    { name: "expiry after the last transition", bad: { "retention.weekly.keepDays": 30, "retention.weekly.standardIaAfterDays": 30 }, good: { "retention.weekly.keepDays": 60, "retention.weekly.standardIaAfterDays": 30 }, path: "retention.weekly.keepDays", message: /later than the last transition/ },
    { name: "expiry not before the minimum storage duration", bad: { "retention.monthly.keepDays": 329 }, good: { "retention.monthly.keepDays": 330 }, path: "retention.monthly.keepDays", message: /bills at least 180 days: keep until day 330/ },
    { name: "early deletion only when explicitly allowed", bad: { "retention.monthly.keepDays": 200 }, good: { "retention.monthly.keepDays": 200, "retention.monthly.allowEarlyDeletion": true }, path: "retention.monthly.keepDays", message: /allowEarlyDeletion/ },
    { name: "positive whole days only", bad: { "retention.daily.keepDays": 1.5 }, good: { "retention.daily.keepDays": 2 }, path: "retention.daily.keepDays", message: /whole number|int/ },
    { name: "every tier positive", bad: { "retention.daily.keepDays": 0 }, good: { "retention.daily.keepDays": 1 }, path: "retention.daily.keepDays", message: /greater than 0/ },
    { name: "RDS retention at most 35", bad: { "aws.databases[0].instance.backupRetentionDays": 36 }, good: { "aws.databases[0].instance.backupRetentionDays": 35 }, path: "aws.databases[0].instance.backupRetentionDays", message: /at most 35/ },
    { name: "prod keeps RDS backups at least 7 days", bad: { environment: "prod", "storage.objectLock": { mode: "COMPLIANCE", days: 7 }, "aws.databases[0].instance.backupRetentionDays": 6 }, good: { environment: "prod", "storage.objectLock": { mode: "COMPLIANCE", days: 7 }, "aws.databases[0].instance.backupRetentionDays": 7 }, path: "aws.databases[0].instance.backupRetentionDays", message: /at least 7 in prod/ },
    { name: "backup window format", bad: { "aws.databases[0].instance.backupWindow": "3:00-3:30" }, good: { "aws.databases[0].instance.backupWindow": "03:00-03:30" }, path: "aws.databases[0].instance.backupWindow", message: /hh24:mi-hh24:mi/ },
    { name: "backup window at least 30 minutes", bad: { "aws.databases[0].instance.backupWindow": "03:00-03:29" }, good: { "aws.databases[0].instance.backupWindow": "03:00-03:30" }, path: "aws.databases[0].instance.backupWindow", message: /29 minutes long; RDS needs at least 30/ },
    { name: "maintenance window at least 30 minutes", bad: { "aws.databases[0].instance.maintenanceWindow": "sun:05:00-sun:05:20" }, good: { "aws.databases[0].instance.maintenanceWindow": "sun:05:00-sun:05:30" }, path: "aws.databases[0].instance.maintenanceWindow", message: /20 minutes long/ },
    { name: "backup window clear of maintenance", bad: { "aws.databases[0].instance.backupWindow": "04:45-05:15" }, good: { "aws.databases[0].instance.backupWindow": "04:30-05:00" }, path: "aws.databases[0].instance.backupWindow", message: /overlaps the maintenance window sun:05:00-sun:05:30/ },
    { name: "schedule syntax", bad: { "schedules.verify": "cron(0 4 * * * *)" }, good: { "schedules.verify": "cron(0 4 * * ? *)" }, path: "schedules.verify", message: /exactly one of day-of-month and day-of-week/ },
    { name: "dump at least as often as the RPO", bad: { "schedules.dump": "rate(61 minutes)", "aws.databases[0].instance.backupRetentionDays": 0 }, good: { "schedules.dump": "rate(60 minutes)", "aws.databases[0].instance.backupRetentionDays": 0 }, path: "schedules.dump", message: /longer than objectives.rpoMinutes \(60/ },
    { name: "dump schedule that never repeats", bad: { "schedules.dump": "at(2027-01-01T00:00:00)", "aws.databases[0].instance.backupRetentionDays": 0 }, good: { "schedules.dump": "rate(1 hour)", "aws.databases[0].instance.backupRetentionDays": 0 }, path: "schedules.dump", message: /never again/ },
    { name: "Object Lock mode and days together", bad: { "storage.objectLock": { mode: "GOVERNANCE" } }, good: { "storage.objectLock": { mode: "GOVERNANCE", days: 7 } }, path: "storage.objectLock.days", message: /required when Object Lock is configured/ },
    { name: "Object Lock mode is GOVERNANCE or COMPLIANCE", bad: { "storage.objectLock": { mode: "STRICT", days: 7 } }, good: { "storage.objectLock": { mode: "COMPLIANCE", days: 7 } }, path: "storage.objectLock.mode", message: /one of: "GOVERNANCE", "COMPLIANCE"/ },
    { name: "COMPLIANCE no longer than the shortest expiry", bad: { "storage.objectLock": { mode: "COMPLIANCE", days: 8 } }, good: { "storage.objectLock": { mode: "COMPLIANCE", days: 7 } }, path: "storage.objectLock.days", message: /longer than retention.daily.keepDays \(7\).*COMPLIANCE cannot be shortened/ },
    { name: "DR region differs from primary", bad: { "regions.dr": "eu-west-1" }, good: { "regions.dr": "eu-west-2" }, path: "regions.dr", message: /must differ from regions.primary/ },
    { name: "known region names", bad: { "regions.primary": "eu-westt-1" }, good: { "regions.primary": "eu-west-3" }, path: "regions.primary", message: /not a known AWS region/ },
    { name: "unknown keys are errors", bad: { "storage.objetLock": { mode: "GOVERNANCE", days: 1 } }, good: { "storage.objectLock": { mode: "GOVERNANCE", days: 1 } }, path: "storage.objetLock", message: /not a known key; allowed here: .*objectLock/ },
    { name: "unknown top-level keys are errors", bad: { retension: {} }, good: {}, path: "retension", message: /not a known key; allowed here: .*retention/ },
    { name: "no forceDestroy in prod", bad: { environment: "prod", "storage.objectLock": { mode: "COMPLIANCE", days: 7 }, "storage.forceDestroy": true }, good: { environment: "prod", "storage.objectLock": { mode: "COMPLIANCE", days: 7 } }, path: "storage.forceDestroy", message: /must be false in prod/ },
    { name: "webhook URLs are secrets in the stack file", bad: { "alerts.webhookUrls": ["https://hooks.example.com/T0"] }, good: { "alerts.webhookUrls": [{ secure: "v1:AAAA" }] }, path: "alerts.webhookUrls[0]", message: /must be a Pulumi secret: pulumi config set --secret --path/ },
    { name: "databases need the network the functions run in", bad: { "aws.network": undefined, "aws.databases[0].instance.subnetIds": ["subnet-0a", "subnet-0b"] }, good: { "aws.databases[0].instance.subnetIds": ["subnet-0a", "subnet-0b"] }, path: "aws.network", message: /is required when aws.databases is not empty/ },
    { name: "emails are emails", bad: { "alerts.emails": ["oncall"] }, good: { "alerts.emails": ["oncall@example.com"] }, path: "alerts.emails[0]", message: /valid email/ },
];

describe("configuration validation: foundation rules", () => {
    it("the base configuration is valid", () => {
        expectNoErrors(validate(validConfig()));
    });
    for (const rule of RULES) {
        describe(rule.name, () => {
            it("rejects the breaking config, naming the key", () => {
                // given a config that breaks the rule / when validated
                const findings = validate(validConfig(rule.bad));
                // then
                expectOneError(findings, rule.path, rule.message);
            });
            it("accepts its nearest valid neighbour", () => {
                expectNoErrors(validate(validConfig(rule.good)));
            });
        });
    }

    it("lists every error at once, each with its key, value and what is allowed", () => {
        // given three independent mistakes
        const config = validConfig({ "regions.dr": "eu-west-1", "retention.monthly.glacierAfterDays": 40, "schedules.dump": "rate(2 hours)", "aws.databases[0].instance.backupRetentionDays": 0 });
        // when
        const errors = errorsOf(config);
        // then
        assert.deepStrictEqual(errors.map((e) => e.path).sort(), ["regions.dr", "retention.monthly.glacierAfterDays", "schedules.dump"]);
        assert.match(formatFinding(errors.find((e) => e.path === "schedules.dump") as Finding), /^schedules\.dump: "rate\(2 hours\)" leaves up to 2 h between dumps/);
    });

    it("a plain value under a secret-looking key is reported as a secret, not only as an unknown key", () => {
        const errors = errorsOf(validConfig({ "aws.databases[0].password": "hunter2" }));
        const secret = errors.find((e) => /must be a Pulumi secret/.test(e.message));
        assert.strictEqual(secret?.path, "aws.databases[0].password");
        assert.ok(!formatFinding(secret as Finding).includes("hunter2"), "the secret value itself is never printed");
    });

    it("lists every schema error at once", () => {
        const errors = errorsOf(validConfig({ "objectives.rpoMinutes": 0, "retention.weekly": undefined, "storage.prefix": "Bad Prefix" }));
        assert.deepStrictEqual(errors.map((e) => e.path).sort(), ["objectives.rpoMinutes", "retention.weekly", "storage.prefix"]);
        assert.match(errors.find((e) => e.path === "retention.weekly")?.message ?? "", /is required/);
    });

    it("point-in-time recovery carries an RPO the dump schedule does not meet, but not one under 5 minutes", () => {
        // given daily dumps, a 15-minute RPO and RDS automated backups on
        const covered = validConfig({ "objectives.rpoMinutes": 15, "schedules.dump": "cron(0 2 * * ? *)" });
        // then PITR meets it
        expectNoErrors(validate(covered));
        // and without automated backups, or below PITR's 5 minutes, it does not
        expectOneError(validate(validConfig({ "objectives.rpoMinutes": 15, "schedules.dump": "cron(0 2 * * ? *)", "aws.databases[0].instance.backupRetentionDays": 0 })), "schedules.dump", /point-in-time recovery carry the RPO/);
        expectOneError(validate(validConfig({ "objectives.rpoMinutes": 4, "schedules.dump": "rate(5 minutes)" })), "schedules.dump", /longer than objectives.rpoMinutes \(4/);
    });

    it("warns, without failing, when weekly backups add no history", () => {
        const findings = validate(validConfig({ "retention.weekly.keepDays": 7 }));
        expectNoErrors(findings);
        assert.ok(findings.some((f) => f.severity === "warning" && f.path === "retention.weekly.keepDays"));
    });

    it("warns in prod when Object Lock is off", () => {
        const findings = validate(validConfig({ environment: "prod" }));
        expectNoErrors(findings);
        assert.ok(findings.some((f) => f.severity === "warning" && f.path === "storage.objectLock"));
    });

    it("aws:region must match regions.primary", () => {
        const result = validateConfig({ source: "t", origin: "file", values: validConfig(), foreign: { "aws:region": "us-east-1" } });
        expectOneError(result.findings, "aws:region", /differs from regions.primary "eu-west-1"/);
    });

    it("reads the engine's config the same way as the file (JSON values decoded, secrets decrypted)", () => {
        // given the engine's view: every value a string, secrets in clear text
        const all: Record<string, string> = { "aws:region": "eu-west-1" };
        for (const [k, v] of Object.entries(validConfig({ "alerts.webhookUrls": ["https://hooks.example.com/x"] }))) {
            all[`pg-backup-stack:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
        }
        // when
        const result = validateConfig(fromPulumiConfig(all));
        // then
        expectNoErrors(result.findings);
        assert.strictEqual(result.config?.objectives.rpoMinutes, 60);
        assert.strictEqual(result.config?.protect, false);
    });

    it("fills defaults and resolves prod protection", () => {
        const result = validateConfig({ source: "t", origin: "file", values: validConfig({ environment: "prod", "storage.objectLock": { mode: "COMPLIANCE", days: 7 } }), foreign: {} });
        assert.strictEqual(result.config?.protect, true);
        assert.strictEqual(result.config?.storage.noncurrentVersionExpireDays, 30);
        assert.strictEqual(result.config?.retention.weeklyOn, "SUN");
    });

    describe("retention lifecycle: the backup bucket's own check, named by config key, value and allowed value", () => {
        const cases: { overrides: Record<string, number>; finding: string }[] = [
            { overrides: { "retention.weekly.standardIaAfterDays": 29, "retention.weekly.keepDays": 90 }, finding: "retention.weekly.standardIaAfterDays: 29 is out of range 30.. (S3 moves objects to Standard-IA at least 30 days after creation)" },
            { overrides: { "retention.monthly.glacierAfterDays": 59 }, finding: "retention.monthly.glacierAfterDays: 59 is too early; it must be at least 60: 30 days after standardIaAfterDays (30), the shortest an object may stay in Standard-IA" },
            { overrides: { "retention.monthly.deepArchiveAfterDays": 149 }, finding: "retention.monthly.deepArchiveAfterDays: 149 is too early; it must be at least 150: 90 days after glacierAfterDays (60), the shortest an object may stay in Glacier Flexible Retrieval" },
            { overrides: { "retention.weekly.keepDays": 30, "retention.weekly.standardIaAfterDays": 30 }, finding: "retention.weekly.keepDays: 30 must be greater than standardIaAfterDays (30): an object must expire later than the last transition, or the transition never happens" },
            { overrides: { "retention.monthly.keepDays": 329 }, finding: "retention.monthly.keepDays: 329 expires 179 days after the move to Deep Archive, which bills at least 180 days: keep until day 330 or later, or drop the transition; or set retention.monthly.allowEarlyDeletion: true to accept the charge" },
        ];
        for (const c of cases) {
            it(c.finding.slice(0, c.finding.indexOf(":")), () => {
                // given a tier that breaks one lifecycle step / when validated
                const errors = errorsOf(validConfig(c.overrides));
                // then exactly one error, in these words
                assert.deepStrictEqual(errors.map(formatFinding), [c.finding]);
            });
        }

        it("the config rule and the bucket's builder refuse the same tiers", () => {
            fc.assert(fc.property(
                fc.option(fc.integer({ min: 1, max: 200 }), { nil: undefined }), fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }),
                fc.option(fc.integer({ min: 1, max: 400 }), { nil: undefined }), fc.integer({ min: 1, max: 800 }),
                (standardIaAfterDays, glacierAfterDays, deepArchiveAfterDays, keepDays) => {
                    // given any tier, allowed to expire early (a cost the builder accepts)
                    const tier = { keepDays, standardIaAfterDays, glacierAfterDays, deepArchiveAfterDays };
                    const defined = Object.fromEntries(Object.entries(tier).filter(([, v]) => v !== undefined));
                    const configErrors = errorsOf(validConfig({ "retention.monthly": { ...defined, allowEarlyDeletion: true } }))
                        .filter((e) => e.path.startsWith("retention.monthly."));
                    const builderProblems = lifecycleProblems({ tiers: { monthly: tier }, prefix: "backups", noncurrentVersionExpireDays: 30, abortIncompleteUploadDays: 1 });
                    // then both name the same fields with the same messages
                    assert.deepStrictEqual(configErrors.map((e) => formatFinding(e).replace(/^retention\./, "tiers.")), builderProblems);
                },
            ));
        });
    });

    it("property: any tier built by the ordering rules' own minimum steps is valid", () => {
        fc.assert(fc.property(
            fc.integer({ min: 30, max: 400 }), fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 400 }),
            (ia, glacierExtra, deepExtra, keepExtra) => {
                const glacier = ia + 30 + glacierExtra;
                const deep = glacier + 90 + deepExtra;
                const keep = deep + 180 + keepExtra;
                const tier = { keepDays: keep, standardIaAfterDays: ia, glacierAfterDays: glacier, deepArchiveAfterDays: deep };
                return errorsOf(validConfig({ "retention.monthly": tier })).length === 0;
            },
        ));
    });

    it("property: moving any transition one day earlier than allowed is an error at that key", () => {
        fc.assert(fc.property(fc.integer({ min: 30, max: 300 }), fc.constantFrom("glacierAfterDays", "deepArchiveAfterDays"), (ia, key) => {
            const tier: Record<string, number> = { standardIaAfterDays: ia, glacierAfterDays: ia + 30, deepArchiveAfterDays: ia + 120, keepDays: ia + 300 };
            tier[key] = (tier[key] ?? 0) - 1;
            const errors = errorsOf(validConfig({ "retention.monthly": tier }));
            return errors.some((e) => e.path === `retention.monthly.${key}`);
        }));
    });
});
