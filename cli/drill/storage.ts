import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { redactedMessage } from "../../lambdas/shared/redact";
import { azureBlobStorage } from "../../lambdas/shared/storage/azureBlob";
import { azureContainerClient } from "../../lambdas/shared/storage/env";
import type { BackupStorage } from "../../lambdas/shared/storage/port";
import { s3Storage } from "../../lambdas/shared/storage/s3";
import { cliS3Client } from "../clients";
import { startAzurite, type EmbeddedAzurite } from "../embedded/azurite";
import { startS3, type EmbeddedS3 } from "../embedded/s3";
import { cliBlobContainer } from "../storageOptions";
import type { DrillRun } from "./steps";

/** The given S3 endpoint, or a throwaway s3rver; the bucket is created when missing. */
export async function connectS3({ args, progress, resources, started }: DrillRun): Promise<BackupStorage> {
    let s3: S3Client;
    if (args.s3Endpoint === undefined) {
        const server: EmbeddedS3 = await startS3();
        started.s3Dir = server.directory;
        started.s3Endpoint = server.endpoint;
        resources.add(`s3rver at ${server.endpoint}`, () => server.stop());
        s3 = server.client();
        progress(`  S3: throwaway s3rver at ${server.endpoint}, objects in ${server.directory}`);
    } else {
        s3 = cliS3Client(args.s3Endpoint, undefined);
        progress(`  S3: ${args.s3Endpoint}`);
    }
    resources.add("S3 client", async () => s3.destroy());
    await ensureBucket(s3, args.bucket);
    return s3Storage({ client: s3, bucket: args.bucket, kmsKeyId: undefined });
}

/** The given blob endpoint, or a throwaway Azurite; the container is created when missing. */
export async function connectBlob({ args, progress, resources, started }: DrillRun): Promise<BackupStorage> {
    if (args.blobEndpoint !== undefined) {
        const container = cliBlobContainer({ blobEndpoint: args.blobEndpoint, container: args.bucket });
        progress(`  Blob: ${container.url}`);
        await container.createIfNotExists();
        return azureBlobStorage({ container });
    }
    const azurite: EmbeddedAzurite = await startAzurite();
    started.blobEndpoint = azurite.endpoint;
    resources.add(`Azurite at ${azurite.endpoint}`, () => azurite.stop());
    progress(`  Blob: throwaway Azurite at ${azurite.endpoint}`);
    await azurite.createContainer(args.bucket);
    return azureBlobStorage({ container: azureContainerClient(azurite.settings(args.bucket)) });
}

async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
    try {
        await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (err) {
        const name = err instanceof Error ? err.name : "";
        if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") {
            throw new Error(`cannot create or reach bucket ${bucket}: ${redactedMessage(err)}`);
        }
    }
}
