import * as assert from "assert";
import * as fc from "fast-check";
import { BackupKeyPolicyInput, KEY_USAGE_ACTIONS, backupKeyPolicy } from "../../../../../components/aws/documents/keyPolicy";
import { PolicyStatement, policyJson } from "../../../../../components/aws/documents/policyDocument";

const DUMP = "arn:aws:iam::123456789012:role/dump";
const VERIFY = "arn:aws:iam::123456789012:role/verify";

function base(overrides: Partial<BackupKeyPolicyInput> = {}): BackupKeyPolicyInput {
    return {
        accountId: "123456789012",
        partition: "aws",
        region: "eu-west-1",
        dnsSuffix: "amazonaws.com",
        administratorArns: [],
        userRoleArns: [DUMP, VERIFY],
        viaServices: ["s3"],
        servicePrincipals: [],
        ...overrides,
    };
}

function statement(doc: { Statement: readonly PolicyStatement[] }, sid: string): PolicyStatement {
    const found = doc.Statement.find((s) => s.Sid === sid);
    assert.ok(found, `statement ${sid} missing; have ${doc.Statement.map((s) => s.Sid).join(", ")}`);
    return found;
}

describe("backup key policy (documents/keyPolicy)", () => {
    it("gives the account root full access so IAM policies can delegate", () => {
        // given an account in the China partition
        const doc = backupKeyPolicy(base({ partition: "aws-cn", dnsSuffix: "amazonaws.com.cn" }));
        // then the root of that account and partition holds kms:*
        assert.deepStrictEqual(statement(doc, "AccountRootFullAccess").Principal, { AWS: ["arn:aws-cn:iam::123456789012:root"] });
        assert.deepStrictEqual(statement(doc, "AccountRootFullAccess").Action, ["kms:*"]);
    });

    it("lets the backup roles use the key only through the listed services of its region", () => {
        // given two roles and the services S3 and AWS Backup
        const doc = backupKeyPolicy(base({ viaServices: ["s3", "backup"] }));
        // then the usage statement names the roles and carries the kms:ViaService condition
        const use = statement(doc, "BackupRolesUseThroughServices");
        assert.deepStrictEqual(use.Principal, { AWS: [DUMP, VERIFY] });
        assert.deepStrictEqual(use.Action, ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]);
        assert.deepStrictEqual(use.Condition, { StringEquals: { "kms:ViaService": ["backup.eu-west-1.amazonaws.com", "s3.eu-west-1.amazonaws.com"] } });
        // and grants only for AWS resources, through the same services
        const grants = statement(doc, "BackupRolesGrantToServices");
        assert.deepStrictEqual(grants.Condition, {
            Bool: { "kms:GrantIsForAWSResource": "true" },
            StringEquals: { "kms:ViaService": ["backup.eu-west-1.amazonaws.com", "s3.eu-west-1.amazonaws.com"] },
        });
    });

    it("never lets a non-root principal use the key without a condition", () => {
        // given administrators, roles and a service principal
        const doc = backupKeyPolicy(base({ administratorArns: ["arn:aws:iam::123456789012:role/admin"], servicePrincipals: ["cloudwatch.amazonaws.com"] }));
        // then every AWS-principal statement other than root that allows data-key use is conditioned
        for (const s of doc.Statement) {
            if (s.Sid === "AccountRootFullAccess" || s.Principal === "*" || s.Principal?.AWS === undefined) continue;
            const usesKey = s.Action.some((a) => KEY_USAGE_ACTIONS.includes(a) && a !== "kms:DescribeKey");
            assert.ok(!usesKey || s.Condition !== undefined, `${s.Sid} allows key use unconditionally`);
        }
        // and the administrators can manage but not use the key
        const admin = statement(doc, "KeyAdministration");
        assert.ok(!admin.Action.some((a) => ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:*"].includes(a)));
        assert.ok(admin.Action.includes("kms:ScheduleKeyDeletion") && admin.Action.includes("kms:ReplicateKey"));
    });

    it("builds the replica key's policy for the DR region from the same input", () => {
        // given the same roles in another region
        const doc = backupKeyPolicy(base({ region: "us-west-2" }));
        // then the ViaService names S3 in that region
        assert.deepStrictEqual(statement(doc, "BackupRolesUseThroughServices").Condition, { StringEquals: { "kms:ViaService": ["s3.us-west-2.amazonaws.com"] } });
    });

    it("has only the root statement when no administrators, roles or services are given", () => {
        // given nothing but the account
        const doc = backupKeyPolicy(base({ userRoleArns: [] }));
        // then the policy holds the root statement alone
        assert.deepStrictEqual(doc.Statement.map((s) => s.Sid), ["AccountRootFullAccess"]);
    });

    it("lets the topic publishers generate data keys and decrypt for this account's topics in the key's region only", () => {
        // given CloudWatch and AWS Backup (alarms and vault notifications to encrypted topics)
        const doc = backupKeyPolicy(base({ servicePrincipals: ["cloudwatch.amazonaws.com", "backup.amazonaws.com"] }));
        // then both may generate data keys and decrypt, for SNS topics of this account and region
        const s = statement(doc, "PublishToThisAccountsEncryptedTopics");
        assert.deepStrictEqual(s.Principal, { Service: ["backup.amazonaws.com", "cloudwatch.amazonaws.com"] });
        assert.deepStrictEqual(s.Action, ["kms:Decrypt", "kms:GenerateDataKey*"]);
        assert.deepStrictEqual(s.Condition, { StringLike: { "kms:EncryptionContext:aws:sns:topicArn": ["arn:aws:sns:eu-west-1:123456789012:*"] } });
    });

    it("refuses a service principal it cannot scope to this account", () => {
        // given a principal nothing in the stack uses, with no documented scoping here
        // then the policy is not built
        assert.throws(() => backupKeyPolicy(base({ servicePrincipals: ["events.amazonaws.com"] })), /servicePrincipals: events\.amazonaws\.com cannot be scoped to this account/);
    });

    it("lets CloudWatch Logs describe the key and encrypt for this account's log groups in its region", () => {
        // given the services of the stack: publishers to the encrypted topic and the regional CloudWatch Logs principal
        const doc = backupKeyPolicy(base({ servicePrincipals: ["cloudwatch.amazonaws.com", "logs.eu-west-1.amazonaws.com"] }));
        // when the statements are read
        const logs = statement(doc, "CloudWatchLogsUse");
        // then Logs gets the actions its user guide lists for an encrypted log group, bound to log groups of this account and region
        assert.deepStrictEqual(logs.Principal, { Service: ["logs.eu-west-1.amazonaws.com"] });
        assert.deepStrictEqual(logs.Action, ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"]);
        assert.deepStrictEqual(logs.Condition, {
            ArnLike: { "kms:EncryptionContext:aws:logs:arn": ["arn:aws:logs:eu-west-1:123456789012:log-group:*"] },
        });
        // and the other services keep their own statement, without Logs
        assert.deepStrictEqual(statement(doc, "PublishToThisAccountsEncryptedTopics").Principal, { Service: ["cloudwatch.amazonaws.com"] });
    });

    it("property: the JSON does not depend on the order or repetition of roles and services", () => {
        const roles = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), { minLength: 1, maxLength: 6 })
            .map((names) => names.map((n) => `arn:aws:iam::123456789012:role/${n}`));
        fc.assert(fc.property(roles, fc.subarray(["s3", "backup", "sns", "logs"], { minLength: 1 }), (arns, services) => {
            // given the roles and services, and a shuffled copy with duplicates
            const shuffled = [...arns].reverse().concat(arns[0] ?? []);
            // when both policies are built / then their JSON is identical
            return policyJson(backupKeyPolicy(base({ userRoleArns: arns, viaServices: services })))
                === policyJson(backupKeyPolicy(base({ userRoleArns: shuffled, viaServices: [...services].reverse() })));
        }));
    });
});
