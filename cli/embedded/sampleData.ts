/**
 * A sample database of realistic shape, generated server-side (generate_series), so the dump,
 * export, verify and restore paths see what production databases have: several schemas, an enum,
 * foreign keys, jsonb, a partitioned table, a materialized view, a large object, an identifier
 * that needs quoting, and `updated_at` columns for incremental exports.
 */
import { Client } from "pg";

export interface SampleDataOptions {
    /** Multiplies every table's row count; 1 gives about 340,000 rows (~60 MB on disk). @default 1 */
    readonly scale?: number;
    /** Size of the one large object in bytes. @default 262144 */
    readonly largeObjectBytes?: number;
}

export interface SampleTable {
    readonly schema: string;
    readonly name: string;
    /** Rows inserted. */
    readonly rows: number;
    /** Column an incremental export can use, when the table has one. */
    readonly updatedAtColumn?: string;
}

export interface SampleDataSummary {
    /** Ordinary tables and leaf partitions, with the rows each holds. */
    readonly tables: readonly SampleTable[];
    readonly totalRows: number;
    readonly largeObjectOid: number;
    readonly largeObjectBytes: number;
}

/** The partitions of audit.events, one per month of the first half of 2025. */
const EVENT_MONTHS = ["2025_01", "2025_02", "2025_03", "2025_04", "2025_05", "2025_06"];

interface RowCounts {
    readonly customers: number;
    readonly products: number;
    readonly orders: number;
    readonly items: number;
    readonly events: number;
    readonly stock: number;
}

function rowCounts(scale: number): RowCounts {
    const n = (base: number): number => Math.max(1, Math.round(base * scale));
    return {
        customers: n(20_000),
        products: n(5_000),
        orders: n(100_000),
        items: n(150_000),
        events: n(60_000),
        stock: n(5_000),
    };
}

/**
 * Loads the sample schema and data into the (empty) database at `url`.
 * Row counts are deterministic for a given scale; timestamps lie in 2025 so rows touched later
 * (`updated_at = now()`) stand out for incremental exports.
 */
