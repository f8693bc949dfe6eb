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
