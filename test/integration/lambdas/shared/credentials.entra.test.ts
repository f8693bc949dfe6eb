import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { chmod, chown, mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Context } from "aws-lambda";
import type { DumpResult } from "../../../../lambdas/dump/handler";
import { connectionFromEnv } from "../../../../lambdas/shared/connectionEnv";
import { resolveTarget, type TokenSource } from "../../../../lambdas/shared/credentials";
import { openSession } from "../../../../lambdas/shared/pgTarget";
import { createDatabase, loadSampleData, query, startPostgres, startS3, type EmbeddedPostgres, type EmbeddedS3 } from "../../../helpers/embedded";
import { captureOutput, coldStart, embeddedAwsEnv, lambdaContext, restoreEnv, resultLines } from "../../../helpers/lambda";

const ROLE = "pgbs-dump-mi";
const CLIENT_ID = "6f1c7a2e-0d4b-4c55-9a61-3b2f7e0c9d11";
/** Shaped like an Entra access token (a JWT): long, dotted, base64url. */
const TOKEN = `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ aud: "https://ossrdbms-aad.database.windows.net", oid: CLIENT_ID })).toString("base64url")}.${"s1gnature_".repeat(40)}`;
const BUCKET = "entra-dump-bucket";

/** A self-signed certificate for the server, owned by the OS user that runs it: Entra tokens go over TLS only. */
async function serverCertificate(): Promise<{ dir: string; settings: Record<string, string> }> {
    const dir = await mkdtemp(join(tmpdir(), "pgbs-tls-"));
    const key = join(dir, "server.key");
    const cert = join(dir, "server.crt");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1"], { stdio: "ignore" });
    await chmod(key, 0o600);
    if (process.getuid?.() === 0) {
        const [, , uid, gid] = execFileSync("getent", ["passwd", "postgres"], { encoding: "utf8" }).trim().split(":");
        await chown(dir, Number(uid), Number(gid));
        await Promise.all([key, cert].map((f) => chown(f, Number(uid), Number(gid))));
    }
    return { dir, settings: { ssl: "on", ssl_cert_file: cert, ssl_key_file: key } };
}

/**
 * A managed identity endpoint as Azure Container Apps provides one to a job (IDENTITY_ENDPOINT and
 * IDENTITY_HEADER): it issues TOKEN to the identity CLIENT_ID for the PostgreSQL resource, and
 * nothing to anyone else.
 */
async function identityEndpoint(): Promise<{ server: Server; url: string; requests: URL[] }> {
    const requests: URL[] = [];
    const server = createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        requests.push(url);
        const ok = req.headers["x-identity-header"] === "identity-secret" && url.searchParams.get("client_id") === CLIENT_ID && url.searchParams.get("resource") === "https://ossrdbms-aad.database.windows.net";
        res.statusCode = ok ? 200 : 400;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(ok ? { access_token: TOKEN, expires_on: String(Math.floor(Date.now() / 1000) + 3600), resource: url.searchParams.get("resource"), token_type: "Bearer" } : { error: "invalid_request" }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/msi/token`, requests };
}

describe("Entra credential against a real PostgreSQL that checks passwords, over TLS", function () {
    this.timeout(120_000);
    let pg: EmbeddedPostgres;
    let s3: EmbeddedS3;
    let tls: { dir: string; settings: Record<string, string> };
    const entraEnv = (): Record<string, string> => ({ DB_ENTRA_USER: ROLE, DB_HOST: pg.host, DB_PORT: String(pg.port), DB_NAME: "shop" });

    before(async () => {
        tls = await serverCertificate();
        [pg, s3] = await Promise.all([startPostgres({ password: "superuser-pw-5d1", settings: tls.settings }), startS3()]);
        await s3.createBucket(BUCKET);
        await createDatabase(pg.url(), "shop");
        await loadSampleData(pg.url("shop"), { scale: 0.02 });
        // The role mapped to the managed identity, whose password is the token the identity gets: the server checks it like any
        // password. Superuser, so that pg_dump reads the sample's large objects too: authentication, not privileges, is tested here.
        await query(pg.url(), `CREATE ROLE "${ROLE}" LOGIN SUPERUSER PASSWORD '${TOKEN}'`);
    });

    afterEach(restoreEnv);

    after(async () => {
        await s3?.stop();
        await pg?.stop();
        if (tls !== undefined) {
            await rm(tls.dir, { recursive: true, force: true });
        }
    });

    it("logs in as the mapped role with the token as its password, over an encrypted connection", async () => {
        // given a stand-in credential returning the fixed token
        const scopes: string[] = [];
        const entra: TokenSource = { getToken: async (scope) => (scopes.push(scope), { token: TOKEN }) };
        const { source, overrides } = connectionFromEnv(entraEnv());
        // when the target is resolved and a session opened with it
        const session = await openSession(await resolveTarget(source, { entra }, overrides), "entra-test");
        try {
            const { rows } = await session.client.query<{ user: string; ssl: boolean }>("SELECT current_user AS user, ssl FROM pg_catalog.pg_stat_ssl WHERE pid = pg_catalog.pg_backend_pid()");
            // then the server accepted the token as the role's password, over TLS, for the PostgreSQL scope
            assert.deepEqual(rows, [{ user: ROLE, ssl: true }]);
            assert.deepEqual(scopes, ["https://ossrdbms-aad.database.windows.net/.default"]);
        } finally {
            await session.end();
        }
    });

    it("is refused with another token, and the error does not quote it", async () => {
        const other = `${TOKEN.slice(0, -10)}0123456789`;
        const { source, overrides } = connectionFromEnv(entraEnv());
        const target = await resolveTarget(source, { entra: { getToken: async () => ({ token: other }) } }, overrides);
        await assert.rejects(openSession(target, "entra-test"), (e: unknown) => e instanceof Error && /password authentication failed for user "pgbs-dump-mi"/.test(e.message) && !e.message.includes(other));
    });

    it("dump handler: gets the token from the job's managed identity (AZURE_CLIENT_ID) and takes the backup with it", async () => {
        // given the managed identity endpoint of a Container Apps job and a dump handler configured with DB_ENTRA_USER
        const identity = await identityEndpoint();
        try {
            const handler = coldStart<(e: unknown, c: Context) => Promise<DumpResult>>(require.resolve("../../../../lambdas/dump/handler"), {
                ...entraEnv(),
                AZURE_CLIENT_ID: CLIENT_ID,
                IDENTITY_ENDPOINT: identity.url,
                IDENTITY_HEADER: "identity-secret",
                BACKUP_BUCKET: BUCKET,
                DATABASE_NAME: "shop",
                KMS_KEY_ID: "alias/entra-test",
                PG_DUMP_PATH: join(pg.binDir, "pg_dump"),
                ...embeddedAwsEnv(s3.endpoint),
            });
            // when it runs
            const { result, error, lines } = await captureOutput(() => handler({}, lambdaContext()));
            // then the identity endpoint was asked for the PostgreSQL resource as that client, the backup was taken
            assert.equal(error, undefined, String(error));
            assert.ok(identity.requests.length >= 1);
            assert.ok(identity.requests.every((u) => u.searchParams.get("client_id") === CLIENT_ID));
            assert.deepEqual(resultLines(lines), [{ kind: "dump", database: "shop", outcome: "succeeded", key: result?.key }]);
            // and the token is in no line the handler wrote
            assert.equal(lines.some((l) => l.includes(TOKEN)), false);
        } finally {
            identity.server.close();
        }
    });
});
