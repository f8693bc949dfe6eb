import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/**
 * Locates and versions the PostgreSQL client tools: an explicit directory, else env PG_BIN,
 * else the newest /usr/lib/postgresql/<major>/bin that has the tool, else PATH.
 */
export function findPgTool(tool: string, binDir?: string, env: NodeJS.ProcessEnv = process.env): string {
    const explicit = binDir ?? (env.PG_BIN !== undefined && env.PG_BIN !== "" ? env.PG_BIN : undefined);
    if (explicit !== undefined) {
        const path = join(explicit, tool);
        if (!existsSync(path)) {
            throw new Error(`${tool} not found in ${explicit} (from ${binDir !== undefined ? "the binDir option" : "PG_BIN"})`);
        }
        return path;
    }
    const root = "/usr/lib/postgresql";
    if (existsSync(root)) {
        const majors = readdirSync(root)
            .filter((d) => /^\d+$/.test(d) && existsSync(join(root, d, "bin", tool)))
            .map(Number)
            .sort((a, b) => b - a);
        if (majors.length > 0) {
            return join(root, String(majors[0]), "bin", tool);
        }
    }
    for (const dir of (env.PATH ?? "").split(delimiter)) {
        if (dir !== "" && existsSync(join(dir, tool))) {
            return join(dir, tool);
        }
    }
    throw new Error(`${tool} not found: set PG_BIN to the directory with the PostgreSQL client tools, or put ${tool} on PATH`);
}

/** `pg_restore (PostgreSQL) 15.18 (Debian ...)` -> 15; `... 9.6.24` -> 9.6. Throws on anything else. */
export function majorOfToolVersion(versionText: string): number {
    const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(versionText);
    if (m === null) {
        throw new Error(`cannot read a PostgreSQL version from "${versionText.trim()}"`);
    }
    const first = Number(m[1]);
    return first >= 10 ? first : first + Number(m[2] ?? "0") / 10;
}

/** server_version_num 150018 -> 15; 90624 -> 9.6. */
export function majorOfVersionNum(versionNum: number): number {
    if (!Number.isInteger(versionNum) || versionNum < 90000) {
        throw new Error(`server_version_num ${versionNum} is not a PostgreSQL version number (expected e.g. 150018)`);
    }
    return versionNum >= 100000 ? Math.floor(versionNum / 10000) : Math.floor(versionNum / 10000) + (Math.floor(versionNum / 100) % 100) / 10;
}

/** First line of `<tool> --version`. */
export async function toolVersion(path: string): Promise<string> {
    const { stdout } = await execFileAsync(path, ["--version"], { timeout: 30_000 });
    return stdout.split("\n")[0]?.trim() ?? "";
}
