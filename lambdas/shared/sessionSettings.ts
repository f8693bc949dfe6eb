/**
 * The sessions the functions open get the settings pg_dump gives its own: no server, database
 * or role default (`statement_timeout`, `lock_timeout`, `idle_in_transaction_session_timeout`,
 * `transaction_timeout` on PostgreSQL 17) can end a long read, and row-level security raises an
 * error instead of hiding rows. The client's `error` event, which the `pg` driver emits when the
 * server ends an idle session and which would otherwise crash the process, is recorded and
 * reported by the next step instead.
 */
import { Client, type ClientConfig } from "pg";

/** The timeouts pg_dump switches off in its session; `transaction_timeout` exists from PostgreSQL 17. */
export const PG_DUMP_TIMEOUTS: readonly string[] = ["statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout", "transaction_timeout"];

/** The server ended the session outside a query (admin shutdown, a timeout, a network cut). */
export class SessionLostError extends Error {
    constructor(readonly cause: Error) {
        super(`the database session ended: ${cause.message}`);
        this.name = "SessionLostError";
    }
}

export interface Session {
    readonly client: Client;
    /** Throws SessionLostError if the server ended the session since it was opened. */
    check(): void;
}

/**
 * Connects with pg_dump's session settings. `onLost` is called once, with the error, when the
 * server ends the session outside a query.
 */
export async function openSession(config: ClientConfig, onLost: (err: SessionLostError) => void): Promise<Session> {
    const client = new Client(config);
    let lost: SessionLostError | undefined;
    client.on("error", (err: Error) => {
        if (lost === undefined) {
            lost = new SessionLostError(err);
            onLost(lost);
        }
    });
    await client.connect();
    try {
        await client.query("SELECT set_config(name, '0', false) FROM pg_settings WHERE name = ANY($1)", [PG_DUMP_TIMEOUTS]);
        await client.query("SET row_security = off");
    } catch (err) {
        await client.end().catch(() => undefined);
        throw err;
    }
    return {
        client,
        check(): void {
            if (lost !== undefined) {
                throw lost;
            }
        },
    };
}
