/** pg_restore run as a child process in its own process group, stopped on timeout or abort. */
import { spawn } from "node:child_process";
import { parseDatabaseScript, type ArchivedDatabase } from "./databaseScript";
import { libpqEnv } from "./pgTarget";
import { stopProcessGroup } from "./processGroup";
import { PgRestoreFailedError } from "./restoreErrors";
import type { RestoreOptions } from "./restoreOptions";
import { APPLICATION_NAME } from "./restoreTarget";

const STDERR_TAIL_BYTES = 8 * 1024;
/** pg_restore's output kept: its script of the database's own entries is a few KiB; a restore into a database prints nothing. */
const SCRIPT_MAX_BYTES = 4 * 1024 * 1024;

/** pg_restore into the target database. */
export async function runPgRestore(pgRestorePath: string, file: string, options: RestoreOptions, jobs: number): Promise<void> {
    const args = [
        `--dbname=${conninfoDbname(options.target.database)}`,
        `--jobs=${jobs}`,
        "--exit-on-error",
        ...(options.noOwner === false ? [] : ["--no-owner"]),
        ...(options.noPrivileges === true ? ["--no-privileges"] : []),
        file,
    ];
    const env = { ...inheritedEnv(process.env), ...libpqEnv(options.target), PGCONNECT_TIMEOUT: "15", PGAPPNAME: APPLICATION_NAME };
    await runTool(pgRestorePath, args, env, options.signal, options.timeoutMs);
}

/**
 * The archive's own database: its CREATE DATABASE and settings, from the script pg_restore
 * --create prints for an empty list of entries (databaseScript.ts). It connects to nothing, and
 * is stopped like a restore on timeout or abort.
 */
export async function archivedDatabase(pgRestorePath: string, file: string, options: Pick<RestoreOptions, "signal" | "timeoutMs">): Promise<ArchivedDatabase> {
    const script = await runTool(pgRestorePath, ["--create", "--file=-", "--use-list=/dev/null", file], inheritedEnv(process.env), options.signal, options.timeoutMs);
    if (script.length >= SCRIPT_MAX_BYTES) {
        throw new PgRestoreFailedError(`its script of the database's own entries is longer than ${SCRIPT_MAX_BYTES} bytes`, "");
    }
    return parseDatabaseScript(script);
}

/** Runs pg_restore in its own process group (so a stop also reaches its parallel workers); resolves with the start of its output. */
function runTool(path: string, args: readonly string[], env: Record<string, string>, signal: AbortSignal | undefined, timeoutMs: number | undefined): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        const child = spawn(path, args, { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
        const stdout: Buffer[] = [];
        let stdoutBytes = 0;
        let stderr = "";
        let stopReason: string | undefined;
        child.stdout.on("data", (chunk: Buffer) => {
            if (stdoutBytes < SCRIPT_MAX_BYTES) {
                stdout.push(chunk);
                stdoutBytes += chunk.length;
            }
        });
        child.stderr.setEncoding("utf8");
        child.stderr.on("data", (chunk: string) => {
            stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES);
        });
        const stop = (reason: string): void => {
            stopReason ??= reason;
            stopProcessGroup(child);
        };
        const timer = timeoutMs === undefined ? undefined : setTimeout(() => stop(`timed out after ${timeoutMs} ms`), timeoutMs);
        const onAbort = (): void => stop("aborted");
        signal?.addEventListener("abort", onAbort, { once: true });
        child.once("error", (err) => {
            clearTimeout(timer);
            signal?.removeEventListener("abort", onAbort);
            reject(new PgRestoreFailedError(`could not start ${path} (${err.message})`, ""));
        });
        child.once("close", (code, sig) => {
            clearTimeout(timer);
            signal?.removeEventListener("abort", onAbort);
            if (stopReason === undefined && code === 0) {
                resolve(Buffer.concat(stdout));
                return;
            }
            const reason = stopReason ?? (sig !== null ? `killed by ${sig}` : `exit code ${code ?? "unknown"}`);
            reject(new PgRestoreFailedError(reason, stderr));
        });
        if (signal?.aborted === true) {
            onAbort();
        }
    });
}

/** A libpq conninfo naming only the database, so a name containing `=` is not read as a connection string. */
function conninfoDbname(database: string): string {
    return `dbname='${database.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** Variables pg_restore gets from this process; everything else (cloud credentials included) stays out of the child. */
const INHERITED_ENV = ["PATH", "LD_LIBRARY_PATH", "LANG", "LC_ALL", "TZ", "HOME", "TMPDIR", "PGSSLROOTCERT"];

function inheritedEnv(parent: NodeJS.ProcessEnv): Record<string, string> {
    const env: Record<string, string> = {};
    for (const name of INHERITED_ENV) {
        const value = parent[name];
        if (value !== undefined) {
            env[name] = value;
        }
    }
    return env;
}
