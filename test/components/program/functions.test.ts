import * as assert from "assert";
import type { StackConfig } from "../../../config/validate";
import { assertOneFinding, errorsOf, stackConfig, validConfig } from "../../helpers/config";
import { MockState, settle, setupMocks, unwrap } from "../../helpers/mocks";

const FUNCTION = "aws:lambda/function:Function";
const ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint";

/** Declares a stack from overrides of the smallest valid configuration, under mocks. */
async function deploy(overrides: Record<string, unknown>): Promise<{ mocks: MockState; config: StackConfig }> {
    const mocks = setupMocks("pg-backup-stack", "staging");
    const config = stackConfig(validConfig({ "aws.network.routeTableIds": ["rtb-0a"], ...overrides }));
    const { deployStack } = await import("../../../program/deploy");
    await unwrap(deployStack(config).backupBucket);
    await settle(mocks);
    return { mocks, config };
}

describe("function options for the account and VPC the stack lands in (under mocks)", () => {
    it("by default every function reserves one concurrent run and the S3 gateway endpoint is created on the route tables", async () => {
        const { mocks } = await deploy({});
        const fns = mocks.ofType(FUNCTION);
        assert.ok(fns.length > 0);
        assert.ok(fns.every((f) => f.inputs["reservedConcurrentExecutions"] === 1));
        assert.deepStrictEqual(mocks.ofType(ENDPOINT).map((e) => e.inputs["routeTableIds"]), [["rtb-0a"]]);
    });

    it("functions.reservedConcurrency 0 leaves every function unreserved, for an account with a low concurrency quota", async () => {
        const { mocks } = await deploy({ "functions.reservedConcurrency": 0 });
        const fns = mocks.ofType(FUNCTION);
        assert.ok(fns.length > 0 && fns.every((f) => f.inputs["reservedConcurrentExecutions"] === -1));
    });

    it("the S3 gateway endpoint is the stack's, not a function's: the same resource whichever runner a database uses", async () => {
        // given the same stack with the first database dumped by Lambda, then by Fargate
        const endpointOf = async (runner: string): Promise<string[]> => {
            const { mocks } = await deploy({ "aws.databases[0].runner": runner });
            return mocks.ofType(ENDPOINT).map((e) => `${e.parent?.type ?? "(top)"}::${e.parent?.name ?? ""}::${e.name}`);
        };
        // then each declares one endpoint, and the same one: moving the database replaces no endpoint
        // (a route table holds one route per gateway endpoint service)
        const onLambda = await endpointOf("lambda");
        assert.deepStrictEqual(onLambda, ["pg-backup-stack:aws:S3GatewayEndpoint::backups-s3::backups-s3-s3-endpoint"]);
        assert.deepStrictEqual(await endpointOf("fargate"), onLambda);
    });

    it("names, as aliases of the stack's endpoint, the endpoint a stack deployed before declared under its first dump function", async () => {
        // given the endpoint as a function declared it on its own (BackupFunction's s3GatewayEndpointRouteTableIds)
        const mocks = setupMocks("pg-backup-stack", "staging");
        const { BackupFunction } = await import("../../../components/aws/backupFunction");
        const { formerEndpointAliases } = await import("../../../program/functions");
        const fn = new BackupFunction("pg-backup-staging-dump-app", {
            kind: "dump", imageUri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/x@sha256:ab", bucketArn: "arn:aws:s3:::b", prefix: "backups",
            kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k", secretArns: ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:s-AbCdEf"],
            environment: {}, schedule: "cron(5 * * * ? *)",
            network: { vpcId: "vpc-0a", subnetIds: ["subnet-0a"], databaseSecurityGroupIds: ["sg-0a"], s3GatewayEndpointRouteTableIds: ["rtb-0a"] },
        });
        await settle(mocks);
        const old = mocks.ofType(ENDPOINT)[0];
        // when the aliases for a stack whose first dump function had that name are made
        const aliases = formerEndpointAliases("pg-backup-staging-dump-app");
        // then one names the old endpoint's own name under that very function, and the other the same under a FargateRunner
        assert.deepStrictEqual(aliases.map((a) => a.name), [old?.name, old?.name]);
        assert.strictEqual(old?.parent?.type, "pg-backup-stack:aws:BackupFunction");
        assert.strictEqual(await unwrap(aliases[0]?.parent as string), await unwrap(fn.urn));
        assert.match(await unwrap(aliases[1]?.parent as string), /::pg-backup-stack:aws:FargateRunner::pg-backup-staging-dump-app$/);
        assert.deepStrictEqual(formerEndpointAliases(undefined), []);
    });

    it("aws.network.s3GatewayEndpoint false creates no endpoint, for a VPC that already has one", async () => {
        const { mocks } = await deploy({ "aws.network.s3GatewayEndpoint": false });
        assert.deepStrictEqual(mocks.ofType(ENDPOINT), []);
        assert.ok(mocks.ofType(FUNCTION).length > 0);
    });

    it("the dashboard draws the 20 % free-storage line only for a fixed allocation", async () => {
        const line = async (overrides: Record<string, unknown>): Promise<boolean> => {
            const { mocks } = await deploy(overrides);
            return mocks.ofType("aws:cloudwatch/dashboard:Dashboard").some((d) => String(d.inputs["dashboardBody"]).includes("% of allocated"));
        };
        assert.strictEqual(await line({}), true);
        assert.strictEqual(await line({ "aws.databases[0].instance.maxAllocatedStorageGb": 100, "aws.databases[0].runner": "fargate" }), false);
    });

    it("refuses a reserved concurrency outside 0..1000, naming the key", () => {
        assertOneFinding(errorsOf(validConfig({ "functions.reservedConcurrency": 1001 })), {
            path: "functions.reservedConcurrency", severity: "error", message: /1000/,
        });
        assertOneFinding(errorsOf(validConfig({ "functions.reservedConcurrency": -1 })), {
            path: "functions.reservedConcurrency", severity: "error", message: /0/,
        });
    });
});
