import { strict as assert } from "assert";
import { brokenLinks, checkedPages, relativeLinks } from "../../../../cli/docs/links";

describe("documentation links", () => {
    it("reads relative links only, outside code, without their anchor", () => {
        // given a page with relative, absolute, anchor-only and quoted links
        const markdown = [
            "[a](docs/a.md#part) ![b](img/b.svg \"title\") [c](https://example.com/c.md) [d](#here)",
            "`[e](e.md)`",
            "```",
            "[f](f.md)",
            "```",
            "[g](my%20file.md)",
        ].join("\n");
        // then only the relative targets, decoded, are read
        assert.deepEqual(relativeLinks(markdown), ["docs/a.md", "img/b.svg", "my file.md"]);
    });

    it("resolves a link from the page's folder and reports the missing target", () => {
        // given a page in docs/ linking to a sibling, to the root and to a file that does not exist
        const markdown = "[a](components.md) [b](../README.md) [c](missing.md) [d](docs/components.md)";
        // then the missing file, and the path that is right only from the root, are broken
        assert.deepEqual(brokenLinks("docs/page.md", markdown), ["missing.md", "docs/components.md"]);
    });

    it("checks README.md, every page of docs/ and the generated reference", () => {
        const pages = checkedPages();
        assert.ok(pages.includes("README.md") && pages.includes("docs/components.md") && pages.includes("docs/component-reference.md"));
    });

    for (const page of checkedPages()) {
        it(`${page}: every relative link points at an existing file`, () => {
            assert.deepEqual(brokenLinks(page), [], `${page} links to missing files`);
        });
    }
});
