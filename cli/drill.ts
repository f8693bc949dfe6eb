import type { Log, MetricSink } from "../lambdas/shared/ports";
import { redactedMessage, redactText } from "../lambdas/shared/redact";
import { ArgumentError, usage } from "./args";
import { OPTIONS, parseDrillArgs, SYNOPSIS, type DrillArgs } from "./drill/args";
import { Resources } from "./drill/resources";
import { connectBlob, connectS3 } from "./drill/storage";
import { compareRestored, dumpStep, exportStep, prepareSource, restoreStep, SAMPLE_DATABASE, verifyStep, type DrillRun } from "./drill/steps";
import { renderKept, renderSummary, type DrillCheck, type DrillSummary } from "./drill/summary";
import { terminalLog } from "./output";

/**
 * `drill`: dump -> export -> verify -> restore end to end with the functions' own code, against a
 * throwaway PostgreSQL and s3rver, or Azurite with `--cloud azure` (or the given endpoints), ending with a summary of what was
 * measured and a pass/fail per check. Everything it started is stopped and removed again, also
 * on failure and on Ctrl-C.
 */

/** How long work in flight gets to end after an interrupt and the cleanup, before the drill exits anyway. */
const INTERRUPT_GRACE_MS = 10_000;

export async function main(args: readonly string[]): Promise<number> {
    let parsed: DrillArgs | undefined;
    try {
        parsed = parseDrillArgs(args);
        if (parsed === undefined) {
            console.log(usage("drill", SYNOPSIS, OPTIONS));
            return 0;
        }
    } catch (err) {
        if (err instanceof ArgumentError) {
            console.error(`${redactText(err.message)}\n\n${usage("drill", SYNOPSIS, OPTIONS)}`);
            return 2;
        }
        throw err;
    }
    const progress = (line: string): void => {
        process.stderr.write(`drill: ${redactText(line)}\n`);
    };
    const resources = new Resources();
    const controller = new AbortController();
    let exitCode = 130;
    // Every interrupt is handled here (none ends the process mid-cleanup): the first stops the
    // work (no new step starts) and the servers it started, later ones say what is still to do.
    const onSignal = (signal: NodeJS.Signals): void => {
        if (controller.signal.aborted) {
            const left = resources.pending();
            progress(`${signal} received again; ${left.length === 0 ? "nothing left to clean up" : `still cleaning up: ${left.join(", ")}`}`);
            return;
        }
        exitCode = signal === "SIGINT" ? 130 : 143;
        progress(`${signal} received; stopping and cleaning up`);
        controller.abort();
        // Work in flight fails once its servers stop; that is expected now and must not end the process before the cleanup has.
        process.on("uncaughtException", (err) => progress(`  stopped: ${redactedMessage(err)}`));
        void resources.cleanup(progress).then(() => {
            setTimeout(() => {
                const left = resources.pending();
                progress(`work in flight did not stop within ${INTERRUPT_GRACE_MS / 1000} s; exiting${left.length === 0 ? "" : `; left behind: ${left.join(", ")}`}`);
                process.exit(exitCode);
            }, INTERRUPT_GRACE_MS).unref();
        });
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
        const summary = await runDrill(parsed, progress, resources, controller.signal);
        if (controller.signal.aborted) {
            await resources.cleanup(progress);
            const left = resources.pending();
            progress(`interrupted; ${left.length === 0 ? "everything the drill started was stopped and removed" : `LEFT BEHIND: ${left.join(", ")}`}`);
            return exitCode;
        }
        if (!parsed.keep) {
            await resources.cleanup(progress);
        }
        console.log(renderSummary(summary));
        if (parsed.json) {
            console.log(JSON.stringify(summary));
        }
        if (parsed.keep && (summary.started.postgresUrl !== undefined || summary.started.s3Endpoint !== undefined || summary.started.blobEndpoint !== undefined)) {
            console.log(renderKept(summary));
            await new Promise<void>((resolve) => controller.signal.addEventListener("abort", () => resolve(), { once: true }));
            await resources.cleanup(progress);
        }
        return summary.ok ? 0 : 1;
    } finally {
        await resources.cleanup(progress);
        // After an interrupt the handlers stay until the process exits: one more Ctrl-C must not kill it with a signal status.
        if (!controller.signal.aborted) {
            process.removeListener("SIGINT", onSignal);
            process.removeListener("SIGTERM", onSignal);
        }
    }
}

/** The drill itself; failures become a failed summary, never an exception. */
export async function runDrill(args: DrillArgs, progress: (line: string) => void, resources: Resources, signal?: AbortSignal): Promise<DrillSummary> {
    const checks: DrillCheck[] = [];
    const metrics: DrillSummary["metrics"][number][] = [];
    const sink: MetricSink = { add: (name, unit, value, dimensions = {}) => void metrics.push({ name, unit, value, dimensions }) };
    const started: DrillRun["started"] = {};
    let database = SAMPLE_DATABASE;
    let summary: Partial<DrillSummary> = {};
    const total = args.source === undefined ? 6 : 4;
    let step = 0;
    const stage = (what: string): void => {
        signal?.throwIfAborted();
        progress(`[${++step}/${total}] ${what}`);
    };
    const run: DrillRun = { args, progress, stage, resources, signal, log: coreLog(args.verbose), sink, checks, started };
    try {
        const source = await prepareSource(run);
        database = source.database;
        const storage = args.cloud === "azure" ? await connectBlob(run) : await connectS3(run);
        summary = { location: storage.location };
        const dumped = await dumpStep(run, source, storage);
        summary = { ...summary, ...dumped.summary };
        await exportStep(run, source, storage, dumped.manifest);
        await verifyStep(run, source, storage);
        const restored = await restoreStep(run, source, storage, dumped.manifest);
        summary = { ...summary, restoreSeconds: restored.result.totalSeconds };
        await compareRestored(run, source.source, restored);
        return finish(true);
    } catch (err) {
        const reason = signal?.aborted === true ? "interrupted" : redactedMessage(err);
        checks.push({ name: "drill", ok: false, detail: reason });
        progress(`${signal?.aborted === true ? "stopped" : "failed"}: ${reason}`);
        return { ...finish(false), error: reason };
    }

    function finish(ran: boolean): DrillSummary {
        return {
            ...summary,
            ok: ran && checks.every((c) => c.ok),
            database,
            bucket: args.bucket,
            rtoSeconds: args.rtoSeconds,
            checks,
            metrics,
            started,
        };
    }
}

/** The functions' log lines: warnings and errors always, the rest with --verbose. */
function coreLog(verbose: boolean): Log {
    const inner = terminalLog((line) => process.stderr.write(`  ${line}\n`));
    return {
        debug: (m, e) => {
            if (verbose) {
                inner.debug(m, e);
            }
        },
        info: (m, e) => {
            if (verbose) {
                inner.info(m, e);
            }
        },
        warn: inner.warn,
        error: inner.error,
    };
}
