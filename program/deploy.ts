import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/validate";
import { deployAwsFoundation } from "./aws";
import { deployAzure } from "./azure";
import { deployFunctions } from "./functions";
import { stackScope } from "../config/scope";

/** The AWS side of a stack's outputs: absent for an Azure-only stack. */
export interface AwsStackOutputs {
    readonly backupBucket: pulumi.Output<string>;
    readonly backupBucketArn: pulumi.Output<string>;
    readonly accessLogBucket: pulumi.Output<string>;
    readonly replicaBucket?: pulumi.Output<string>;
    readonly kmsKeyArn: pulumi.Output<string>;
    readonly drKmsKeyArn?: pulumi.Output<string>;
    readonly alertTopicArn: pulumi.Output<string>;
    readonly databases: Record<string, {
        readonly address?: pulumi.Output<string>;
        readonly instanceIdentifier?: pulumi.Output<string>;
        readonly credentialsSecretArn: pulumi.Output<string>;
    }>;
    readonly backupVault?: pulumi.Output<string>;
    readonly backupPlanId?: pulumi.Output<string>;
    /** Key of the record of the configuration this deployment put in force, in the backup bucket. */
    readonly stackConfigKey: string;
    /** ARNs of the application buckets AWS Backup protects under the plan. */
    readonly fileBuckets?: pulumi.Output<string[]>;
    readonly functions?: ReturnType<typeof deployFunctions>;
}

/** What `pulumi stack output` shows: names and ARNs, never a secret in clear. */
export interface StackOutputs extends Partial<AwsStackOutputs> {
    readonly environment: string;
    readonly azure?: ReturnType<typeof deployAzure>;
}

/** Declares every resource of one stack from its validated configuration. */
export function deployStack(config: StackConfig): StackOutputs {
    const webhookUrls = config.alerts.webhookUrls.map((u, i) => {
        if (typeof u !== "string") {
            throw new Error(`alerts.webhookUrls[${i}]: the engine handed over an encrypted value; run through \`pulumi up\`, which decrypts secrets`);
        }
        return pulumi.secret(u);
    });
    const azure = config.azure === undefined ? undefined : deployAzure(config, config.azure, webhookUrls);
    return {
        environment: config.environment,
        ...(config.regions !== undefined ? deployAws(config, config.regions, webhookUrls) : {}),
        ...(azure !== undefined ? { azure } : {}),
    };
}

/** The AWS side: key, buckets, topics, databases, AWS Backup and the functions. */
function deployAws(config: StackConfig, regions: NonNullable<StackConfig["regions"]>, webhookUrls: readonly pulumi.Output<string>[]): AwsStackOutputs {
    const foundation = deployAwsFoundation(config, regions, stackScope(pulumi.getStack()), webhookUrls);
    const network = config.aws.network;
    const functions = network === undefined ? undefined : deployFunctions(config, network, foundation);
    return {
        backupBucket: foundation.bucket.bucketName,
        backupBucketArn: foundation.bucket.bucketArn,
        accessLogBucket: foundation.bucket.logBucketName,
        ...(foundation.replica !== undefined ? { replicaBucket: foundation.replica.bucketName } : {}),
        kmsKeyArn: foundation.key.keyArn,
        ...(foundation.key.replicaKeyArn !== undefined ? { drKmsKeyArn: foundation.key.replicaKeyArn } : {}),
        alertTopicArn: foundation.topic.topicArn,
        databases: Object.fromEntries(foundation.databases.map((d) => [d.config.name, {
            ...(d.instance !== undefined ? { address: d.instance.address, instanceIdentifier: d.instance.instanceIdentifier } : {}),
            credentialsSecretArn: d.secretArn,
        }])),
        ...(foundation.backupPlan !== undefined ? { backupVault: foundation.backupPlan.vaultName, backupPlanId: foundation.backupPlan.planId } : {}),
        stackConfigKey: foundation.stackConfigKey,
        ...(foundation.fileBackup !== undefined ? { fileBuckets: foundation.fileBackup.bucketArns } : {}),
        ...(functions !== undefined ? { functions } : {}),
    };
}
