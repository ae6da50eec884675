import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCliXml } from "../../src/serialised/clixml.js";
import { type ConvertToJsonOptions, convertToJson, UnreproducibleError } from "./convert-to-json.js";

const FIXTURES = "/work/shared/fixtures/exchange-clixml";

/** CLIXML as Export-Clixml writes it around the given objects. */
function objs(body: string): string {
  return `<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">${body}</Objs>`;
}

function convert(body: string, options: ConvertToJsonOptions): string {
  return convertToJson(parseCliXml(objs(body), "test.xml"), options);
}

/** Lines joined as both flavours end them on Windows. */
const crlf = (...lines: string[]) => lines.join("\r\n");

/** A PSCustomObject with the given notes, as Export-Clixml writes [pscustomobject]@{…}. */
const custom = (notes: string, name = "", id = 0) =>
  `<Obj${name ? ` N="${name}"` : ""} RefId="${id}"><TN RefId="${id}"><T>System.Management.Automation.PSCustomObject</T><T>System.Object</T></TN><MS>${notes}</MS></Obj>`;

describe("convertToJson: Windows PowerShell 5.1 layout", () => {
  it("writes the layout of a real 5.1 output (mieel/PSGitChangeLog README.md)", () => {
    // The README quotes `Get-GitChangelog -OutputAs json` from Windows PowerShell; here its second release,
    // rebuilt as deserialised objects (the first release and the "..." lines of the quote left out).
    // It shows: 4 spaces a level, 2 after the colon, a container's contents indented from its opening
    // bracket, an empty {} keeping an empty line, dates as \/Date(ms)\/, Version's six properties.
    const commit = "818d1a43633b856c43f9bb30b61d5830eae2f1a9";
    const body = `<Obj RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T><T>System.Object</T></TN><MS>
      <S N="Project">PSGitChangeLog</S>
      <Obj N="Releases" RefId="1"><TN RefId="1"><T>System.Object[]</T><T>System.Array</T><T>System.Object</T></TN><LST>
        <Obj RefId="2"><TNRef RefId="0" /><MS>
          <S N="Release">0.0.4</S><DT N="ReleaseDate">2019-11-21T20:59:38Z</DT><S N="Component"></S><S N="Version">0.0.4</S>
          <S N="ReleaseCommit">${commit}</S>
          <Obj N="Commits" RefId="3"><TNRef RefId="0" /><MS>
            <Version N="ReleaseVersionid">0.0.4</Version><S N="ReleaseCommit">${commit}</S><DT N="ReleaseDate">2019-11-21T20:59:38Z</DT>
            <S N="IntentCode">💚</S><S N="Intent">Configuration, Testing</S><S N="Audience">internal</S><S N="Message">💚 use UTF8 encoding</S>
            <Obj N="IssueKey" RefId="4"><TN RefId="2"><T>System.Collections.Hashtable</T><T>System.Object</T></TN><DCT /></Obj>
            <S N="CommitId">${commit}</S>
          </MS></Obj>
        </MS></Obj>
      </LST></Obj>
    </MS></Obj>`;
    expect(convert(body, { flavour: "5.1", depth: 10 })).toBe(
      crlf(
        "{",
        '    "Project":  "PSGitChangeLog",',
        '    "Releases":  [',
        "                     {",
        '                         "Release":  "0.0.4",',
        '                         "ReleaseDate":  "\\/Date(1574369978000)\\/",',
        '                         "Component":  "",',
        '                         "Version":  "0.0.4",',
        '                         "ReleaseCommit":  "818d1a43633b856c43f9bb30b61d5830eae2f1a9",',
        '                         "Commits":  {',
        '                                         "ReleaseVersionid":  {',
        '                                                                  "Major":  0,',
        '                                                                  "Minor":  0,',
        '                                                                  "Build":  4,',
        '                                                                  "Revision":  -1,',
        '                                                                  "MajorRevision":  -1,',
        '                                                                  "MinorRevision":  -1',
        "                                                              },",
        '                                         "ReleaseCommit":  "818d1a43633b856c43f9bb30b61d5830eae2f1a9",',
        '                                         "ReleaseDate":  "\\/Date(1574369978000)\\/",',
        '                                         "IntentCode":  "💚",',
        '                                         "Intent":  "Configuration, Testing",',
        '                                         "Audience":  "internal",',
        '                                         "Message":  "💚 use UTF8 encoding",',
        '                                         "IssueKey":  {',
        "",
        "                                                      },",
        '                                         "CommitId":  "818d1a43633b856c43f9bb30b61d5830eae2f1a9"',
        "                                     }",
        "                     }",
        "                 ]",
        "}",
      ),
    );
  });

  it("writes a deserialised enum as value and Value, even beyond the depth (cisagov/ScubaGear#135)", () => {
    // The issue quotes `ConvertTo-Json @((Get-OrganizationConfig))` (default -Depth 2) in 5.1: Type is at
    // depth 3, yet written as {"value": 1, "Value": "Unknown"}: the enum is an int (a primitive, so no depth
    // limit) in a PSObject whose type names include Deserialized.System.Enum, whose types.ps1xml entry adds
    // ScriptProperty Value = $this.ToString(); AddPsProperties keeps both, as "value" is not "Value".
    const body = `<Obj RefId="0"><TN RefId="0"><T>System.Object[]</T><T>System.Array</T><T>System.Object</T></TN><LST>
      <Obj RefId="1"><TN RefId="1"><T>Microsoft.Exchange.Data.Directory.Management.OrganizationConfig</T><T>System.Object</T></TN>
        <ToString>Contoso</ToString><Props>
        <Obj N="RootPublicFolderMailbox" RefId="2"><TN RefId="2"><T>Microsoft.Exchange.Data.Directory.SystemConfiguration.PublicFolderInformation</T><T>System.Object</T></TN>
          <ToString>InvalidPublicFolderMailbox</ToString><Props>
          <B N="IsValid">false</B><B N="CanUpdate">true</B>
          <Obj N="Type" RefId="3"><TN RefId="3"><T>Microsoft.Exchange.Data.Directory.SystemConfiguration.PublicFolderInformation+HierarchyType</T><T>System.Enum</T><T>System.ValueType</T><T>System.Object</T></TN>
            <ToString>Unknown</ToString><I32>1</I32></Obj>
          <G N="HierarchyMailboxGuid">00000000-0000-0000-0000-000000000000</G><B N="LockedForMigration">false</B>
        </Props></Obj>
      </Props></Obj>
    </LST></Obj>`;
    expect(convert(body, { flavour: "5.1", depth: 2 })).toBe(
      crlf(
        "[",
        "    {",
        '        "RootPublicFolderMailbox":  {',
        '                                        "IsValid":  false,',
        '                                        "CanUpdate":  true,',
        '                                        "Type":  {',
        '                                                     "value":  1,',
        '                                                     "Value":  "Unknown"',
        "                                                 },",
        '                                        "HierarchyMailboxGuid":  "00000000-0000-0000-0000-000000000000",',
        '                                        "LockedForMigration":  false',
        "                                    }",
        "    }",
        "]",
      ),
    );
    // PowerShell 7 does the same (JsonObject.cs keeps the rule; only strings and DateTimes are exempt).
    expect(convert(body, { flavour: "7", depth: 2, compress: true })).toBe(
      '[{"RootPublicFolderMailbox":{"IsValid":false,"CanUpdate":true,"Type":{"value":1,"Value":"Unknown"},' +
        '"HierarchyMailboxGuid":"00000000-0000-0000-0000-000000000000","LockedForMigration":false}}]',
    );
  });

  it("keeps an empty line in an empty list, and aligns nested lists under their bracket", () => {
    // ConvertList and ConvertDictionary write "\r\n" on opening and "\r\n" + pad on closing.
    const body = custom(`<Obj N="Empty" RefId="1"><TN RefId="1"><T>System.Object[]</T></TN><LST /></Obj>
      <Obj N="Nested" RefId="2"><TNRef RefId="1" /><LST><S>a</S><Obj RefId="3"><TNRef RefId="1" /><LST><I32>1</I32></LST></Obj></LST></Obj>`);
    expect(convert(body, { flavour: "5.1", depth: 5 })).toBe(
      crlf(
        "{",
        '    "Empty":  [',
        "",
        "              ],",
        '    "Nested":  [',
        '                   "a",',
        "                   [",
        "                       1",
        "                   ]",
        "               ]",
        "}",
      ),
    );
    expect(convert(body, { flavour: "7", depth: 5 })).toBe(
      crlf("{", '  "Empty": [],', '  "Nested": [', '    "a",', "    [", "      1", "    ]", "  ]", "}"),
    );
  });
  it("indents a container by its key's length as written, escapes included", () => {
    // ConvertDictionary counts the key's characters between its quotes as they are in the JSON text.
    expect(
      convert(custom('<Obj N="&lt;a&gt;" RefId="1"><TN RefId="1"><T>System.Object[]</T></TN><LST><I32>1</I32></LST></Obj>'), {
        flavour: "5.1",
        depth: 2,
      }),
    ).toBe(crlf("{", '    "\\u003ca\\u003e":  [', `${" ".repeat(26)}1`, `${" ".repeat(22)}]`, "}"));
  });
});

