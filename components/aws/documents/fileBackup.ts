/**
 * Documents of the AWS Backup protection of application buckets (uploaded files, media):
 * bucket-name checks, the buckets' ARNs and the managed policies AWS Backup needs for S3.
 * Pure functions of plain values.
 */

/**
 * Amazon S3 general purpose bucket naming rules ("General purpose bucket naming rules", Amazon S3
 * User Guide, docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html): 3 to 63
 * characters of lower-case letters, digits, dots and hyphens, beginning and ending with a letter
 * or digit, no two adjacent dots, not shaped like an IP address, and none of the reserved
 * prefixes and suffixes. Returns what is wrong, or undefined for a valid name.
 */
export function bucketNameProblem(name: string): string | undefined {
    if (name.length < 3 || name.length > 63) return `is ${name.length} characters long; bucket names have 3..63`;
    if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) {
        return "may hold only lower-case letters, digits, dots and hyphens, and must begin and end with a letter or digit";
    }
    if (name.includes("..")) return "must not hold two adjacent dots";
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return "must not be formatted as an IP address";
    const prefix = RESERVED_PREFIXES.find((p) => name.startsWith(p));
    if (prefix !== undefined) return `must not begin with the reserved prefix "${prefix}"`;
    const suffix = RESERVED_SUFFIXES.find((s) => name.endsWith(s));
    if (suffix !== undefined) return `must not end with the reserved suffix "${suffix}"`;
    return undefined;
}

const RESERVED_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"] as const;
const RESERVED_SUFFIXES = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] as const;

/** ARN of a general purpose bucket: bucket names are global within a partition, so no region or account. */
export function bucketArn(partition: string, name: string): string {
    return `arn:${partition}:s3:::${name}`;
}

/**
 * AWS managed policies AWS Backup's role needs to back up and restore S3 buckets ("Amazon S3
 * backup" prerequisites, AWS Backup Developer Guide, docs.aws.amazon.com/aws-backup/latest/devguide/s3-backups.html;
 * policy reference: AWSBackupServiceRolePolicyForS3Backup and ...ForS3Restore, which live at
 * the root path, not under service-role/).
 */
export function s3BackupPolicyArns(partition: string): Readonly<Record<"backup" | "restore", string>> {
    return {
        backup: `arn:${partition}:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup`,
        restore: `arn:${partition}:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore`,
    };
}
