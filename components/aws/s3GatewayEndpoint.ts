import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { regionOf } from "./context";

export interface S3GatewayEndpointArgs {
    /** VPC of the route tables. Required. */
    readonly vpcId: pulumi.Input<string>;
    /** Route tables that get the route to S3: those of the backup functions' subnets. Required, at least one. */
    readonly routeTableIds: readonly pulumi.Input<string>[];
    /**
     * Tags of the endpoint.
     * @default {}
     */
    readonly tags?: Readonly<Record<string, string>>;
    /**
     * Where the endpoint was declared before, as Pulumi aliases of the VpcEndpoint (a function's own
     * endpoint, `s3GatewayEndpointRouteTableIds`): Pulumi then moves the endpoint here instead of
     * creating a second one on the same route tables, which AWS refuses.
     * @default []
     */
    readonly formerlyDeclaredAs?: readonly pulumi.Input<pulumi.Alias>[];
}

/**
 * The VPC's S3 gateway endpoint, declared once for every backup function and task of a stack, so
 * that none of them owns it: a route table holds one route per gateway endpoint service ("You
 * can't have multiple endpoint routes to the same service in a single route table", Amazon VPC
 * User Guide, "Gateway endpoints"), and an endpoint owned by one function would be created anew,
 * beside the old one, when that function is replaced by a Fargate runner or removed. Pass
 * `prefixListId` to the functions' networks (`s3PrefixListId`).
 */
export class S3GatewayEndpoint extends pulumi.ComponentResource {
    /** Prefix list of S3 in the region: HTTPS egress through the endpoint. */
    public readonly prefixListId: pulumi.Output<string>;

    constructor(name: string, args: S3GatewayEndpointArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-backup-stack:aws:S3GatewayEndpoint", name, {}, opts);
        if (args.routeTableIds.length === 0) {
            throw new pulumi.ResourceError("routeTableIds: [] is not allowed; give the route tables of the backup functions' subnets", this);
        }
        this.prefixListId = s3GatewayEndpoint(this, name, { vpcId: args.vpcId, routeTableIds: args.routeTableIds, region: regionOf(this), tags: { ...(args.tags ?? {}) } }, [...(args.formerlyDeclaredAs ?? [])]).prefixListId;
        this.registerOutputs({ prefixListId: this.prefixListId });
    }
}

/** The one declaration of an S3 gateway endpoint, as a child of `owner`: for S3GatewayEndpoint and a function's own (`s3GatewayEndpointRouteTableIds`). */
export function s3GatewayEndpoint(
    owner: pulumi.Resource,
    name: string,
    a: { readonly vpcId: pulumi.Input<string>; readonly routeTableIds: readonly pulumi.Input<string>[]; readonly region: pulumi.Output<string>; readonly tags: Record<string, string> },
    aliases: pulumi.Input<pulumi.Alias>[] = [],
): aws.ec2.VpcEndpoint {
    return new aws.ec2.VpcEndpoint(`${name}-s3-endpoint`, {
        vpcId: a.vpcId,
        serviceName: pulumi.interpolate`com.amazonaws.${a.region}.s3`,
        vpcEndpointType: "Gateway",
        routeTableIds: [...a.routeTableIds],
        tags: a.tags,
    }, { parent: owner, ...(aliases.length === 0 ? {} : { aliases }) });
}
