import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { childrenOf, MockState, RecordedResource, settle, setupMocks, unwrap } from "../../../helpers/mocks";
import type { BackupFunctionArgs } from "../../../../components/aws/backupFunction";

const COMPONENT = "pg-backup-stack:aws:BackupFunction";
const FUNCTION = "aws:lambda/function:Function";
const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const SCHEDULE = "aws:scheduler/schedule:Schedule";
const QUEUE = "aws:sqs/queue:Queue";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint";

const KEY = "arn:aws:kms:eu-west-1:123456789012:key/backup";
const BUCKET = "arn:aws:s3:::pg-backups-prod";
const DB_SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-orders-AbCdEf";
const VERIFY_SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:verify-server-XyZ";
const IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/pg-backup@sha256:abc";

interface Statement {
    Sid: string;
    Effect: "Allow" | "Deny";
    Action: string[];
    Resource?: string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

function statements(resource: RecordedResource): Statement[] {
    return (JSON.parse(resource.inputs["policy"] as string) as { Statement: Statement[] }).Statement;
}

function allowed(policy: Statement[]): string[] {
    return policy.filter((s) => s.Effect === "Allow").flatMap((s) => s.Action).sort();
}

function base(kind: BackupFunctionArgs["kind"]): BackupFunctionArgs {
    return {
        kind,
        imageUri: IMAGE,
        bucketArn: BUCKET,
        prefix: kind === "export" ? "exports" : "backups",
        kmsKeyArn: KEY,
        secretArns: [kind === "verify" ? VERIFY_SECRET : DB_SECRET],
        secretKmsKeyArns: [KEY],
        environment: { BACKUP_BUCKET: "pg-backups-prod", DB_SECRET_ARN: DB_SECRET },
        network: { vpcId: "vpc-0abc", subnetIds: ["subnet-0a", "subnet-0b"], databaseSecurityGroupIds: ["sg-0db"] },
        schedule: "cron(5 * * * ? *)",
    };
}

describe("BackupFunction (under mocks)", () => {
    let mocks: MockState;
    let mod: typeof import("../../../../components/aws/backupFunction");

    beforeEach(async () => {
        mocks = setupMocks();
        mod = await import("../../../../components/aws/backupFunction");
    });

    it("dump: image function with its handler, sizing, one concurrent run, VPC and an encrypted log group with retention", async () => {
        // given a dump function for the orders database
        new mod.BackupFunction("prod-dump-orders", { ...base("dump"), memoryMb: 2048, timeoutSeconds: 600, logRetentionDays: 400 });
        await settle(mocks);
        // when the recorded function and log group are inspected
        const fn = mocks.one(FUNCTION, "prod-dump-orders-function").inputs;
        const logs = mocks.one(LOG_GROUP, "prod-dump-orders-logs").inputs;
        // then the function runs the dump handler of the image, alone, in the VPC, logging to its own group
        assert.strictEqual(fn["packageType"], "Image");
        assert.strictEqual(fn["imageUri"], IMAGE);
        assert.deepStrictEqual(fn["imageConfig"], { commands: ["dump/handler.handler"] });
        assert.strictEqual(fn["name"], "prod-dump-orders");
        assert.strictEqual(fn["memorySize"], 2048);
        assert.strictEqual(fn["timeout"], 600);
        assert.strictEqual(fn["reservedConcurrentExecutions"], 1);
        assert.deepStrictEqual(fn["architectures"], ["x86_64"]);
        assert.deepStrictEqual(fn["vpcConfig"]["subnetIds"], ["subnet-0a", "subnet-0b"]);
        assert.deepStrictEqual(fn["vpcConfig"]["securityGroupIds"], ["prod-dump-orders-sg-id"]);
        assert.strictEqual(fn["loggingConfig"]["logGroup"], "/aws/lambda/prod-dump-orders");
        assert.strictEqual(fn["environment"]["variables"]["DB_SECRET_ARN"], DB_SECRET);
        assert.strictEqual(logs["name"], "/aws/lambda/prod-dump-orders");
        assert.strictEqual(logs["retentionInDays"], 400);
        assert.strictEqual(logs["kmsKeyId"], KEY);
    });

    it("reservedConcurrency 0 leaves the function unreserved instead of throttling every run", async () => {
        // given a function in an account whose concurrency quota leaves nothing to reserve
        new mod.BackupFunction("prod-dump-orders", { ...base("dump"), reservedConcurrency: 0 });
        await settle(mocks);
        // then the provider's "unreserved" (-1) is sent, never a reserved 0
        assert.strictEqual(mocks.one(FUNCTION, "prod-dump-orders-function").inputs["reservedConcurrentExecutions"], -1);
    });

    it("dump role: writes, tags, locks and aborts uploads under its prefix, lists only that prefix, reads only its secret, never deletes", async () => {
        // given a dump function
        new mod.BackupFunction("prod-dump-orders", base("dump"));
        await settle(mocks);
        // when its role policy is read
        const policy = statements(mocks.one(ROLE_POLICY, "prod-dump-orders-role-policy"));
        const bySid = new Map(policy.map((s) => [s.Sid, s]));
        // then it grants exactly the listed actions
        assert.deepStrictEqual(bySid.get("WriteDumps")?.Action, ["s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:PutObject", "s3:PutObjectTagging"]);
        assert.deepStrictEqual(bySid.get("WriteDumps")?.Resource, [`${BUCKET}/backups/*`]);
        assert.deepStrictEqual(bySid.get("ListDumps")?.Condition, { StringLike: { "s3:prefix": ["backups/*"] } });
        assert.deepStrictEqual(bySid.get("EncryptDumps")?.Action, ["kms:Decrypt", "kms:GenerateDataKey"]);
        assert.deepStrictEqual(bySid.get("EncryptDumps")?.Condition, { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } });
        assert.deepStrictEqual(bySid.get("ReadConnectionSecrets")?.Resource, [DB_SECRET]);
        assert.deepStrictEqual(bySid.get("DecryptConnectionSecrets")?.Condition, { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } });
        assert.deepStrictEqual(allowed(policy).filter((a) => a.startsWith("s3:")), [
            "s3:AbortMultipartUpload", "s3:ListBucket", "s3:ListMultipartUploadParts", "s3:PutObject", "s3:PutObjectRetention", "s3:PutObjectTagging",
        ]);
        assert.deepStrictEqual(bySid.get("LockDumps")?.Resource, [`${BUCKET}/backups/*`]);
        assert.ok(!allowed(policy).some((a) => /^s3:(Delete|Get)/.test(a)), "the dump role neither deletes nor reads objects");
        assert.ok(bySid.get("NeverDeleteOrUnprotect")?.Action.includes("s3:Delete*"));
        assert.strictEqual(bySid.get("NeverDeleteOrUnprotect")?.Effect, "Deny");
        assert.ok(!allowed(policy).includes("logs:CreateLogGroup"), "Lambda may not create an unencrypted log group");
    });

