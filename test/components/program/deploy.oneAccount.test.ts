import * as assert from "assert";
import * as path from "path";
import { MockState, RecordedResource } from "../../helpers/mocks";
import { deployUnderMocks } from "../../helpers/program";
import { ROOT } from "../../helpers/stackFiles";

/**
 * Input fields whose value AWS requires unique per account (IAM, S3) or per account and region
 * (everything else), by resource type. A field left out of the inputs is auto-named by Pulumi
 * with a random suffix, so only the names the stack sets itself can collide.
 */
const ACCOUNT_UNIQUE: Readonly<Record<string, readonly string[]>> = {
    "aws:kms/alias:Alias": ["name"],
    "aws:backup/vault:Vault": ["name"],
    "aws:backup/plan:Plan": ["name"],
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": ["name"],
    "aws:iam/role:Role": ["name"],
    "aws:sns/topic:Topic": ["name"],
    "aws:sqs/queue:Queue": ["name"],
    "aws:cloudwatch/logGroup:LogGroup": ["name"],
    "aws:cloudwatch/metricAlarm:MetricAlarm": ["name"],
    "aws:cloudwatch/dashboard:Dashboard": ["dashboardName"],
    "aws:cloudwatch/eventRule:EventRule": ["name"],
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": ["policyName"],
    "aws:s3/bucket:Bucket": ["bucket"],
    "aws:lambda/function:Function": ["name"],
    "aws:scheduler/schedule:Schedule": ["name"],
    "aws:ecs/cluster:Cluster": ["name"],
    // A second task definition of the same family becomes a new revision of the first.
    "aws:ecs/taskDefinition:TaskDefinition": ["family"],
    "aws:ecr/repository:Repository": ["name"],
    "aws:ec2/securityGroup:SecurityGroup": ["name"],
    "aws:rds/instance:Instance": ["identifier", "finalSnapshotIdentifier"],
    "aws:rds/subnetGroup:SubnetGroup": ["name"],
    "aws:rds/parameterGroup:ParameterGroup": ["name"],
    "aws:backup/framework:Framework": ["name"],
    "aws:backup/reportPlan:ReportPlan": ["name"],
};

/** Types without a name of their own, or whose name is unique only within their parent resource. */
const NO_ACCOUNT_UNIQUE_NAME = new Set([
    "aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey",
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration", "aws:backup/vaultNotifications:VaultNotifications",
    "aws:backup/selection:Selection", "aws:backup/restoreTestingSelection:RestoreTestingSelection",
    "aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:sns/topicPolicy:TopicPolicy", "aws:sns/topicSubscription:TopicSubscription", "aws:sqs/queuePolicy:QueuePolicy",
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "aws:cloudwatch/eventTarget:EventTarget",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy", "aws:ecr/repositoryPolicy:RepositoryPolicy",
    "aws:ec2/vpcEndpoint:VpcEndpoint", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketPolicy:BucketPolicy", "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "aws:s3/bucketLogging:BucketLogging",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig", "aws:s3/bucketObjectv2:BucketObjectv2",
]);

/** `type field=value` of every account-unique name a stack sets. */
function accountUniqueNames(mocks: MockState): Set<string> {
    const names = new Set<string>();
    for (const r of mocks.resources) {
        for (const field of ACCOUNT_UNIQUE[r.type] ?? []) {
            const value: unknown = r.inputs[field];
            if (typeof value === "string") names.add(`${r.type} ${field}=${value}`);
        }
    }
    return names;
}

/** Tag conditions a selection requires all of, and the tags of which it requires one (ListOfTags). */
interface Selection {
    readonly label: string;
    readonly allOf: readonly { key: string; value: string }[];
    readonly anyOf: readonly { key: string; value: string }[];
    readonly arns?: readonly string[];
}

/** AWS Backup's selection semantics: conditions ANDed, ListOfTags ORed; explicit ARNs select those resources only. */
function selects(s: Selection, arn: string, tags: Readonly<Record<string, string>>): boolean {
    if (s.arns !== undefined && !s.arns.includes("*")) return s.arns.includes(arn);
    const has = (c: { key: string; value: string }): boolean => tags[c.key.replace(/^aws:ResourceTag\//, "")] === c.value;
    return s.allOf.every(has) && (s.anyOf.length === 0 || s.anyOf.some(has));
}

function selections(mocks: MockState): Selection[] {
    type Condition = { stringEquals?: { key: string; value: string }[] };
    const backup = mocks.ofType("aws:backup/selection:Selection").map((r): Selection => ({
        label: `selection ${r.name}`,
        allOf: ((r.inputs["conditions"] ?? []) as Condition[]).flatMap((c) => c.stringEquals ?? []),
        anyOf: ((r.inputs["selectionTags"] ?? []) as { key: string; value: string }[]),
        ...(Array.isArray(r.inputs["resources"]) ? { arns: r.inputs["resources"] as string[] } : {}),
    }));
    const testing = mocks.ofType("aws:backup/restoreTestingSelection:RestoreTestingSelection").map((r): Selection => ({
        label: `restore testing selection ${r.name}`,
        allOf: ((r.inputs["protectedResourceConditions"] ?? {}) as Condition).stringEquals ?? [],
        anyOf: [],
        arns: r.inputs["protectedResourceArns"] as string[],
    }));
    return [...backup, ...testing];
}

function instances(mocks: MockState): { arn: string; tags: Record<string, string> }[] {
    return mocks.ofType("aws:rds/instance:Instance").map((r: RecordedResource) => ({
        arn: `arn:aws:rds:eu-west-1:123456789012:db:${String(r.inputs["identifier"])}`,
        tags: (r.inputs["tags"] ?? {}) as Record<string, string>,
    }));
}

describe("staging and prod in one account (under mocks)", () => {
    let stacks: { name: string; mocks: MockState }[];
    before(async () => {
        // given both stack files deployed into the same account and regions
        stacks = [];
        for (const name of ["staging", "prod"]) {
            const { mocks } = await deployUnderMocks(path.join(ROOT, `Pulumi.${name}.yaml`));
            stacks.push({ name, mocks });
        }
    });

    it("every resource type the stacks declare is classified as having an account-unique name or not", () => {
        const types = new Set(stacks.flatMap((s) => s.mocks.resources.map((r) => r.type)).filter((t) => t.startsWith("aws:")));
        const unclassified = [...types].filter((t) => ACCOUNT_UNIQUE[t] === undefined && !NO_ACCOUNT_UNIQUE_NAME.has(t));
        assert.deepStrictEqual(unclassified, []);
    });

    it("no name AWS requires unique per account or region is set by both", () => {
        // when the names each stack sets itself are compared
        const [staging, prod] = stacks.map((s) => accountUniqueNames(s.mocks));
        assert.ok(staging !== undefined && prod !== undefined && staging.size > 0 && prod.size > 0);
        // then none is shared
        assert.deepStrictEqual([...staging].filter((n) => prod.has(n)), []);
    });

    it("each stack's backup and restore testing selections take its own instances and none of the other's", () => {
        for (const own of stacks) {
            const ownSelections = selections(own.mocks);
            assert.ok(ownSelections.length >= 2, `${own.name}: a backup and a restore testing selection`);
            for (const s of ownSelections) {
                for (const other of stacks) {
                    for (const db of instances(other.mocks)) {
                        // when a selection of one stack is evaluated against an instance of either
                        // then it selects exactly the instances of its own stack
                        assert.strictEqual(selects(s, db.arn, db.tags), other === own,
                            `${own.name} ${s.label} ${other === own ? "misses" : "takes"} ${other.name}'s ${db.arn}`);
                    }
                }
            }
        }
    });
});
