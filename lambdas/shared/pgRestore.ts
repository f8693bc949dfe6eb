/** pg_restore run as a child process in its own process group, stopped on timeout or abort. */
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { databaseEntriesList, parseDatabaseScript, type ArchivedDatabase } from "./databaseScript";
import { libpqEnv } from "./pgTarget";
import { StderrTail, stopProcessGroup } from "./processGroup";
import { PgRestoreFailedError } from "./restoreErrors";
import type { RestoreOptions } from "./restoreOptions";
import { APPLICATION_NAME } from "./restoreTarget";

/** The script of the database's own entries is a few KiB; more is not what it should be. */
const SCRIPT_MAX_BYTES = 4 * 1024 * 1024;

/** When a pg_restore run is stopped: on abort, and at a deadline (performance.now()) shared by the runs of one restore, whose whole limit the message names. */
export interface ToolLimit {
    readonly signal?: AbortSignal;
    readonly deadline?: number;
    readonly limitMs?: number;
}

/** pg_restore into the target database. */
export async function runPgRestore(pgRestorePath: string, file: string, options: RestoreOptions, jobs: number, limit: ToolLimit): Promise<void> {
    const args = [
        `--dbname=${conninfoDbname(options.target.database)}`,
        `--jobs=${jobs}`,
        "--exit-on-error",
        ...(options.noOwner === false ? [] : ["--no-owner"]),
        ...(options.noPrivileges === true ? ["--no-privileges"] : []),
        file,
    ];
    const env = { ...inheritedEnv(process.env), ...libpqEnv(options.target), PGCONNECT_TIMEOUT: "15", PGAPPNAME: APPLICATION_NAME };
    await runTool(pgRestorePath, args, env, limit);
}

/**
 * The archive's own database: its CREATE DATABASE, properties, comment and privileges, from the
 * script pg_restore --create prints for those entries alone (databaseScript.ts): the entries are
 * listed first (`--create --list` shows them), then printed. It connects to nothing, reads only
 * the table of contents, and is stopped like a restore on timeout or abort. The list is written
 * to `listPath`.
 */
export async function archivedDatabase(pgRestorePath: string, file: string, listPath: string, limit: ToolLimit): Promise<ArchivedDatabase> {
    const env = inheritedEnv(process.env);
    // The listing has a line per object of the database: only the database's own lines are kept, as they come.
    const entries: string[] = [];
    let partial = "";
    await runTool(pgRestorePath, ["--create", "--list", file], env, limit, (chunk) => {
        const lines = (partial + chunk.toString("latin1")).split("\n");
        partial = lines.pop() ?? "";
        entries.push(databaseEntriesList(lines.join("\n")));
    });
    entries.push(databaseEntriesList(partial));
    await writeFile(listPath, entries.join(""), { mode: 0o600, encoding: "latin1" });
    const script: Buffer[] = [];
    let bytes = 0;
    await runTool(pgRestorePath, ["--create", "--file=-", `--use-list=${listPath}`, file], env, limit, (chunk) => {
        bytes += chunk.length;
        if (bytes <= SCRIPT_MAX_BYTES) {
            script.push(chunk);
        }
    });
    if (bytes > SCRIPT_MAX_BYTES) {
        throw new PgRestoreFailedError(`its script of the database's own entries is longer than ${SCRIPT_MAX_BYTES} bytes`, "");
    }
    return parseDatabaseScript(Buffer.concat(script));
}

/** Runs pg_restore in its own process group (so a stop also reaches its parallel workers), its output to `onStdout`. */
function runTool(path: string, args: readonly string[], env: Record<string, string>, limit: ToolLimit, onStdout?: (chunk: Buffer) => void): Promise<void> {
    const { signal } = limit;
    const timeoutMs = limit.deadline === undefined ? undefined : Math.max(1, Math.round(limit.deadline - performance.now()));
    return new Promise((resolve, reject) => {
        const child = spawn(path, args, { env, stdio: ["ignore", onStdout === undefined ? "ignore" : "pipe", "pipe"], detached: true });
        const stderr = new StderrTail(child);
        let stopReason: string | undefined;
        if (onStdout !== undefined) {
            child.stdout?.on("data", onStdout);
        }
        const stop = (reason: string): void => {
            stopReason ??= reason;
            stopProcessGroup(child);
        };
        const timer = timeoutMs === undefined ? undefined : setTimeout(() => stop(`timed out after ${limit.limitMs ?? timeoutMs} ms`), timeoutMs);
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
                resolve();
                return;
            }
            const reason = stopReason ?? (sig !== null ? `killed by ${sig}` : `exit code ${code ?? "unknown"}`);
            reject(new PgRestoreFailedError(reason, stderr.text, stderr.cutShort));
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
