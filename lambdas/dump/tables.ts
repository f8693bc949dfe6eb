/**
 * The tables a dump's manifest counts: listed from the catalog in the dump's snapshot, counted
 * from the dump's own data, or with count(*) in the snapshot where the data cannot be read.
 */
import { escapeLiteral, type Client } from "pg";
import type { Compression, TableCount } from "../shared/manifest";
import { openSession, pgErrorText, quoteIdent, type PgTarget } from "../shared/pgTarget";
import { RowCountError } from "./errors";

/** The application_name of the dump's database sessions. */
export const APPLICATION_NAME = "pg-backup-stack-dump";

/** A table the manifest gives a row count for. */
export interface TableName {
    readonly schema: string;
    readonly name: string;
    /**
     * Its inheritance descendants holding rows (ordinary or foreign tables), whose rows count(*)
     * on it includes, while pg_dump stores each table's own rows apart. A session's temporary
     * child is not one: pg_dump does not dump it, and count(*) in any other session leaves it out
     * (the planner skips other sessions' temporary children: expand_inherited_rtentry,
     * src/backend/optimizer/util/inherit.c). @default none
     */
    readonly descendants?: readonly { readonly schema: string; readonly name: string }[];
}

/**
 * Ordinary tables and leaf partitions outside the system schemas and extensions, as the client's
 * current transaction sees them: the tables the manifest counts, each with its inheritance
 * descendants. It reads the catalog only, so it locks no table.
 */
export async function listTables(client: Client): Promise<TableName[]> {
    const result = await client.query<{ schema: string; name: string; descendants: { schema: string; name: string }[] | null }>(`
        SELECT n.nspname AS schema, c.relname AS name,
          CASE WHEN c.relhassubclass THEN (
            WITH RECURSIVE d(oid) AS (
              SELECT i.inhrelid FROM pg_inherits i WHERE i.inhparent = c.oid
              UNION SELECT i.inhrelid FROM pg_inherits i JOIN d ON i.inhparent = d.oid)
            SELECT json_agg(json_build_object('schema', dn.nspname, 'name', dc.relname) ORDER BY dn.nspname, dc.relname)
            FROM d JOIN pg_class dc ON dc.oid = d.oid JOIN pg_namespace dn ON dn.oid = dc.relnamespace
            WHERE dc.relkind IN ('r', 'f') AND dc.relpersistence <> 't')
          END AS descendants
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r'
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname !~ '^pg_(toast|temp_)'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        ORDER BY 1, 2`);
    return result.rows.map((r) => ({ schema: r.schema, name: r.name, ...(r.descendants === null ? {} : { descendants: r.descendants }) }));
}

/**
 * The listed tables (and descendants) whose storage is no longer the one the client's snapshot
 * sees: pg_class read in the snapshot holds the relfilenode as of the snapshot, while
 * pg_relation_filenode looks it up in the catalog as it is now (catalog lookups use a fresh
 * catalog snapshot, not the transaction's). TRUNCATE and the rewriting forms of ALTER TABLE give
 * a table new storage and are not MVCC-safe (PostgreSQL manual, "Caveats" in "Concurrency
 * Control"): a dump whose pg_dump locked the table only after one of them committed reads the new
 * storage, not the snapshot's rows. Run it once pg_dump holds its locks, so none can follow.
 */
export async function rewrittenSinceSnapshot(client: Client, listed: readonly TableName[]): Promise<string[]> {
    const tables = listed.flatMap((t) => [t, ...(t.descendants ?? [])]);
    const res = await client.query<{ schema: string; name: string }>(
        `SELECT n.nspname AS schema, c.relname AS name
           FROM unnest($1::text[], $2::text[]) AS l(schema, name)
           JOIN pg_namespace n ON n.nspname = l.schema
           JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = l.name
          WHERE c.relkind = 'r' AND c.relfilenode IS DISTINCT FROM pg_relation_filenode(c.oid)
          ORDER BY 1, 2`,
        [tables.map((t) => t.schema), tables.map((t) => t.name)],
    );
    return [...new Set(res.rows.map((r) => `${quoteIdent(r.schema)}.${quoteIdent(r.name)}`))];
}

/**
 * The manifest's counts: for every listed table, the rows count(*) sees (its own and its
 * inheritance descendants'), taken from the dump's own data. pg_dump also stores the data of
 * extension configuration tables, which the list leaves out (the extension's script recreates
 * part of their rows on restore). A table without data in the dump (a foreign table among the
 * descendants, say) means the count cannot be trusted, and fails the run.
 */