describe("convertToJson: values", () => {
  it("escapes strings as JavaScriptSerializer (5.1) and Newtonsoft (7) do", () => {
    // 5.1: HttpEncoder.JavaScriptStringEncode also encodes ' < > & and U+0085/U+2028/U+2029 as \uXXXX (lower case).
    // 7: Newtonsoft's default escapes only controls, " and \, and U+0085/U+2028/U+2029.
    const body = `<S>&lt;a href='x'&gt;&amp;"\\\t_x0001_\u2028é</S>`;
    expect(convert(body, { flavour: "5.1", depth: 2 })).toBe('"\\u003ca href=\\u0027x\\u0027\\u003e\\u0026\\"\\\\\\t\\u0001\\u2028é"');
    expect(convert(body, { flavour: "7", depth: 2 })).toBe('"<a href=\'x\'>&\\"\\\\\\t\\u0001\\u2028é"');
  });

  it("writes dates: 5.1 as \\/Date(UTC ms)\\/, 7 as ISO 8601 by the DateTime's kind", () => {
    const dates = (offset: number, flavour: "5.1" | "7") =>
      convert(
        custom(
          `<DT N="Utc">2021-08-21T08:43:54Z</DT><DT N="Offset">2021-08-21T10:43:54+02:00</DT>` +
            `<DT N="NoZone">2021-08-21T10:43:54.1234567</DT><DT N="Half">2021-08-21T08:43:54.5000000Z</DT><DT N="PreEpoch">1969-12-31T23:59:59.9999Z</DT>`,
        ),
        { flavour, depth: 2, compress: true, utcOffsetMinutes: offset },
      );
    // XmlConvert RoundtripKind: Z is UTC, an offset becomes local time (here UTC-5), no zone is unspecified.
    // 5.1 takes ToUniversalTime (unspecified counts as local) and divides ticks by 10000, truncating.
    expect(dates(-300, "5.1")).toBe(
      '{"Utc":"\\/Date(1629535434000)\\/","Offset":"\\/Date(1629535434000)\\/","NoZone":"\\/Date(1629560634123)\\/",' +
        '"Half":"\\/Date(1629535434500)\\/","PreEpoch":"\\/Date(0)\\/"}',
    );
    // 7 (Newtonsoft, RoundtripKind): the wall clock, Z / the machine's offset / nothing, fraction without trailing zeros.
    expect(dates(-300, "7")).toBe(
      '{"Utc":"2021-08-21T08:43:54Z","Offset":"2021-08-21T03:43:54-05:00","NoZone":"2021-08-21T10:43:54.1234567",' +
        '"Half":"2021-08-21T08:43:54.5Z","PreEpoch":"1969-12-31T23:59:59.9999Z"}',
    );
    expect(dates(0, "7")).toContain('"Offset":"2021-08-21T08:43:54+00:00"');
  });

  it("writes numbers with .NET Framework's R (5.1) and .NET's shortest R plus .0 (7)", () => {
    // The captures' own doubles were written by .NET Framework's R: 5.1 writes them back unchanged.
    const body = custom(
      `<Db N="a">5</Db><Db N="b">0.083333333333333329</Db><Db N="c">5.7870370370370366E-05</Db><Db N="d">0.0069444444444444441</Db>` +
        `<Db N="e">1E-05</Db><Db N="f">-0</Db><Db N="g">NaN</Db><Sg N="h">3.4028235E+38</Sg><I64 N="i">-9007199254740991</I64><By N="j">255</By>`,
    );
    expect(convert(body, { flavour: "5.1", depth: 2, compress: true })).toBe(
      '{"a":5,"b":0.083333333333333329,"c":5.7870370370370366E-05,"d":0.0069444444444444441,"e":1E-05,"f":0,"g":NaN,' +
        '"h":3.40282347E+38,"i":-9007199254740991,"j":255}',
    );
    // JsonConvert.ToString(double): shortest round trip, ".0" when there is no '.' or 'E'; NaN as a string.
    expect(convert(body, { flavour: "7", depth: 2, compress: true })).toBe(
      '{"a":5.0,"b":0.08333333333333333,"c":5.7870370370370366E-05,"d":0.006944444444444444,"e":1E-05,"f":-0.0,"g":"NaN",' +
        '"h":3.4028235E+38,"i":-9007199254740991,"j":255}',
    );
  });

  it("writes Guid, char, Version and TimeSpan values", () => {
    const body = custom(
      `<G N="Guid">3E7C2964-A6EF-4F43-B318-B3A23880DCBC</G><C N="Char">65</C><C N="Nul">0</C><Version N="Version">15.2.1118.7</Version>` +
        `<TS N="Span">PT5S</TS>`,
    );
    // 5.1: JavaScriptSerializer writes '\0' as null; TimeSpan's properties in .NET Framework's order, the
    // totals multiplied by 1/TicksPerX: the same texts the captures hold for 5 s (E19-GetSendConnector.xml).
    expect(convert(body, { flavour: "5.1", depth: 2, compress: true })).toBe(
      '{"Guid":"3e7c2964-a6ef-4f43-b318-b3a23880dcbc","Char":"A","Nul":null,' +
        '"Version":{"Major":15,"Minor":2,"Build":1118,"Revision":7,"MajorRevision":0,"MinorRevision":7},' +
        '"Span":{"Ticks":50000000,"Days":0,"Hours":0,"Milliseconds":0,"Minutes":0,"Seconds":5,' +
        '"TotalDays":5.7870370370370366E-05,"TotalHours":0.0013888888888888887,"TotalMilliseconds":5000,' +
        '"TotalMinutes":0.083333333333333329,"TotalSeconds":5}}',
    );
    // 7: .NET 8 adds Microseconds/Nanoseconds and divides.
    expect(convert(body, { flavour: "7", depth: 2, compress: true })).toBe(
      '{"Guid":"3e7c2964-a6ef-4f43-b318-b3a23880dcbc","Char":"A","Nul":"\\u0000",' +
        '"Version":{"Major":15,"Minor":2,"Build":1118,"Revision":7,"MajorRevision":0,"MinorRevision":7},' +
        '"Span":{"Ticks":50000000,"Days":0,"Hours":0,"Milliseconds":0,"Microseconds":0,"Nanoseconds":0,"Minutes":0,"Seconds":5,' +
        '"TotalDays":5.787037037037037E-05,"TotalHours":0.001388888888888889,"TotalMilliseconds":5000.0,' +
        '"TotalMicroseconds":5000000.0,"TotalNanoseconds":5000000000.0,"TotalMinutes":0.08333333333333333,"TotalSeconds":5.0}}',
    );
    // Beyond the depth (-Depth 0: the object's members are at depth 1) a TimeSpan and a Version are no
    // primitives: their ToString. Guid and char are written as they are at any depth.
    expect(convert(body, { flavour: "7", depth: 0, compress: true })).toBe(
      '{"Guid":"3e7c2964-a6ef-4f43-b318-b3a23880dcbc","Char":"A","Nul":"\\u0000","Version":"15.2.1118.7","Span":"00:00:05"}',
    );
  });

  it("matches a real PowerShell 7 TimeSpan (Get-Date's TimeOfDay in a public sample)", () => {
    // The sample's values and order; the layout is Newtonsoft's (the sample's indentation was re-typed).
    expect(convert("<TS>PT15H11M28.1692159S</TS>", { flavour: "7", depth: 2 })).toBe(
      crlf(
        "{",
        '  "Ticks": 546881692159,',
        '  "Days": 0,',
        '  "Hours": 15,',
        '  "Milliseconds": 169,',
        '  "Microseconds": 215,',
        '  "Nanoseconds": 900,',
        '  "Minutes": 11,',
        '  "Seconds": 28,',
        '  "TotalDays": 0.6329649214803241,',
        '  "TotalHours": 15.191158115527777,',
        '  "TotalMilliseconds": 54688169.2159,',
        '  "TotalMicroseconds": 54688169215.9,',
        '  "TotalNanoseconds": 54688169215900.0,',
        '  "TotalMinutes": 911.4694869316667,',
        '  "TotalSeconds": 54688.1692159',
        "}",
      ),
    );
    expect(convert("<TS>PT15H14M8.909932S</TS>", { flavour: "7", depth: 2, compress: true })).toContain('"TotalMicroseconds":54848909932.0,');
  });
});

