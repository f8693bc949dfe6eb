import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { plainStrings } from "./context";
import { s3GatewayEndpoint } from "./s3GatewayEndpoint";

/** Where a backup function (Lambda or Fargate task) runs and what it may reach. */
export interface BackupFunctionNetwork {
    /** VPC of the subnets (the security group is created in it). Required. */
    readonly vpcId: pulumi.Input<string>;
    /** Subnets the function's interfaces are placed in: private ones, in the database's VPC. Required, at least one. */
    readonly subnetIds: readonly pulumi.Input<string>[];
    /** @default [5432] - database ports the function connects to */
    readonly databasePorts?: readonly number[];
    /** @default [] - security groups of the databases: egress to them, and an ingress rule on each from the function */
    readonly databaseSecurityGroupIds?: readonly pulumi.Input<string>[];
    /** @default [] - CIDR blocks of databases outside those groups (e.g. in a peered VPC) */
    readonly databaseCidrBlocks?: readonly pulumi.Input<string>[];
    /** @default ["0.0.0.0/0"] - where HTTPS may go: Secrets Manager and S3 through a NAT gateway or interface endpoints */
    readonly httpsCidrBlocks?: readonly pulumi.Input<string>[];
    /** @default none - route tables that get an S3 gateway endpoint of this function's own (one per VPC: for several functions, declare an S3GatewayEndpoint and pass its prefix list to each) */
    readonly s3GatewayEndpointRouteTableIds?: readonly pulumi.Input<string>[];
    /** @default none - prefix list of an existing S3 gateway endpoint: HTTPS egress to S3 through it */
    readonly s3PrefixListId?: pulumi.Input<string>;
}

/** A network with its defaults filled. */
export type ResolvedNetwork = Required<Omit<BackupFunctionNetwork, "s3GatewayEndpointRouteTableIds" | "s3PrefixListId">> &
    Pick<BackupFunctionNetwork, "s3GatewayEndpointRouteTableIds" | "s3PrefixListId">;

const DEFAULTS = {
    databasePorts: [5432] as readonly number[],
    databaseSecurityGroupIds: [] as readonly pulumi.Input<string>[],
    databaseCidrBlocks: [] as readonly pulumi.Input<string>[],
    httpsCidrBlocks: ["0.0.0.0/0"] as readonly pulumi.Input<string>[],
};

export function resolveNetwork(n: BackupFunctionNetwork): ResolvedNetwork {
    return {
        ...n,
        databasePorts: n.databasePorts ?? DEFAULTS.databasePorts,
        databaseSecurityGroupIds: n.databaseSecurityGroupIds ?? DEFAULTS.databaseSecurityGroupIds,
        databaseCidrBlocks: n.databaseCidrBlocks ?? DEFAULTS.databaseCidrBlocks,
        httpsCidrBlocks: n.httpsCidrBlocks ?? DEFAULTS.httpsCidrBlocks,
    };
}

/** Checks a network's plain values; `fail` makes the component's error (messages name `network.<key>`). */
export function checkNetwork(fail: (m: string) => Error, n: ResolvedNetwork): void {
    if (n.subnetIds.length === 0) throw fail("network.subnetIds: [] is not allowed; expected at least one private subnet in the database's VPC");
    if (n.databasePorts.length === 0) throw fail("network.databasePorts: [] is not allowed; expected the database port(s), e.g. [5432]");
    n.databasePorts.forEach((port, i) => checkInt(fail, `network.databasePorts[${i}]`, port, 1, 65535));
    if (n.databaseSecurityGroupIds.length === 0 && n.databaseCidrBlocks.length === 0) {
        throw fail("network: neither databaseSecurityGroupIds nor databaseCidrBlocks is given; the function could not reach any database");
    }
    for (const [i, cidr] of plainStrings([...n.databaseCidrBlocks]).entries()) checkCidr(fail, `network.databaseCidrBlocks[${i}]`, cidr);
    for (const [i, cidr] of plainStrings([...n.httpsCidrBlocks]).entries()) checkCidr(fail, `network.httpsCidrBlocks[${i}]`, cidr);
    if (n.s3GatewayEndpointRouteTableIds !== undefined && n.s3PrefixListId !== undefined) {
        throw fail("network: s3GatewayEndpointRouteTableIds and s3PrefixListId are both given; create the endpoint here or pass an existing one's prefix list, not both");
    }
    if (n.s3GatewayEndpointRouteTableIds !== undefined && n.s3GatewayEndpointRouteTableIds.length === 0) {
        throw fail("network.s3GatewayEndpointRouteTableIds: [] is not allowed; give the route tables of the function's subnets, or leave it out");
    }
}