    it("verify role: reads and lists dumps, decrypts them, reads only the verification server's secret; every write is denied", async () => {
        // given a verify function
        new mod.BackupFunction("prod-verify", base("verify"));
        await settle(mocks);
        // when its role policy is read
        const policy = statements(mocks.one(ROLE_POLICY, "prod-verify-role-policy"));
        const bySid = new Map(policy.map((s) => [s.Sid, s]));
        // then nothing can be written, and the denial covers any future grant
        assert.deepStrictEqual(allowed(policy).filter((a) => a.startsWith("s3:") || a.startsWith("kms:") || a.startsWith("secretsmanager:")), [
            "kms:Decrypt", "kms:Decrypt", "kms:Decrypt", "kms:GenerateDataKey", "s3:GetObject", "s3:ListBucket", "secretsmanager:GetSecretValue",
        ]);
        assert.ok(!allowed(policy).some((a) => a.startsWith("s3:Put") || a.startsWith("s3:Delete")));
        assert.deepStrictEqual(bySid.get("ReadConnectionSecrets")?.Resource, [VERIFY_SECRET]);
        assert.deepStrictEqual(bySid.get("NeverWrite")?.Action, ["s3:Abort*", "s3:BypassGovernanceRetention", "s3:Delete*", "s3:Put*", "s3:Replicate*", "s3:Restore*"]);
        assert.deepStrictEqual(bySid.get("NeverWrite")?.Resource, [BUCKET, `${BUCKET}/*`]);
        // (kms:GenerateDataKey is for the dead-letter queue only, through SQS)
        assert.deepStrictEqual(bySid.get("EncryptDeadLetterMessages")?.Condition, { StringEquals: { "kms:ViaService": "sqs.eu-west-1.amazonaws.com" } });
    });

