/**
 * The link check of README.md and docs/*.md: every relative link points at a file that exists.
 */
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "./jsdoc";

/** Relative link targets of a Markdown text, outside code blocks and code spans, without their anchor. */
export function relativeLinks(markdown: string): string[] {
    const text = markdown.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
    const targets: string[] = [];
    for (const m of text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = m[1]!;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) continue;
        targets.push(decodeURI(target.split("#")[0]!));
    }
    return targets;
}

/** The pages whose links are checked, relative to the repository root. */
export function checkedPages(): string[] {
    return ["README.md", ...fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => path.join("docs", f))];
}

/** The relative links of a page (path relative to the repository root, its text read there unless given) whose target does not exist. */
export function brokenLinks(page: string, markdown: string = fs.readFileSync(path.join(ROOT, page), "utf8")): string[] {
    const dir = path.dirname(path.join(ROOT, page));
    return relativeLinks(markdown).filter((t) => !fs.existsSync(path.resolve(dir, t)));
}