function checkInt(fail: (m: string) => Error, key: string, value: number, min: number, max: number): void {
    if (!Number.isInteger(value) || value < min || value > max) throw fail(`${key}: ${value} is out of range ${min}..${max}`);
}

function checkCidr(fail: (m: string) => Error, key: string, cidr: string): void {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
    if (m === null || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) {
        throw fail(`${key}: "${cidr}" is not an IPv4 CIDR block like 10.0.0.0/16`);
    }
}

/**
 * A backup function's security group: no ingress; egress only to the databases' ports and to
 * HTTPS (S3 through the gateway endpoint, Secrets Manager). Each database security group gets an
 * ingress rule from this group on the database ports. Children of `owner`, named from `name`.
 */
export function functionSecurityGroup(
    owner: pulumi.Resource,
    name: string,
    a: { readonly kind: string; readonly functionName: string; readonly network: ResolvedNetwork },
    region: pulumi.Output<string>,
    tags: Record<string, string>,
): { securityGroup: aws.ec2.SecurityGroup; s3PrefixListId: pulumi.Output<string> | undefined } {
    const parent = { parent: owner };
    const n = a.network;
    const securityGroup = new aws.ec2.SecurityGroup(`${name}-sg`, {
        vpcId: n.vpcId,
        description: `${a.kind} function ${a.functionName}: egress to the databases and HTTPS only`,
        tags,
    }, parent);
    const egress = (suffix: string, rule: Omit<aws.vpc.SecurityGroupEgressRuleArgs, "securityGroupId" | "ipProtocol">): void => {
        new aws.vpc.SecurityGroupEgressRule(`${name}-egress-${suffix}`, { securityGroupId: securityGroup.id, ipProtocol: "tcp", tags, ...rule }, parent);
    };
    for (const port of n.databasePorts) {
        n.databaseSecurityGroupIds.forEach((groupId, i) => {
            egress(`db${i}-${port}`, { referencedSecurityGroupId: groupId, fromPort: port, toPort: port, description: `PostgreSQL ${port} to database group ${i}` });
            new aws.vpc.SecurityGroupIngressRule(`${name}-db${i}-ingress-${port}`, {
                securityGroupId: groupId,
                referencedSecurityGroupId: securityGroup.id,
                ipProtocol: "tcp",
                fromPort: port,
                toPort: port,
                description: `PostgreSQL ${port} from the ${a.kind} function ${a.functionName}`,
                tags,
            }, parent);
        });
        n.databaseCidrBlocks.forEach((cidr, i) => {
            egress(`cidr${i}-${port}`, { cidrIpv4: cidr, fromPort: port, toPort: port, description: `PostgreSQL ${port} to database network ${i}` });
        });
    }
    n.httpsCidrBlocks.forEach((cidr, i) => {
        egress(`https${i}`, { cidrIpv4: cidr, fromPort: 443, toPort: 443, description: "HTTPS to Secrets Manager and S3" });
    });
    const prefixList = n.s3GatewayEndpointRouteTableIds === undefined
        ? n.s3PrefixListId
        : s3GatewayEndpoint(owner, name, { vpcId: n.vpcId, routeTableIds: n.s3GatewayEndpointRouteTableIds, region, tags }).prefixListId;
    if (prefixList === undefined) return { securityGroup, s3PrefixListId: undefined };
    egress("s3", { prefixListId: prefixList, fromPort: 443, toPort: 443, description: "HTTPS to S3 through the gateway endpoint" });
    return { securityGroup, s3PrefixListId: pulumi.output(prefixList) };
}
