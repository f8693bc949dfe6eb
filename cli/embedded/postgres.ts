/**
 * A throwaway PostgreSQL cluster on loopback for tests, the drill and the benchmark:
 * initdb into a temp dir, a free port on 127.0.0.1, `pg_ctl start -w`, and `stop()` that
 * removes everything again. initdb and postgres refuse to run as root, so when this process
 * is root the cluster runs as the `postgres` OS user in a directory that user owns.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { appendFile, chmod, chown, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { Client } from "pg";

export interface StartPostgresOptions {
    /** Password of the `postgres` superuser; when set, TCP connections need it (scram-sha-256). @default none - trust auth */
    readonly password?: string;
    /** Directory holding initdb, pg_ctl, pg_dump, pg_restore. @default env PG_BIN, else the newest /usr/lib/postgresql/<n>/bin, else PATH */
    readonly binDir?: string;
    /** Extra `postgresql.conf` settings, e.g. `{ shared_buffers: "256MB" }`. @default none */
    readonly settings?: Readonly<Record<string, string>>;
    /** Seconds pg_ctl waits for the server to accept connections. @default 60 */
    readonly startTimeoutSeconds?: number;
}

export interface EmbeddedPostgres {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly password: string | undefined;
    /** Directory with the PostgreSQL client and server binaries used for this cluster. */
    readonly binDir: string;
    readonly dataDir: string;
    /** `postgres://user[:password]@127.0.0.1:port/<database>`. @default database "postgres" */
    url(database?: string): string;
    /** Stops the server (fast shutdown) and removes its temp dir. Safe to call twice. */
    stop(): Promise<void>;
}

const SUPERUSER = "postgres";
const HOST = "127.0.0.1";
const START_ATTEMPTS = 3;

/** Where the PostgreSQL binaries are: env PG_BIN, else the newest /usr/lib/postgresql/<n>/bin, else PATH. */
export function findPgBin(env: NodeJS.ProcessEnv = process.env): string {
    const fromEnv = env.PG_BIN;
    if (fromEnv !== undefined && fromEnv !== "") {
        if (!existsSync(join(fromEnv, "pg_ctl"))) {
            throw new Error(`PG_BIN=${fromEnv}: no pg_ctl there; expected a directory with the PostgreSQL binaries`);
        }
        return fromEnv;
    }
    const root = "/usr/lib/postgresql";
    if (existsSync(root)) {
        const majors = readdirSync(root)
            .filter((d) => /^\d+$/.test(d) && existsSync(join(root, d, "bin", "pg_ctl")))
            .map(Number)
            .sort((a, b) => b - a);
        if (majors.length > 0) {
            return join(root, String(majors[0]), "bin");
        }
    }
    for (const dir of (env.PATH ?? "").split(delimiter)) {
        if (dir !== "" && existsSync(join(dir, "pg_ctl")) && existsSync(join(dir, "initdb"))) {
            return dir;
        }
    }
    throw new Error("PostgreSQL binaries not found: set PG_BIN, install PostgreSQL under /usr/lib/postgresql/<major>/bin, or put initdb and pg_ctl on PATH");
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.unref();
        server.once("error", reject);
        server.listen(0, HOST, () => {
            const address = server.address();
            server.close(() => {
                if (address === null || typeof address === "string") {
                    reject(new Error("could not determine a free port"));
                } else {
                    resolve(address.port);
                }
            });
        });
    });
}

interface OsUser {
    readonly uid: number;
    readonly gid: number;
}

function runningAsRoot(): boolean {
    return typeof process.getuid === "function" && process.getuid() === 0;
}

