import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { awsContext, definedOnly } from "./context";
import {
    AUDIT_REPORT_PREFIX,
    auditFrameworkControls,
    auditNames,
    auditReportBucketPolicy,
    auditReportKeyPolicy,
    backupReportsRoleArn,
    type AuditControlsInput,
} from "./documents/auditFramework";
import { policyJson } from "./documents/policyDocument";
import { protectedBucket } from "./protectedBucket";

export interface AuditFrameworkArgs {
    /** Stack name; the framework and report plan names carry it, so stacks sharing an account do not collide. Required. */
    readonly environment: string;
    /** The controls' parameters, from the same configuration as the AWS Backup plan. Required. */
    readonly controls: AuditControlsInput;
    /**
     * Days the delivered reports are kept.
     * @default 400
     */
    readonly reportExpireDays?: number;
    /**
     * Let `pulumi destroy` delete the report bucket with its reports.
     * @default false
     */
    readonly forceDestroy?: boolean;
    /**
     * Tags of the framework, report plan and bucket.
     * @default {}
     */
    readonly tags?: Readonly<Record<string, string>>;
}

const DEFAULTS = { reportExpireDays: 400, forceDestroy: false, tags: {} as Readonly<Record<string, string>> };

/**
 * AWS Backup Audit Manager for the stack: a framework whose controls are the stack's own
 * promises (plan frequency and retention, recovery point retention and encryption, protection
 * by the plan, vault lock and no manual deletion, cross-Region copy, newest recovery point age,
 * restore time against the RTO), and a report plan delivering the daily control compliance
 * report (CSV and JSON) to a dedicated bucket: versioned, public access blocked, TLS only,
 * SSE-KMS with a key of its own (rotation on) that the reports role may use, which keeps that
 * role out of the backup key's policy. AWS Config must record in the Region for the controls to
 * evaluate (AWS Backup Developer Guide, "AWS Backup Audit Manager").
 */
export class AuditFramework extends pulumi.ComponentResource {
    /** Name of the audit framework. */
    public readonly frameworkName: pulumi.Output<string>;
    /** ARN of the audit framework. */
    public readonly frameworkArn: pulumi.Output<string>;
    /** Name of the report plan. */
    public readonly reportPlanName: pulumi.Output<string>;
    /** Name of the bucket the reports are delivered to. */
    public readonly reportBucketName: pulumi.Output<string>;

    constructor(name: string, args: AuditFrameworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-backup-stack:aws:AuditFramework", name, {}, opts);
        const a = { ...DEFAULTS, ...definedOnly(args) } as Required<AuditFrameworkArgs>;
        if (!Number.isInteger(a.reportExpireDays) || a.reportExpireDays < 1) {
            throw new pulumi.ResourceError(`reportExpireDays: ${a.reportExpireDays} is out of range; expected a whole number of days, at least 1`, this);
        }
        const names = auditNames(a.environment);
        const ctx = awsContext(this);
        const child = { parent: this };

        const framework = new aws.backup.Framework(`${name}-framework`, {
            name: names.framework,
            description: `pg-backup-stack ${a.environment}: the backup controls the stack configures`,
            controls: auditFrameworkControls(a.controls).map((c) => ({
                name: c.name,
                inputParameters: c.inputParameters.map((p) => ({ name: p.name, value: p.value })),
                ...(c.scopeTag === undefined ? {} : { scope: { tags: { [c.scopeTag.key]: c.scopeTag.value } } }),
            })),
            tags: { ...a.tags },
        }, child);

        const reportsRoleArn = pulumi.all([ctx.accountId, ctx.partition]).apply(([accountId, partition]) => backupReportsRoleArn(partition, accountId));
        const key = new aws.kms.Key(`${name}-reports-key`, {
            description: `AWS Backup Audit Manager reports of ${names.framework}`,
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            policy: pulumi.all([reportsRoleArn, ctx.accountId, ctx.partition]).apply(([roleArn, accountId, partition]) =>
                policyJson(auditReportKeyPolicy({ reportsRoleArn: roleArn, accountId, partition }))),
            tags: { ...a.tags },
        }, child);
        const reports = protectedBucket(`${name}-reports`, {
            encryption: { kmsKeyArn: key.arn },
            forceDestroy: a.forceDestroy,
            tags: a.tags,
            lifecycleRules: [
                { id: "expire-reports", status: "Enabled", filter: { prefix: `${AUDIT_REPORT_PREFIX}/` }, expiration: { days: a.reportExpireDays }, noncurrentVersionExpiration: { noncurrentDays: 30 } },
            ],
            policy: (bucketArn) =>
                pulumi.all([bucketArn, reportsRoleArn, ctx.accountId, ctx.partition]).apply(([arn, roleArn, accountId, partition]) =>
                    policyJson(auditReportBucketPolicy({ bucketArn: arn, reportsRoleArn: roleArn, accountId, partition }))),
        }, child);

        const plan = new aws.backup.ReportPlan(`${name}-report-plan`, {
            name: names.reportPlan,
            description: `Daily control compliance of ${names.framework}`,
            reportDeliveryChannel: { s3BucketName: reports.bucket.bucket, s3KeyPrefix: AUDIT_REPORT_PREFIX, formats: ["CSV", "JSON"] },
            reportSetting: { reportTemplate: "CONTROL_COMPLIANCE_REPORT", frameworkArns: [framework.arn], numberOfFrameworks: 1 },
            tags: { ...a.tags },
        }, { ...child, dependsOn: [reports.policy] });

        this.frameworkName = framework.name;
        this.frameworkArn = framework.arn;
        this.reportPlanName = plan.name;
        this.reportBucketName = reports.bucket.bucket;
        this.registerOutputs({ frameworkName: this.frameworkName, frameworkArn: this.frameworkArn, reportPlanName: this.reportPlanName, reportBucketName: this.reportBucketName });
    }
}
