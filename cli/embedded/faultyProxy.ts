/**
 * A real HTTP reverse proxy on loopback in front of an S3 endpoint that injects faults:
 * fail the first N matching requests (or all of them) with an S3-style 500/503, or cut the
 * connection. It records every request (method, path, query, headers) so tests can check what
 * went over the wire, e.g. the SSE-KMS headers that s3rver itself ignores.
 *
 * Host headers are forwarded unchanged, so SigV4 signatures made for the proxy's address stay valid.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { freePort } from "./postgres";

export interface RecordedRequest {
    readonly method: string;
    /** Path without the query string. */
    readonly path: string;
    readonly query: URLSearchParams;
    readonly headers: IncomingHttpHeaders;
}

/** Which requests a fault applies to. @default every request */
export type RequestMatcher = (req: RecordedRequest) => boolean;

export type Fault =
    | { readonly kind: "none" }
    /** Answer with an S3 error (500 InternalError or 503 SlowDown) instead of forwarding. */
    | { readonly kind: "status"; readonly status: 500 | 503; readonly times: number | "always"; readonly match?: RequestMatcher }
    /** Read the request, then destroy the connection without an answer. */
    | { readonly kind: "cut"; readonly times: number | "always"; readonly match?: RequestMatcher };

export interface FaultyProxy {
    /** `http://127.0.0.1:<port>`: point the S3 client here. */
    readonly endpoint: string;
    /** Every request received, in order, faulted or not. */
    readonly requests: readonly RecordedRequest[];
    /** Faults injected so far under the current fault. */
    readonly injected: number;
    /** Replaces the current fault and resets the injected count. */
    setFault(fault: Fault): void;
    stop(): Promise<void>;
}

/** Matches S3 UploadPart requests (PUT with partNumber and uploadId). */
export const uploadPartRequests: RequestMatcher = (r) => r.method === "PUT" && r.query.has("partNumber") && r.query.has("uploadId");

/** Matches every PUT (PutObject, UploadPart, PutObjectTagging). */
export const putRequests: RequestMatcher = (r) => r.method === "PUT";

const S3_ERRORS: Readonly<Record<500 | 503, { readonly code: string; readonly message: string }>> = {
    500: { code: "InternalError", message: "We encountered an internal error. Please try again." },
    503: { code: "SlowDown", message: "Please reduce your request rate." },
};

export async function startFaultyProxy(target: string, initial: Fault = { kind: "none" }): Promise<FaultyProxy> {
    const targetUrl = new URL(target);
    const requests: RecordedRequest[] = [];
    const sockets = new Set<Socket>();
    let fault: Fault = initial;
    let injected = 0;

    const shouldFault = (rec: RecordedRequest): boolean => {
        if (fault.kind === "none") {
            return false;
        }
        if (fault.match !== undefined && !fault.match(rec)) {
            return false;
        }
        return fault.times === "always" || injected < fault.times;
    };

    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
        const url = new URL(req.url ?? "/", "http://proxy.invalid");
        const rec: RecordedRequest = { method: req.method ?? "GET", path: url.pathname, query: url.searchParams, headers: req.headers };
        requests.push(rec);
        if (shouldFault(rec)) {
            injected++;
            const current = fault;
            // Drain the body first so the client sees an answer (or a cut), not a write error.
            req.resume();
            req.once("end", () => {
                if (current.kind === "status") {
                    const e = S3_ERRORS[current.status];
                    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${e.code}</Code><Message>${e.message}</Message></Error>`;
                    res.writeHead(current.status, { "content-type": "application/xml", "content-length": Buffer.byteLength(body) });
                    res.end(body);
                } else {
                    req.socket.destroy();
                }
            });
            return;
        }
        const upstream = httpRequest(
            {
                host: targetUrl.hostname,
                port: targetUrl.port,
                method: req.method,
                path: req.url,
                headers: req.headers,
            },
            (up) => {
                res.writeHead(up.statusCode ?? 502, up.headers);
                up.pipe(res);
            },
        );
        upstream.on("error", () => {
            if (!res.headersSent) {
                res.writeHead(502);
            }
            res.end();
        });
        req.pipe(upstream);
    };

    const server: Server = createServer(onRequest);
    server.on("connection", (s: Socket) => {
        sockets.add(s);
        s.once("close", () => sockets.delete(s));
    });
    const port = await freePort();
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", () => resolve());
    });
    let stopped = false;
    return {
        endpoint: `http://127.0.0.1:${port}`,
        requests,
        get injected(): number {
            return injected;
        },
        setFault(next: Fault): void {
            fault = next;
            injected = 0;
        },
        async stop(): Promise<void> {
            if (stopped) {
                return;
            }
            stopped = true;
            for (const s of sockets) {
                s.destroy();
            }
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    };
}
