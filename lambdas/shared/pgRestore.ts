/** pg_restore run as a child process in its own process group, stopped on timeout or abort. */
import { spawn } from "node:child_process";
import { libpqEnv } from "./pgTarget";
import { stopProcessGroup } from "./processGroup";
import { PgRestoreFailedError } from "./restoreErrors";
import type { RestoreOptions } from "./restoreOptions";
import { APPLICATION_NAME } from "./restoreTarget";

const STDERR_TAIL_BYTES = 8 * 1024;

export function runPgRestore(pgRestorePath: string, file: string, options: RestoreOptions, jobs: number): Promise<void> {
    const args = [
        `--dbname=${conninfoDbname(options.target.database)}`,
        `--jobs=${jobs}`,
        "--exit-on-error",
        ...(options.noOwner === false ? [] : ["--no-owner"]),
        ...(options.noPrivileges === true ? ["--no-privileges"] : []),
        file,
    ];
    const env = { ...inheritedEnv(process.env), ...libpqEnv(options.target), PGCONNECT_TIMEOUT: "15", PGAPPNAME: APPLICATION_NAME };
    return new Promise((resolve, reject) => {
        // Own process group, so a stop also reaches pg_restore's parallel workers.
        const child = spawn(pgRestorePath, args, { env, stdio: ["ignore", "ignore", "pipe"], detached: true });
        let stderr = "";
        let stopReason: string | undefined;
        child.stderr.setEncoding("utf8");
        child.stderr.on("data", (chunk: string) => {
            stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES);
        });
        const stop = (reason: string): void => {
            stopReason ??= reason;
            stopProcessGroup(child);
        };
        const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => stop(`timed out after ${options.timeoutMs} ms`), options.timeoutMs);
        const onAbort = (): void => stop("aborted");
        options.signal?.addEventListener("abort", onAbort, { once: true });
        child.once("error", (err) => {
            clearTimeout(timer);
            options.signal?.removeEventListener("abort", onAbort);
            reject(new PgRestoreFailedError(`could not start ${pgRestorePath} (${err.message})`, ""));
        });
        child.once("close", (code, signal) => {
            clearTimeout(timer);
            options.signal?.removeEventListener("abort", onAbort);
            if (stopReason === undefined && code === 0) {
                resolve();
                return;
            }
            const reason = stopReason ?? (signal !== null ? `killed by ${signal}` : `exit code ${code ?? "unknown"}`);
            reject(new PgRestoreFailedError(reason, stderr));
        });
        if (options.signal?.aborted === true) {
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
