import { formatFinding } from "../config/findings";
import { RawStackConfig, StackFileError, readStackFile, stackFilePath } from "../config/load";
import { guarantees } from "../config/summary";
import { validateConfig } from "../config/validate";

const USAGE = "usage: validate (--stack <name> | <path/to/Pulumi.<stack>.yaml>) [--json]";

/**
 * `validate --stack prod` or `validate Pulumi.prod.yaml`: exit 0 and print what the stack
 * guarantees, or exit 1 and list every error (warnings are printed either way).
 */
export async function main(args: readonly string[]): Promise<number> {
    let file: string | undefined;
    let json = false;
    for (let i = 0; i < args.length; i++) {
        const arg = args[i];
        if (arg === "--stack") {
            const stack = args[++i];
            if (stack === undefined) return usageError("--stack needs a stack name (staging, prod, ...)");
            try {
                file = stackFilePath(stack);
            } catch (err) {
                if (err instanceof StackFileError) return usageError(err.message);
                throw err;
            }
        } else if (arg === "--json") {
            json = true;
        } else if (arg !== undefined && !arg.startsWith("-") && file === undefined) {
            file = arg;
        } else {
            return usageError(`unexpected argument "${arg ?? ""}"`);
        }
    }
    if (file === undefined) return usageError("name a stack (--stack prod) or a stack file");
    let raw: RawStackConfig;
    try {
        raw = readStackFile(file);
    } catch (err) {
        if (err instanceof StackFileError) {
            console.error(err.message);
            return 1;
        }
        throw err;
    }
    const result = validateConfig(raw);
    const errors = result.findings.filter((f) => f.severity === "error");
    if (json) {
        console.log(JSON.stringify({
            file,
            valid: result.config !== undefined,
            findings: result.findings,
            guarantees: result.config !== undefined ? guarantees(result.config) : [],
        }));
        return result.config !== undefined ? 0 : 1;
    }
    if (result.config === undefined) {
        console.error(`${file}: ${errors.length} error(s)`);
        for (const f of result.findings) console.error(`  ${formatFinding(f)}`);
        return 1;
    }
    console.log(`${file}: valid`);
    for (const f of result.findings) console.log(`  ${formatFinding(f)}`);
    const rows = guarantees(result.config);
    const width = Math.max(...rows.map((r) => r.control.length));
    for (const r of rows) console.log(`  ${r.control.padEnd(width)}  ${r.value}`);
    return 0;
}

function usageError(message: string): number {
    console.error(`${message}\n${USAGE}`);
    return 2;
}
