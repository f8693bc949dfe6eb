/**
 * The Pulumi program: reads `Pulumi.<stack>.yaml` through the engine, validates all of it
 * (every error listed, nothing declared when there is one), then declares the stack.
 */
import * as pulumi from "@pulumi/pulumi";
import { fromPulumiConfig } from "./config/load";
import { ConfigValidationError, formatFinding } from "./config/findings";
import { validateConfig } from "./config/validate";
import { deployStack } from "./program/deploy";
import { imageBuildEnvironmentProblems } from "./components/aws/functionImage";

const raw = fromPulumiConfig(pulumi.runtime.allConfig());
const validation = validateConfig(raw);
for (const warning of validation.findings.filter((f) => f.severity === "warning")) {
    void pulumi.log.warn(formatFinding(warning));
}
if (validation.config === undefined) throw new ConfigValidationError(`stack ${pulumi.getStack()}`, validation.findings);
// `pulumi up` builds and pushes the functions' image: refuse before declaring anything when the
// build would push an image index that Lambda cannot run (previews do not build).
const buildProblems = validation.config.aws.network !== undefined && validation.config.aws.databases.length > 0 && !pulumi.runtime.isDryRun()
    ? imageBuildEnvironmentProblems(process.env)
    : [];
if (buildProblems.length > 0) throw new Error(`stack ${pulumi.getStack()}: ${buildProblems.join("; ")}`);
const outputs = deployStack(validation.config);

export const environment = outputs.environment;
export const backupBucket = outputs.backupBucket;
export const backupBucketArn = outputs.backupBucketArn;
export const accessLogBucket = outputs.accessLogBucket;
export const replicaBucket = outputs.replicaBucket;
export const kmsKeyArn = outputs.kmsKeyArn;
export const drKmsKeyArn = outputs.drKmsKeyArn;
export const alertTopicArn = outputs.alertTopicArn;
export const databases = outputs.databases;
export const backupVault = outputs.backupVault;
export const backupPlanId = outputs.backupPlanId;
export const fileBuckets = outputs.fileBuckets;
export const stackConfigKey = outputs.stackConfigKey;
export const functions = outputs.functions;
export const azure = outputs.azure;
