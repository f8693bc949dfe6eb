/**
 * The Azurite Blob emulator on loopback for tests and the drill: a child process on a free port
 * with its own temporary directory, the well-known development account, and a container client
 * for the backup container (or for an endpoint in front of it, such as the faulty proxy).
 *
 * What Azurite 3.37 does and does not do, as the Azure tests find it (test/integration/azure-blob.test.ts):
 * - block blobs staged with Put Block (Content-MD5 checked) and created by Put Block List: yes;
 * - blob index tags (x-ms-tags on Put Block List, Get Blob Tags): yes;
 * - per-blob immutability policies and versioning: not implemented; the request headers are
 *   accepted and nothing is enforced, so tests check the headers at the proxy.
 */
import { BlobServiceClient, StorageSharedKeyCredential, type ContainerClient } from "@azure/storage-blob";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { azureContainerClient, type AzureBlobSettings } from "../../lambdas/shared/storage/env";
import { freePort } from "./postgres";

/** Azurite's well-known development account and key (public, documented by the emulator; not a secret). */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface EmbeddedAzurite {
    /** `http://127.0.0.1:<port>/devstoreaccount1`: the account's blob endpoint. */
    readonly endpoint: string;
    readonly port: number;
    /** Settings for the account key credential against `endpoint` (default: this emulator). */
    settings(container: string, options?: { readonly endpoint?: string; readonly maxTries?: number }): AzureBlobSettings;
    /** A container client with quick retries (10 ms apart), for tests that inject faults. */
    container(name: string, options?: { readonly endpoint?: string; readonly maxTries?: number }): ContainerClient;
    createContainer(name: string): Promise<void>;
    /** Stops the emulator and removes its directory. Safe to call twice. */
    stop(): Promise<void>;
}

export async function startAzurite(): Promise<EmbeddedAzurite> {
    const dir = await mkdtemp(join(tmpdir(), "azurite-"));
    const port = await freePort();
    const child: ChildProcess = spawn(
        process.execPath,
        [require.resolve("azurite/dist/src/blob/main.js"), "--blobHost", "127.0.0.1", "--blobPort", String(port), "--location", dir, "--silent", "--skipApiVersionCheck", "--loose"],
        { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
        stderr = (stderr + d.toString("utf8")).slice(-4000);
    });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    try {
        await waitForPort(port, child, () => stderr);
    } catch (err) {
        child.kill("SIGKILL");
        await rm(dir, { recursive: true, force: true });
        throw err;
    }
    const endpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
    const settings = (container: string, options: { readonly endpoint?: string; readonly maxTries?: number } = {}): AzureBlobSettings => ({
        endpoint: options.endpoint === undefined ? endpoint : `${options.endpoint}/${AZURITE_ACCOUNT}`,
        container,
        credential: { kind: "local-account-key", accountKey: AZURITE_ACCOUNT_KEY },
        maxTries: options.maxTries ?? 3,
    });
    let stopped = false;
    return {
        endpoint,
        port,
        settings,
        container: (name, options) => azureContainerClient(settings(name, options), 10),
        async createContainer(name: string): Promise<void> {
            await new BlobServiceClient(endpoint, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY)).getContainerClient(name).createIfNotExists();
        },
        async stop(): Promise<void> {
            if (stopped) {
                return;
            }
            stopped = true;
            child.kill("SIGTERM");
            await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
            child.kill("SIGKILL");
            await rm(dir, { recursive: true, force: true });
        },
    };
}

/** Resolves once the port accepts connections; rejects when the emulator exits first or after 30 s. */
async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
        if (child.exitCode !== null) {
            throw new Error(`azurite exited with ${child.exitCode} before listening: ${stderr()}`);
        }
        const open = await new Promise<boolean>((resolve) => {
            const socket = connect(port, "127.0.0.1");
            socket.once("connect", () => {
                socket.destroy();
                resolve(true);
            });
            socket.once("error", () => resolve(false));
        });
        if (open) {
            return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`azurite did not listen on 127.0.0.1:${port} within 30 s: ${stderr()}`);
}
