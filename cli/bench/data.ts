import { join } from "node:path";
import { libpqEnv, parsePostgresUrl } from "../../lambdas/shared/pgTarget";
import { createDatabase, query, type EmbeddedPostgres } from "../embedded/postgres";
import { loadRealisticData } from "../embedded/realisticData";
import type { BenchOptions } from "./args";
import { progress, run } from "./measure";

/** The database the benchmark measures: generated (realistic rows or pgbench's), or the user's. */

/** pgbench grows by about this much per scale unit (100,000 accounts with their index). */
const MB_PER_PGBENCH_SCALE = 15;
/** A fresh database with pgbench's empty tables takes about this much. */
const BASE_DATABASE_MB = 8;

/** pgbench scale factor for about `sizeMb` of database. */
export function pgbenchScale(sizeMb: number): number {
    return Math.max(1, Math.round((sizeMb - BASE_DATABASE_MB) / MB_PER_PGBENCH_SCALE));
}

export async function generateDatabase(pg: EmbeddedPostgres, o: BenchOptions): Promise<number> {
    await createDatabase(pg.url(), "bench");
    if (o.dataset === "realistic") {
        progress(`generating about ${o.sizeMb} MB of realistic rows in ${o.tables} tables (server-side)`);
        return loadRealisticData(pg.url("bench"), o.sizeMb, o.tables, progress);
    }
    const scale = pgbenchScale(o.sizeMb);
    const target = parsePostgresUrl(pg.url("bench"), "bench database");
    progress(`generating about ${o.sizeMb} MB with pgbench -i -s ${scale} (server-side)`);
    await run(join(pg.binDir, "pgbench"), ["-i", "-s", String(scale), "-I", "dtGvp", "-q"], { PATH: process.env.PATH ?? "", ...libpqEnv(target) });
    const rows = await query<{ size: string }>(pg.url("bench"), "SELECT pg_database_size('bench') AS size");
    return Number(rows[0]?.size);
}

/** Size of the database to measure: the generated one, or the user's. */
export async function databaseSize(url: string): Promise<number> {
    const rows = await query<{ size: string }>(url, "SELECT pg_database_size(current_database()) AS size");
    return Number(rows[0]?.size);
}
