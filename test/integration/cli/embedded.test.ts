import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import {
    AbortMultipartUploadCommand,
    CreateMultipartUploadCommand,
    GetObjectCommand,
    ListObjectsCommand,
    ListObjectsV2Command,
    paginateListObjectsV2,
    PutObjectCommand,
    UploadPartCommand,
} from "@aws-sdk/client-s3";
import {
    createDatabase,
    loadSampleData,
    query,
    startFaultyProxy,
    startPostgres,
    startS3,
    uploadPartRequests,
    type EmbeddedPostgres,
    type EmbeddedS3,
    type FaultyProxy,
} from "../../helpers/embedded";

describe("embedded harness", function () {
    this.timeout(120_000);

    describe("PostgreSQL", () => {
        let pg: EmbeddedPostgres;
        before(async () => {
            pg = await startPostgres({ password: "correct horse" });
        });
        after(async () => {
            await pg?.stop();
        });

        it("accepts the configured password and rejects a wrong one", async () => {
            // given a cluster started with a password
            const wrong = pg.url().replace(encodeURIComponent("correct horse"), "wrong");
            // when connecting with each
            const rows = await query<{ one: number }>(pg.url(), "SELECT 1 AS one");
            // then only the right password gets in
            assert.equal(rows[0]?.one, 1);
            await assert.rejects(query(wrong, "SELECT 1"), /password authentication failed/);
        });

        it("loads sample data whose row counts match the summary", async () => {
            // given a fresh database
            await createDatabase(pg.url(), "sample");
            // when the sample data is loaded at a small scale
            const summary = await loadSampleData(pg.url("sample"), { scale: 0.05, largeObjectBytes: 5000 });
            // then every table holds the rows the summary reports, and the other objects exist
            for (const t of summary.tables) {
                const rows = await query<{ n: string }>(pg.url("sample"), `SELECT count(*) AS n FROM "${t.schema}"."${t.name}"`);
                assert.equal(Number(rows[0]?.n), t.rows, `${t.schema}.${t.name}`);
            }
            const kinds = await query<{ relkind: string; n: string }>(
                pg.url("sample"),
                "SELECT relkind, count(*) AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE nspname IN ('sales','inventory','audit') GROUP BY relkind",
            );
            const byKind = new Map(kinds.map((k) => [k.relkind, Number(k.n)]));
            assert.equal(byKind.get("p"), 1, "one partitioned table");
            assert.equal(byKind.get("m"), 1, "one materialized view");
            const lo = await query<{ n: string }>(pg.url("sample"), "SELECT sum(length(data)) AS n FROM pg_largeobject");
            assert.equal(Number(lo[0]?.n), 5000);
            const enums = await query(pg.url("sample"), "SELECT 1 FROM pg_type WHERE typname = 'order_status' AND typtype = 'e'");
            assert.equal(enums.length, 1);
        });

        it("removes its directory on stop", async () => {
            // given a second cluster
            const other = await startPostgres();
            assert.ok(existsSync(other.dataDir));
            // when it is stopped
            await other.stop();
            // then its directory is gone and its port refuses connections
            assert.equal(existsSync(other.dataDir), false);
            await assert.rejects(query(other.url(), "SELECT 1"));
        });

        it("stops a server still starting when pg_ctl gave up waiting, before removing its directory", async () => {
            // given a start whose wait is over at once (pg_ctl -t 0 returns while the server comes up)
            let message = "";
            // when the start fails
            await startPostgres({ startTimeoutSeconds: 0 }).then(
                (started) => started.stop().then(() => assert.fail("expected the start to fail with no time to wait")),
                (err: unknown) => {
                    message = err instanceof Error ? err.message : String(err);
                },
            );
            // then no server runs on the removed data directory
            const dataDir = /-D (\S+)/.exec(message)?.[1];
            assert.ok(dataDir !== undefined, `the error names the data directory: ${message.slice(0, 300)}`);
            assert.equal(existsSync(dataDir), false);
            const left = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" })
                .split("\n")
                .filter((line) => line.includes(`postgres -D ${dataDir}`))
                .map((line) => Number(line.trim().split(/\s+/)[0]));
            for (const pid of left) {
                process.kill(pid, "SIGKILL");
            }
            assert.deepEqual(left, [], "servers left running on a removed directory");
        });
    });

    describe("S3 and the faulty proxy", () => {
        let s3: EmbeddedS3;
        let proxy: FaultyProxy;
        const bucket = "harness-bucket";
        before(async () => {
            s3 = await startS3();
            await s3.createBucket(bucket);
            proxy = await startFaultyProxy(s3.endpoint);
        });
        after(async () => {
            await proxy?.stop();
            await s3?.stop();
        });

        it("aborts a multipart upload so that no upload stays pending", async () => {
            // given a started multipart upload with one part
            const client = s3.client();
            const mpu = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "a/b.dump" }));
            await client.send(new UploadPartCommand({ Bucket: bucket, Key: "a/b.dump", UploadId: mpu.UploadId, PartNumber: 1, Body: randomBytes(1024) }));
            assert.deepEqual((await s3.pendingUploads(bucket)).map((u) => u.key), ["a/b.dump"]);
            // when it is aborted
            await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: "a/b.dump", UploadId: mpu.UploadId }));
            // then nothing is pending and a second abort reports NoSuchUpload
            assert.deepEqual(await s3.pendingUploads(bucket), []);
            await assert.rejects(
                client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: "a/b.dump", UploadId: mpu.UploadId })),
                (e: unknown) => e instanceof Error && e.name === "NoSuchUpload",
            );
        });

        it("lists past a page as S3 does: every key once, in UTF-8 byte order, keys and common prefixes together", async function () {
            this.timeout(120_000);
            // given a directory-format dump of 1,200 files next to its manifest (s3rver itself
            // walks x.dump/ before x.dump.manifest.json and lost the manifest past a page)
            const client = s3.client();
            const files = Array.from({ length: 1200 }, (_, i) => `list/x.dump/${String(i).padStart(4, "0")}.dat.gz`);
            const keys = [...files, "list/x.dump.manifest.json", "list/w.dump.manifest.json", "list/é.dump.manifest.json"];
            for (let i = 0; i < keys.length; i += 50) {
                await Promise.all(keys.slice(i, i + 50).map((Key) => client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: "x" }))));
            }
            const expected = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
            // when they are listed page by page, with ListObjectsV2 and with ListObjects (V1)
            const v2: string[] = [];
            for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: "list/" })) {
                v2.push(...(page.Contents ?? []).map((o) => o.Key ?? ""));
            }
            const v1: string[] = [];
            for (let marker: string | undefined, truncated = true; truncated;) {
                const page = await client.send(new ListObjectsCommand({ Bucket: bucket, Prefix: "list/", ...(marker === undefined ? {} : { Marker: marker }) }));
                const got = (page.Contents ?? []).map((o) => o.Key ?? "");
                v1.push(...got);
                truncated = page.IsTruncated === true;
                marker = got[got.length - 1];
            }
            // then each listing holds every key once, in S3's order
            assert.deepEqual(v2, expected);
            assert.deepEqual(v1, expected);
            // and with a delimiter, the dump's files are one common prefix, between the keys it sorts among
            const grouped = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "list/", Delimiter: "/" }));
            assert.deepEqual((grouped.Contents ?? []).map((o) => o.Key), ["list/w.dump.manifest.json", "list/x.dump.manifest.json", "list/é.dump.manifest.json"]);
            assert.deepEqual((grouped.CommonPrefixes ?? []).map((p) => p.Prefix), ["list/x.dump/"]);
            // and paged two at a time with the delimiter, in both versions, each key and prefix comes once,
            // a page may hold prefixes only, and V1's NextMarker is the page's last key or prefix
            await Promise.all(["grp/a/1", "grp/b/1", "grp/b/2", "grp/c", "grp/d/1"].map((Key) => client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: "x" }))));
            const v2Pages: string[][] = [];
            for await (const page of paginateListObjectsV2({ client, pageSize: 2 }, { Bucket: bucket, Prefix: "grp/", Delimiter: "/" })) {
                v2Pages.push([...(page.CommonPrefixes ?? []).map((p) => p.Prefix ?? ""), ...(page.Contents ?? []).map((o) => o.Key ?? "")].sort());
            }
            assert.deepEqual(v2Pages, [["grp/a/", "grp/b/"], ["grp/c", "grp/d/"]]);
            const v1Pages: string[][] = [];
            for (let marker: string | undefined, truncated = true; truncated;) {
                const page = await client.send(new ListObjectsCommand({ Bucket: bucket, Prefix: "grp/", Delimiter: "/", MaxKeys: 2, ...(marker === undefined ? {} : { Marker: marker }) }));
                v1Pages.push([...(page.CommonPrefixes ?? []).map((p) => p.Prefix ?? ""), ...(page.Contents ?? []).map((o) => o.Key ?? "")].sort());
                truncated = page.IsTruncated === true;
                marker = page.NextMarker;
            }
            assert.deepEqual(v1Pages, [["grp/a/", "grp/b/"], ["grp/c", "grp/d/"]]);
            const started = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "grp/", Delimiter: "/", MaxKeys: 2, StartAfter: "grp/a" }));
            assert.deepEqual((started.CommonPrefixes ?? []).map((p) => p.Prefix), ["grp/a/", "grp/b/"]);
        });

        it("fails the first N matching requests and the client's retries get through", async () => {
            // given a proxy that fails two UploadPart requests with 503
            proxy.setFault({ kind: "status", status: 503, times: 2, match: uploadPartRequests });
            const client = s3.client({ endpoint: proxy.endpoint, maxAttempts: 3 });
            const mpu = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "retry.bin" }));
            // when one part is uploaded
            const part = await client.send(
                new UploadPartCommand({ Bucket: bucket, Key: "retry.bin", UploadId: mpu.UploadId, PartNumber: 1, Body: randomBytes(2048) }),
            );
            // then it succeeded on the third attempt
            assert.equal(proxy.injected, 2);
            assert.equal(part.$metadata.attempts, 3);
            await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: "retry.bin", UploadId: mpu.UploadId }));
        });

        it("fails every request when told to, and records the headers sent", async () => {
            // given a proxy failing every PUT with 500
            proxy.setFault({ kind: "status", status: 500, times: "always", match: (r) => r.method === "PUT" });
            const client = s3.client({ endpoint: proxy.endpoint, maxAttempts: 2 });
            // when an object is put with SSE-KMS parameters
            const put = client.send(
                new PutObjectCommand({ Bucket: bucket, Key: "never.bin", Body: "x", ServerSideEncryption: "aws:kms", SSEKMSKeyId: "alias/backup" }),
            );
            // then the client gives up, and the proxy saw the SSE-KMS headers on the wire
            await assert.rejects(put, (e: unknown) => e instanceof Error && e.name === "InternalError");
            const seen = proxy.requests.filter((r) => r.method === "PUT" && r.path.endsWith("/never.bin"));
            assert.equal(seen.length, 2);
            assert.equal(seen[0]?.headers["x-amz-server-side-encryption"], "aws:kms");
            assert.equal(seen[0]?.headers["x-amz-server-side-encryption-aws-kms-key-id"], "alias/backup");
            proxy.setFault({ kind: "none" });
            await assert.rejects(s3.client().send(new GetObjectCommand({ Bucket: bucket, Key: "never.bin" })));
        });

        it("cuts connections, which the client sees as a network error", async () => {
            // given a proxy cutting every request
            proxy.setFault({ kind: "cut", times: "always" });
            const client = s3.client({ endpoint: proxy.endpoint, maxAttempts: 1 });
            // when a request goes through it
            const put = client.send(new PutObjectCommand({ Bucket: bucket, Key: "cut.bin", Body: "x" }));
            // then it fails without an HTTP status
            await assert.rejects(put, (e: unknown) => e instanceof Error && (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === undefined);
            proxy.setFault({ kind: "none" });
        });
    });
});
