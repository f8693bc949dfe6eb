/** Client settings for an S3-compatible server on loopback; kept apart from s3.ts so that loading it does not load s3rver. */
import type { S3ClientConfig } from "@aws-sdk/client-s3";

/** Credentials s3rver accepts; they protect nothing and exist only so requests are signed as on AWS. */
const DUMMY_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export function localS3ClientConfig(endpoint: string, maxAttempts = 3): S3ClientConfig {
    return {
        endpoint,
        region: "us-east-1",
        forcePathStyle: true,
        credentials: DUMMY_CREDENTIALS,
        maxAttempts,
        // s3rver does not decode aws-chunked bodies with trailing checksums; send checksums only where S3 requires them.
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
    };
}
