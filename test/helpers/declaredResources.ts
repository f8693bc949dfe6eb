import * as fs from "fs";
import * as path from "path";
import { MockState, RANDOM_HEX, RecordedResource } from "./mocks";
import { ROOT } from "./stackFiles";

/** Environment variable that makes the snapshot test rewrite the snapshots instead of comparing (`npm run snapshots`). */
export const UPDATE_VARIABLE = "UPDATE_SNAPSHOTS";

/** Where the snapshot of a shipped stack file lives: one JSON file per stack, named after it. */
export const SNAPSHOT_DIR = path.join(ROOT, "test", "components", "program", "declared-resources");

/** One declared resource as the snapshot keeps it: what the engine would create, with the options that protect it. */
export interface DeclaredResource {
    readonly type: string;
    readonly name: string;
    readonly parent?: string;
    readonly provider?: string;
    readonly protect?: true;
    readonly retainOnDelete?: true;
    readonly replaceOnChanges?: readonly string[];
    readonly ignoreChanges?: readonly string[];
    readonly inputs: unknown;
}

/** Pulumi's marker of a secret value on the wire (`specialSigKey` / `specialSecretSig` of @pulumi/pulumi's runtime). */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/**
 * A string with what changes without a change of declared resources taken out: the checkout's
 * absolute path, content digests (the image tag follows the functions' sources, the configuration
 * record's key its content, which the snapshot shows in full) and the mocks' random hex.
 */
export function normaliseString(value: string): string {
    return value
        .split(ROOT).join("<root>")
        .replace(/\b[0-9a-f]{64}\b/g, "<sha256>")
        .replace(/\b[0-9a-f]{16}\b/g, "<digest>")
        .replace(new RegExp(`\\b${RANDOM_HEX}\\b`, "g"), "<random>");
}

/** An input value, normalised, with JSON documents (policies, dashboards, task definitions) parsed so a diff shows the changed field. */
export function normaliseValue(value: unknown): unknown {
    if (typeof value === "string") {
        const text = normaliseString(value);
        if (/^\s*[[{]/.test(text)) {
            try {
                return { json: normaliseValue(JSON.parse(value)) };
            } catch {
                return text;
            }
        }
        return text;
    }
    if (Array.isArray(value)) return value.map(normaliseValue);
    if (value !== null && typeof value === "object") {
        const record = value as Record<string, unknown>;
        if (record[SIG_KEY] === SECRET_SIG) return { secret: normaliseValue(record["value"]) };
        return Object.fromEntries(Object.keys(record).sort().map((k) => [k, normaliseValue(record[k])]));
    }
    return value;
}

/** `urn:pulumi:<stack>::<project>::pulumi:providers:aws::dr::dr-id` -> `pulumi:providers:aws::dr`. */
function providerName(reference: string): string {
    const parts = reference.split("::");
    return parts.length >= 5 ? parts.slice(2, 4).join("::") : reference;
}

function declared(r: RecordedResource): DeclaredResource {
    return {
        type: r.type,
        name: r.name,
        ...(r.parent !== undefined ? { parent: `${r.parent.type}::${r.parent.name}` } : {}),
        ...(r.provider !== undefined ? { provider: providerName(r.provider) } : {}),
        ...(r.protect ? { protect: true as const } : {}),
        ...(r.retainOnDelete ? { retainOnDelete: true as const } : {}),
        ...(r.replaceOnChanges.length > 0 ? { replaceOnChanges: [...r.replaceOnChanges].sort() } : {}),
        ...(r.ignoreChanges.length > 0 ? { ignoreChanges: [...r.ignoreChanges].sort() } : {}),
        inputs: normaliseValue(r.inputs),
    };
}

/** Every resource the program declared, normalised, in a stable order (type, then logical name). */
export function declaredResources(mocks: Pick<MockState, "resources">): DeclaredResource[] {
    return mocks.resources.map(declared).sort((a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name));
}

/** The snapshot file of a shipped stack file (`examples/Pulumi.wal-pitr.yaml` -> `wal-pitr.json`). */
export function snapshotFile(stackFile: string): string {
    return path.join(SNAPSHOT_DIR, `${path.basename(stackFile).replace(/^Pulumi\.|\.yaml$/g, "")}.json`);
}

/** The snapshot's text: one resource per block, two-space indentation, a final newline. */
export function snapshotText(resources: readonly DeclaredResource[]): string {
    return `${JSON.stringify(resources, null, 2)}\n`;
}

/** The checked-in snapshot, or undefined when there is none yet. */
export function readSnapshot(file: string): DeclaredResource[] | undefined {
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as DeclaredResource[]) : undefined;
}
