/** Running a Lambda handler module in tests: cold starts with a given environment, captured output, EMF parsing. */
import type { Context } from "aws-lambda";
import { RESULT_FIELD, type RunResult } from "../../lambdas/shared/resultLine";

let savedEnv: NodeJS.ProcessEnv | undefined;

/**
 * Loads a handler module afresh with `env` set (and `unset` removed), as a Lambda cold start
 * would. `modulePath` is absolute (from require.resolve in the test). The environment stays set,
 * since the AWS SDK reads some of it lazily, until restoreEnv().
 */
export function coldStart<H>(modulePath: string, env: Record<string, string>, unset: readonly string[] = []): H {
    savedEnv ??= { ...process.env };
    Object.assign(process.env, env);
    for (const k of unset) {
        delete process.env[k];
    }
    delete require.cache[modulePath];
    return (require(modulePath) as { handler: H }).handler;
}

/**
 * The part of a handler's environment that points it at the embedded S3 (s3rver's fixed
 * credentials, checksums only where required) and publishes its metrics in the test namespace.
 */
export function embeddedAwsEnv(s3Endpoint: string): Record<string, string> {
    return {
        S3_ENDPOINT: s3Endpoint,
        AWS_ACCESS_KEY_ID: "S3RVER",
        AWS_SECRET_ACCESS_KEY: "S3RVER",
        AWS_REGION: "us-east-1",
        AWS_REQUEST_CHECKSUM_CALCULATION: "WHEN_REQUIRED",
        AWS_RESPONSE_CHECKSUM_VALIDATION: "WHEN_REQUIRED",
        METRICS_NAMESPACE: "PgBackupStackTest",
        POWERTOOLS_METRICS_DISABLED: "false",
    };
}

export function restoreEnv(): void {
    if (savedEnv === undefined) {
        return;
    }
    for (const k of Object.keys(process.env)) {
        if (!(k in savedEnv)) {
            delete process.env[k];
        }
    }
    Object.assign(process.env, savedEnv);
    savedEnv = undefined;
}

/** Runs fn while capturing stdout and stderr (Powertools writes logs and EMF there). */
export async function captureOutput<T>(fn: () => Promise<T>): Promise<{ result: T | undefined; error: unknown; lines: string[] }> {
    const streams = [process.stdout, process.stderr];
    const originals = streams.map((s) => s.write.bind(s));
    const chunks: string[] = [];
    for (const s of streams) {
        s.write = ((chunk: string | Uint8Array): boolean => {
            chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
            return true;
        }) as typeof s.write;
    }
    const lines = (): string[] => chunks.join("").split("\n").filter((l) => l !== "");
    try {
        const result = await fn();
        return { result, error: undefined, lines: lines() };
    } catch (error) {
        return { result: undefined, error, lines: lines() };
    } finally {
        streams.forEach((s, i) => {
            s.write = originals[i] as typeof s.write;
        });
    }
}

export interface Emf {
    readonly _aws: { readonly CloudWatchMetrics: readonly { readonly Namespace: string; readonly Dimensions: readonly string[][] }[] };
    readonly [key: string]: unknown;
}

export function emfDocuments(lines: readonly string[]): Emf[] {
    return lines.filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l) as Emf);
}

export function lambdaContext(remainingMs = 900_000): Context {
    return {
        callbackWaitsForEmptyEventLoop: false,
        functionName: "fn",
        functionVersion: "1",
        invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:fn",
        memoryLimitInMB: "1024",
        awsRequestId: "req-1",
        logGroupName: "/aws/lambda/fn",
        logStreamName: "s",
        getRemainingTimeInMillis: () => remainingMs,
        done: () => undefined,
        fail: () => undefined,
        succeed: () => undefined,
    };
}

/**
 * Runs `fn` with the test runner's crash listeners replaced by one that records what it gets, as
 * the Lambda runtime's listeners do (here without ending the process); the runner's are put back after.
 */
export async function asLambdaRuntime<T>(fn: (crashes: readonly unknown[]) => Promise<T>): Promise<T> {
    const exceptions = process.listeners("uncaughtException");
    const rejections = process.listeners("unhandledRejection");
    const crashes: unknown[] = [];
    const runtime = (err: unknown): void => {
        crashes.push(err);
    };
    process.removeAllListeners("uncaughtException").removeAllListeners("unhandledRejection").on("uncaughtException", runtime).on("unhandledRejection", runtime);
    try {
        return await fn(crashes);
    } finally {
        process.removeAllListeners("uncaughtException").removeAllListeners("unhandledRejection");
        exceptions.forEach((l) => process.on("uncaughtException", l));
        rejections.forEach((l) => process.on("unhandledRejection", l));
    }
}

/** The result lines (`{"pgBackupStackResult": ...}`) among captured output lines, parsed. */
export function resultLines(lines: readonly string[]): RunResult[] {
    return lines.filter((l) => l.includes(`"${RESULT_FIELD}"`)).map((l) => (JSON.parse(l) as Record<string, RunResult>)[RESULT_FIELD] as RunResult);
}
