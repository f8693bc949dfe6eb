import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";

/** One resource the program declared under mocks, as the engine would have received it. */
export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- resource inputs are untyped at the engine boundary
    readonly inputs: Record<string, any>;
    readonly provider?: string;
    /** Type and name of the parent resource, from the parent URN the engine received (absent for top-level). */
    readonly parent?: { readonly type: string; readonly name: string };
    /** The `protect` resource option the engine received. */
    readonly protect: boolean;
    /** The `replaceOnChanges` resource option the engine received. */
    readonly replaceOnChanges: readonly string[];
    /** The `ignoreChanges` resource option the engine received. */
    readonly ignoreChanges: readonly string[];
    /** The `retainOnDelete` resource option the engine received. */
    readonly retainOnDelete: boolean;
    /** URNs of the resources this one waits for (`dependsOn` and the resources its inputs come from). */
    readonly dependencies: readonly string[];
}

const ACCOUNT = "123456789012";

/** Subscription of calls to the Azure client configuration. */
export const AZURE_SUBSCRIPTION = "00000000-0000-0000-0000-00000000aaaa";

/** Region of calls made without an explicit provider (the default provider's). */
const DEFAULT_REGION = "eu-west-1";

/** Data-source results the components may ask for; any other token fails the test. */
const CALLS: Readonly<Record<string, (args: Record<string, unknown>, providerRegion: string | undefined) => Record<string, unknown>>> = {
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({ accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/test`, userId: "AIDTEST" }),
    "aws:index/getRegion:getRegion": (args, providerRegion) => {
        const region = (args["region"] as string | undefined) ?? (args["name"] as string | undefined) ?? providerRegion ?? DEFAULT_REGION;
        return { name: region, region, id: region, endpoint: `ec2.${region}.amazonaws.com` };
    },
    "aws:index/getPartition:getPartition": () => ({ partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" }),
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": () => ({
        authorizationToken: "dGVzdDp0ZXN0", userName: "AWS", password: "test", proxyEndpoint: `https://${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`,
    }),
    "azure-native:authorization:getClientConfig": () => ({
        clientId: "client", objectId: "object", subscriptionId: AZURE_SUBSCRIPTION, tenantId: "tenant",
    }),
    "azure-native:operationalinsights:getSharedKeys": () => ({ primarySharedKey: "workspace-shared-key", secondarySharedKey: "workspace-shared-key-2" }),
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
    const registrations = new Map<string, Registration>();
    /** Region of each explicit AWS provider, by the id the mock gave it. */
    const providerRegions = new Map<string, string>();
    pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
                const registration = registrations.get(`${args.type}::${args.name}`);
                const parent = parseUrn(registration?.parentUrn);
                resources.push({
                    type: args.type,
                    name: args.name,
                    inputs: args.inputs,
                    ...(args.provider !== undefined && args.provider !== "" ? { provider: args.provider } : {}),
                    ...(parent !== undefined ? { parent } : {}),
                    protect: registration?.protect ?? false,
                    replaceOnChanges: registration?.replaceOnChanges ?? [],
                    ignoreChanges: registration?.ignoreChanges ?? [],
                    retainOnDelete: registration?.retainOnDelete ?? false,
                    dependencies: registration?.dependencies ?? [],
                });
                if (args.type === "pulumi:providers:aws" && typeof args.inputs["region"] === "string") {
                    providerRegions.set(`${args.name}-id`, args.inputs["region"]);
                }
                return { id: `${args.name}-id`, state: { ...args.inputs, ...derivedState(args) } };
            },
            call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
                const handler = CALLS[args.token];
                if (handler === undefined) throw new Error(`unexpected call to ${args.token} under mocks`);
                const providerId = args.provider?.split("::").pop();
                return handler(args.inputs as Record<string, unknown>, providerId === undefined ? undefined : providerRegions.get(providerId));
            },
        },
        project,
        stack,
        false,
    );
    recordRegistrations(registrations);
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

/** Types whose `name` the provider generates when none is given. */
const AUTONAMED = new Set([
    "aws:backup/vault:Vault",
    "aws:backup/plan:Plan",
    "aws:rds/subnetGroup:SubnetGroup",
    "aws:rds/parameterGroup:ParameterGroup",
    "aws:sns/topic:Topic",
    "aws:sqs/queue:Queue",
    "aws:lambda/function:Function",
]);

