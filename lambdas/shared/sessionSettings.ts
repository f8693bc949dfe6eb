/**
 * The export's view of a database session: the shared session of `pgTarget.openSession` (pg_dump's
 * settings: no server, database or role timeout can end a long read, and row-level security
 * raises an error instead of hiding rows), with a loss the server causes outside a query
 * recorded and reported by the next step instead of crashing the process.
 */
import type { Client } from "pg";
import { openSession as openPgSession, pgErrorText, type PgTarget } from "./pgTarget";

/** The server ended the session outside a query (admin shutdown, a timeout, a network cut). */
export class SessionLostError extends Error {
    constructor(readonly cause: Error) {
        super(`the database session ended: ${pgErrorText(cause)}`);
        this.name = "SessionLostError";
    }
}

export interface Session {
    readonly client: Client;
    /** Throws SessionLostError if the server ended the session since it was opened. */
    check(): void;
    /** Closes the connection; never throws. */
    end(): Promise<void>;
}

/**
 * Connects with the shared session settings. `onLost` is called once, with the error, when the
 * server ends the session outside a query.
 */
export async function openSession(target: PgTarget, applicationName: string, onLost: (err: SessionLostError) => void): Promise<Session> {
    const session = await openPgSession(target, applicationName);
    let lost: SessionLostError | undefined;
    void session.lost.then((err) => {
        lost = new SessionLostError(err);
        onLost(lost);
    });
    return {
        client: session.client,
        end: session.end,
        check(): void {
            if (lost !== undefined) {
                throw lost;
            }
        },
    };
}
