import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A bin directory whose pg_restore ignores SIGTERM and hangs, as a wedged client tool does. */
export interface StubbornTool {
    readonly binDir: string;
    /** Pids of the tool and of the worker it started, once it ran. */
    pids(): Promise<number[]>;
    /** SIGKILL to the tool and its worker when they still run (after a failed test), then removes the directory. */
    removeAndKill(): Promise<void>;
    remove(): Promise<void>;
}

/**
 * `pg_restore --version` answers with the real tool's version (so the version checks pass), and
 * the listing and script of the archive's own database entries (`--create`) come from the real
 * tool, so a restore gets as far as creating its database; any other call records its own pid and
 * a sleeping worker's, ignores SIGTERM, and waits 60 s.
 */
export async function stubbornPgRestore(realBinDir: string): Promise<StubbornTool> {
    const binDir = await mkdtemp(join(tmpdir(), "stubborn-bin-"));
    const pidFile = join(binDir, "pids");
    const script = [
        "#!/bin/sh",
        `if [ "$1" = "--version" ]; then exec '${join(realBinDir, "pg_restore")}' --version; fi`,
        `case "$*" in *--create*) exec '${join(realBinDir, "pg_restore")}' "$@";; esac`,
        "trap '' TERM",
        "sleep 60 &",
        `echo "$$ $!" > '${pidFile}'`,
        "wait",
        "",
    ].join("\n");
    await writeFile(join(binDir, "pg_restore"), script);
    await chmod(join(binDir, "pg_restore"), 0o755);
    const pids = async (): Promise<number[]> => (await readFile(pidFile, "utf8")).trim().split(" ").map(Number);
    return {
        binDir,
        pids,
        async removeAndKill(): Promise<void> {
            for (const pid of await pids().catch(() => [])) {
                if (await running(pid)) {
                    process.kill(pid, "SIGKILL");
                }
            }
            await rm(binDir, { recursive: true, force: true });
        },
        remove: () => rm(binDir, { recursive: true, force: true }),
    };
}

/** Whether a process still runs (a zombie waiting to be reaped does not). */
export async function running(pid: number): Promise<boolean> {
    try {
        const stat = await readFile(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
    } catch {
        return false;
    }
}
