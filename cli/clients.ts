import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { ArgumentError } from "./args";

/**
 * The S3 client of a CLI command: AWS with the default credential chain, or an S3-compatible
 * endpoint (`--s3-endpoint`, path-style addressing) such as the drill's local server.
 */
export function cliS3Client(endpoint: string | undefined, region: string | undefined, env: NodeJS.ProcessEnv = process.env): S3Client {
    const resolvedRegion = region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (endpoint === undefined ? undefined : "us-east-1");
    if (resolvedRegion === undefined) {
        throw new ArgumentError("--region: missing; expected the bucket's AWS region (or set AWS_REGION)");
    }
    const config: S3ClientConfig = {
        region: resolvedRegion,
        ...(endpoint === undefined
            ? {}
            : {
                  endpoint,
                  forcePathStyle: true,
                  // S3-compatible servers often do not accept aws-chunked bodies with trailing checksums.
                  requestChecksumCalculation: "WHEN_REQUIRED" as const,
                  responseChecksumValidation: "WHEN_REQUIRED" as const,
              }),
    };
    return new S3Client(config);
}
