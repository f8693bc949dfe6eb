import { query } from "../embedded/postgres";

/** Blocks read and hit (pg_stat_database) against the tables' pages: whether a dump reads each table once. */

/** Main-fork pages of the ordinary tables and their TOAST tables outside the system schemas: what a dump reads once. */
export async function tablePages(url: string): Promise<number> {
    const rows = await query<{ pages: string }>(
        url,
        `SELECT COALESCE(sum(pg_relation_size(c.oid) + CASE WHEN c.reltoastrelid = 0 THEN 0 ELSE pg_relation_size(c.reltoastrelid) END), 0)
                / current_setting('block_size')::int AS pages
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'`,
    );
    return Number(rows[0]?.pages ?? 0);
}

/** How long a backend's statistics may take to reach pg_stat_database after its session ends. */
const STATS_SETTLE_MS = 1_000;

/** Blocks read + hit in the database (every session's, flushed at the latest when a session ends). */
async function blocksTouched(url: string): Promise<number> {
    const rows = await query<{ n: string }>(url, "SELECT blks_read + blks_hit AS n FROM pg_stat_database WHERE datname = current_database()");
    return Number(rows[0]?.n ?? 0);
}

/** Runs `fn` and returns its value with the database's blocks read + hit meanwhile. */
export async function withBlocks<T>(url: string, fn: () => Promise<T>): Promise<{ value: T; blocks: number }> {
    const before = await blocksTouched(url);
    const value = await fn();
    await new Promise((r) => setTimeout(r, STATS_SETTLE_MS));
    return { value, blocks: (await blocksTouched(url)) - before };
}