    it("export role: writes under the exports prefix, reads back only watermarks, never deletes", async () => {
        // given an export function
        new mod.BackupFunction("prod-export-orders", base("export"));
        await settle(mocks);
        // when its role policy is read
        const policy = statements(mocks.one(ROLE_POLICY, "prod-export-orders-role-policy"));
        const bySid = new Map(policy.map((s) => [s.Sid, s]));
        // then writes and reads are confined to the exports prefix and its watermark objects
        assert.deepStrictEqual(bySid.get("WriteExportsAndWatermarks")?.Resource, [`${BUCKET}/exports/*`]);
        assert.deepStrictEqual(bySid.get("ReadWatermarks")?.Resource, [`${BUCKET}/exports/*/_watermarks/*`]);
        assert.ok(!allowed(policy).some((a) => a.startsWith("s3:Delete")));
        assert.deepStrictEqual(mocks.one(FUNCTION, "prod-export-orders-function").inputs["imageConfig"], { commands: ["export/handler.handler"] });
    });

    it("schedule: the configured expression, no flexible window, retries and the dead-letter queue, run by a role that may only invoke this function", async () => {
        // given a dump function with its schedule and retry settings
        new mod.BackupFunction("prod-dump-orders", { ...base("dump"), retryAttempts: 1, maxEventAgeSeconds: 1800 });
        await settle(mocks);
        // when the schedule, its role and the queue are inspected
        const schedule = mocks.one(SCHEDULE, "prod-dump-orders-schedule").inputs;
        const queue = mocks.one(QUEUE, "prod-dump-orders-dlq").inputs;
        const schedulerRole = mocks.one(ROLE, "prod-dump-orders-scheduler-role").inputs;
        const schedulerPolicy = statements(mocks.one(ROLE_POLICY, "prod-dump-orders-scheduler-policy"));
        const functionArn = "arn:aws:lambda:eu-west-1:123456789012:prod-dump-orders-function";
        const queueArn = "arn:aws:sqs:eu-west-1:123456789012:prod-dump-orders-dlq";
        // then the schedule retries and dead-letters, and its role can do nothing else
        assert.strictEqual(schedule["scheduleExpression"], "cron(5 * * * ? *)");
        assert.strictEqual(schedule["scheduleExpressionTimezone"], "UTC");
        assert.deepStrictEqual(schedule["flexibleTimeWindow"], { mode: "OFF" });
        assert.deepStrictEqual(schedule["target"]["retryPolicy"], { maximumRetryAttempts: 1, maximumEventAgeInSeconds: 1800 });
        assert.deepStrictEqual(schedule["target"]["deadLetterConfig"], { arn: queueArn });
        assert.strictEqual(schedule["target"]["arn"], functionArn);
        assert.deepStrictEqual(JSON.parse(schedule["target"]["input"] as string), { trigger: "schedule" });
        assert.strictEqual(queue["kmsMasterKeyId"], KEY);
        assert.strictEqual(queue["name"], "prod-dump-orders-dlq");
        const trust = JSON.parse(schedulerRole["assumeRolePolicy"] as string) as { Statement: Statement[] & { Principal: unknown }[] };
        assert.deepStrictEqual(trust.Statement[0]?.Condition, { StringEquals: { "aws:SourceAccount": "123456789012" } });
        assert.deepStrictEqual(allowed(schedulerPolicy), ["kms:Decrypt", "kms:GenerateDataKey", "lambda:InvokeFunction", "sqs:SendMessage"]);
        assert.deepStrictEqual(schedulerPolicy.find((s) => s.Sid === "InvokeTheFunction")?.Resource, [functionArn, `${functionArn}:*`]);
        assert.deepStrictEqual(schedulerPolicy.find((s) => s.Sid === "SendToDeadLetterQueue")?.Resource, [queueArn]);
    });

