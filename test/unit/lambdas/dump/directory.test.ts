import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { appendFileSync } from "node:fs";
import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FollowedFile } from "../../../../lambdas/dump/directory";

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function readAll(stream: FollowedFile): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) {
        chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
}

describe("a file read while it is written (directory-format dumps)", () => {
    let dir: string;

    beforeEach(async () => {
        dir = await mkdtemp(join(tmpdir(), "followed-"));
    });
    afterEach(async () => {
        await rm(dir, { recursive: true, force: true });
    });

    it("reads what is written as it comes, waits at the end while the writer is not done, and ends only once it is", async () => {
        // given a file written in five pieces with pauses, and the writer's "done" set after the last piece
        const path = join(dir, "3362.dat.gz");
        await writeFile(path, Buffer.alloc(0));
        const pieces = Array.from({ length: 5 }, (_, i) => randomBytes(100_000 + i * 70_000));
        let done = false;
        const reading = readAll(new FollowedFile(path, () => done));
        for (const piece of pieces) {
            await pause(80);
            await appendFile(path, piece);
        }
        done = true;
        // then the reader returns every byte in order, ending after the last piece
        assert.deepEqual(await reading, Buffer.concat(pieces));
    });

    it("takes the bytes written just before the writer is done: done is asked before each read, not after an empty one", async () => {
        // given a writer that appends its last bytes and is done at the very moment the reader asks for the third time
        const path = join(dir, "3363.dat.gz");
        await writeFile(path, Buffer.from("first "));
        let asked = 0;
        const done = (): boolean => {
            asked++;
            if (asked === 3) {
                appendFileSync(path, "last");
            }
            return asked >= 3;
        };
        // then the reader still reads those last bytes before it ends
        assert.equal((await readAll(new FollowedFile(path, done))).toString(), "first last");
        assert.ok(asked >= 4, `asked ${asked} times`);
    });

    it("fails when the file cannot be opened, naming it", async () => {
        await assert.rejects(readAll(new FollowedFile(join(dir, "missing.dat"), () => true)), /ENOENT.*missing\.dat/);
    });

    it("stops waiting and closes the file when destroyed", async () => {
        const path = join(dir, "3364.dat");
        await writeFile(path, "partial");
        const stream = new FollowedFile(path, () => false);
        const reading = readAll(stream);
        await pause(120);
        stream.destroy(new Error("deadline"));
        await assert.rejects(reading, /deadline/);
    });
});