describe("convertToJson: objects, lists and depth", () => {
  it("writes a deserialised object's MS notes before its Props (instance members before adapted ones)", () => {
    const body = `<Obj RefId="0"><TN RefId="0"><T>X</T></TN><ToString>x</ToString><Props><S N="Name">n</S><S N="note">p</S></Props><MS><S N="Note">m</S></MS></Obj>`;
    // "note" from Props is hidden by "Note" from MS: the integrated collection compares names ignoring case.
    expect(convert(body, { flavour: "7", depth: 2, compress: true })).toBe('{"Note":"m","Name":"n"}');
  });

  it("writes beyond the depth each object's ToString, and a list as its items' ToStrings joined with a space", () => {
    const body = `<Obj RefId="0"><TN RefId="0"><T>Outer</T></TN><ToString>outer</ToString><Props>
      <Obj N="Inner" RefId="1"><TN RefId="1"><T>Inner</T></TN><ToString>inner</ToString><Props>
        <Obj N="Deep" RefId="2"><TNRef RefId="1" /><ToString>deep text</ToString><Props><I32 N="X">1</I32></Props></Obj>
        <Obj N="List" RefId="3"><TN RefId="2"><T>System.Object[]</T></TN><LST>
          <Obj RefId="4"><TNRef RefId="1" /><ToString>a</ToString></Obj><S>b</S><I32>3</I32><Nil /><BA>AQID</BA><B>true</B><Db>0.1</Db>
        </LST></Obj>
        <BA N="Bytes">AQID</BA>
        <Obj N="NoToString" RefId="5"><TN RefId="3"><T>System.Management.Automation.PSCustomObject</T></TN><MS><I32 N="X">1</I32><S N="Y">y</S></MS></Obj>
      </Props></Obj>
    </Props></Obj>`;
    // -Depth 1: Inner (depth 1) is written out; its members (depth 2) are not. PSObject.ToString of a list
    // item (recurse: false): the <ToString>, a string, a number, "" for null, a byte[]'s type name, True.
    const expected = {
      Inner: { Deep: "deep text", List: "a b 3  System.Byte[] True 0.1", Bytes: "1 2 3", NoToString: "@{X=1; Y=y}" },
    };
    expect(JSON.parse(convert(body, { flavour: "5.1", depth: 1 }))).toEqual(expected);
    expect(JSON.parse(convert(body, { flavour: "7", depth: 1 }))).toEqual(expected);
    // -Depth 0 (7 only): the object is written, each of its members as its ToString.
    expect(convert(body, { flavour: "7", depth: 0, compress: true })).toBe('{"Inner":"inner"}');
    // A list item beyond the depth is written by its ToString too.
    expect(convert(`<Obj RefId="0"><TN RefId="0"><T>L</T></TN><LST>${body}</LST></Obj>`, { flavour: "7", depth: 0, compress: true })).toBe(
      '["outer"]',
    );
  });

  it("writes byte arrays as lists of numbers within the depth", () => {
    expect(convert(custom('<BA N="Raw">AQID</BA>'), { flavour: "5.1", depth: 1 })).toBe(
      crlf("{", '    "Raw":  [', "                1,", "                2,", "                3", "            ]", "}"),
    );
  });

  it("has no {value, Count} wrapper for deserialised arrays, but wraps a list that carries notes", () => {
    // 5.1's wrapper comes from types.ps1xml's System.Array alias Count, applied when a PSObject wraps a live
    // array. A deserialised array is a PSObject over an ArrayList named Deserialized.System.Object[]: no
    // type data applies, and AddPsProperties returns the bare list. Only notes (<MS>) on a list wrap it.
    const array = `<Obj N="Items" RefId="1"><TN RefId="1"><T>System.Object[]</T><T>System.Array</T><T>System.Object</T></TN><LST><I32>1</I32><I32>2</I32></LST></Obj>`;
    expect(convert(custom(array), { flavour: "5.1", depth: 2, compress: true })).toBe('{"Items":[1,2]}');
    const noted = `<Obj N="Items" RefId="1"><TN RefId="1"><T>System.Object[]</T></TN><LST><I32>1</I32></LST><MS><S N="Note">n</S></MS></Obj>`;
    expect(convert(custom(noted), { flavour: "5.1", depth: 2, compress: true })).toBe('{"Items":{"value":[1],"Note":"n"}}');
    expect(convert(custom(noted), { flavour: "7", depth: 2, compress: true })).toBe('{"Items":{"value":[1],"Note":"n"}}');
  });

  it("adds notes to a wrapped string in 5.1 only", () => {
    // [PS7] AppendPsProperties returns early for a string or DateTime base; 5.1 has no such rule.
    const body = `<Obj RefId="0"><TN RefId="0"><T>System.String</T></TN><ToString>abc</ToString><S>abc</S><MS><S N="Note">x</S></MS></Obj>`;
    expect(convert(body, { flavour: "5.1", depth: 2, compress: true })).toBe('{"value":"abc","Note":"x"}');
    expect(convert(body, { flavour: "7", depth: 2, compress: true })).toBe('"abc"');
  });

  it("writes dictionaries with string keys and refuses other keys", () => {
    const dct = (key: string) =>
      `<Obj RefId="0"><TN RefId="0"><T>System.Collections.Hashtable</T></TN><DCT><En>${key}<S N="Value">v</S></En></DCT></Obj>`;
    expect(convert(dct('<S N="Key">k</S>'), { flavour: "7", depth: 2, compress: true })).toBe('{"k":"v"}');
    // The deserialised Hashtable keeps keys that differ only in case; so does the Dictionary written from it.
    expect(convert(dct('<S N="Key">k</S><S N="Value">v</S></En><En><S N="Key">K</S>'), { flavour: "7", depth: 2, compress: true })).toBe(
      '{"k":"v","K":"v"}',
    );
    expect(() => convert(dct('<I32 N="Key">1</I32>'), { flavour: "7", depth: 2 })).toThrow(/Keys must be strings/);
  });
});

