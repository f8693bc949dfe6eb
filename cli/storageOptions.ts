/**
 * Where `list`, `restore` and the drill find the backups: Amazon S3 (`--cloud aws`, the default:
 * `--bucket`, `--s3-endpoint`, `--region`) or Azure Blob Storage (`--cloud azure`: `--blob-endpoint`
 * and `--container`). On Azure the CLI signs in with DefaultAzureCredential, the operator's own
 * sign-in (`az login`, environment, workload or managed identity): it runs on an operator's
 * machine, not as the functions' managed identity (AZURE_CLIENT_ID, when set, picks a managed identity). Against the Azurite emulator on loopback,
 * AZURE_BLOB_LOCAL_ACCOUNT_KEY gives the emulator's account key instead.
 */
import type { ContainerClient } from "@azure/storage-blob";
import { EnvError } from "../lambdas/shared/env";
import { azureBlobStorage } from "../lambdas/shared/storage/azureBlob";
import { azureBlobFromEnv, azureContainerClient, containerNameProblem, type AzureBlobSettings } from "../lambdas/shared/storage/env";
import type { BackupStorage } from "../lambdas/shared/storage/port";
import { s3Storage } from "../lambdas/shared/storage/s3";
import { ArgumentError } from "./args";
import { cliS3Client } from "./clients";

export const CLOUDS = ["aws", "azure"] as const;
export type Cloud = (typeof CLOUDS)[number];

/** The options every storage-reading command adds for Azure. */
export const AZURE_STORAGE_OPTIONS = {
    cloud: { type: "string", value: "aws|azure", description: "aws: the backups are in S3 (--bucket); azure: in Blob Storage (--blob-endpoint, --container) (default aws)" },
    "blob-endpoint": { type: "string", value: "URL", description: "with --cloud azure: the storage account's blob endpoint, https://<account>.blob.core.windows.net (required with --cloud azure)" },
    container: { type: "string", value: "NAME", description: "with --cloud azure: the container of the backups (required with --cloud azure)" },
} as const;

/** The Azure part of a command's arguments, present only with `--cloud azure`. */
export interface AzureLocation {
    readonly blobEndpoint: string;
    readonly container: string;
}

/** `--cloud` and, with azure, `--blob-endpoint` and `--container` (validated like the functions' AZURE_BLOB_ENDPOINT and BACKUP_CONTAINER). */
export function parseCloud(o: { readonly cloud?: string | undefined; readonly "blob-endpoint"?: string | undefined; readonly container?: string | undefined }, awsOnly: Readonly<Record<string, unknown>>): AzureLocation | undefined {
    const cloud = o.cloud ?? "aws";
    if (!(CLOUDS as readonly string[]).includes(cloud)) {
        throw new ArgumentError(`--cloud: "${cloud}" is not allowed; expected aws or azure`);
    }
    if (cloud === "aws") {
        for (const name of ["blob-endpoint", "container"] as const) {
            if (o[name] !== undefined) {
                throw new ArgumentError(`--${name}: only with --cloud azure`);
            }
        }
        return undefined;
    }
    for (const [name, value] of Object.entries(awsOnly)) {
        if (value !== undefined) {
            throw new ArgumentError(`--${name}: not allowed with --cloud azure; give --blob-endpoint and --container`);
        }
    }
    if (o["blob-endpoint"] === undefined || o.container === undefined) {
        throw new ArgumentError(`--${o["blob-endpoint"] === undefined ? "blob-endpoint" : "container"}: missing; required with --cloud azure`);
    }
    const location = { blobEndpoint: o["blob-endpoint"], container: o.container };
    blobSettings(location, {});
    return location;
}

/** `--container`, checked as Azure names containers. */
export function containerOption(value: string | undefined): string | undefined {
    const problem = value === undefined ? undefined : containerNameProblem(value);
    if (problem !== undefined) {
        throw new ArgumentError(`--container: ${problem}`);
    }
    return value;
}

/** The functions' rules for the endpoint, container and local key, with the CLI's names in the messages. */
function blobSettings(location: AzureLocation, env: NodeJS.ProcessEnv): AzureBlobSettings {
    try {
        return azureBlobFromEnv(
            { AZURE_BLOB_ENDPOINT: location.blobEndpoint, BACKUP_CONTAINER: location.container, AZURE_BLOB_LOCAL_ACCOUNT_KEY: env.AZURE_BLOB_LOCAL_ACCOUNT_KEY, AZURE_CLIENT_ID: env.AZURE_CLIENT_ID },
            "operator",
        );
    } catch (err) {
        if (err instanceof EnvError) {
            throw new ArgumentError(err.message.replace(/^AZURE_BLOB_ENDPOINT\b/, "--blob-endpoint").replace(/^BACKUP_CONTAINER\b/, "--container"));
        }
        throw err;
    }
}

/** The Blob container at `location`, signed in as blobSettings says. */
export function cliBlobContainer(location: AzureLocation, env: NodeJS.ProcessEnv = process.env): ContainerClient {
    return azureContainerClient(blobSettings(location, env));
}

/** The storage a command reads: S3 (`bucket`, `s3Endpoint`, `region`) or, with `blobEndpoint`, the Blob container `bucket`. `close` releases the S3 client. */
export function cliStorage(
    where: { readonly bucket: string; readonly s3Endpoint?: string; readonly region?: string; readonly blobEndpoint?: string },
    env: NodeJS.ProcessEnv = process.env,
): { readonly storage: BackupStorage; readonly close: () => void } {
    if (where.blobEndpoint !== undefined) {
        return { storage: azureBlobStorage({ container: cliBlobContainer({ blobEndpoint: where.blobEndpoint, container: where.bucket }, env) }), close: () => undefined };
    }
    const client = cliS3Client(where.s3Endpoint, where.region, env);
    return { storage: s3Storage({ client, bucket: where.bucket, kmsKeyId: undefined }), close: () => client.destroy() };
}
