/**
 * The restore's target server: the maintenance session that checks, creates and drops
 * databases, and the row counts read from the restored database.
 */
import type { Client } from "pg";
import type { BackupManifest } from "./manifest";
import { openSession, quoteIdent, withDatabase, type PgTarget } from "./pgTarget";
import type { RestoreOptions } from "./restoreOptions";

/** The application_name of the restore's database sessions and of pg_restore. */
export const APPLICATION_NAME = "pg-backup-stack-restore";

export interface TableComparison {
    readonly schema: string;
    readonly name: string;
    readonly expected: number;
    /** null when the table is missing from the restored database. */
    readonly actual: number | null;
    readonly ok: boolean;
}

/** The large objects of a restored database against the manifest's count (of the source, in the dump's snapshot). */
export interface LargeObjectComparison {
    readonly expected: number;
    readonly actual: number;
    readonly ok: boolean;
}

/**
 * Large objects as the client's current transaction sees them: one row of pg_largeobject_metadata
 * each, a catalog read that locks no table. pg_dump --blobs stores every one (it fails on one it
 * may not read), so in the dump's snapshot this is how many a restore must hold.
 */
export async function countLargeObjects(client: Client): Promise<number> {
    const result = await client.query<{ n: string }>("SELECT count(*) AS n FROM pg_catalog.pg_largeobject_metadata");
    return Number(result.rows[0]?.n ?? "0");
}

/** The restored database's large objects against the manifest's count; undefined for a manifest without one (written before it was recorded). */
export async function countRestoredLargeObjects(target: PgTarget, manifest: BackupManifest): Promise<LargeObjectComparison | undefined> {
    const expected = manifest.largeObjects;
    if (expected === undefined) {
        return undefined;
    }
    const session = await openSession(target, APPLICATION_NAME);
    try {
        const actual = await session.use((client) => countLargeObjects(client));
        return { expected, actual, ok: actual === expected };
    } finally {
        await session.end();
    }
}

/**
 * A restore's counts against the manifest in one line: every table's rows, then the large objects
 * (when the manifest has their count); the first `limit` differences named.
 */
export function describeCounts(tables: readonly TableComparison[], largeObjects: LargeObjectComparison | undefined, limit = 10): string {
    const mismatched = tables.filter((t) => !t.ok);
    const rows = mismatched.length === 0
        ? `${tables.length} table(s), every row count matches the manifest`
        : `${mismatched.length} of ${tables.length} table(s) differ: ` +
          mismatched.slice(0, limit).map((t) => `${t.schema}.${t.name} restored ${t.actual === null ? "missing" : t.actual}, manifest ${t.expected}`).join("; ");
    if (largeObjects === undefined) {
        return rows;
    }
    return largeObjects.ok
        ? `${rows}; ${largeObjects.actual} large object(s), as the manifest says`
        : `${rows}; large objects differ: restored ${largeObjects.actual}, manifest ${largeObjects.expected}`;
}

/**
 * Exact count(*) of every table the manifest lists, in the restored database, seeing every row.
 * The session runs with row_security off (as pg_dump does): a count that a row-level security
 * policy would filter fails instead of coming out short. A restore with --no-owner makes the
 * restoring user the owner, whom policies do not apply to unless the table FORCEs row level
 * security; such a table is counted in a transaction that lifts FORCE and is rolled back, so the
 * restored database keeps its definition.
 */
export async function countRestoredRows(target: PgTarget, manifest: BackupManifest): Promise<TableComparison[]> {
    const session = await openSession(target, APPLICATION_NAME);
    try {
        return await session.use(async (client) => {
            const found = await client.query<{ schema: string; name: string; forced_and_owned: boolean }>(
                "SELECT n.nspname AS schema, c.relname AS name, c.relforcerowsecurity AND pg_catalog.pg_has_role(c.relowner, 'USAGE') AS forced_and_owned " +
                    "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'm', 'f')",
            );
            const present = new Map(found.rows.map((r) => [`${r.schema}\u0000${r.name}`, r.forced_and_owned]));
            const comparisons: TableComparison[] = [];
            for (const table of manifest.tables) {
                const forced = present.get(`${table.schema}\u0000${table.name}`);
                const actual = forced === undefined ? null : await countTable(client, `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`, forced);
                comparisons.push({ schema: table.schema, name: table.name, expected: table.rows, actual, ok: actual === table.rows });
            }
            return comparisons;
        });
    } finally {
        await session.end();
    }
}

async function countTable(client: Client, qualified: string, liftForcedRowSecurity: boolean): Promise<number> {
    const count = async (): Promise<number> => Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualified}`)).rows[0]?.n ?? "0");
    if (!liftForcedRowSecurity) {
        return count();
    }
    await client.query(`BEGIN; ALTER TABLE ${qualified} NO FORCE ROW LEVEL SECURITY`);
    try {
        return await count();
    } finally {
        await client.query("ROLLBACK");
    }
}

/** Drops a database if it exists (terminating its sessions); used for cleanup. */
export async function dropDatabase(options: Pick<RestoreOptions, "target" | "maintenanceDatabase">, database: string): Promise<void> {
    await withMaintenanceClient(options, (client) => client.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`));
}

export async function databaseExistsOn(options: Pick<RestoreOptions, "target" | "maintenanceDatabase">, database: string): Promise<boolean> {
    return withMaintenanceClient(options, (client) => databaseExists(client, database));
}

export async function withMaintenanceClient<T>(options: Pick<RestoreOptions, "target" | "maintenanceDatabase">, fn: (client: Client) => Promise<T>): Promise<T> {
    const session = await openSession(withDatabase(options.target, options.maintenanceDatabase ?? "postgres"), APPLICATION_NAME);
    try {
        return await session.use(fn);
    } finally {
        await session.end();
    }
}

export async function databaseExists(client: Client, database: string): Promise<boolean> {
    const res = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    return (res.rowCount ?? 0) > 0;
}
