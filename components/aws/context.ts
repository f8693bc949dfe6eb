import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/** Account facts the documents need, asked of the provider the component's children use. */
export interface AwsContext {
    readonly accountId: pulumi.Output<string>;
    readonly partition: pulumi.Output<string>;
    readonly dnsSuffix: pulumi.Output<string>;
}

/** Account, partition and DNS suffix as seen through `provider` (or the parent's provider). */
export function awsContext(parent: pulumi.Resource, provider?: aws.Provider): AwsContext {
    const opts = { parent, ...(provider !== undefined ? { provider } : {}) };
    const partition = aws.getPartitionOutput({}, opts);
    return {
        accountId: aws.getCallerIdentityOutput({}, opts).accountId,
        partition: partition.partition,
        dnsSuffix: partition.dnsSuffix,
    };
}

/**
 * Region of an explicit provider (as configured on it), or the region the parent's provider
 * reports when no provider is given or the provider takes its region from the environment.
 */
export function regionOf(parent: pulumi.Resource, provider?: aws.Provider): pulumi.Output<string> {
    const ask = (): pulumi.Output<string> =>
        aws.getRegionOutput({}, { parent, ...(provider !== undefined ? { provider } : {}) }).region;
    if (provider === undefined) return ask();
    return provider.region.apply((configured) => (configured !== undefined && configured !== "" ? pulumi.output(configured) : ask()));
}

/** Splits Inputs into the plain strings (checkable now) and the rest (resolved later). */
export function plainStrings(values: readonly pulumi.Input<string>[]): string[] {
    return values.filter((v): v is string => typeof v === "string");
}

/** Drops keys set to `undefined`, so that spreading args over defaults keeps the defaults. */
export function definedOnly<T extends object>(args: T): Partial<T> {
    return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined)) as Partial<T>;
}
