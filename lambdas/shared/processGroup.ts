import type { ChildProcess } from "node:child_process";

/** How long a stopped client tool gets to exit after SIGTERM before SIGKILL. */
export const KILL_GRACE_MS = 5_000;

/**
 * Stops a child spawned with `detached: true` (its own process group, so the stop also reaches
 * anything it started): SIGTERM to the group now, SIGKILL if the group is still there after the
 * grace period. A tool that ignores or hangs on SIGTERM cannot outlive the caller's deadline.
 */
export function stopProcessGroup(child: ChildProcess, graceMs: number = KILL_GRACE_MS): void {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
        return;
    }
    const group = -child.pid;
    signalGroup(group, "SIGTERM");
    setTimeout(() => signalGroup(group, "SIGKILL"), graceMs).unref();
}

function signalGroup(group: number, signal: NodeJS.Signals): void {
    try {
        process.kill(group, signal);
    } catch {
        // the group is already gone
    }
}

/** Characters of a client tool's stderr kept for its error message. */
const STDERR_TAIL_CHARS = 8_192;

/**
 * The end of a child's stderr, for its error message: the last STDERR_TAIL_CHARS characters, and
 * whether more came before them (the tail may then start inside a message; see withoutRowData).
 */
export class StderrTail {
    text = "";
    cutShort = false;

    constructor(child: ChildProcess) {
        child.stderr?.setEncoding("utf8");
        child.stderr?.on("data", (chunk: string) => {
            const joined = this.text + chunk;
            this.cutShort ||= joined.length > STDERR_TAIL_CHARS;
            this.text = joined.slice(-STDERR_TAIL_CHARS);
        });
    }
}
