import assert from "node:assert/strict";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { passwordFromPassfile, withPasswordFromEnv } from "../../../../lambdas/shared/pgPassword";
import type { PgTarget } from "../../../../lambdas/shared/pgTarget";

const TARGET: PgTarget = { host: "db.internal", port: 5432, user: "app", database: "orders" };

describe("passwords from PGPASSWORD and the password file", () => {
    let dir: string;
    before(async () => {
        dir = await mkdtemp(join(tmpdir(), "pgpass-test-"));
    });
    after(() => rm(dir, { recursive: true, force: true }));

    it("reads the first matching line, with wildcards and escaped colons and backslashes", () => {
        const text = ["# comment", "db.internal:5432:other:app:nope", "db.internal:*:orders:app:a\\:b\\\\c:d", "*:*:*:*:fallback"].join("\n");
        assert.equal(passwordFromPassfile(text, TARGET), "a:b\\c:d");
        assert.equal(passwordFromPassfile(text, { ...TARGET, database: "x" }), "fallback");
        assert.equal(passwordFromPassfile("db.internal:5432:orders:app", TARGET), undefined);
    });

    it("matches a socket directory as localhost", () => {
        assert.equal(passwordFromPassfile("localhost:5432:*:app:sock", { ...TARGET, host: "/var/run/postgresql" }), "sock");
    });

    it("prefers the URL's password, then PGPASSWORD, then the password file", async () => {
        const file = join(dir, "pgpass");
        await writeFile(file, "*:*:*:*:from-file\n");
        await chmod(file, 0o600);
        assert.deepEqual(withPasswordFromEnv({ ...TARGET, password: "from-url" }, { PGPASSWORD: "x", PGPASSFILE: file }), { target: { ...TARGET, password: "from-url" }, source: "url" });
        assert.equal(withPasswordFromEnv(TARGET, { PGPASSWORD: "from-env", PGPASSFILE: file }).target.password, "from-env");
        assert.deepEqual(withPasswordFromEnv(TARGET, { PGPASSWORD: "", PGPASSFILE: file }), { target: { ...TARGET, password: "from-file" }, source: "password file", passfile: file });
        assert.deepEqual(withPasswordFromEnv(TARGET, { PGPASSFILE: join(dir, "missing") }), { target: TARGET, source: "none" });
    });

    it("skips a password file others can read, as libpq does, and says so", async () => {
        const file = join(dir, "open-pgpass");
        await writeFile(file, "*:*:*:*:from-file\n");
        await chmod(file, 0o644);
        const warnings: string[] = [];
        assert.equal(withPasswordFromEnv(TARGET, { PGPASSFILE: file }, (l) => warnings.push(l)).target.password, undefined);
        assert.match(warnings[0] ?? "", /has group or world access \(mode 644\); ignored, as libpq ignores it \(chmod 0600 /);
    });
});
