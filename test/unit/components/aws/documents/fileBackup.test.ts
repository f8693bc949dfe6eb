import * as assert from "assert";
import * as fc from "fast-check";
import { bucketArn, bucketNameProblem, s3BackupPolicyArns } from "../../../../../components/aws/documents/fileBackup";

describe("file bucket documents", () => {
    it("accepts names within S3's general purpose bucket rules, at both length limits", () => {
        for (const name of ["abc", "a".repeat(63), "media-uploads", "docs.example.com", "1-bucket-2"]) {
            assert.strictEqual(bucketNameProblem(name), undefined, name);
        }
    });

    it("refuses each kind of invalid name with its reason", () => {
        const cases: readonly [string, RegExp][] = [
            ["ab", /is 2 characters long; bucket names have 3\.\.63/],
            ["a".repeat(64), /is 64 characters long/],
            ["Media", /lower-case letters/],
            ["media_uploads", /lower-case letters/],
            ["-media", /begin and end with a letter or digit/],
            ["media.", /begin and end with a letter or digit/],
            ["media..uploads", /two adjacent dots/],
            ["192.168.5.4", /IP address/],
            ["xn--media", /reserved prefix "xn--"/],
            ["sthree-media", /reserved prefix "sthree-"/],
            ["amzn-s3-demo-media", /reserved prefix "amzn-s3-demo-"/],
            ["media-s3alias", /reserved suffix "-s3alias"/],
            ["media--ol-s3", /reserved suffix "--ol-s3"/],
            ["media.mrap", /reserved suffix ".mrap"/],
            ["media--x-s3", /reserved suffix "--x-s3"/],
            ["media--table-s3", /reserved suffix "--table-s3"/],
        ];
        for (const [name, reason] of cases) assert.match(bucketNameProblem(name) ?? "(accepted)", reason, name);
    });

    it("never accepts a name with a character outside [a-z0-9.-]", () => {
        fc.assert(fc.property(fc.string({ minLength: 3, maxLength: 63 }).filter((s) => /[^a-z0-9.-]/.test(s)), (name) =>
            bucketNameProblem(name) !== undefined));
    });

    it("builds partition-aware ARNs and the root-path managed policy ARNs", () => {
        assert.strictEqual(bucketArn("aws-cn", "media"), "arn:aws-cn:s3:::media");
        assert.deepStrictEqual(s3BackupPolicyArns("aws-us-gov"), {
            backup: "arn:aws-us-gov:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
            restore: "arn:aws-us-gov:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
        });
    });
});
