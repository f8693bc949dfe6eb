/** AWS clients the function handlers build once per cold start. */
import { S3Client } from "@aws-sdk/client-s3";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { SecretReader } from "./credentials";
import { integer, optionalString, type Env } from "./env";

export const S3_ENV: Readonly<Record<string, string>> = {
    S3_ENDPOINT: "S3 endpoint for S3-compatible servers, path-style (default: AWS)",
    S3_MAX_ATTEMPTS: "attempts per S3 request, retries included, 1..10 (default 5)",
};

export interface S3Settings {
    readonly endpoint: string | undefined;
    readonly maxAttempts: number;
}

export function s3SettingsFromEnv(env: Env): S3Settings {
    return {
        endpoint: optionalString(env, "S3_ENDPOINT"),
        maxAttempts: integer(env, "S3_MAX_ATTEMPTS", { min: 1, max: 10, default: 5 }),
    };
}

/**
 * The functions' S3 client. Checksums are set in the code, not left to the environment
 * (AWS_REQUEST_CHECKSUM_CALCULATION): every PutObject and UploadPart carries one, which S3
 * requires of uploads to a bucket with Object Lock. Amazon S3 User Guide, "Object Lock
 * considerations": https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html#object-lock-put-object
 */
export function s3Client(settings: S3Settings): S3Client {
    return new S3Client({
        maxAttempts: settings.maxAttempts,
        requestChecksumCalculation: "WHEN_SUPPORTED",
        ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint, forcePathStyle: true }),
    });
}

/** Reads string secrets from Secrets Manager; binary secrets are refused. */
export function secretsManagerReader(client: SecretsManagerClient = new SecretsManagerClient({})): SecretReader {
    return {
        async getSecretString(secretId: string): Promise<string> {
            const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
            if (out.SecretString === undefined) {
                throw new Error("the secret has no string value (binary secrets are not supported)");
            }
            return out.SecretString;
        },
    };
}
