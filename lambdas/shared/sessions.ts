/**
 * The sessions connected to a database, named before anything ends them (DROP DATABASE ... WITH
 * (FORCE) terminates every one): who is using the database should never be found out afterwards.
 */
import type { Client } from "pg";

export interface DatabaseSession {
    readonly pid: number;
    readonly user: string;
    readonly application: string;
    /** Client address and port, "local socket", or that this user may not see it. */
    readonly client: string;
    readonly state: string;
    readonly since: string;
}

/** Every other session connected to `database`, from pg_stat_activity. */
export async function sessionsOn(client: Client, database: string): Promise<DatabaseSession[]> {
    const res = await client.query<{ pid: number; usename: string | null; application_name: string | null; client_addr: string | null; client_port: number | null; state: string | null; backend_start: Date | null }>(
        `SELECT pid, usename, application_name, host(client_addr) AS client_addr, client_port, state, backend_start
           FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() ORDER BY pid`,
        [database],
    );
    return res.rows.map((r) => ({
        pid: r.pid,
        user: r.usename ?? "(unknown)",
        application: r.application_name === null || r.application_name === "" ? "(none)" : r.application_name,
        // Another user's session shows no client unless this user may see it (superuser, pg_read_all_stats).
        client: r.client_port === null ? "(client not visible to this user)" : r.client_addr === null ? "local socket" : `${r.client_addr}:${r.client_port}`,
        state: r.state ?? "(not visible to this user)",
        since: r.backend_start === null ? "(unknown)" : r.backend_start.toISOString(),
    }));
}

/** `pid 4242 user app application "report-job" from 10.0.0.7:51234, idle since 2026-...` */
export function describeSession(s: DatabaseSession): string {
    return `pid ${s.pid} user ${s.user} application ${JSON.stringify(s.application)} from ${s.client}, ${s.state} since ${s.since}`;
}
