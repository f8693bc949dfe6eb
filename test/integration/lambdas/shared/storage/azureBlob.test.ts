import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { ContainerClient } from "@azure/storage-blob";
import { runDump } from "../../../../../lambdas/dump/dump";
import { dumpSettings, type DumpSettingsInput } from "../../../../../lambdas/dump/settings";
import { DumpUploadError } from "../../../../../lambdas/dump/errors";
import { runExport } from "../../../../../lambdas/export/export";
import { watermarkKey } from "../../../../../lambdas/export/keys";
import { exportSettings } from "../../../../../lambdas/export/settings";
import { listBackups, parseManifest, selectBackup, BackupNotFoundError } from "../../../../../lambdas/shared/catalog";
import { manifestKey } from "../../../../../lambdas/shared/keys";
import type { BackupManifest } from "../../../../../lambdas/shared/manifest";
import { parsePostgresUrl } from "../../../../../lambdas/shared/pgTarget";
import { restoreBackup } from "../../../../../lambdas/shared/restore";
import { ChecksumMismatchError } from "../../../../../lambdas/shared/restoreErrors";
import { azureBlobStorage } from "../../../../../lambdas/shared/storage/azureBlob";
import { readText, type BackupStorage } from "../../../../../lambdas/shared/storage/port";
import { UploadFailedError } from "../../../../../lambdas/shared/upload";
import { runVerify, type VerifyConfig } from "../../../../../lambdas/verify/verify";
import {
    AZURITE_ACCOUNT,
    createDatabase,
    loadSampleData,
    query,
    startAzurite,
    startFaultyProxy,
    startPostgres,
    type EmbeddedAzurite,
    type EmbeddedPostgres,
    type FaultyProxy,
    type RecordedRequest,
} from "../../../../helpers/embedded";
import { RecordingLog, RecordingMetrics } from "../../../../helpers/recorders";
import { hourlyVerifyConfig } from "../../../../helpers/verifyConfig";

const CONTAINER = "backups";
const MiB = 1024 * 1024;
const DAY_MS = 86_400_000;

/** Put Block requests (`comp=block`): the staged blocks of a blob. */
const putBlock = (r: RecordedRequest): boolean => r.method === "PUT" && r.query.get("comp") === "block";
/** Put Block List requests (`comp=blocklist`): the commits that create blobs. */
const putBlockList = (r: RecordedRequest): boolean => r.method === "PUT" && r.query.get("comp") === "blocklist";
/** Every write (blocks and commits). */
const anyPut = (r: RecordedRequest): boolean => r.method === "PUT";

