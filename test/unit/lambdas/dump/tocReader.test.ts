import { strict as assert } from "node:assert";
import { tocNames, type TocEntry } from "../../../../lambdas/dump/tocReader";

/** The ENCODING entry pg_dump writes first, saying its client encoding (the database's). */
function encodingEntry(encoding: string): TocEntry {
    return { dumpId: 1, desc: "ENCODING", tag: "ENCODING", namespace: undefined, rawTag: Buffer.from("ENCODING"), rawNamespace: undefined, encodingStatement: `SET client_encoding = '${encoding}';\n`, hasData: false, fileName: undefined };
}

describe("names in a table of contents, read in the archive's encoding", () => {
    it("reads each encoding's bytes as the characters the catalog gives, whatever the encoding for ASCII", () => {
        const cases: [string, Buffer, string][] = [
            ["UTF8", Buffer.from("café crème", "utf8"), "café crème"],
            ["LATIN1", Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x80]), "café\u0080"],
            ["LATIN2", Buffer.from([0xb1, 0xe6]), "ąć"],
            ["WIN1251", Buffer.from([0xcf, 0xf0, 0xe8]), "При"],
            ["KOI8R", Buffer.from([0xf0, 0xd2, 0xc9]), "При"],
            ["SQL_ASCII", Buffer.from("crème", "utf8"), "crème"],
            ["MULE_INTERNAL", Buffer.from("plain_name"), "plain_name"],
            ["LATIN10", Buffer.from("plain_name"), "plain_name"],
            ["EUC_JP", Buffer.from("plain_name"), "plain_name"],
        ];
        for (const [encoding, raw, expected] of cases) {
            assert.equal(tocNames([encodingEntry(encoding)])(raw), expected, encoding);
        }
        // without an ENCODING entry, UTF-8
        assert.equal(tocNames([])(Buffer.from("café", "utf8")), "café");
    });

    it("refuses a name it cannot read exactly, naming its bytes", () => {
        assert.throws(() => tocNames([encodingEntry("SQL_ASCII")])(Buffer.from([0x63, 0xe9])), /\(bytes 63e9\) is not UTF-8, the only way the catalog's names of a SQL_ASCII database can be read/);
        assert.throws(() => tocNames([encodingEntry("UTF8")])(Buffer.from([0xff])), /\(bytes ff\) is not valid UTF8/);
        assert.throws(() => tocNames([encodingEntry("MULE_INTERNAL")])(Buffer.from([0x81, 0xa1])), /of a MULE_INTERNAL database cannot be read exactly: only ASCII names/);
        // EUC_JP and EUC_KR: WHATWG's tables read some sequences otherwise than PostgreSQL's
        assert.throws(() => tocNames([encodingEntry("EUC_JP")])(Buffer.from([0xc6, 0xfc, 0xcb, 0xdc])), /of a EUC_JP database cannot be read exactly/);
        assert.throws(() => tocNames([encodingEntry("EUC_KR")])(Buffer.from([0xa2, 0xe6])), /of a EUC_KR database cannot be read exactly/);
    });
});
