import { spawn } from "node:child_process";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import ts from "typescript";
import type { Log } from "../../lambdas/shared/ports";

/** Running and timing what the benchmark measures: commands, and the dump core compiled to run in its own process. */

export const MB = 1024 * 1024;

export function progress(message: string): void {
    process.stderr.write(`[bench] ${message}\n`);
}

export const quietLog: Log = {
    debug: () => undefined,
    info: () => undefined,
    warn: (message, extra) => progress(`warning: ${message} ${JSON.stringify(extra ?? {})}`),
    error: (message, extra) => progress(`error: ${message} ${JSON.stringify(extra ?? {})}`),
};

/** Runs a command to completion; rejects with its stderr tail on a non-zero exit. Stdout goes to `stdoutFd` when given. */
export function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv, stdoutFd?: number, input?: string): Promise<string> {
    return new Promise((resolvePromise, reject) => {
        const child = spawn(file, args, { env, stdio: [input === undefined ? "ignore" : "pipe", stdoutFd ?? "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout?.on("data", (c: Buffer) => {
            out += c.toString("utf8");
        });
        child.stderr?.on("data", (c: Buffer) => {
            err = (err + c.toString("utf8")).slice(-4000);
        });
        if (input !== undefined) {
            child.stdin?.end(input);
        }
        child.once("error", reject);
        child.once("close", (code, signal) => {
            if (code === 0) {
                resolvePromise(out);
            } else {
                reject(new Error(`${file} ${args.join(" ")} failed (${signal ?? `exit ${String(code)}`}): ${err.trim()}`));
            }
        });
    });
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
    const t0 = performance.now();
    const value = await fn();
    return { value, seconds: (performance.now() - t0) / 1000 };
}

async function listTs(dir: string): Promise<string[]> {
    const out: string[] = [];
    for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
            out.push(...(await listTs(path)));
        } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
            out.push(path);
        }
    }
    return out;
}

/** Compiles the measured process and what it imports to plain JavaScript (transpile only) in `outDir`. */
export async function buildMeasuredProcess(repo: string, outDir: string): Promise<string> {
    const sources = [...(await listTs(join(repo, "lambdas"))), join(repo, "cli", "embedded", "benchDump.ts"), join(repo, "cli", "embedded", "s3Client.ts")];
    for (const src of sources) {
        const js = ts.transpileModule(await readFile(src, "utf8"), {
            compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
            fileName: src,
        }).outputText;
        const dest = join(outDir, relative(repo, src)).replace(/\.ts$/, ".js");
        await mkdir(dirname(dest), { recursive: true });
        await writeFile(dest, js);
    }
    return join(outDir, "cli", "embedded", "benchDump.js");
}

/**
 * The heap flags the Lambda Node.js runtime starts its process with for a function of
 * `memoryMb`: old space 90 % and semi-space 5 % of the memory (observed in the runtime's
 * bootstrap; e.g. 1024 MB gives --max-old-space-size=922 --max-semi-space-size=51).
 */
export function lambdaHeapFlags(memoryMb: number): string[] {
    return [`--max-old-space-size=${Math.round(memoryMb * 0.9)}`, `--max-semi-space-size=${Math.round(memoryMb * 0.05)}`];
}

/** Busy and total jiffies of all CPUs from /proc/stat's first line; undefined where there is none. */
async function cpuJiffies(): Promise<{ busy: number; total: number } | undefined> {
    const stat = await readFile("/proc/stat", "utf8").catch(() => undefined);
    const fields = stat?.split("\n")[0]?.trim().split(/\s+/).slice(1).map(Number);
    if (fields === undefined || fields.length < 5 || fields.some((n) => !Number.isFinite(n))) {
        return undefined;
    }
    // user nice system idle iowait irq softirq steal: idle and iowait are the time no one used.
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
}

/**
 * Runs `fn` and returns its value with the share of the whole machine's CPU time (all cores,
 * every process: the server, pg_dump, the S3 server and the dump process) that was busy meanwhile,
 * 0..1; undefined where /proc/stat cannot tell. Near 1, a mode is bound by the machine's cores.
 */
export async function withMachineBusy<T>(fn: () => Promise<T>): Promise<{ value: T; machineBusy: number | undefined }> {
    const before = await cpuJiffies();
    const value = await fn();
    const after = await cpuJiffies();
    const machineBusy = before === undefined || after === undefined || after.total <= before.total ? undefined : (after.busy - before.busy) / (after.total - before.total);
    return { value, machineBusy };
}