export function countsForTables(listed: readonly TableName[], dumped: readonly TableCount[]): TableCount[] {
    const rows = new Map(dumped.map((t) => [`${t.schema}\u0000${t.name}`, t.rows]));
    const own = (t: { readonly schema: string; readonly name: string }, of: TableName): number => {
        const n = rows.get(`${t.schema}\u0000${t.name}`);
        if (n === undefined) {
            const whose = t === of ? "" : ` (an inheritance descendant of ${quoteIdent(of.schema)}.${quoteIdent(of.name)})`;
            throw new RowCountError(`table ${quoteIdent(t.schema)}.${quoteIdent(t.name)}${whose} has no data in the dump, so its rows could not be counted`);
        }
        return n;
    };
    return listed.map((t) => ({ schema: t.schema, name: t.name, rows: (t.descendants ?? []).reduce((sum, d) => sum + own(d, t), own(t, t)) }));
}

/** lz4 is the one compression whose data the row counter cannot decompress (Node.js has no lz4 codec); its counts come from count(*) in the snapshot. */
export function countsFromDump(compression: Compression): boolean {
    return compression.method !== "lz4";
}

/**
 * Tables counted per transaction. Each batch imports the dump's snapshot, counts and commits, so
 * next to pg_dump's own locks it holds those of at most this many tables (and of their indexes,
 * which the planner opens), whatever the size of the database.
 */
export const COUNT_BATCH_TABLES = 20;

/** count(*) in the snapshot, in a session of its own; a failure stops the dump through `fail`. */
export async function countInSnapshot(target: PgTarget, snapshot: string, fail: (err: Error) => void): Promise<TableCount[]> {
    try {
        const session = await openSession(target, APPLICATION_NAME);
        try {
            return await session.use((client) => countRows(client, snapshot));
        } finally {
            await session.end();
        }
    } catch (err) {
        const e = new RowCountError(`row counts in the dump's snapshot failed: ${pgErrorText(err)}`, { cause: err });
        fail(e);
        throw e;
    }
}

/**
 * Ordinary tables and leaf partitions outside the system schemas and extensions, counted as of
 * `snapshot` (exported by a transaction that stays open meanwhile). The counts run in short
 * transactions of at most `batchTables` tables, each importing the snapshot and committing: one
 * transaction for every table would keep them all locked next to pg_dump's own locks until the end,
 * and a database with many tables would run out of the shared lock table ("out of shared memory")
 * where pg_dump alone does not. The counts run without parallel workers: they run alongside
 * pg_dump, whose server side is a single process, and parallel workers would take CPU from it
 * (and worker slots from the database's own queries) to finish counts that a serial scan still
 * finishes before pg_dump's COPY of the same tables. The numbers are the same either way.
 */
export async function countRows(client: Client, snapshot: string, batchTables: number = COUNT_BATCH_TABLES): Promise<TableCount[]> {
    const inSnapshot = async <T>(work: () => Promise<T>): Promise<T> => {
        await client.query(
            `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT ${escapeLiteral(snapshot)}; SET LOCAL max_parallel_workers_per_gather = 0`,
        );
        try {
            const result = await work();
            await client.query("COMMIT");
            return result;
        } catch (err) {
            await client.query("ROLLBACK").catch(() => undefined);
            throw err;
        }
    };
    const tables = await inSnapshot(() => listTables(client));
    const out: TableCount[] = [];
    for (let start = 0; start < tables.length; start += batchTables) {
        const batch = tables.slice(start, start + batchTables);
        const sql = batch.map((t, i) => `SELECT ${i} AS i, count(*) AS n FROM ${quoteIdent(t.schema)}.${quoteIdent(t.name)}`).join(" UNION ALL ");
        const counts = await inSnapshot(async () => new Map((await client.query<{ i: number; n: string }>(sql)).rows.map((r) => [r.i, Number(r.n)])));
        batch.forEach((t, i) => {
            const rows = counts.get(i);
            if (rows === undefined) {
                throw new Error(`no row count returned for ${quoteIdent(t.schema)}.${quoteIdent(t.name)}`);
            }
            out.push({ schema: t.schema, name: t.name, rows });
        });
    }
    return out;
}