describe("Azure Blob storage (real PostgreSQL, Azurite)", function () {
    this.timeout(90_000);

    let pg: EmbeddedPostgres;
    let azurite: EmbeddedAzurite;
    let proxy: FaultyProxy;
    let direct: ContainerClient;
    let storage: BackupStorage;
    let counter = 0;

    before(async function () {
        this.timeout(180_000);
        [pg, azurite] = await Promise.all([startPostgres({ password: "azure-test-secret-41c2" }), startAzurite()]);
        proxy = await startFaultyProxy(`http://127.0.0.1:${azurite.port}`);
        await azurite.createContainer(CONTAINER);
        direct = azurite.container(CONTAINER);
        storage = azureBlobStorage({ container: azurite.container(CONTAINER, { endpoint: proxy.endpoint }) });
        await createDatabase(pg.url(), "app");
        // ~7 MB uncompressed: two blocks of 5 MiB and a shorter last one.
        await loadSampleData(pg.url("app"), { scale: 0.3 });
    });

    after(async () => {
        await proxy?.stop();
        await azurite?.stop();
        await pg?.stop();
    });

    afterEach(() => proxy.setFault({ kind: "none" }));

    function settings(over: Partial<DumpSettingsInput> = {}): ReturnType<typeof dumpSettings> {
        counter++;
        return dumpSettings({
            database: "app",
            bucket: CONTAINER,
            prefix: `t${counter}/backups`,
            pgDumpPath: join(pg.binDir, "pg_dump"),
            compression: { method: "none", level: 0 },
            partSizeBytes: 5 * MiB,
            expectedMaxBytes: 10 * 1024 * MiB,
            objectLock: { mode: "COMPLIANCE", keepDays: { daily: 7, weekly: 35, monthly: 365 } },
            ...over,
        });
    }

    function deps(over: { storage?: BackupStorage; signal?: AbortSignal } = {}): { storage: BackupStorage; target: ReturnType<typeof parsePostgresUrl>; log: RecordingLog; metrics: RecordingMetrics; signal?: AbortSignal } {
        return { storage, target: parsePostgresUrl(pg.url("app"), "test url"), log: new RecordingLog(), metrics: new RecordingMetrics(), ...over };
    }

    function verifyConfig(prefix: string): VerifyConfig {
        return hourlyVerifyConfig(pg, CONTAINER, prefix, "app");
    }

    async function blobNames(prefix: string): Promise<string[]> {
        const names: string[] = [];
        for await (const b of direct.listBlobsFlat({ prefix })) {
            names.push(b.name);
        }
        return names;
    }

    async function restoreAndCount(manifest: BackupManifest, database: string): Promise<number> {
        const result = await restoreBackup({ storage, manifest, target: parsePostgresUrl(pg.url(database), "restore target"), binDir: pg.binDir, log: new RecordingLog() });
        assert.equal(result.rowCountsMatch, true);
        return Number((await query(pg.url(database), "SELECT count(*) AS n FROM sales.orders"))[0]?.n);
    }

    it("dumps, verifies and restores a custom-format archive, with the same manifest format as on S3", async () => {
        // given a dump into the container
        const s = settings();
        const d = deps();
        const manifest = await runDump(s, d);
        // then the manifest stored next to the blob is the one returned, in the manifest format, naming the container
        const stored = parseManifest(await readText(storage, manifestKey(manifest.key)), manifestKey(manifest.key), "app");
        assert.deepEqual(stored, manifest);
        assert.equal(manifest.bucket, CONTAINER);
        // and the blob is what the manifest says
        const props = await direct.getBlobClient(manifest.key).getProperties();
        assert.equal(props.contentLength, manifest.sizeBytes);
        // and verify passes every check on it
        const report = await runVerify(verifyConfig(s.prefix), { storage, log: new RecordingLog(), metrics: new RecordingMetrics() });
        assert.equal(report.ok, true, JSON.stringify(report.targets[0]?.checks));
        // and a restore brings back every row
        const source = Number((await query(pg.url("app"), "SELECT count(*) AS n FROM sales.orders"))[0]?.n);
        assert.equal(await restoreAndCount(manifest, "from_blob_custom"), source);
    });

    it("dumps, verifies and restores a directory-format dump, one blob per file", async () => {
        const s = settings({ format: "directory", jobs: 2 });
        const manifest = await runDump(s, deps());
        assert.equal(manifest.format, "directory");
        const names = await blobNames(`${manifest.key}/`);
        assert.deepEqual(names.sort(), (manifest.files ?? []).map((f) => f.key).sort());
        const report = await runVerify(verifyConfig(s.prefix), { storage, log: new RecordingLog(), metrics: new RecordingMetrics() });
        assert.equal(report.ok, true, JSON.stringify(report.targets[0]?.checks));
        const source = Number((await query(pg.url("app"), "SELECT count(*) AS n FROM sales.orders"))[0]?.n);
        assert.equal(await restoreAndCount(manifest, "from_blob_directory"), source);
    });

    it("sends the tier as a blob index tag and the lock as the blob's immutability policy on the commit, with an MD5 on every block", async () => {
        // given a dump with COMPLIANCE locks of 7 days for daily dumps
        const s = settings();
        const since = proxy.requests.length;
        const started = Date.now();
        const manifest = await runDump(s, deps());
        const sent = proxy.requests.slice(since);
        // then both commits (the dump and its manifest) carry the tier tag and a Locked policy until start + the tier's keep days
        const commits = sent.filter(putBlockList);
        assert.deepEqual(
            commits.map((r) => decodeURIComponent(r.path).slice(`/${AZURITE_ACCOUNT}/${CONTAINER}/`.length)),
            [manifest.key, manifestKey(manifest.key)],
        );
        // (the run's tier follows today's date: the first run of a month is monthly, of the weekly day weekly)
        const until = new Date(Date.parse(manifest.startedAt) + { daily: 7, weekly: 35, monthly: 365 }[manifest.tier] * DAY_MS).toUTCString();
        for (const c of commits) {
            assert.equal(c.headers["x-ms-tags"], `tier=${manifest.tier}`);
            assert.equal(c.headers["x-ms-immutability-policy-mode"], "Locked");
            assert.equal(c.headers["x-ms-immutability-policy-until-date"], until);
        }
        assert.ok(Date.parse(manifest.startedAt) >= started - 1000);
        // and every block carries its own Content-MD5, which the service checks
        const blocks = sent.filter(putBlock);
        assert.ok(blocks.length >= 3, `${blocks.length} blocks`);
        assert.ok(blocks.every((b) => typeof b.headers["content-md5"] === "string" && b.headers["content-md5"].length === 24));
        // and Azurite stores the index tag (it implements blob index tags)
        assert.deepEqual((await direct.getBlobClient(manifest.key).getTags()).tags, { tier: manifest.tier });
        // but not the immutability policy: Azurite implements neither immutability policies nor versioning,
        // which is why the policy is checked on the wire above
        const props = await direct.getBlobClient(manifest.key).getProperties();
        assert.equal(props.immutabilityPolicyExpiresOn, undefined);
        assert.equal(props.versionId, undefined);
    });

    it("maps GOVERNANCE to an Unlocked policy", async () => {
        const since = proxy.requests.length;
        const manifest = await runDump(settings({ objectLock: { mode: "GOVERNANCE", keepDays: { daily: 3, weekly: 35, monthly: 365 } } }), deps());
        const commits = proxy.requests.slice(since).filter(putBlockList);
        assert.equal(commits.length, 2);
        assert.ok(commits.every((c) => c.headers["x-ms-immutability-policy-mode"] === "Unlocked"));
        const keepDays = { daily: 3, weekly: 35, monthly: 365 }[manifest.tier];
        assert.ok(commits.every((c) => c.headers["x-ms-immutability-policy-until-date"] === new Date(Date.parse(manifest.startedAt) + keepDays * DAY_MS).toUTCString()));
    });

    it("rejects a block whose content does not match its Content-MD5, and commits nothing", async () => {
        // given a blob client whose blocks are altered after their MD5 was computed
        const key = `md5/${++counter}/x.bin`;
        const proxyClient = azurite.container(CONTAINER, { endpoint: proxy.endpoint });
        const blob = proxyClient.getBlockBlobClient(key);
        const data = Buffer.from("the block as sent");
        // when a block is staged with the MD5 of other content
        await assert.rejects(
            blob.stageBlock("YmxvY2stMDAwMDAw", data, data.length, { transactionalContentMD5: createHash("md5").update("something else").digest() }),
            (err: unknown) => err instanceof Error && /Md5Mismatch|MD5/i.test(err.message),
        );
        // then nothing exists under the key
        assert.deepEqual(await blobNames(key), []);
    });

    it("lists past one page, following the continuation marker", async () => {
        // given 7 blobs and a page size of 3
        const prefix = `paged/${++counter}/`;
        const small = azureBlobStorage({ container: azurite.container(CONTAINER, { endpoint: proxy.endpoint }), listPageSize: 3 });
        for (let i = 0; i < 7; i++) {
            await small.put({ key: `${prefix}${i}`, body: String(i), contentType: "text/plain", tags: {}, partSizeBytes: 5 * MiB, concurrency: 1 }, new RecordingLog());
        }
        const since = proxy.requests.length;
        // when listed
        const listed = await small.list(prefix);
        // then every blob is found, over three pages, the later ones asked for with the marker
        assert.deepEqual(listed.map((o) => o.key), [0, 1, 2, 3, 4, 5, 6].map((i) => `${prefix}${i}`));
        const pages = proxy.requests.slice(since).filter((r) => r.query.get("comp") === "list");
        assert.equal(pages.length, 3);
        assert.equal(pages[0]?.query.has("marker"), false);
        assert.ok(pages.slice(1).every((p) => (p.query.get("marker") ?? "") !== ""));
    });

    it("exports tables to the container and keeps the watermark there", async () => {
        await createDatabase(pg.url(), "shop");
        await loadSampleData(pg.url("shop"), { scale: 0.05 });
        const s = exportSettings({ database: "shop", bucket: CONTAINER, prefix: `e${++counter}/exports`, tables: [{ schema: "sales", table: "orders", column: "updated_at" }] });
        const d = { storage, target: parsePostgresUrl(pg.url("shop"), "test url"), log: new RecordingLog(), metrics: new RecordingMetrics() };
        const first = await runExport(s, d);
        const table = first.tables[0];
        assert.ok(table?.key !== undefined && table.rows > 0);
        const orders = Number((await query(pg.url("shop"), "SELECT count(*) AS n FROM sales.orders"))[0]?.n);
        assert.equal(table.rows, orders);
        const names = await blobNames(`${s.prefix}/`);
        assert.ok(names.includes(table.key), names.join(", "));
        assert.ok(names.includes(watermarkKey(s.prefix, "shop", { schema: "sales", table: "orders", column: "updated_at" })), names.join(", "));
        // and the next run starts from the stored watermark
        const second = await runExport(s, d);
        assert.equal(second.tables[0]?.fromWatermark, first.tables[0]?.toWatermark);
    });

    it("retries a transient storage failure and succeeds", async () => {
        // given the first two block writes fail with 503
        proxy.setFault({ kind: "status", status: 503, times: 2, match: putBlock });
        const s = settings();
        // when dumping
        const manifest = await runDump(s, deps());
        // then the faults were met and retried, and the backup is complete and listed
        assert.equal(proxy.injected, 2);
        const catalog = await listBackups(storage, { prefix: s.prefix, database: "app" });
        assert.deepEqual(catalog.backups.map((b) => b.manifest.key), [manifest.key]);
    });

    it("fails on a persistent storage failure: no manifest, no backup, the failure reported", async () => {
        // given every write fails
        proxy.setFault({ kind: "status", status: 503, times: "always", match: anyPut });
        const s = settings();
        const d = deps();
        // when dumping
        await assert.rejects(runDump(s, d), (err: unknown) => err instanceof DumpUploadError && err.message.includes(CONTAINER));
        proxy.setFault({ kind: "none" });
        // then nothing was created, the failure is counted and logged
        assert.deepEqual(await blobNames(`${s.prefix}/`), []);
        const catalog = await listBackups(storage, { prefix: s.prefix, database: "app" });
        assert.equal(catalog.backups.length, 0);
        assert.equal(d.metrics.entries.filter((m) => m.name === "BackupFailed").length, 1);
        assert.ok(d.log.entries.some((e) => e.level === "error" && e.message === "backup failed"));
    });

    it("leaves no blob when an upload is interrupted before its commit", async () => {
        // given the commit of the dump never happens (the connection is cut at Put Block List)
        proxy.setFault({ kind: "cut", times: "always", match: putBlockList });
        const since = proxy.requests.length;
        const s = settings();
        await assert.rejects(runDump(s, deps()), DumpUploadError);
        proxy.setFault({ kind: "none" });
        // then its blocks were staged but no blob exists, so nothing is counted as a backup
        assert.ok(proxy.requests.slice(since).some(putBlock));
        assert.deepEqual(await blobNames(`${s.prefix}/`), []);
        const catalog = await listBackups(storage, { prefix: s.prefix, database: "app" });
        assert.deepEqual([catalog.backups.length, catalog.withoutManifest.length], [0, 0]);
    });

    it("rejects an upload aborted by the caller's stream and commits nothing", async () => {
        const key = `aborted/${++counter}/x.dump`;
        const { PassThrough } = await import("node:stream");
        const body = new PassThrough();
        const uploading = storage.put({ key, body, contentType: "application/octet-stream", tags: { tier: "daily" }, partSizeBytes: 5 * MiB, concurrency: 2 }, new RecordingLog());
        body.write(Buffer.alloc(6 * MiB, 7));
        setTimeout(() => body.destroy(new Error("pg_dump failed")), 200);
        await assert.rejects(uploading, (err: unknown) => err instanceof UploadFailedError && /pg_dump failed/.test(err.message));
        assert.deepEqual(await blobNames(key), []);
    });

    it("refuses a corrupted blob in restore and verify, naming it", async () => {
        // given a backup whose dump blob is then changed by one byte
        const s = settings({ objectLock: undefined });
        const manifest = await runDump(s, deps());
        const blob = direct.getBlockBlobClient(manifest.key);
        const bytes = await blob.downloadToBuffer();
        bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 0xff;
        await blob.uploadData(bytes);
        // then a restore refuses it, naming the backup
        await assert.rejects(
            restoreBackup({ storage, manifest, target: parsePostgresUrl(pg.url("from_corrupt_blob"), "restore target"), binDir: pg.binDir, log: new RecordingLog() }),
            (err: unknown) => err instanceof ChecksumMismatchError && err.message.includes(manifest.key),
        );
        // and verify fails its checksum check, naming it
        const report = await runVerify(verifyConfig(s.prefix), { storage, log: new RecordingLog(), metrics: new RecordingMetrics() });
        const checksum = report.targets[0]?.checks.find((c) => c.name === "checksum");
        assert.equal(report.ok, false);
        assert.ok(checksum !== undefined && !checksum.ok && checksum.detail.includes(manifest.key), JSON.stringify(checksum));
    });

    it("treats a dump blob without its manifest as no backup", async () => {
        // given a complete dump whose manifest is gone
        const s = settings({ objectLock: undefined });
        const manifest = await runDump(s, deps());
        await direct.getBlobClient(manifestKey(manifest.key)).delete();
        // then the catalog lists it as without manifest, and neither restore nor verify takes it
        const catalog = await listBackups(storage, { prefix: s.prefix, database: "app" });
        assert.deepEqual(catalog.withoutManifest, [manifest.key]);
        assert.throws(() => selectBackup(catalog, { latest: true }), BackupNotFoundError);
        assert.throws(() => selectBackup(catalog, { key: manifest.key }), (err: unknown) => err instanceof BackupNotFoundError && /no manifest/.test(err.message));
        const report = await runVerify(verifyConfig(s.prefix), { storage, log: new RecordingLog(), metrics: new RecordingMetrics() });
        const freshness = report.targets[0]?.checks.find((c) => c.name === "freshness");
        assert.ok(freshness !== undefined && !freshness.ok && /no backup with a manifest/.test(freshness.detail));
    });
});