function postgresOsUser(): OsUser {
    const passwd = execFileSync("getent", ["passwd", "postgres"], { encoding: "utf8" }).trim().split(":");
    const uid = Number(passwd[2]);
    const gid = Number(passwd[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) {
        throw new Error("running as root needs an OS user named postgres to own the cluster; none found");
    }
    return { uid, gid };
}

/**
 * Runs a PostgreSQL server binary, as the postgres OS user when this process is root, in its own
 * process group: Ctrl-C in a terminal reaches the whole foreground group, and must not cut short
 * the pg_ctl stop of a cleanup, or reach the server pg_ctl starts.
 */
function runBinary(binary: string, args: readonly string[], timeoutMs: number): Promise<string> {
    const [file, argv] = runningAsRoot() ? ["runuser", ["-u", "postgres", "--", binary, ...args]] : [binary, [...args]];
    return new Promise((resolve, reject) => {
        const child = spawn(file, argv, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
        child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.once("error", (err) => {
            clearTimeout(timer);
            reject(new Error(`${binary} ${args.join(" ")} failed: ${err.message}`));
        });
        child.once("close", (code, signal) => {
            clearTimeout(timer);
            if (code === 0) {
                resolve(stdout);
            } else {
                reject(new Error(`${binary} ${args.join(" ")} failed: ${signal === null ? `exit code ${code ?? "unknown"}` : `killed by ${signal}${signal === "SIGKILL" ? ` after ${timeoutMs} ms` : ""}`}\n${stderr}`));
            }
        });
    });
}

const running = new Set<{ readonly binDir: string; readonly dataDir: string; readonly root: string }>();

/** Last resort when a test run dies without calling stop(): immediate shutdown, remove the dir. */
process.once("exit", () => {
    for (const c of running) {
        try {
            const argv = ["stop", "-D", c.dataDir, "-m", "immediate", "-w", "-t", "10"];
            const pgCtl = join(c.binDir, "pg_ctl");
            if (runningAsRoot()) {
                execFileSync("runuser", ["-u", "postgres", "--", pgCtl, ...argv], { stdio: "ignore" });
            } else {
                execFileSync(pgCtl, argv, { stdio: "ignore" });
            }
        } catch {
            // the server may already be gone; removing the directory is what matters now
        }
        execFileSync("rm", ["-rf", c.root]);
    }
});

function quoteConf(value: string): string {
    return `'${value.replace(/'/g, "''")}'`;
}

/** Starts a throwaway cluster; on any failure everything created so far is removed before the error is thrown. */
export async function startPostgres(opts: StartPostgresOptions = {}): Promise<EmbeddedPostgres> {
    const binDir = opts.binDir ?? findPgBin();
    const startTimeout = opts.startTimeoutSeconds ?? 60;
    const root = await mkdtemp(join(tmpdir(), "pgbs-pg-"));
    const dataDir = join(root, "data");
    const socketDir = root;
    const logFile = join(root, "server.log");
    const entry = { binDir, dataDir, root };
    let started = false;
    try {
        if (runningAsRoot()) {
            const owner = postgresOsUser();
            await chown(root, owner.uid, owner.gid);
        }
        await chmod(root, 0o700);
        const initArgs = ["-D", dataDir, "-U", SUPERUSER, "--encoding=UTF8", "--locale=C", "--no-sync"];
        if (opts.password !== undefined) {
            const pwFile = join(root, "pwfile");
            await writeFile(pwFile, `${opts.password}\n`, { mode: 0o600 });
            if (runningAsRoot()) {
                const owner = postgresOsUser();
                await chown(pwFile, owner.uid, owner.gid);
            }
            initArgs.push(`--pwfile=${pwFile}`, "--auth-host=scram-sha-256", "--auth-local=scram-sha-256");
        } else {
            initArgs.push("--auth=trust");
        }
        await runBinary(join(binDir, "initdb"), initArgs, 120_000);
        if (opts.password !== undefined) {
            await rm(join(root, "pwfile"), { force: true });
        }
        running.add(entry);

        let lastError: unknown;
        for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            const port = await freePort();
            const settings: Record<string, string> = {
                listen_addresses: HOST,
                port: String(port),
                unix_socket_directories: socketDir,
                fsync: "off",
                synchronous_commit: "off",
                full_page_writes: "off",
                max_connections: "60",
                ...opts.settings,
            };
            const conf = Object.entries(settings)
                .map(([k, v]) => `${k} = ${quoteConf(v)}`)
                .join("\n");
            await appendFile(join(dataDir, "postgresql.conf"), `\n# embedded harness, attempt ${attempt}\n${conf}\n`);
            try {
                await runBinary(join(binDir, "pg_ctl"), ["start", "-D", dataDir, "-l", logFile, "-w", "-t", String(startTimeout)], (startTimeout + 10) * 1000);
                started = true;
                return handle(binDir, dataDir, root, port, opts.password, entry);
            } catch (err) {
                lastError = err;
                await stopUnfinishedStart(binDir, dataDir);
            }
        }
        const log = await readFile(logFile, "utf8").catch(() => "");
        throw new Error(`PostgreSQL did not start after ${START_ATTEMPTS} attempts: ${lastError instanceof Error ? lastError.message : String(lastError)}\n${log.slice(-2000)}`);
    } finally {
        if (!started) {
            running.delete(entry);
            await rm(root, { recursive: true, force: true });
        }
    }
}

/** How long a failed start is given to show a server still coming up (its postmaster.pid), in 100 ms polls. */
const PID_FILE_POLLS = 20;

/**
 * `pg_ctl start -w` stops waiting at its timeout while the server goes on starting: stop such a
 * server, so that no server outlives the directory removed after a failed start (or blocks the
 * next attempt's).
 */
async function stopUnfinishedStart(binDir: string, dataDir: string): Promise<void> {
    const pidFile = join(dataDir, "postmaster.pid");
    for (let poll = 0; poll < PID_FILE_POLLS && !existsSync(pidFile); poll++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (existsSync(pidFile)) {
        await runBinary(join(binDir, "pg_ctl"), ["stop", "-D", dataDir, "-m", "immediate", "-w", "-t", "30"], 40_000).catch(() => undefined);
    }
}

function handle(
    binDir: string,
    dataDir: string,
    root: string,
    port: number,
    password: string | undefined,
    entry: { readonly binDir: string; readonly dataDir: string; readonly root: string },
): EmbeddedPostgres {
    let stopped = false;
    return {
        host: HOST,
        port,
        user: SUPERUSER,
        password,
        binDir,
        dataDir,
        url(database = "postgres"): string {
            const auth = password === undefined ? SUPERUSER : `${SUPERUSER}:${encodeURIComponent(password)}`;
            return `postgres://${auth}@${HOST}:${port}/${encodeURIComponent(database)}`;
        },
        async stop(): Promise<void> {
            if (stopped) {
                return;
            }
            stopped = true;
            try {
                if (existsSync(join(dataDir, "postmaster.pid"))) {
                    await runBinary(join(binDir, "pg_ctl"), ["stop", "-D", dataDir, "-m", "fast", "-w", "-t", "60"], 70_000);
                }
            } finally {
                running.delete(entry);
                await rm(root, { recursive: true, force: true });
            }
        },
    };
}

/** Quotes an SQL identifier (doubles embedded double quotes). */
export function quoteIdent(name: string): string {
    return `"${name.replace(/"/g, '""')}"`;
}

/** Runs one statement on a short-lived connection and returns its rows. */
export async function query<R extends Record<string, unknown> = Record<string, unknown>>(
    url: string,
    sql: string,
    params: readonly unknown[] = [],
): Promise<R[]> {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
    await client.connect();
    try {
        const result = await client.query<R>(sql, [...params]);
        return result.rows;
    } finally {
        await client.end();
    }
}

export async function createDatabase(url: string, name: string): Promise<void> {
    await query(url, `CREATE DATABASE ${quoteIdent(name)}`);
}

/** Drops a database, ending its sessions first (WITH (FORCE)). */
export async function dropDatabase(url: string, name: string): Promise<void> {
    await query(url, `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
}

