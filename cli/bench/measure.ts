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

/** Busy and total jiffies of all CPUs from /proc/stat's first line, and the CPUs it sums; undefined where there is none. */
async function cpuJiffies(): Promise<{ busy: number; total: number; cores: number } | undefined> {
    const stat = await readFile("/proc/stat", "utf8").catch(() => undefined);
    const lines = stat?.split("\n") ?? [];
    const fields = lines[0]?.trim().split(/\s+/).slice(1).map(Number);
    const cores = lines.filter((l) => /^cpu\d+\s/.test(l)).length;
    if (fields === undefined || fields.length < 5 || fields.some((n) => !Number.isFinite(n)) || cores === 0) {
        return undefined;
    }
    // user nice system idle iowait irq softirq steal: idle and iowait are the time no one used.
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total, cores };
}

/** What the whole machine (all cores, every process) spent while something ran. */
export interface MachineLoad {
    /** Share of the machine's CPU time that was busy, 0..1. Near 1, what ran was bound by the machine's cores. */
    readonly busy: number;
    /** CPU seconds busy on all cores: the work it cost the machine, whichever process did it. */
    readonly cpuSeconds: number;
    /** CPUs the machine has. */
    readonly cores: number;
}

/**
 * Runs `fn` and returns its value with the load of the whole machine meanwhile (the server,
 * pg_dump, the S3 server and the dump process alike); undefined where /proc/stat cannot tell.
 * Busy CPU seconds are the busy share of every core over the wall time, so they need no clock tick.
 */
export async function withMachineLoad<T>(fn: () => Promise<T>): Promise<{ value: T; machine: MachineLoad | undefined }> {
    const before = await cpuJiffies();
    const t0 = performance.now();
    const value = await fn();
    const seconds = (performance.now() - t0) / 1000;
    const after = await cpuJiffies();
    if (before === undefined || after === undefined || after.total <= before.total) {
        return { value, machine: undefined };
    }
    const busy = Math.min(1, Math.max(0, (after.busy - before.busy) / (after.total - before.total)));
    return { value, machine: { busy, cpuSeconds: busy * after.cores * seconds, cores: after.cores } };
}