describe("convertToJson: pipeline input", () => {
  it("collects several inputs into one array and writes a lone input as itself", () => {
    expect(convert("<S>a</S><S>b</S>", { flavour: "5.1", depth: 2 })).toBe(crlf("[", '    "a",', '    "b"', "]"));
    expect(convert("<S>a</S><S>b</S>", { flavour: "7", depth: 2 })).toBe(crlf("[", '  "a",', '  "b"', "]"));
    expect(convert("<S>a</S>", { flavour: "7", depth: 2 })).toBe('"a"');
    expect(convert("<S>a</S>", { flavour: "7", depth: 2, asArray: true })).toBe(crlf("[", '  "a"', "]"));
    expect(convert("<S>a</S>", { flavour: "7", depth: 2, newline: "\n", asArray: true })).toBe('[\n  "a"\n]');
  });

  it("drops null input in 5.1 and keeps it in 7", () => {
    expect(convert("<Nil /><S>a</S>", { flavour: "5.1", depth: 2 })).toBe('"a"');
    expect(convert("<Nil /><S>a</S>", { flavour: "7", depth: 2, compress: true })).toBe('[null,"a"]');
    expect(convert("<Nil />", { flavour: "5.1", depth: 2 })).toBe("");
    expect(convert("<Nil />", { flavour: "7", depth: 2 })).toBe("null");
  });

  it("takes the depths each version accepts", () => {
    expect(() => convert("<S>a</S>", { flavour: "5.1", depth: 0 })).toThrow(RangeError);
    expect(() => convert("<S>a</S>", { flavour: "7", depth: 101 })).toThrow(RangeError);
    expect(() => convert("<S>a</S>", { flavour: "5.1", depth: 2, asArray: true })).toThrow(RangeError);
  });
});