    it("a run that fails after Lambda's retries also lands in the dead-letter queue", async () => {
        // given a dump function
        new mod.BackupFunction("prod-dump-orders", base("dump"));
        await settle(mocks);
        // when its asynchronous invocation settings are read
        const async = mocks.one(INVOKE_CONFIG, "prod-dump-orders-async").inputs;
        const policy = statements(mocks.one(ROLE_POLICY, "prod-dump-orders-role-policy"));
        // then failures go to the queue, which the function role may write to
        assert.strictEqual(async["maximumRetryAttempts"], 2);
        assert.strictEqual(async["maximumEventAgeInSeconds"], 3600);
        assert.deepStrictEqual(async["destinationConfig"], { onFailure: { destination: "arn:aws:sqs:eu-west-1:123456789012:prod-dump-orders-dlq" } });
        assert.deepStrictEqual(policy.find((s) => s.Sid === "SendFailedInvocationsToDeadLetterQueue")?.Resource, ["arn:aws:sqs:eu-west-1:123456789012:prod-dump-orders-dlq"]);
    });

    it("network: egress only to the database port and HTTPS, ingress on the database group, an optional S3 gateway endpoint", async () => {
        // given a function that creates the S3 endpoint and reaches a database group and a peered network
        const fn = new mod.BackupFunction("prod-verify", {
            ...base("verify"),
            network: {
                vpcId: "vpc-0abc",
                subnetIds: ["subnet-0a"],
                databaseSecurityGroupIds: ["sg-0db"],
                databaseCidrBlocks: ["10.20.0.0/16"],
                databasePorts: [5432],
                s3GatewayEndpointRouteTableIds: ["rtb-0a"],
            },
        });
        await settle(mocks);
        // when the security group rules and the endpoint are inspected
        const egress = mocks.ofType(EGRESS).map((r) => r.inputs);
        const ingress = mocks.one(INGRESS, "prod-verify-db0-ingress-5432").inputs;
        const endpoint = mocks.one(ENDPOINT, "prod-verify-s3-endpoint").inputs;
        // then only PostgreSQL and HTTPS leave the function, and the database accepts it
        assert.deepStrictEqual(egress.map((e) => e["toPort"]).sort(), [443, 443, 5432, 5432]);
        assert.ok(egress.every((e) => e["ipProtocol"] === "tcp" && e["fromPort"] === e["toPort"]));
        assert.deepStrictEqual(egress.find((e) => e["referencedSecurityGroupId"] !== undefined)?.["referencedSecurityGroupId"], "sg-0db");
        assert.deepStrictEqual(egress.find((e) => e["cidrIpv4"] === "10.20.0.0/16")?.["toPort"], 5432);
        assert.strictEqual(ingress["securityGroupId"], "sg-0db");
        assert.strictEqual(ingress["referencedSecurityGroupId"], "prod-verify-sg-id");
        assert.strictEqual(endpoint["vpcEndpointType"], "Gateway");
        assert.strictEqual(endpoint["serviceName"], "com.amazonaws.eu-west-1.s3");
        assert.deepStrictEqual(endpoint["routeTableIds"], ["rtb-0a"]);
        assert.strictEqual(mocks.ofType("aws:ec2/securityGroup:SecurityGroup")[0]?.inputs["ingress"], undefined);
        assert.strictEqual(fn.functionName, "prod-verify");
    });

