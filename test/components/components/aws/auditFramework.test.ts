import * as assert from "assert";
import { assertAllParented, policyOf, settle, setupMocks, unwrap, type MockState } from "../../../helpers/mocks";
import { auditFrameworkInput } from "../../../../config/auditFramework";
import { fromPulumiConfig, readStackFile, stackNameOfFile } from "../../../../config/load";
import { stackScope } from "../../../../config/scope";
import { validateConfig } from "../../../../config/validate";
import { frequencyParameters } from "../../../../components/aws/documents/auditFramework";
import { ROOT, engineConfig, shippedStackFiles } from "../../../helpers/stackFiles";
import * as path from "path";

const COMPONENT = "pg-backup-stack:aws:AuditFramework";
const FRAMEWORK = "aws:backup/framework:Framework";
const REPORT_PLAN = "aws:backup/reportPlan:ReportPlan";
const BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy";

interface RecordedControl {
    name: string;
    inputParameters?: { name: string; value: string }[];
    scope?: { tags?: Record<string, string> };
}

function prodInput(): NonNullable<ReturnType<typeof auditFrameworkInput>> {
    const config = validateConfig(readStackFile(path.join(ROOT, "Pulumi.prod.yaml"))).config;
    assert.ok(config !== undefined);
    const input = auditFrameworkInput(config, stackScope("prod"));
    assert.ok(input !== undefined, "prod deploys an AWS Backup plan");
    return input;
}