describe("convertToJson: rehydrated types", () => {
  const binding = (address: string) => `<Obj RefId="0"><TN RefId="0"><T>Microsoft.Exchange.Data.IPBinding</T><T>System.Net.IPEndPoint</T></TN>
    <ToString>x</ToString><Props><I32 N="Port">25</I32>
    <Obj N="Address" RefId="1"><TN RefId="1"><T>System.Net.IPAddress</T><T>System.Object</T></TN><ToString>${address}</ToString>
      <Props><S N="AddressFamily">InterNetwork</S></Props><MS><S N="IPAddressToString">${address}</S></MS></Obj>
  </Props></Obj>`;

  it("writes an IPAddress as the live object PowerShell rehydrates, without IPAddressToString", () => {
    // ReadOneObject rehydrates Deserialized.System.Net.IPAddress (types.ps1xml TargetTypeForDeserialization)
    // with IPAddress.Parse(ToString). As a property value it is a raw IPAddress: ProcessCustomObject writes
    // its properties (a throwing getter as null) and no PSObject brings the type-table IPAddressToString.
    expect(convert(binding("192.168.1.10"), { flavour: "5.1", depth: 2, compress: true })).toBe(
      '{"Port":25,"Address":{"Address":167880896,"AddressFamily":2,"ScopeId":null,"IsIPv6Multicast":false,' +
        '"IsIPv6LinkLocal":false,"IsIPv6SiteLocal":false,"IsIPv6Teredo":false,"IsIPv4MappedToIPv6":false}}',
    );
    expect(convert(binding("fe80::1%12"), { flavour: "7", depth: 2, compress: true })).toBe(
      '{"Port":25,"Address":{"AddressFamily":23,"ScopeId":12,"IsIPv6Multicast":false,"IsIPv6LinkLocal":true,' +
        '"IsIPv6SiteLocal":false,"IsIPv6Teredo":false,"IsIPv6UniqueLocal":false,"IsIPv4MappedToIPv6":false,"Address":null}}',
    );
    expect(convert(binding("192.168.1.10"), { flavour: "7", depth: 0, compress: true })).toBe('{"Port":25,"Address":"192.168.1.10"}');
    // Without rehydration: the deserialised object as the CLIXML holds it.
    expect(convert(binding("192.168.1.10"), { flavour: "7", depth: 2, compress: true, rehydrate: false })).toBe(
      '{"Port":25,"Address":{"IPAddressToString":"192.168.1.10","AddressFamily":"InterNetwork"}}',
    );
  });

  it("refuses a certificate, which PowerShell rehydrates into a live X509Certificate2", () => {
    const cert = `<Obj RefId="0"><TN RefId="0"><T>Microsoft.Exchange.Management.SystemConfigurationTasks.ExchangeCertificate</T>
      <T>System.Security.Cryptography.X509Certificates.X509Certificate2</T><T>System.Object</T></TN><ToString>[Subject]</ToString>
      <Props><BA N="RawData">AQID</BA></Props><MS><S N="PSComputerName">ex1</S></MS></Obj>`;
    expect(() => convert(cert, { flavour: "5.1", depth: 2 })).toThrow(UnreproducibleError);
    expect(convert(cert, { flavour: "7", depth: 2, compress: true, rehydrate: false })).toBe('{"PSComputerName":"ex1","RawData":[1,2,3]}');
  });
});

