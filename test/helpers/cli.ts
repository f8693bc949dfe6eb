import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";

/** Runs a CLI command's `main` in-process and captures what it prints (stdout via console.log, stderr via console.error and process.stderr). */
export async function runCli(main: (args: readonly string[]) => Promise<number>, args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const { log, error } = console;
    const writeErr = process.stderr.write;
    console.log = (...a: unknown[]) => void out.push(a.map(String).join(" "));
    console.error = (...a: unknown[]) => void err.push(a.map(String).join(" "));
    process.stderr.write = ((chunk: string | Uint8Array) => {
        err.push(String(chunk));
        return true;
    }) as typeof process.stderr.write;
    try {
        const code = await main(args);
        return { code, out: out.join("\n"), err: err.join("\n") };
    } finally {
        console.log = log;
        console.error = error;
        process.stderr.write = writeErr;
    }
}

/** A CLI command running as `npm run cli` runs it: its own process, in its own process group (as a shell job is). */
export interface CliProcess {
    readonly child: ChildProcessWithoutNullStreams;
    /** Everything written to stdout and stderr so far. */
    output(): string;
    /** Resolves once the output matches `pattern`; rejects when the process exits first or after `timeoutMs`. */
    waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
    /** Sends `signal` to the whole process group, as Ctrl-C in a terminal does. */
    interrupt(signal?: NodeJS.Signals): void;
    /** Resolves with the exit code (null when a signal ended it) and that signal. */
    readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
}

export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv): CliProcess {
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "cli/main.ts", ...args], { cwd: join(__dirname, "..", ".."), env, stdio: ["pipe", "pipe", "pipe"], detached: true });
    let text = "";
    const listeners = new Set<() => void>();
    for (const stream of [child.stdout, child.stderr]) {
        stream.setEncoding("utf8");
        stream.on("data", (chunk: string) => {
            text += chunk;
            listeners.forEach((l) => l());
        });
    }
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("close", (code, signal) => resolve({ code, signal })));
    return {
        child,
        output: () => text,
        waitFor(pattern: RegExp, timeoutMs = 120_000): Promise<void> {
            return new Promise((resolve, reject) => {
                const check = (): void => {
                    if (pattern.test(text)) {
                        done();
                        resolve();
                    }
                };
                const timer = setTimeout(() => {
                    done();
                    reject(new Error(`no ${String(pattern)} within ${timeoutMs} ms:\n${text}`));
                }, timeoutMs);
                const done = (): void => {
                    clearTimeout(timer);
                    listeners.delete(check);
                };
                void exited.then(() => {
                    if (!pattern.test(text)) {
                        done();
                        reject(new Error(`exited before ${String(pattern)}:\n${text}`));
                    }
                });
                listeners.add(check);
                check();
            });
        },
        interrupt(signal: NodeJS.Signals = "SIGINT"): void {
            if (child.pid !== undefined) {
                process.kill(-child.pid, signal);
            }
        },
        exited,
    };
}