describe("AuditFramework (under mocks)", () => {
    let mocks: MockState;
    let mod: typeof import("../../../../components/aws/auditFramework");

    beforeEach(async () => {
        mocks = setupMocks();
        mod = await import("../../../../components/aws/auditFramework");
    });

    it("a framework named for the stack whose controls take prod's plan, retention, vault lock, DR region and RTO", async () => {
        // given prod's configuration
        const audit = new mod.AuditFramework("audit", { environment: "prod", controls: prodInput() });
        await settle(mocks);
        // when the framework is inspected
        const framework = mocks.one(FRAMEWORK, "audit-framework").inputs;
        const controls = framework["controls"] as RecordedControl[];
        const params = (name: string): Record<string, string> =>
            Object.fromEntries((controls.find((c) => c.name === name)?.inputParameters ?? []).map((p) => [p.name, p.value]));
        // then its name carries the stack and only letters, numbers and underscores
        assert.strictEqual(framework["name"], "pg_backup_stack_prod");
        assert.match(await unwrap(audit.frameworkName), /^[A-Za-z][A-Za-z0-9_]*$/);
        assert.deepStrictEqual(controls.map((c) => c.name), [
            "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK",
            "BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK",
            "BACKUP_RECOVERY_POINT_ENCRYPTED",
            "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN",
            "BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED",
            "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK",
            "BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION",
            "BACKUP_LAST_RECOVERY_POINT_CREATED",
            "RESTORE_TIME_FOR_RESOURCES_MEET_TARGET",
        ]);
        // prod: daily AWS Backup rule at 01:00 (default), daily tier 14 days, DR eu-central-1, RTO 60 min, vault lock max 400
        assert.deepStrictEqual(params("BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK"), { requiredFrequencyUnit: "hours", requiredFrequencyValue: "24", requiredRetentionDays: "14" });
        assert.deepStrictEqual(params("BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK"), { requiredRetentionDays: "14" });
        assert.deepStrictEqual(params("BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION"), { crossRegionList: "eu-central-1" });
        assert.deepStrictEqual(params("BACKUP_LAST_RECOVERY_POINT_CREATED"), { recoveryPointAgeUnit: "hours", recoveryPointAgeValue: "24" });
        assert.deepStrictEqual(params("RESTORE_TIME_FOR_RESOURCES_MEET_TARGET"), { maxRestoreTime: "60" });
        assert.strictEqual(params("BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK")["maxRetentionDays"], "400");
        // and the resource-level controls are scoped to the stack's selection tag
        assert.deepStrictEqual(controls.find((c) => c.name === "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN")?.scope, { tags: { "backup-plan": "pg-backup-prod" } });
        assertAllParented(mocks, COMPONENT, "audit");
    });

    it("a report plan delivers the framework's compliance report to a bucket whose policy admits the reports role", async () => {
        // given the component
        const audit = new mod.AuditFramework("audit", { environment: "staging-eu", controls: prodInput() });
        await settle(mocks);
        // when the report plan and the bucket policy are inspected
        const plan = mocks.one(REPORT_PLAN, "audit-report-plan").inputs;
        const policy = policyOf(mocks.one(BUCKET_POLICY, "audit-reports-policy"));
        // then the names replace what the rules forbid, and the plan reports on the framework
        assert.strictEqual(plan["name"], "pg_backup_stack_staging_eu_controls");
        assert.deepStrictEqual(plan["reportSetting"], { reportTemplate: "CONTROL_COMPLIANCE_REPORT", frameworkArns: [await unwrap(audit.frameworkArn)], numberOfFrameworks: 1 });
        const channel = plan["reportDeliveryChannel"] as { s3BucketName: string; s3KeyPrefix: string; formats: string[] };
        assert.strictEqual(channel.s3BucketName, await unwrap(audit.reportBucketName));
        assert.strictEqual(channel.s3KeyPrefix, "audit-reports");
        assert.deepStrictEqual(channel.formats, ["CSV", "JSON"]);
        // and the bucket lets the Backup Audit Manager role put reports with bucket-owner-full-control, over TLS only
        const put = policy.Statement.find((s) => s.Sid === "BackupAuditManagerReports");
        assert.deepStrictEqual(put?.Action, ["s3:PutObject"]);
        assert.deepStrictEqual(put?.Condition, {
            StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control" },
            ArnEquals: { "aws:PrincipalArn": "arn:aws:iam::123456789012:role/aws-service-role/reports.backup.amazonaws.com/AWSServiceRoleForBackupReports" },
        });
        assert.ok(policy.Statement.some((s) => s.Sid === "DenyInsecureTransport" && s.Effect === "Deny"));
        // and the bucket is encrypted with a key of its own, with rotation, that the reports role may use
        const key = mocks.one("aws:kms/key:Key", "audit-reports-key");
        assert.strictEqual(key.inputs["enableKeyRotation"], true);
        const use = policyOf(key).Statement.find((s) => s.Sid === "BackupAuditManagerReports");
        assert.deepStrictEqual(use?.Action, ["kms:Decrypt", "kms:GenerateDataKey"]);
        assert.deepStrictEqual(use?.Condition?.["ArnEquals"], { "aws:PrincipalArn": put?.Condition?.["ArnEquals"]?.["aws:PrincipalArn"] });
        const sse = mocks.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "audit-reports-encryption").inputs;
        assert.match(JSON.stringify(sse), /"sseAlgorithm":"aws:kms"/);
    });

    it("no restore-time control without restore testing; frequencies as the controls take them", () => {
        const input = { ...prodInput() };
        delete (input as { restoreTimeTargetMinutes?: number }).restoreTimeTargetMinutes;
        new mod.AuditFramework("audit", { environment: "prod", controls: input });
        assert.deepStrictEqual(frequencyParameters(60), { unit: "hours", value: 1 });
        assert.deepStrictEqual(frequencyParameters(7 * 1440), { unit: "days", value: 7 });
        assert.deepStrictEqual(frequencyParameters(60 * 1440), { unit: "days", value: 31 });
        return settle(mocks).then(() => {
            const controls = mocks.one(FRAMEWORK, "audit-framework").inputs["controls"] as RecordedControl[];
            assert.ok(!controls.some((c) => c.name === "RESTORE_TIME_FOR_RESOURCES_MEET_TARGET"));
        });
    });

    it("refuses a report retention that is not a whole number of days", () => {
        assert.throws(() => new mod.AuditFramework("audit", { environment: "prod", controls: prodInput(), reportExpireDays: 0 }), /reportExpireDays: 0 is out of range/);
    });
});

describe("the program wires the audit framework per stack (under mocks)", () => {
    for (const file of shippedStackFiles()) {
        const stack = stackNameOfFile(file);
        it(`${stack}: a framework and report plan named for the stack exactly when it deploys an AWS Backup plan`, async () => {
            const mocks = setupMocks("pg-backup-stack", stack);
            const config = validateConfig(fromPulumiConfig(engineConfig(file).config)).config;
            assert.ok(config !== undefined);
            const { deployStack } = await import("../../../../program/deploy");
            await unwrap(deployStack(config).backupBucket);
            await settle(mocks);
            const plans = mocks.ofType("aws:backup/plan:Plan").length;
            const frameworks = mocks.ofType(FRAMEWORK).map((f) => f.inputs["name"]);
            const expected = `pg_backup_stack_${stack.replace(/[^A-Za-z0-9_]/g, "_")}`;
            assert.deepStrictEqual(frameworks, plans > 0 ? [expected] : []);
            assert.deepStrictEqual(mocks.ofType(REPORT_PLAN).map((r) => r.inputs["name"]), plans > 0 ? [`${expected}_controls`] : []);
            assert.strictEqual(auditFrameworkInput(config, stackScope(stack)) !== undefined, plans > 0);
        });
    }
});