describe("convertToJson: the captures", () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".xml"));
  const read = (file: string) => parseCliXml(readFileSync(join(FIXTURES, file), "utf8"), file);

  it.each(files.flatMap((file) => (["5.1", "7"] as const).map((flavour) => [file, flavour] as const)))(
    "converts %s in PowerShell %s at depths 2, 4, 6 and 10 to JSON",
    (file, flavour) => {
      const values = read(file);
      const certificates = file.includes("ExchangeCertificate");
      for (const depth of [2, 4, 6, 10]) {
        if (certificates) {
          // Get-ExchangeCertificate objects name X509Certificate2 among their types: PowerShell rehydrates them.
          expect(() => convertToJson(values, { flavour, depth })).toThrow(UnreproducibleError);
        }
        const text = convertToJson(values, { flavour, depth, rehydrate: !certificates });
        const parsed: unknown = JSON.parse(text);
        expect(Array.isArray(parsed) ? parsed.length : 1).toBe(values.length);
      }
    },
  );

  it("writes E19-GetReceiveConnector.xml's inner objects as strings at -Depth 2 and as objects at -Depth 6", () => {
    const values = read("E19-GetReceiveConnector.xml");
    for (const flavour of ["5.1", "7"] as const) {
      const [shallow, deep] = [2, 6].map((depth) => JSON.parse(convertToJson(values, { flavour, depth })) as Record<string, unknown>[]);
      const frontend = (list: Record<string, unknown>[] | undefined) => list?.find((c) => c.Name === "Default Frontend WIN-CTD3L0RGEN4");
      const [s, d] = [frontend(shallow), frontend(deep)];
      // Five connectors make an array (depth 0), each connector is at depth 1, its lists at depth 2 and their
      // items at depth 3: beyond -Depth 2 each item is its ToString.
      expect(s?.RemoteIPRanges).toEqual(["::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "0.0.0.0-255.255.255.255"]);
      expect(s?.Bindings).toEqual(["[::]:25", "0.0.0.0:25"]);
      expect(d?.RemoteIPRanges).toEqual([
        expect.objectContaining({ LowerBound: "::", UpperBound: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", RangeFormat: "LoHi" }),
        expect.objectContaining({ LowerBound: "0.0.0.0", UpperBound: "255.255.255.255", Expression: "0.0.0.0-255.255.255.255" }),
      ]);
      // At -Depth 6 a binding's Address is the rehydrated IPAddress: numbers, and no IPAddressToString.
      const binding = (d?.Bindings as Record<string, unknown>[] | undefined)?.[1];
      expect(binding).toMatchObject({ Port: 25, AddressFamily: "InterNetwork", Address: { AddressFamily: 2, Address: 0, ScopeId: null } });
      expect(binding?.Address).not.toHaveProperty("IPAddressToString");
      // Enums are {value, Value} at every depth; SerializationData (depth 2) is a list of numbers at both.
      for (const c of [s, d]) {
        expect(c?.AuthMechanism).toEqual({ value: 31, Value: "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer" });
        expect(Array.isArray(c?.SerializationData)).toBe(true);
      }
    }
  });
});
