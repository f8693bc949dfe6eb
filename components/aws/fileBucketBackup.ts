import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { bucketArn, bucketNameProblem, s3BackupPolicyArns } from "./documents/fileBackup";

export interface FileBucketBackupArgs {
    /** ID of the AWS Backup plan whose rules (schedule, retention per tier, vault lock, DR copy) the buckets follow. Required. */
    readonly planId: pulumi.Input<string>;
    /** Name of the plan's backup role; it gets the managed policies AWS Backup needs for S3. Required. */
    readonly roleName: pulumi.Input<string>;
    /** ARN of the plan's backup role, which runs the bucket backups. Required. */
    readonly roleArn: pulumi.Input<string>;
    /** Names of the application buckets (uploaded files, media) to protect; each must have S3 Versioning on. Required, at least one. */
    readonly buckets: readonly string[];
}

/**
 * Application buckets (uploaded files, media) backed up by AWS Backup under the same plan as
 * the databases: the same schedule and retention per tier, the same locked vault and the same
 * copy to the DR vault. AWS Backup for S3 requires S3 Versioning on every protected bucket
 * (AWS Backup Developer Guide, "Amazon S3 backup", prerequisites); the stack does not own these
 * buckets, so it cannot turn versioning on for them: `pulumi up` succeeds and the backup jobs of
 * an unversioned bucket fail, which the job-failure notifications report.
 */
export class FileBucketBackup extends pulumi.ComponentResource {
    /** ARNs of the protected buckets. */
    public readonly bucketArns: pulumi.Output<string[]>;
    /** ID of the backup selection of the buckets. */
    public readonly selectionId: pulumi.Output<string>;

    constructor(name: string, args: FileBucketBackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-backup-stack:aws:FileBucketBackup", name, {}, opts);
        if (args.buckets.length === 0) {
            throw new pulumi.ResourceError("buckets: [] is not allowed; expected at least one bucket name", this);
        }
        args.buckets.forEach((bucket, i) => {
            const problem = bucketNameProblem(bucket);
            if (problem !== undefined) throw new pulumi.ResourceError(`buckets[${i}]: "${bucket}" ${problem}`, this);
        });
        const partition = aws.getPartitionOutput({}, { parent: this }).partition;
        const attachments = (["backup", "restore"] as const).map((purpose) => new aws.iam.RolePolicyAttachment(`${name}-s3-${purpose}`, {
            role: args.roleName,
            policyArn: partition.apply((p) => s3BackupPolicyArns(p)[purpose]),
        }, { parent: this }));
        this.bucketArns = partition.apply((p) => args.buckets.map((b) => bucketArn(p, b)));
        const selection = new aws.backup.Selection(`${name}-selection`, {
            name: "file-buckets",
            planId: args.planId,
            iamRoleArn: args.roleArn,
            resources: this.bucketArns,
        }, { parent: this, dependsOn: attachments });
        this.selectionId = selection.id;
        this.registerOutputs({ bucketArns: this.bucketArns, selectionId: this.selectionId });
    }
}
