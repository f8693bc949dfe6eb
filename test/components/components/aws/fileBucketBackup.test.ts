import * as assert from "assert";
import { MockState, assertAllParented, settle, setupMocks, unwrap } from "../../../helpers/mocks";

const COMPONENT = "pg-backup-stack:aws:FileBucketBackup";
const SELECTION = "aws:backup/selection:Selection";
const ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";
const ROLE_ARN = "arn:aws:iam::123456789012:role/rds-role-1a2b3c";

describe("FileBucketBackup (under mocks)", () => {
    let mocks: MockState;
    let mod: typeof import("../../../../components/aws/fileBucketBackup");

    beforeEach(async () => {
        mocks = setupMocks();
        mod = await import("../../../../components/aws/fileBucketBackup");
    });

    it("selects the named buckets by ARN into the plan, through the plan's role", async () => {
        // given two application buckets
        const backup = new mod.FileBucketBackup("files", { planId: "plan-1", roleName: "rds-role-1a2b3c", roleArn: ROLE_ARN, buckets: ["media-uploads", "docs.example.com"] });
        await settle(mocks);
        // when the selection is inspected
        const selection = mocks.one(SELECTION, "files-selection").inputs;
        // then it names exactly those buckets, in the plan, with the plan's role
        assert.deepStrictEqual(selection["resources"], ["arn:aws:s3:::media-uploads", "arn:aws:s3:::docs.example.com"]);
        assert.strictEqual(selection["planId"], "plan-1");
        assert.strictEqual(selection["iamRoleArn"], ROLE_ARN);
        assert.strictEqual(selection["selectionTags"], undefined, "a tag selection could pick up buckets of another stack");
        assert.deepStrictEqual(await unwrap(backup.bucketArns), ["arn:aws:s3:::media-uploads", "arn:aws:s3:::docs.example.com"]);
        assertAllParented(mocks, COMPONENT, "files");
    });

    it("gives the plan's role the S3 backup and restore policies AWS Backup requires", async () => {
        // given a bucket to protect
        new mod.FileBucketBackup("files", { planId: "plan-1", roleName: "rds-role-1a2b3c", roleArn: ROLE_ARN, buckets: ["media-uploads"] });
        await settle(mocks);
        // when the role's attachments are inspected
        const attached = mocks.ofType(ATTACHMENT).map((a) => [a.inputs["role"], a.inputs["policyArn"]]);
        // then both managed S3 policies (root path, not service-role/) are attached to that role
        assert.deepStrictEqual(attached.sort(), [
            ["rds-role-1a2b3c", "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup"],
            ["rds-role-1a2b3c", "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore"],
        ]);
    });

    it("refuses an empty list and an invalid bucket name before declaring anything", () => {
        // given bad arguments, then the constructor names the argument and what is allowed
        assert.throws(() => new mod.FileBucketBackup("none", { planId: "p", roleName: "r", roleArn: ROLE_ARN, buckets: [] }),
            /buckets: \[\] is not allowed; expected at least one bucket name/);
        assert.throws(() => new mod.FileBucketBackup("bad", { planId: "p", roleName: "r", roleArn: ROLE_ARN, buckets: ["ok-bucket", "Bad_Bucket"] }),
            /buckets\[1\]: "Bad_Bucket" may hold only lower-case letters/);
        assert.strictEqual(mocks.ofType(SELECTION).length, 0);
    });
});
