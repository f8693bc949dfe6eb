import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { childrenOf, MockState, settle, setupMocks } from "../../../helpers/mocks";

const COMPONENT = "pg-backup-stack:aws:S3GatewayEndpoint";
const ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint";

describe("S3GatewayEndpoint (under mocks)", () => {
    let mocks: MockState;
    let mod: typeof import("../../../../components/aws/s3GatewayEndpoint");

    beforeEach(async () => {
        mocks = setupMocks();
        mod = await import("../../../../components/aws/s3GatewayEndpoint");
    });

    it("one gateway endpoint to S3 in the provider's region on the route tables given, its prefix list handed on", async () => {
        // given the endpoint of a VPC's two route tables
        const endpoint = new mod.S3GatewayEndpoint("backups-s3", { vpcId: "vpc-0abc", routeTableIds: ["rtb-0a", "rtb-0b"], tags: { team: "data" } });
        await settle(mocks);
        // when its one child is read
        const [child] = childrenOf(mocks, COMPONENT, "backups-s3");
        const inputs = mocks.one(ENDPOINT, "backups-s3-s3-endpoint").inputs;
        // then it is the gateway endpoint to S3 on those route tables, and its prefix list is the component's
        assert.strictEqual(child, `${ENDPOINT}::backups-s3-s3-endpoint`);
        assert.strictEqual(inputs["vpcEndpointType"], "Gateway");
        assert.strictEqual(inputs["serviceName"], "com.amazonaws.eu-west-1.s3");
        assert.deepStrictEqual(inputs["routeTableIds"], ["rtb-0a", "rtb-0b"]);
        assert.deepStrictEqual(inputs["tags"], { team: "data" });
        assert.ok(pulumi.Output.isInstance(endpoint.prefixListId));
    });

    it("refuses no route tables before creating anything", async () => {
        assert.throws(() => new mod.S3GatewayEndpoint("none", { vpcId: "vpc-0abc", routeTableIds: [] }), /routeTableIds: \[\] is not allowed/);
        await settle(mocks);
        assert.deepStrictEqual(mocks.ofType(ENDPOINT), []);
    });
});