export async function loadSampleData(url: string, opts: SampleDataOptions = {}): Promise<SampleDataSummary> {
    const scale = opts.scale ?? 1;
    if (!Number.isFinite(scale) || scale <= 0 || scale > 1000) {
        throw new Error(`sample data scale: ${scale} is out of range (0, 1000]`);
    }
    const loBytes = opts.largeObjectBytes ?? 262_144;
    if (!Number.isInteger(loBytes) || loBytes < 1 || loBytes > 512 * 1024 * 1024) {
        throw new Error(`sample data largeObjectBytes: ${loBytes} is out of range 1..536870912`);
    }
    const c = rowCounts(scale);
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
    await client.connect();
    try {
        const statements = [
            "CREATE SCHEMA sales",
            "CREATE SCHEMA inventory",
            "CREATE SCHEMA audit",
            "CREATE TYPE sales.order_status AS ENUM ('pending', 'paid', 'shipped', 'cancelled', 'refunded')",
            `CREATE TABLE sales.customers (
                id bigint PRIMARY KEY,
                email text NOT NULL UNIQUE,
                name text NOT NULL,
                country char(2) NOT NULL,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL)`,
            `INSERT INTO sales.customers
                SELECT i, 'customer' || i || '@example.com', 'Customer ' || md5(i::text),
                       (ARRAY['DE','FR','US','GB','NL','SE','JP','BR'])[1 + i % 8],
                       timestamptz '2025-01-01 00:00:00+00' + (i % 150) * interval '1 day',
                       timestamptz '2025-01-01 00:00:00+00' + (i % 180) * interval '1 day' + (i % 86400) * interval '1 second'
                FROM generate_series(1::bigint, ${c.customers}) AS i`,
            `CREATE TABLE inventory.products (
                id integer PRIMARY KEY,
                sku text NOT NULL UNIQUE,
                name text NOT NULL,
                price numeric(10, 2) NOT NULL,
                attributes jsonb NOT NULL,
                updated_at timestamptz NOT NULL)`,
            `INSERT INTO inventory.products
                SELECT i, 'SKU-' || lpad(i::text, 8, '0'), 'Product ' || substr(md5(i::text), 1, 12),
                       round((1 + (i * 37) % 50000) / 100.0, 2),
                       jsonb_build_object('color', (ARRAY['red','green','blue','black'])[1 + i % 4], 'weight_g', 10 + i % 990, 'tags', jsonb_build_array('a' || i % 7, 'b' || i % 11)),
                       timestamptz '2025-02-01 00:00:00+00' + (i % 120) * interval '1 hour'
                FROM generate_series(1::bigint, ${c.products}) AS i`,
            `CREATE TABLE sales.orders (
                id bigint PRIMARY KEY,
                customer_id bigint NOT NULL REFERENCES sales.customers (id),
                status sales.order_status NOT NULL,
                total numeric(12, 2) NOT NULL,
                note text,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL)`,
            `INSERT INTO sales.orders
                SELECT i, 1 + (i * 7919) % ${c.customers},
                       (ARRAY['pending','paid','shipped','cancelled','refunded']::sales.order_status[])[1 + i % 5],
                       round(((i * 104729) % 100000) / 100.0, 2),
                       CASE WHEN i % 10 = 0 THEN 'note "quoted", with comma; line
break ' || md5(i::text) END,
                       timestamptz '2025-01-01 00:00:00+00' + (i % 40000) * interval '5 minutes',
                       timestamptz '2025-01-01 00:00:00+00' + (i % 40000) * interval '5 minutes' + (i % 7) * interval '1 day'
                FROM generate_series(1::bigint, ${c.orders}) AS i`,
            "CREATE INDEX orders_customer_idx ON sales.orders (customer_id)",
            `CREATE TABLE sales.order_items (
                order_id bigint NOT NULL REFERENCES sales.orders (id),
                line integer NOT NULL,
                product_id integer NOT NULL REFERENCES inventory.products (id),
                quantity integer NOT NULL CHECK (quantity > 0),
                unit_price numeric(10, 2) NOT NULL,
                PRIMARY KEY (order_id, line))`,
            `INSERT INTO sales.order_items
                SELECT 1 + (i - 1) % ${c.orders}, 1 + (i - 1) / ${c.orders}, 1 + (i * 31) % ${c.products}, 1 + i % 9,
                       round((1 + (i * 37) % 50000) / 100.0, 2)
                FROM generate_series(1::bigint, ${c.items}) AS i`,
            `CREATE TABLE audit.events (
                id bigint NOT NULL,
                occurred_at timestamptz NOT NULL,
                kind text NOT NULL,
                payload jsonb NOT NULL,
                PRIMARY KEY (id, occurred_at)) PARTITION BY RANGE (occurred_at)`,
            ...EVENT_MONTHS.map((m) => {
                const [y, mo] = m.split("_").map(Number) as [number, number];
                const from = `${y}-${String(mo).padStart(2, "0")}-01`;
                const to = mo === 12 ? `${y + 1}-01-01` : `${y}-${String(mo + 1).padStart(2, "0")}-01`;
                return `CREATE TABLE audit.events_${m} PARTITION OF audit.events FOR VALUES FROM ('${from} 00:00:00+00') TO ('${to} 00:00:00+00')`;
            }),
            `INSERT INTO audit.events
                SELECT i, timestamptz '2025-01-01 00:00:00+00' + ((i * 2617) % (181 * 86400)) * interval '1 second',
                       (ARRAY['login','logout','order.created','order.paid','refund'])[1 + i % 5],
                       jsonb_build_object('actor', 'user' || i % 997, 'ip', '10.0.' || i % 256 || '.' || i % 251, 'seq', i)
                FROM generate_series(1::bigint, ${c.events}) AS i`,
            `CREATE TABLE inventory."Stock Levels" (
                product_id integer PRIMARY KEY REFERENCES inventory.products (id),
                "On Hand" integer NOT NULL,
                updated_at timestamptz NOT NULL)`,
            `INSERT INTO inventory."Stock Levels"
                SELECT i, (i * 13) % 500, timestamptz '2025-03-01 00:00:00+00' + (i % 500) * interval '1 minute'
                FROM generate_series(1::bigint, ${Math.min(c.stock, c.products)}) AS i`,
            `CREATE MATERIALIZED VIEW sales.daily_revenue AS
                SELECT date_trunc('day', created_at) AS day, count(*) AS orders, sum(total) AS revenue
                FROM sales.orders WHERE status IN ('paid', 'shipped') GROUP BY 1`,
            "CREATE TABLE public.documents (id integer PRIMARY KEY, title text NOT NULL, content oid NOT NULL)",
        ];
        for (const sql of statements) {
            await client.query(sql);
        }
        const lo = await client.query<{ oid: number }>(
            "SELECT lo_from_bytea(0, decode(repeat(md5('pg-backup-stack'), ceil($1::numeric / 32)::int), 'hex')) AS oid",
            [loBytes * 2],
        );
        const loOid = Number(lo.rows[0]?.oid);
        await client.query("SELECT lo_truncate(lo_open($1, 131072), $2)", [loOid, loBytes]);
        await client.query("INSERT INTO public.documents VALUES (1, 'terms of service', $1)", [loOid]);
        await client.query("ANALYZE");

        const eventsPerPartition = await client.query<{ name: string; rows: string }>(
            "SELECT tableoid::regclass::text AS name, count(*) AS rows FROM audit.events GROUP BY 1",
        );
        const partitionRows = new Map(eventsPerPartition.rows.map((r) => [r.name, Number(r.rows)]));
        const tables: SampleTable[] = [
            { schema: "sales", name: "customers", rows: c.customers, updatedAtColumn: "updated_at" },
            { schema: "inventory", name: "products", rows: c.products, updatedAtColumn: "updated_at" },
            { schema: "sales", name: "orders", rows: c.orders, updatedAtColumn: "updated_at" },
            { schema: "sales", name: "order_items", rows: c.items },
            ...EVENT_MONTHS.map((m) => ({ schema: "audit", name: `events_${m}`, rows: partitionRows.get(`audit.events_${m}`) ?? 0 })),
            { schema: "inventory", name: "Stock Levels", rows: Math.min(c.stock, c.products), updatedAtColumn: "updated_at" },
            { schema: "public", name: "documents", rows: 1 },
        ];
        return {
            tables,
            totalRows: tables.reduce((sum, t) => sum + t.rows, 0),
            largeObjectOid: loOid,
            largeObjectBytes: loBytes,
        };
    } finally {
        await client.end();
    }
}
