import * as fs from "fs";
import * as path from "path";
import { isRecord, readStackFile } from "../../config/load";

export const ROOT = path.resolve(__dirname, "..", "..");

/** Every stack file the project ships: the two stacks and one per example strategy. */
export function shippedStackFiles(): string[] {
    const examples = fs.readdirSync(path.join(ROOT, "examples")).filter((f) => /^Pulumi\..+\.yaml$/.test(f)).map((f) => path.join(ROOT, "examples", f));
    return [path.join(ROOT, "Pulumi.staging.yaml"), path.join(ROOT, "Pulumi.prod.yaml"), ...examples.sort()];
}

/**
 * The engine's view of a stack file: every value a string (structured ones as JSON) and
 * secrets decrypted, here to a recognisable stand-in since no secrets provider runs in tests.
 */
export function engineConfig(file: string): { config: Record<string, string>; secretKeys: string[] } {
    const raw = readStackFile(file);
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const all = { ...raw.foreign, ...Object.fromEntries(Object.entries(raw.values).map(([k, v]) => [`pg-backup-stack:${k}`, v])) };
    for (const [key, value] of Object.entries(all)) {
        let secret = false;
        const decrypted = decryptForTest(value, () => {
            secret = true;
        });
        config[key] = typeof decrypted === "string" ? decrypted : JSON.stringify(decrypted);
        if (secret) secretKeys.push(key);
    }
    return { config, secretKeys };
}

function decryptForTest(value: unknown, markSecret: () => void): unknown {
    if (Array.isArray(value)) return value.map((v) => decryptForTest(v, markSecret));
    if (isRecord(value)) {
        if (typeof value["secure"] === "string") {
            markSecret();
            return `https://secret.example.com/${value["secure"].length}`;
        }
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decryptForTest(v, markSecret)]));
    }
    return value;
}
