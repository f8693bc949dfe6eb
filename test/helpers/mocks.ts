import * as pulumi from "@pulumi/pulumi";

/** One resource the program declared under mocks, as the engine would have received it. */
export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- resource inputs are untyped at the engine boundary
    readonly inputs: Record<string, any>;
    readonly provider?: string;
    /** URN of the parent resource, read from the URN's type chain (the stack for top-level resources). */
    readonly parentType?: string;
}

const ACCOUNT = "123456789012";

/** Data-source results the components may ask for; any other token fails the test. */
const CALLS: Readonly<Record<string, (args: Record<string, unknown>) => Record<string, unknown>>> = {
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({ accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/test`, userId: "AIDTEST" }),
    "aws:index/getRegion:getRegion": (args) => {
        const region = (args["region"] as string | undefined) ?? (args["name"] as string | undefined) ?? "eu-west-1";
        return { name: region, region, id: region, endpoint: `ec2.${region}.amazonaws.com` };
    },
    "aws:index/getPartition:getPartition": () => ({ partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" }),
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": () => ({
        authorizationToken: "dGVzdDp0ZXN0", userName: "AWS", password: "test", proxyEndpoint: `https://${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`,
    }),
};

export interface MockState {
    readonly resources: RecordedResource[];
    /** Resources of one type token, e.g. `aws:s3/bucket:Bucket`. */
    ofType(type: string): RecordedResource[];
    /** The single resource with this type and name; fails if absent. */
    one(type: string, name: string): RecordedResource;
}

/**
 * Installs Pulumi's unit-test mocks with a recorder of every resource. Call before importing
 * the code under test; each call starts a fresh record.
 */
export function setupMocks(project = "pg-backup-stack", stack = "test"): MockState {
    const resources: RecordedResource[] = [];
    pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
                const parentType = parentTypeOf(args.urn);
                resources.push({
                    type: args.type,
                    name: args.name,
                    urn: args.urn,
                    inputs: args.inputs,
                    ...(args.provider !== undefined ? { provider: args.provider } : {}),
                    ...(parentType !== undefined ? { parentType } : {}),
                });
                return { id: `${args.name}-id`, state: { ...args.inputs, ...derivedState(args) } };
            },
            call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
                const handler = CALLS[args.token];
                if (handler === undefined) throw new Error(`unexpected call to ${args.token} under mocks`);
                return handler(args.inputs as Record<string, unknown>);
            },
        },
        project,
        stack,
        false,
    );
    return {
        resources,
        ofType: (type) => resources.filter((r) => r.type === type),
        one(type, name) {
            const found = resources.find((r) => r.type === type && r.name === name);
            if (found === undefined) {
                const names = resources.filter((r) => r.type === type).map((r) => r.name);
                throw new Error(`no ${type} named ${name}; recorded: ${names.join(", ") || "none"}`);
            }
            return found;
        },
    };
}

/** Attributes the cloud would compute, so that components reading them get plausible values. */
function derivedState(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
    const region = "eu-west-1";
    const service = args.type.split(":")[1]?.split("/")[0] ?? "x";
    const state: Record<string, unknown> = {
        arn: `arn:aws:${service}:${region}:${ACCOUNT}:${args.name}`,
    };
    if (args.type === "aws:s3/bucket:Bucket") {
        const bucket = (args.inputs["bucket"] as string | undefined) ?? `${args.name}-bucket`;
        state["bucket"] = bucket;
        state["arn"] = `arn:aws:s3:::${bucket}`;
        state["bucketRegionalDomainName"] = `${bucket}.s3.${region}.amazonaws.com`;
    }
    if (args.type === "aws:kms/key:Key" || args.type === "aws:kms/replicaKey:ReplicaKey") {
        state["keyId"] = `${args.name}-key-id`;
        state["arn"] = `arn:aws:kms:${region}:${ACCOUNT}:key/${args.name}-key-id`;
    }
    if (args.type === "aws:iam/role:Role") {
        state["arn"] = `arn:aws:iam::${ACCOUNT}:role/${args.name}`;
        state["name"] = args.inputs["name"] ?? args.name;
    }
    if (args.type === "aws:rds/instance:Instance") {
        state["address"] = `${args.name}.abc.${region}.rds.amazonaws.com`;
        state["endpoint"] = `${args.name}.abc.${region}.rds.amazonaws.com:5432`;
        state["masterUserSecrets"] = [{ secretArn: `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:rds!${args.name}`, kmsKeyId: "k", secretStatus: "active" }];
    }
    return state;
}

/** `urn:pulumi:stack::project::parentType$childType::name` -> `parentType` (innermost parent). */
function parentTypeOf(urn: string): string | undefined {
    const typeChain = urn.split("::")[2];
    if (typeChain === undefined) return undefined;
    const types = typeChain.split("$");
    return types.length > 1 ? types[types.length - 2] : undefined;
}

/** Awaits an Output's value (unknowns during preview are not produced under mocks). */
export function unwrap<T>(output: pulumi.Output<T> | pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) => pulumi.output(output).apply((v) => {
        resolve(v as T);
        return v;
    }));
}