/** Hex of every RandomId, fixed so that names derived from it can be asserted. */
export const RANDOM_HEX = "0a1b2c3d";

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
    if (args.type === "aws:secretsmanager/secret:Secret") state["arn"] = `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:${args.name}-AbCdEf`;
    if (args.type === "aws:iam/role:Role") {
        state["arn"] = `arn:aws:iam::${ACCOUNT}:role/${args.name}`;
        state["name"] = args.inputs["name"] ?? args.name;
    }
    if (AUTONAMED.has(args.type) && args.inputs["name"] === undefined) state["name"] = `${args.name}-generated`;
    if (args.type === "random:index/randomId:RandomId") state["hex"] = RANDOM_HEX;
    if (args.type === "random:index/randomUuid:RandomUuid") state["result"] = `${RANDOM_HEX}-0000-4000-8000-000000000000`;
    if (args.type === "azure-native:managedidentity:UserAssignedIdentity") {
        state["clientId"] = `${args.name}-client-id`;
        state["principalId"] = `${args.name}-principal-id`;
    }
    if (args.type === "azure-native:containerregistry:Registry") state["loginServer"] = `${String(args.inputs["registryName"])}.azurecr.io`;
    if (args.type === "azure-native:operationalinsights:Workspace") state["customerId"] = `${args.name}-customer-id`;
    if (args.type === "docker-build:index:Image") state["digest"] = "sha256:" + "ab".repeat(32);
    if (args.type === "random:index/randomString:RandomString" || args.type === "random:index/randomPassword:RandomPassword") {
        const length = typeof args.inputs["length"] === "number" ? args.inputs["length"] : 16;
        state["result"] = "r0a1b2c3d4e5f6g7h8i9j".repeat(4).slice(0, length);
    }
    if (args.type === "aws:rds/instance:Instance") {
        state["identifier"] = args.inputs["identifier"] ?? `${args.name}-generated`;
        state["arn"] = `arn:aws:rds:${region}:${ACCOUNT}:db:${String(state["identifier"])}`;
        state["address"] = `${args.name}.abc.${region}.rds.amazonaws.com`;
        state["endpoint"] = `${args.name}.abc.${region}.rds.amazonaws.com:5432`;
        state["masterUserSecrets"] = [{ secretArn: `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:rds!${args.name}`, kmsKeyId: "k", secretStatus: "active" }];
    }
    if (args.type === "azure-native:dataprotection:BackupVault") {
        state["identity"] = { ...(args.inputs["identity"] as Record<string, unknown> | undefined), principalId: `${args.name}-principal` };
    }
    return state;
}

interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getProtect(): boolean | undefined;
    getReplaceonchangesList(): string[];
    getIgnorechangesList(): string[];
    getRetainondelete(): boolean | undefined;
    getDependenciesList(): string[];
}
type RegisterCallback = (err: unknown, response: unknown) => void;
interface RecordingMonitor {
    registerResource(req: RegisterRequest, callback: RegisterCallback): void;
}

/** What the monitor's request says of a registration and the mock's `newResource` is not told. */
interface Registration {
    readonly parentUrn: string;
    readonly protect: boolean;
    readonly replaceOnChanges: readonly string[];
    readonly ignoreChanges: readonly string[];
    readonly retainOnDelete: boolean;
    readonly dependencies: readonly string[];
}

/**
 * The mock's `newResource` is not told the parent or the resource options, but the monitor's
 * request carries them: wrap the monitor once per setup so each registration leaves them behind,
 * keyed `type::name`.
 */
function recordRegistrations(registrations: Map<string, Registration>): void {
    const monitor = pulumi.runtime.getMonitor() as unknown as RecordingMonitor;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
        registrations.set(`${req.getType()}::${req.getName()}`, {
            parentUrn: req.getParent(),
            protect: req.getProtect() === true,
            replaceOnChanges: req.getReplaceonchangesList(),
            ignoreChanges: req.getIgnorechangesList(),
            retainOnDelete: req.getRetainondelete() === true,
            dependencies: req.getDependenciesList(),
        });
        register(req, callback);
    };
}

/** `urn:pulumi:stack::project::a$b::name` -> `{ type: "b", name: "name" }`; the stack itself counts as no parent. */
function parseUrn(urn: string | undefined): { type: string; name: string } | undefined {
    if (urn === undefined || urn === "") return undefined;
    const parts = urn.split("::");
    const types = (parts[2] ?? "").split("$");
    const type = types[types.length - 1] ?? "";
    if (type === "pulumi:pulumi:Stack") return undefined;
    return { type, name: parts.slice(3).join("::") };
}

/** Awaits an Output's value (unknowns during preview are not produced under mocks). */
export function unwrap<T>(output: pulumi.Output<T> | pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) => pulumi.output(output).apply((v) => {
        resolve(v as T);
        return v;
    }));
}

/**
 * Waits until no new resource has been recorded for a few ticks: children that wait on other
 * outputs register after the component's constructor returns. Bounded: about 5 s at most.
 */
export async function settle(mocks: MockState): Promise<void> {
    let seen = -1;
    let quiet = 0;
    for (let i = 0; i < 250 && quiet < 5; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (mocks.resources.length === seen) quiet++;
        else {
            seen = mocks.resources.length;
            quiet = 0;
        }
    }
}

/** `type::name` of every resource recorded with the given component as its parent. */
export function childrenOf(mocks: MockState, componentType: string, componentName: string): string[] {
    return mocks.resources
        .filter((r) => r.parent?.type === componentType && r.parent.name === componentName)
        .map((r) => `${r.type}::${r.name}`);
}

/** Asserts that every resource recorded except the component itself and providers has the component as its parent. */
export function assertAllParented(mocks: Pick<MockState, "resources">, componentType: string, componentName: string): void {
    const children = mocks.resources.filter((r) => r.type !== componentType && !r.type.startsWith("pulumi:providers:"));
    assert.ok(children.length > 0, "no children recorded");
    for (const child of children) {
        assert.deepStrictEqual(child.parent, { type: componentType, name: componentName }, `${child.type} ${child.name} is not parented to the component`);
    }
}

/** A policy document as the components write them. */
export interface PolicyDocument {
    readonly Statement: { Sid?: string; Effect: string; Action: string[]; Resource?: string[]; Principal?: unknown; Condition?: Record<string, Record<string, unknown>> }[];
}

/** Parses a recorded JSON policy input. */
export function policyOf(r: RecordedResource, key = "policy"): PolicyDocument {
    const text = r.inputs[key];
    assert.strictEqual(typeof text, "string", `${r.type} ${r.name}: ${key} is not a JSON string`);
    return JSON.parse(text as string) as PolicyDocument;
}
