import * as assert from "assert";
import type * as awsTypes from "@pulumi/aws";
import type { BackupKey as BackupKeyClass } from "../../../../components/aws/backupKey";
import { assertAllParented, MockState, policyOf, settle, setupMocks, unwrap } from "../../../helpers/mocks";

const KEY = "aws:kms/key:Key";
const REPLICA = "aws:kms/replicaKey:ReplicaKey";
const ALIAS = "aws:kms/alias:Alias";
const DUMP = "arn:aws:iam::123456789012:role/dump";

describe("BackupKey (under Pulumi mocks)", () => {
    let mocks: MockState;
    let BackupKey: typeof BackupKeyClass;
    let aws: typeof awsTypes;

    beforeEach(async () => {
        mocks = setupMocks();
        ({ BackupKey } = await import("../../../../components/aws/backupKey"));
        aws = await import("@pulumi/aws");
    });

    it("creates a rotating, symmetric, multi-Region key with its alias and the defaults", async () => {
        // given a key with a backup role
        const key = new BackupKey("backups", { userRoleArns: [DUMP] });
        await unwrap(key.keyArn);
        await settle(mocks);
        // then the KMS key has rotation on at 365 days, a 30-day deletion window and is multi-Region
        const k = mocks.one(KEY, "backups-key");
        assert.strictEqual(k.inputs["enableKeyRotation"], true);
        assert.strictEqual(k.inputs["rotationPeriodInDays"], 365);
        assert.strictEqual(k.inputs["deletionWindowInDays"], 30);
        assert.strictEqual(k.inputs["multiRegion"], true);
        assert.strictEqual(k.inputs["customerMasterKeySpec"], "SYMMETRIC_DEFAULT");
        // and the alias alias/<name> points at it
        const alias = mocks.one(ALIAS, "backups-alias");
        assert.strictEqual(alias.inputs["name"], "alias/backups");
        assert.strictEqual(alias.inputs["targetKeyId"], "backups-key-key-id");
        assert.strictEqual(key.aliasName, "alias/backups");
        // and no replica without a DR provider
        assert.strictEqual(mocks.ofType(REPLICA).length, 0);
        assertAllParented(mocks, "pg-backup-stack:aws:BackupKey", "backups");
    });

    it("scopes the key policy to the account root and the roles through S3 of the provider's region", async () => {
        // given a role passed as an Output and a configured administrator
        const role = new aws.iam.Role("dump", { assumeRolePolicy: "{}" });
        new BackupKey("backups", { userRoleArns: [role.arn], administratorArns: ["arn:aws:iam::123456789012:role/admin"], viaServices: ["s3", "backup"] });
        await settle(mocks);
        // then the policy names the resolved role with ViaService for S3 and Backup in eu-west-1 (the mock region)
        const policy = policyOf(mocks.one(KEY, "backups-key"));
        assert.deepStrictEqual(policy.Statement.map((s) => s.Sid), ["AccountRootFullAccess", "KeyAdministration", "BackupRolesUseThroughServices", "BackupRolesGrantToServices"]);
        const use = policy.Statement[2];
        assert.deepStrictEqual(use?.Principal, { AWS: ["arn:aws:iam::123456789012:role/dump"] });
        assert.deepStrictEqual(use?.Condition, { StringEquals: { "kms:ViaService": ["backup.eu-west-1.amazonaws.com", "s3.eu-west-1.amazonaws.com"] } });
        assert.deepStrictEqual(policy.Statement[0]?.Principal, { AWS: ["arn:aws:iam::123456789012:root"] });
    });

    it("replicates the key into the DR region with the DR provider, a DR-region policy and the same alias", async () => {
        // given a DR provider in us-west-2
        const dr = new aws.Provider("dr", { region: "us-west-2" });
        const key = new BackupKey("backups", { userRoleArns: [DUMP], drProvider: dr, rotationPeriodInDays: 180, deletionWindowInDays: 7 });
        assert.ok(key.replicaKeyArn);
        await unwrap(key.replicaKeyArn);
        await settle(mocks);
        // then the replica key follows the primary, through the DR provider
        const replica = mocks.one(REPLICA, "backups-replica");
        assert.strictEqual(replica.inputs["primaryKeyArn"], "arn:aws:kms:eu-west-1:123456789012:key/backups-key-key-id");
        assert.strictEqual(replica.inputs["deletionWindowInDays"], 7);
        assert.match(replica.provider ?? "", /pulumi:providers:aws::dr::/);
        // and its policy lets the roles use it through S3 of us-west-2
        const use = policyOf(replica).Statement.find((s) => s.Sid === "BackupRolesUseThroughServices");
        assert.deepStrictEqual(use?.Condition, { StringEquals: { "kms:ViaService": ["s3.us-west-2.amazonaws.com"] } });
        // and the DR alias has the same name, through the DR provider
        const drAlias = mocks.one(ALIAS, "backups-replica-alias");
        assert.strictEqual(drAlias.inputs["name"], "alias/backups");
        assert.match(drAlias.provider ?? "", /pulumi:providers:aws::dr::/);
        // and the primary key takes the custom rotation period
        assert.strictEqual(mocks.one(KEY, "backups-key").inputs["rotationPeriodInDays"], 180);
        assertAllParented(mocks, "pg-backup-stack:aws:BackupKey", "backups");
    });

    const refusals: { name: string; args: Record<string, unknown>; message: RegExp }[] = [
        { name: "rotation below 90 days", args: { rotationPeriodInDays: 30 }, message: /rotationPeriodInDays: 30 is out of range 90\.\.2560/ },
        { name: "deletion window above 30 days", args: { deletionWindowInDays: 31 }, message: /deletionWindowInDays: 31 is out of range 7\.\.30/ },
        { name: "alias with the alias/ prefix", args: { aliasName: "alias/x" }, message: /aliasName: "alias\/x" is not allowed/ },
        { name: "a user that is not a role ARN", args: { userRoleArns: ["dump"] }, message: /userRoleArns: "dump" is not an IAM role ARN/ },
        { name: "roles without any service", args: { userRoleArns: [DUMP], viaServices: [] }, message: /viaServices: \[\] leaves the user roles no way to use the key/ },
        { name: "a bad service principal", args: { servicePrincipals: ["cloudwatch"] }, message: /servicePrincipals: "cloudwatch" is not a service principal/ },
        { name: "a service principal it cannot scope to the account", args: { servicePrincipals: ["events.amazonaws.com"] }, message: /servicePrincipals: "events.amazonaws.com" cannot be scoped to this account/ },
    ];
    for (const r of refusals) {
        it(`refuses ${r.name} before creating anything`, async () => {
            // given the bad argument / when the component is constructed
            // then it throws naming the argument, the value and the allowed range
            assert.throws(() => new BackupKey("bad", r.args), (e: unknown) => e instanceof Error && r.message.test(e.message));
            await settle(mocks);
            // and no key was declared
            assert.strictEqual(mocks.ofType(KEY).length, 0);
        });
    }
});
