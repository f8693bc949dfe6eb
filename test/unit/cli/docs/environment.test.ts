import { strict as assert } from "assert";
import { functionsEnvironmentPage } from "../../../../cli/docs/environment";
import { VERIFY_ENV } from "../../../../lambdas/verify/config";

describe("functions' environment page", () => {
    it("gives the verify function's variables a table from its catalog", () => {
        // given the functions' environment page
        const page = functionsEnvironmentPage();
        // when its verify section is read
        const section = page.slice(page.indexOf("## Verify"));
        // then every variable of VERIFY_ENV has a row with its meaning
        for (const [name, meaning] of Object.entries(VERIFY_ENV)) {
            assert.ok(section.includes(`| \`${name}\` | ${meaning.replace(/\|/g, "\\|")} |`), name);
        }
    });
});
