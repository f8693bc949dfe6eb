import { Client } from "pg";
import { clientConfig, quoteIdent, type PgTarget } from "../../lambdas/shared/pgTarget";

/** The drill's own queries against the source and the restored database. */

export async function withClient<T>(target: PgTarget, fn: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client(clientConfig(target));
    await client.connect();
    try {
        return await fn(client);
    } finally {
        await client.end();
    }
}

export async function adminQuery(target: PgTarget, sql: string): Promise<void> {
    await withClient(target, (c) => c.query(sql));
}

export async function databaseSize(target: PgTarget): Promise<number> {
    return withClient(target, async (c) => Number((await c.query<{ n: string }>("SELECT pg_database_size(current_database()) AS n")).rows[0]?.n ?? 0));
}

/**
 * md5 of every ordinary table's rows (ordered by the whole row), keyed `schema.table`, plus the
 * large objects' content: two databases with equal maps hold the same data.
 */
export async function contentChecksums(target: PgTarget): Promise<Map<string, string>> {
    return withClient(target, async (client) => {
        const rels = await client.query<{ schema: string; name: string }>(
            `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
             ORDER BY 1, 2`,
        );
        const sums = new Map<string, string>();
        for (const r of rels.rows) {
            const res = await client.query<{ sum: string | null }>(
                `SELECT md5(string_agg(x::text, E'\\n' ORDER BY x::text)) AS sum FROM ${quoteIdent(r.schema)}.${quoteIdent(r.name)} AS x`,
            );
            sums.set(`${r.schema}.${r.name}`, res.rows[0]?.sum ?? "empty");
        }
        const lo = await client.query<{ sum: string | null }>("SELECT md5(string_agg(md5(lo_get(oid)), ',' ORDER BY oid)) AS sum FROM pg_largeobject_metadata");
        sums.set("(large objects)", lo.rows[0]?.sum ?? "none");
        return sums;
    });
}
