/**
 * `npm run docs`: writes the reference pages generated from the definitions the code uses, so
 * that they cannot drift (cli/docs/configuration.ts, environment.ts, components.ts), and refuses,
 * writing nothing, while a schema key or a component's Args property lacks the JSDoc its page
 * is made from. test/unit/cli/docs.test.ts fails when a page is stale; `--missing-jsdoc` lists
 * the schema keys without a JSDoc comment.
 */
import * as fs from "fs";
import * as path from "path";
import { componentJsDocProblems, componentReferencePage } from "./docs/components";
import { configurationPage, jsDocProblems, keysWithoutJsDoc } from "./docs/configuration";
import { functionsEnvironmentPage } from "./docs/environment";
import { ROOT } from "./docs/jsdoc";

/** Every generated page: path relative to the repository root -> content. */
export function generatedPages(): Record<string, string> {
    return {
        "docs/configuration.md": configurationPage(),
        "docs/functions-environment.md": functionsEnvironmentPage(),
        "docs/component-reference.md": componentReferencePage(),
    };
}

/** The JSDoc problems of the schema and of the components' Args, each set under the sentence that says what is required. */
export function allJsDocProblems(): string[] {
    const section = (heading: string, problems: readonly string[]): string[] => (problems.length === 0 ? [] : [heading, ...problems.map((p) => `  ${p}`)]);
    return [
        ...section("every key of the schema needs a JSDoc summary, and a @default tag stating its default (config/schema.ts, config/sections/*.ts):", jsDocProblems()),
        ...section("every Args property of a component needs a JSDoc summary, and an optional one a @default tag (components/aws/*.ts, components/azure/*.ts):", componentJsDocProblems()),
    ];
}

/** Writes the generated pages; refuses, writing nothing, while `check` (the JSDoc problems) finds any. */
export async function main(args: readonly string[], check: () => string[] = allJsDocProblems): Promise<number> {
    if (args.includes("--missing-jsdoc")) {
        for (const key of keysWithoutJsDoc()) console.log(key);
        return 0;
    }
    const problems = check();
    if (problems.length > 0) {
        console.error(problems.join("\n"));
        return 1;
    }
    for (const [relative, content] of Object.entries(generatedPages())) {
        fs.writeFileSync(path.join(ROOT, relative), content);
        console.log(`wrote ${relative}`);
    }
    return 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (err: unknown) => {
            console.error(err instanceof Error ? err.message : String(err));
            process.exit(1);
        },
    );
}