    it("an existing endpoint's prefix list opens HTTPS to S3 through it and is handed on; without one there is none", async () => {
        // given one function given a prefix list, and one with neither endpoint nor prefix list
        const withList = new mod.BackupFunction("prod-export-orders", { ...base("export"), network: { ...base("export").network, s3PrefixListId: "pl-6da54004" } });
        const without = new mod.BackupFunction("prod-dump-orders", base("dump"));
        await settle(mocks);
        // when the S3 egress rules and the outputs are read
        const s3Rules = mocks.ofType(EGRESS).filter((r) => r.inputs["prefixListId"] !== undefined);
        // then only the first has a rule to the prefix list, and exposes it
        assert.deepStrictEqual(s3Rules.map((r) => [r.name, r.inputs["prefixListId"], r.inputs["toPort"]]), [["prod-export-orders-egress-s3", "pl-6da54004", 443]]);
        assert.strictEqual(await unwrap(withList.s3PrefixListId as pulumi.Output<string>), "pl-6da54004");
        assert.strictEqual(without.s3PrefixListId, undefined);
    });

    it("parents every child to the component", async () => {
        // given a function with every optional child
        new mod.BackupFunction("prod-verify", { ...base("verify"), network: { ...base("verify").network, s3GatewayEndpointRouteTableIds: ["rtb-0a"] } });
        await settle(mocks);
        // when the children are listed
        const children = childrenOf(mocks, COMPONENT, "prod-verify");
        const all = mocks.resources.filter((r) => r.type !== COMPONENT).map((r) => `${r.type}::${r.name}`);
        // then each recorded resource is one of them
        assert.ok(all.length >= 14, `expected the full set of children, got ${all.join(", ")}`);
        assert.deepStrictEqual([...children].sort(), [...all].sort());
    });

    describe("refuses bad arguments before creating anything", () => {
        const cases: [string, (a: BackupFunctionArgs) => BackupFunctionArgs, RegExp][] = [
            ["a credential in the environment", (a) => ({ ...a, environment: { DATABASE_URL: "postgres://u@h/db" } }), /environment\.DATABASE_URL: a credential/],
            ["a password inside a value", (a) => ({ ...a, environment: { TARGET: "postgres://u:secret@h/db" } }), /environment\.TARGET: the value holds a URL with a password/],
            ["a timeout beyond Lambda's limit", (a) => ({ ...a, timeoutSeconds: 901 }), /timeoutSeconds: 901 is out of range 30\.\.900/],
            ["an unknown log retention", (a) => ({ ...a, logRetentionDays: 100 }), /logRetentionDays: 100 is not allowed; expected one of 1, 3/],
            ["a bad schedule", (a) => ({ ...a, schedule: "every hour" }), /schedule: "every hour" is not an EventBridge Scheduler expression/],
            ["no secret", (a) => ({ ...a, secretArns: [] }), /secretArns: \[\] is not allowed/],
            ["a database unreachable", (a) => ({ ...a, network: { vpcId: "vpc-0abc", subnetIds: ["subnet-0a"] } }), /neither databaseSecurityGroupIds nor databaseCidrBlocks/],
            ["an empty prefix, which would grant the whole bucket", (a) => ({ ...a, prefix: "/" }), /prefix: "\/" is not allowed/],
            ["retries Lambda cannot do", (a) => ({ ...a, retryAttempts: 3 }), /retryAttempts: 3 is out of range 0\.\.2/],
            ["a bad CIDR", (a) => ({ ...a, network: { ...a.network, databaseCidrBlocks: ["10.0.0.0/33"] } }), /databaseCidrBlocks\[0\]: "10\.0\.0\.0\/33"/],
            ["both an endpoint and a prefix list", (a) => ({ ...a, network: { ...a.network, s3GatewayEndpointRouteTableIds: ["rtb-0a"], s3PrefixListId: "pl-1" } }), /both given/],
        ];
        for (const [what, change, message] of cases) {
            it(what, async () => {
                // given arguments with one problem
                const args = change(base("dump"));
                // when the component is constructed
                // then it throws naming the argument, and has created no child
                assert.throws(() => new mod.BackupFunction("bad", args), message);
                await settle(mocks);
                assert.deepStrictEqual(mocks.resources.filter((r) => r.type !== COMPONENT), []);
            });
        }
    });
});
