/**
 * The benchmark's default dataset: tables whose rows compress like production rows. pgbench's
 * accounts are mostly blank padding and compress about 50:1 under gzip, which makes every dump
 * pipeline look bandwidth-free; these rows mix what application tables hold (a uuid, hex and
 * word-like text, an e-mail address, money, a status from a small set, timestamps, a jsonb
 * document with a free-text note) and compress about 2.5-3:1 under gzip level 1, in the range
 * of the 2-4:1 measured on real dumps.
 * The tables are similar in size, so a directory-format dump with N jobs has N tables to share.
 */
import { Client } from "pg";

/** Rows inserted per statement: large enough to be fast, small enough to keep WAL and memory modest. */
const BATCH_ROWS = 50_000;

/** Name of the i-th benchmark table. */
export function realisticTableName(i: number): string {
    return `orders_${String(i + 1).padStart(2, "0")}`;
}

/** DDL of one benchmark table: a primary key and one secondary index, as application tables have. */
export function realisticTableDdl(name: string): string {
    return `CREATE TABLE ${name} (
    id bigint PRIMARY KEY,
    uid uuid NOT NULL,
    customer text NOT NULL,
    email text NOT NULL,
    amount numeric(12,2) NOT NULL,
    currency text NOT NULL,
    status text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    payload jsonb NOT NULL
);
CREATE INDEX ${name}_created_at ON ${name} (created_at)`;
}

/**
 * Inserts rows `from`..`to` (inclusive) into a benchmark table, generated server-side. The values
 * derive from md5 of the row number, so a given row number always has the same content.
 */
export function realisticInsertSql(name: string, from: number, to: number): string {
    return `INSERT INTO ${name}
SELECT g,
       md5(g::text || 'u')::uuid,
       initcap(substr(md5(g::text || 'c'), 1, 6 + g % 7)) || ' ' || initcap(substr(md5(g::text || 'd'), 1, 5 + g % 9)),
       lower(substr(md5(g::text || 'e'), 1, 8)) || '.' || substr(md5(g::text || 'f'), 1, 4 + g % 5) || '@' || (ARRAY['example.com','mail.example.org','corp.example.net'])[1 + g % 3],
       round((hashtext(g::text) & 1048575) / 100.0, 2),
       (ARRAY['EUR','USD','GBP','CHF'])[1 + g % 4],
       (ARRAY['pending','paid','shipped','delivered','refunded','cancelled'])[1 + (hashtext(g::text || 's') & 7) % 6],
       timestamptz '2024-01-01 00:00:00+00' + make_interval(secs => g * 37 % 31536000),
       timestamptz '2024-01-01 00:00:00+00' + make_interval(secs => g * 37 % 31536000 + (hashtext(g::text) & 65535)),
       jsonb_build_object(
           'sku', upper(substr(md5(g::text || 'k'), 1, 10)),
           'qty', 1 + g % 12,
           'channel', (ARRAY['web','app','store','partner'])[1 + g % 4],
           'note', substr(md5(g::text || 'n') || md5(g::text || 'm') || md5(g::text || 'o'), 1, 20 + g % 60),
           'tags', jsonb_build_array(substr(md5(g::text || 't'), 1, 5), substr(md5(g::text || 'v'), 1, 7)))
  FROM generate_series(${from}, ${to}) AS g`;
}

/**
 * Creates `tables` similar tables in the (empty) database at `url` and fills them round-robin
 * until the database holds at least `sizeMb` MiB; returns the database's size in bytes.
 */
export async function loadRealisticData(url: string, sizeMb: number, tables: number, progress: (message: string) => void = () => undefined): Promise<number> {
    if (!Number.isInteger(tables) || tables < 1 || tables > 64) throw new RangeError(`tables: ${tables} is out of range 1..64`);
    const client = new Client({ connectionString: url });
    client.on("error", () => undefined);
    await client.connect();
    try {
        for (let i = 0; i < tables; i++) await client.query(realisticTableDdl(realisticTableName(i)));
        const size = async (): Promise<number> => Number((await client.query<{ size: string }>("SELECT pg_database_size(current_database()) AS size")).rows[0]?.size);
        const target = sizeMb * 1024 * 1024;
        let next = 1;
        let bytes = await size();
        while (bytes < target) {
            for (let i = 0; i < tables; i++) await client.query(realisticInsertSql(realisticTableName(i), next, next + BATCH_ROWS - 1));
            next += BATCH_ROWS;
            bytes = await size();
            progress(`${Math.round(bytes / 1024 / 1024)} of ${sizeMb} MiB (${(next - 1) * tables} rows)`);
        }
        await client.query("VACUUM ANALYZE");
        return await size();
    } finally {
        await client.end().catch(() => undefined);
    }
}
