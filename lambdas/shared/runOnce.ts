/**
 * Runs one function's handler once outside Lambda, as the command of an ECS Fargate task:
 * `node shared/runOnce.js dump/handler.handler`. The image's own entry point, the Lambda runtime
 * interface client, needs a Lambda runtime API; this one calls the handler with an empty event
 * (a scheduled run) and a context whose deadline is RUN_TIMEOUT_SECONDS after the start, then
 * exits 0 when the handler resolved and 1 when it failed. The handler publishes its own metrics
 * (EMF on stdout, which the task's log group turns into metrics) and its result line
 * (./resultLine.ts) on every outcome.
 */
import * as path from "path";
import type { Context } from "aws-lambda";
import { redactedMessage } from "./redact";
import { databaseFromEnv, RunReport, runKindOf, type RunKind } from "./resultLine";

/** The handlers the image holds, by their Lambda handler string. */
export const RUNNABLE_HANDLERS: readonly string[] = ["dump/handler.handler", "export/handler.handler", "verify/handler.handler"];

/**
 * Milliseconds the process may linger after the handler settled: long enough for stdout (a pipe
 * in a container, written asynchronously) to drain the last log and metric lines, short enough
 * that a socket or timer left open does not keep a finished task, and its bill, running.
 */
export const EXIT_GRACE_MS = 10_000;

/** Seconds a run may take when RUN_TIMEOUT_SECONDS is not set: a day. */
export const DEFAULT_RUN_TIMEOUT_SECONDS = 86_400;

export class RunOnceError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "RunOnceError";
    }
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** RUN_TIMEOUT_SECONDS, a whole number of seconds 60..1209600, or the default. */
export function runTimeoutSeconds(env: Readonly<Record<string, string | undefined>>): number {
    const raw = env["RUN_TIMEOUT_SECONDS"];
    if (raw === undefined || raw === "") return DEFAULT_RUN_TIMEOUT_SECONDS;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < 60 || value > 1_209_600) {
        throw new RunOnceError(`RUN_TIMEOUT_SECONDS: "${raw}" is not allowed; expected whole seconds 60..1209600`);
    }
    return value;
}

/** A Lambda-shaped context for one run that must end `timeoutSeconds` after `startedAtMs`. */
export function runContext(handler: string, timeoutSeconds: number, startedAtMs: number, now: () => number = Date.now): Context {
    const unsupported = (): never => {
        throw new RunOnceError("the Lambda callback methods are not available outside Lambda");
    };
    return {
        callbackWaitsForEmptyEventLoop: false,
        functionName: handler.split("/")[0] ?? handler,
        functionVersion: "$LATEST",
        invokedFunctionArn: "",
        memoryLimitInMB: "",
        awsRequestId: `run-${startedAtMs}`,
        logGroupName: "",
        logStreamName: "",
        getRemainingTimeInMillis: () => Math.max(0, startedAtMs + timeoutSeconds * 1000 - now()),
        done: unsupported,
        fail: unsupported,
        succeed: unsupported,
    };
}

/**
 * Loads the named handler with `load` (a module path below the image's root) and runs it once.
 * Resolves to the process exit code: 0 when the handler resolved, 1 when it threw.
 */
export async function runOnce(
    handler: string | undefined,
    env: Readonly<Record<string, string | undefined>>,
    load: (modulePath: string) => Promise<Record<string, unknown>>,
    report: (line: string) => void,
): Promise<number> {
    try {
        const kind = handler === undefined ? undefined : runKindOf(handler);
        if (handler === undefined || !RUNNABLE_HANDLERS.includes(handler) || kind === undefined) {
            throw new RunOnceError(`handler: ${JSON.stringify(handler)} is not allowed; expected one of ${RUNNABLE_HANDLERS.join(", ")}`);
        }
        const { timeout, fn } = await prepare(kind, handler, env, load, report);
        await fn({}, runContext(handler, timeout, Date.now()));
        report(JSON.stringify({ level: "INFO", message: "run finished", handler }));
        return 0;
    } catch (err) {
        report(JSON.stringify({ level: "ERROR", message: "run failed", handler, error: err instanceof Error ? `${err.name}: ${redactedMessage(err)}` : redactedMessage(err) }));
        return 1;
    }
}

/**
 * The run's timeout and handler function. A handler writes its own result line once called; a
 * run that fails before (a bad RUN_TIMEOUT_SECONDS, a configuration the handler module refuses
 * at cold start) gets the failed result line here, so that every run of the image reports one.
 */
async function prepare(
    kind: RunKind,
    handler: string,
    env: Readonly<Record<string, string | undefined>>,
    load: (modulePath: string) => Promise<Record<string, unknown>>,
    report: (line: string) => void,
): Promise<{ readonly timeout: number; readonly fn: Handler }> {
    try {
        const timeout = runTimeoutSeconds(env);
        const fn = (await load(path.join(kind, "handler")))["handler"];
        if (typeof fn !== "function") throw new RunOnceError(`${handler}: the module exports no handler function`);
        return { timeout, fn: fn as Handler };
    } catch (err) {
        new RunReport(kind, databaseFromEnv(kind, env), report).failed(err);
        throw err;
    }
}

if (require.main === module) {
    void runOnce(
        process.argv[2],
        process.env,
        async (modulePath) => (await import(path.join(__dirname, "..", modulePath))) as Record<string, unknown>,
        (line) => console.log(line),
    ).then((code) => {
        process.exitCode = code;
        // Unreferenced: fires only if something else still holds the event loop open.
        setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
    });
}
