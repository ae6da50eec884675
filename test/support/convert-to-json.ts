import { bytesOf, type PsObject, type PsPrimitive, type PsValue } from "../../src/serialised/clixml.js";

/**
 * What `Import-Clixml <file> | ConvertTo-Json -Depth N` writes, in Windows
 * PowerShell 5.1 and in PowerShell 7.4, for the values `parseCliXml` read.
 *
 * It follows the cmdlets' own code, step by step, so that the text is the
 * cmdlet's to the byte. Sources (short names used in the comments below):
 *
 * - [PS7] PowerShell/PowerShell tag v7.4.19,
 *   src/Microsoft.PowerShell.Commands.Utility/commands/utility/WebCmdlet/JsonObject.cs
 *   (ProcessValue, AddPsProperties, AppendPsProperties, ProcessCustomObject) and ConvertToJsonCommand.cs.
 * - [PS51] the same repository at 60b3b304f2 (2016-03-30, "Move files from psl-monad submodule"), the
 *   Windows PowerShell code: ConvertToJsonCommand.cs, its `#else` (Full CLR) branches: JavaScriptSerializer
 *   and ConvertToPrettyJsonString. The same ProcessValue as [PS7] but for the null and string/DateTime rules.
 *   Replaced by Newtonsoft formatting in d69193e49c (PS 6, #2787).
 * - [JSS] microsoft/referencesource System.Web.Extensions/Script/Serialization/JavaScriptSerializer.cs
 *   and System.Web/Util/HttpEncoder.cs (JavaScriptStringEncode, CharRequiresJavaScriptEncoding).
 * - [NJ] JamesNK/Newtonsoft.Json tag 13.0.4 (the version v7.4.19 references): JsonTextWriter.cs,
 *   JsonConvert.cs (ToString(double), EnsureDecimalPlace), Utilities/JavaScriptUtils.cs, Utilities/DateTimeUtils.cs.
 * - [SER] src/System.Management.Automation/engine/serialization.cs (both versions): ReadPSObject (Props become
 *   *adapted* members, MS become *instance* note properties, a ToString element becomes a ToString method),
 *   ReadListContainer (ArrayList), ReadDictionary (Hashtable), DateTime by XmlConvert RoundtripKind,
 *   ReadOneObject + DeserializingTypeConverter (rehydration of IPAddress, X509Certificate2 and others).
 * - [ETS] MshMemberInfo.cs GetIntegratedMembers (instance members, then type table, then adapted; the first
 *   of a name wins, names compared ignoring case) and MshObject.cs PSObject.ToString / ToStringEnumerable /
 *   ToStringEmptyBaseObject; TypeTable_Types_Ps1Xml.cs (v7.4.19) and Types_Ps1Xml.generated.cs (60b3b304f2).
 * - [NETFX] referencesource mscorlib/system/timespan.cs, version.cs, System/net/System/Net/IPAddress.cs.
 * - [NET8] dotnet/runtime Number.Formatting.cs (FormatDouble, FormatGeneral), TimeSpan.cs, IPAddress.cs.
 * - Real outputs: cisagov/ScubaGear#135 (5.1, a deserialised enum as {"value": 1, "Value": "Unknown"}),
 *   mieel/PSGitChangeLog README.md (5.1 layout, \/Date()\/, empty {}), a PowerShell 7 Get-Date sample
 *   (TimeSpan property order, `54848909932.0`) — see convert-to-json.test.ts.
 */

export type PowerShellFlavour = "5.1" | "7";

export interface ConvertToJsonOptions {
  flavour: PowerShellFlavour;
  /** `-Depth`: 5.1 accepts 1–100, 7 accepts 0–100. */
  depth: number;
  /**
   * The converting machine's offset from UTC, in minutes (default 0). Deserialising turns a date with an
   * offset into local time ([SER]: XmlConvert RoundtripKind); 7 writes local times with this offset, 5.1
   * takes it to turn a date without zone into UTC. A fixed offset: a zone with daylight saving time needs
   * the offset in force at the dates concerned.
   */
  utcOffsetMinutes?: number;
  /** `-Compress`. */
  compress?: boolean;
  /** `-AsArray` (7 only; 5.1 has no such parameter). */
  asArray?: boolean;
  /** 7's line ends: Newtonsoft writes Environment.NewLine, "\r\n" on Windows (default), "\n" elsewhere. 5.1 always writes "\r\n". */
  newline?: "\r\n" | "\n";
  /**
   * Whether to do what PowerShell's deserialiser does with types that types.ps1xml marks for rehydration
   * (default true): an IPAddress becomes a live System.Net.IPAddress, written here as PowerShell writes one.
   * Other such types (X509Certificate2, X500DistinguishedName, MailAddress, CultureInfo…, and CIM instances)
   * become live objects whose JSON (a certificate's Handle is a process pointer) cannot be reproduced: they
   * throw UnreproducibleError. With false every object is written as the CLIXML holds it, which is what
   * PowerShell writes for all but those types.
   */
  rehydrate?: boolean;
}

/** An object PowerShell would turn into a live .NET object whose ConvertTo-Json text this module cannot know. */
export class UnreproducibleError extends Error {
  override name = "UnreproducibleError";
}

/**
 * The text `ConvertTo-Json` writes for pipeline input `values` (the objects in an Export-Clixml file, in
 * order), or "" when it writes nothing (5.1 with no input other than null, which it drops).
 */
export function convertToJson(values: readonly PsValue[], options: ConvertToJsonOptions): string {
  const { flavour, depth } = options;
  if (!Number.isInteger(depth)) throw new RangeError(`depth ${depth} is not an integer`);
  // [PS51] [ValidateRange(1, int.MaxValue)] and BeginProcessing's maxDepthAllowed = 100; [PS7] [ValidateRange(0, 100)].
  const lowest = flavour === "5.1" ? 1 : 0;
  if (depth < lowest || depth > 100) throw new RangeError(`ConvertTo-Json in PowerShell ${flavour} takes -Depth ${lowest} to 100, not ${depth}`);
  if (options.asArray && flavour === "5.1") throw new RangeError("ConvertTo-Json in PowerShell 5.1 has no -AsArray");

  // [PS51] ProcessRecord keeps only InputObject != null; [PS7] keeps every input, null too.
  const inputs = flavour === "5.1" ? values.filter((v) => v.kind !== "nil") : [...values];
  if (inputs.length === 0) return "";
  const converter = new Converter(options);
  // EndProcessing: several inputs (or -AsArray) become an object[] at depth 0, whose items are at depth 1;
  // a lone input is itself at depth 0. The object[] is no PSObject, so nothing is added to it.
  const node: JsonNode =
    inputs.length > 1 || options.asArray
      ? { kind: "list", items: inputs.map((v) => converter.value(v, 1)) }
      : converter.value(inputs[0] as PsValue, 0);
  if (flavour === "5.1") {
    const compact = javaScriptSerializer(node);
    return options.compress ? compact : prettyJson51(compact);
  }
  return newtonsoft(node, options.compress ? undefined : (options.newline ?? "\r\n"));
}

// ---------------------------------------------------------------------------------------------------------
// The preprocessed object: what ProcessValue hands the serialiser (dictionaries, lists and primitives).

interface DotNetDateTime {
  /** The DateTime's own ticks (its wall clock), from 0001-01-01. */
  ticks: bigint;
  kind: "Utc" | "Local" | "Unspecified";
}

type JsonNode =
  | { kind: "null" }
  | { kind: "string"; value: string }
  | { kind: "char"; value: string }
  | { kind: "bool"; value: boolean }
  | { kind: "integer"; text: string }
  | { kind: "double"; value: number }
  | { kind: "single"; value: number }
  | { kind: "decimal"; value: number }
  /** Written when made: the text depends on the flavour and the machine's offset. */
  | { kind: "date"; json: string }
  | { kind: "guid"; value: string }
  | { kind: "list"; items: JsonNode[] }
  /** Dictionary<string, object>: insertion order, keys compared with case. */
  | { kind: "dict"; entries: Map<string, JsonNode> };

const NULL: JsonNode = { kind: "null" };
const str = (value: string): JsonNode => ({ kind: "string", value });
const int = (value: number | bigint): JsonNode => ({ kind: "integer", text: integerText(value) });

/** A rehydrated System.Net.IPAddress ([SER] RehydrateIPAddress: IPAddress.Parse(pso.ToString())). */
interface IpAddress {
  text: string;
  v6: boolean;
  /** 4 bytes, or 8 16-bit labels for IPv6. */
  parts: number[];
  scopeId: number;
}

/** A member as the integrated collection yields it: a value to convert, or a script property's string. */
interface Member {
  name: string;
  value: PsValue | { script: string };
}

const TICKS_PER_DAY = 864_000_000_000n;
const EPOCH_TICKS = 621_355_968_000_000_000n;

/**
 * Types whose Deserialized.* type data has TargetTypeForDeserialization (same list in both versions' types
 * files), plus CimInstance, which ReadOneObject rehydrates itself. An object naming one of them anywhere in
 * its type names is rehydrated ([SER] IsDeserializedInstanceOfType looks at every type name).
 */
const REHYDRATED_TYPES = [
  "Microsoft.PowerShell.Commands.ModuleSpecification",
  "System.Globalization.CultureInfo",
  "System.Management.Automation.Breakpoint",
  "System.Management.Automation.BreakpointUpdatedEventArgs",
  "System.Management.Automation.CommandCompletion",
  "System.Management.Automation.CompletionResult",
  "System.Management.Automation.CustomControlEntry",
  "System.Management.Automation.CustomItemBase",
  "System.Management.Automation.DebuggerCommand",
  "System.Management.Automation.DebuggerCommandResults",
  "System.Management.Automation.DebuggerStopEventArgs",
  "System.Management.Automation.DisplayEntry",
  "System.Management.Automation.EntrySelectedBy",
  "System.Management.Automation.ExtendedTypeDefinition",
  "System.Management.Automation.FormatViewDefinition",
  "System.Management.Automation.JobStateEventArgs",
  "System.Management.Automation.JobStateInfo",
  "System.Management.Automation.ListControlEntry",
  "System.Management.Automation.ListControlEntryItem",
  "System.Management.Automation.PSControl",
  "System.Management.Automation.PSControlGroupBy",
  "System.Management.Automation.PSCredential",
  "System.Management.Automation.PSListModifier",
  "System.Management.Automation.PSPrimitiveDictionary",
  "System.Management.Automation.ParameterSetMetadata",
  "System.Management.Automation.Remoting.PSSessionOption",
  "System.Management.Automation.SwitchParameter",
  "System.Management.Automation.TableControlColumn",
  "System.Management.Automation.TableControlColumnHeader",
  "System.Management.Automation.TableControlRow",
  "System.Management.Automation.WideControlEntryItem",
  "System.Net.Mail.MailAddress",
  "System.Security.AccessControl.FileSystemSecurity",
  "System.Security.AccessControl.RegistrySecurity",
  "System.Security.Cryptography.X509Certificates.X500DistinguishedName",
  "System.Security.Cryptography.X509Certificates.X509Certificate2",
  "Microsoft.Management.Infrastructure.CimInstance",
].map((t) => t.toLowerCase());

/** Members of a live IPAddress: a note of the deserialised object is re-added only under another name ([SER] DeserializingTypeConverter.ConvertFrom). */
const IPADDRESS_MEMBERS = new Set(
  [
    "Address",
    "AddressFamily",
    "ScopeId",
    "IsIPv6Multicast",
    "IsIPv6LinkLocal",
    "IsIPv6SiteLocal",
    "IsIPv6Teredo",
    "IsIPv6UniqueLocal",
    "IsIPv4MappedToIPv6",
    "IPAddressToString",
    "PSStandardMembers",
    "Equals",
    "GetAddressBytes",
    "GetHashCode",
    "GetType",
    "MapToIPv4",
    "MapToIPv6",
    "ToString",
    "TryFormat",
    "TryWriteBytes",
  ].map((n) => n.toLowerCase()),
);

const hasType = (obj: PsObject, name: string) => obj.typeNames.some((t) => t.toLowerCase() === name.toLowerCase());

class Converter {
  private readonly flavour: PowerShellFlavour;
  private readonly depth: number;
  private readonly offsetTicks: bigint;
  private readonly rehydrate: boolean;
  private readonly ips = new Map<PsObject, IpAddress | null>();

  constructor(options: ConvertToJsonOptions) {
    this.flavour = options.flavour;
    this.depth = options.depth;
    this.offsetTicks = BigInt(Math.round((options.utcOffsetMinutes ?? 0) * 60)) * 10_000_000n;
    this.rehydrate = options.rehydrate ?? true;
  }

  /** ProcessValue(obj, currentDepth). */
  value(v: PsValue, depth: number): JsonNode {
    // PowerShell would recurse until the stack overflows (a list whose note holds the list itself).
    if (depth > this.depth + 200) throw new Error("ConvertTo-Json would recurse without end: an object refers to itself through notes");
    if (v.kind !== "object") return this.raw(v, depth);
    const ip = this.ipAddress(v);
    if (ip) return this.ipAddressValue(v, ip, depth);
    const base = v.base?.kind === "nil" ? undefined : v.base;
    if (base === undefined) {
      // A PSObject over PSCustomObject: beyond the depth, the PSObject itself is converted to a string.
      if (depth > this.depth) return str(this.toStringTop(v));
      // ProcessCustomObject(PSCustomObject) finds no public members: the properties come from AppendPsProperties.
      return this.addPsProperties(v, { kind: "dict", entries: new Map() }, depth, true);
    }
    if (base.kind === "list") {
      // Beyond the depth LanguagePrimitives.ConvertTo(baseObject, string): the ArrayList's items, each by
      // its ToString, joined with $OFS (" ") ([ETS] ToStringEnumerable); the list's own ToString is not used.
      const rv: JsonNode =
        depth > this.depth
          ? str(base.items.map((i) => this.toStringItem(i)).join(" "))
          : { kind: "list", items: base.items.map((i) => this.value(i, depth + 1)) };
      return this.addPsProperties(v, rv, depth, false);
    }
    if (base.kind === "dictionary") {
      let rv: JsonNode;
      if (depth > this.depth) {
        // IDictionary is not enumerable to PowerShell (LanguagePrimitives.CalculateGetEnumerable): its type name.
        rv = str(dictionaryTypeName(v));
      } else {
        const entries = new Map<string, JsonNode>();
        for (const [key, value] of base.entries) {
          // ProcessDictionary: `entry.Key as string`, else the terminating error NonStringKeyInDictionary.
          if (key.kind !== "string") {
            throw new Error(
              `The type '${dictionaryTypeName(v)}' is not supported for serialization or deserialization of a dictionary. Keys must be strings.`,
            );
          }
          // [SER] PSDictionary keeps keys that differ only in case, and even equal ones (by reference); the
          // Dictionary<string, object> ProcessDictionary fills then throws on an equal one.
          if (entries.has(key.value)) throw new Error("An item with the same key has already been added.");
          entries.set(key.value, this.value(value, depth + 1));
        }
        rv = { kind: "dict", entries };
      }
      return this.addPsProperties(v, rv, depth, false);
    }
    // A wrapped primitive: an enum's number, or a string, date, byte[]… with type names and notes.
    const custom = (base.kind === "duration" || base.kind === "version") && depth <= this.depth;
    return this.addPsProperties(v, this.raw(base, depth), depth, custom);
  }

  /** ProcessValue for a value no PSObject wraps (a note's or an item's primitive). */
  private raw(p: PsPrimitive, depth: number): JsonNode {
    switch (p.kind) {
      case "nil":
        return NULL;
      case "string":
        return str(p.value);
      case "char":
        return { kind: "char", value: p.value };
      case "bool":
        return { kind: "bool", value: p.value };
      case "number":
        return numberNode(p.value, p.tag);
      case "date": {
        const date = this.dateTime(p.value);
        return { kind: "date", json: this.flavour === "5.1" ? this.dateJson51(date) : this.dateJson7(date) };
      }
      case "guid":
        return { kind: "guid", value: p.value.toLowerCase() };
      case "bytes":
        // byte[] is IEnumerable: a list of numbers, or beyond the depth its items joined with " ".
        if (depth > this.depth) return str([...bytesOf(p)].join(" "));
        return { kind: "list", items: [...bytesOf(p)].map((b) => int(b)) };
      case "duration": {
        const ticks = durationTicks(p.value);
        if (depth > this.depth) return str(timeSpanText(ticks));
        return { kind: "dict", entries: new Map(this.timeSpanProperties(ticks)) };
      }
      case "version": {
        if (depth > this.depth) return str(p.value);
        return { kind: "dict", entries: new Map(versionProperties(p.value)) };
      }
    }
  }

  /**
   * AddPsProperties + AppendPsProperties: the PSObject's members are added to the converted base object;
   * a base that is no dictionary goes under "value", and if nothing was added the base is returned as is.
   */
  private addPsProperties(obj: PsObject, rv: JsonNode, depth: number, isCustomObject: boolean): JsonNode {
    const base = obj.base;
    // [PS7] AppendPsProperties adds nothing to a string or a DateTime; [PS51] has no such rule.
    if (this.flavour === "7" && (base?.kind === "string" || base?.kind === "date")) return rv;
    const wasDictionary = rv.kind === "dict";
    const dict = rv.kind === "dict" ? rv.entries : new Map<string, JsonNode>([["value", rv]]);
    for (const member of this.members(obj, isCustomObject)) {
      // receiver.Contains: a Dictionary<string, object>, so "Value" is not "value".
      if (dict.has(member.name)) continue;
      dict.set(member.name, "script" in member.value ? str(member.value.script) : this.value(member.value, depth + 1));
    }
    if (!wasDictionary && dict.size === 1) return rv;
    return { kind: "dict", entries: dict };
  }

  /**
   * The properties PSMemberInfoIntegratingCollection yields for Extended (and Adapted when the object went
   * through ProcessCustomObject): instance members (the MS notes), then type-table members, then adapted
   * members (the Props). The first of a name wins, names compared ignoring case.
   */
  private members(obj: PsObject, withAdapted: boolean): Member[] {
    const out: Member[] = [];
    const seen = new Set<string>();
    const add = (m: Member) => {
      const key = m.name.toLowerCase();
      if (seen.has(key)) return;
      seen.add(key);
      out.push(m);
    };
    for (const p of obj.properties) if (p.extended) add({ name: p.name, value: p.value });
    // [ETS] Deserialized.System.Enum has ScriptProperty Value = $this.ToString(), in both types files; the
    // deserialised ToString method returns the <ToString> text. This is why an enum is {"value", "Value"}.
    if (hasType(obj, "System.Enum")) add({ name: "Value", value: { script: this.wrappedToString(obj) } });
    if (withAdapted) for (const p of obj.properties) if (!p.extended) add({ name: p.name, value: p.value });
    return out;
  }

  /** The ToString method of a deserialised PSObject: its <ToString>, else the base object's ToString. */
  private wrappedToString(obj: PsObject): string {
    if (obj.toString !== undefined) return obj.toString;
    const base = obj.base;
    if (base === undefined || base.kind === "nil") return "";
    if (base.kind === "list") return "System.Collections.ArrayList";
    if (base.kind === "dictionary") return dictionaryTypeName(obj);
    return this.primitiveToString(base);
  }

  /**
   * LanguagePrimitives.ConvertTo(pso, string) of a PSObject over PSCustomObject ([ETS] PSObject.ToString
   * with recurse): the brokered ToString (the <ToString> text), else "@{Name=value; …}" of its properties.
   */
  private toStringTop(obj: PsObject): string {
    if (obj.toString !== undefined) return obj.toString;
    const parts: string[] = [];
    for (const m of this.members(obj, true)) {
      // ToStringEmptyBaseObject does not run script properties: it writes their type's name.
      const text = "script" in m.value ? "System.Management.Automation.PSScriptProperty" : this.toStringItem(m.value);
      parts.push(`${m.name}=${text}`);
    }
    return parts.length === 0 ? "" : `@{${parts.join("; ")}}`;
  }

  /** PSObject.ToString(…, recurse: false) of AsPSObject(item): an item of a list converted to a string. */
  private toStringItem(v: PsValue): string {
    if (v.kind !== "object") return this.primitiveToString(v);
    const ip = this.ipAddress(v);
    if (ip) return ip.text;
    return this.wrappedToString(v);
  }

  /** A primitive's ToString(null, InvariantCulture), as PSObject.ToString writes it. */
  private primitiveToString(p: PsPrimitive): string {
    switch (p.kind) {
      case "nil":
        return "";
      case "string":
      case "char":
        return p.value;
      case "bool":
        return p.value ? "True" : "False";
      case "number":
        // Doubles with "G15", singles with "G7" (LanguagePrimitives.DoublePrecision; 5.1's ToString() is G15 too).
        if (p.tag === "Db") return dotNetGeneral(p.value, 15, this.flavour);
        if (p.tag === "Sg") return dotNetGeneral(Math.fround(p.value), 7, this.flavour);
        if (p.tag === "D") return decimalText(p.value);
        return integerText(p.value);
      case "date":
        return invariantDateText(this.dateTime(p.value).ticks);
      case "duration":
        return timeSpanText(durationTicks(p.value));
      case "guid":
        return p.value.toLowerCase();
      case "version":
        return p.value;
      case "bytes":
        return "System.Byte[]";
    }
  }

  // --- rehydration -------------------------------------------------------------------------------------

  /** The live IPAddress PowerShell makes of this object, if it makes one; throws for types it cannot write. */
  private ipAddress(obj: PsObject): IpAddress | null {
    if (!this.rehydrate) return null;
    const known = this.ips.get(obj);
    if (known !== undefined) return known;
    const rehydrated = obj.typeNames.find((t) => REHYDRATED_TYPES.includes(t.toLowerCase()));
    if (rehydrated) {
      throw new UnreproducibleError(
        `an object of type ${obj.typeNames[0] ?? "?"}: PowerShell rehydrates it into a live ${rehydrated}, ` +
          "whose ConvertTo-Json text cannot be reproduced; convert with rehydrate: false to write it as the CLIXML holds it",
      );
    }
    // A ToString that IPAddress.Parse refuses leaves the object deserialised (ReadOneObject catches the cast).
    const ip = hasType(obj, "System.Net.IPAddress") && obj.toString !== undefined ? parseIpAddress(obj.toString) : null;
    this.ips.set(obj, ip);
    return ip;
  }

  /**
   * A live IPAddress: ProcessCustomObject writes its public properties in the runtime's declaration order.
   * No PSObject wraps it (a property's value is the raw object), so IPAddressToString, a type-table member,
   * is not written, unless a note of the deserialised object had to be re-added to a wrapping PSObject.
   */
  private ipAddressValue(obj: PsObject, ip: IpAddress, depth: number): JsonNode {
    const notes = obj.properties.filter((p) => p.extended && !IPADDRESS_MEMBERS.has(p.name.toLowerCase()));
    const rv: JsonNode = depth > this.depth ? str(ip.text) : { kind: "dict", entries: new Map(this.ipAddressProperties(ip)) };
    if (notes.length === 0) return rv;
    // AppendPsProperties on the wrapping PSObject: the re-added notes (instance members), then the type
    // table's IPAddressToString; the adapted properties are those already written.
    const dict = rv.kind === "dict" ? rv.entries : new Map<string, JsonNode>([["value", rv]]);
    for (const p of notes) if (!dict.has(p.name)) dict.set(p.name, this.value(p.value, depth + 1));
    if (!dict.has("IPAddressToString")) dict.set("IPAddressToString", str(ip.text));
    return { kind: "dict", entries: dict };
  }

  private ipAddressProperties(ip: IpAddress): [string, JsonNode][] {
    const [n0 = 0, n1 = 0] = ip.parts;
    const v6 = (test: boolean): JsonNode => ({ kind: "bool", value: ip.v6 && test });
    const mapped = ip.v6 && ip.parts.slice(0, 5).every((x) => x === 0) && ip.parts[5] === 0xffff;
    // Address throws for IPv6 and ScopeId for IPv4: ProcessCustomObject writes null for a getter that throws.
    const address = ip.v6 ? NULL : int(ip.parts.reduce((sum, b, i) => sum + b * 256 ** i, 0));
    const family = int(ip.v6 ? 23 : 2);
    const scope = ip.v6 ? int(ip.scopeId) : NULL;
    const common: [string, JsonNode][] = [
      ["IsIPv6Multicast", v6((n0 & 0xff00) === 0xff00)],
      ["IsIPv6LinkLocal", v6((n0 & 0xffc0) === 0xfe80)],
      ["IsIPv6SiteLocal", v6((n0 & 0xffc0) === 0xfec0)],
      ["IsIPv6Teredo", v6(n0 === 0x2001 && n1 === 0)],
    ];
    // [NETFX] declares Address first; [NET8] declares Address last and has IsIPv6UniqueLocal (.NET 5).
    if (this.flavour === "5.1") {
      return [
        ["Address", address],
        ["AddressFamily", family],
        ["ScopeId", scope],
        ...common,
        ["IsIPv4MappedToIPv6", { kind: "bool", value: mapped }],
      ];
    }
    return [
      ["AddressFamily", family],
      ["ScopeId", scope],
      ...common,
      ["IsIPv6UniqueLocal", v6((n0 & 0xfe00) === 0xfc00)],
      ["IsIPv4MappedToIPv6", { kind: "bool", value: mapped }],
      ["Address", address],
    ];
  }

  // --- dates and time spans ----------------------------------------------------------------------------

  /** XmlConvert.ToDateTime(text, RoundtripKind): Z is UTC, an offset becomes local time, no zone is unspecified. */
  private dateTime(text: string): DotNetDateTime {
    const m = /^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$/.exec(text);
    if (!m) throw new Error(`${JSON.stringify(text)} is not an xs:dateTime`);
    const fraction = BigInt((m[7] ?? "").slice(0, 7).padEnd(7, "0"));
    const ticks =
      daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3])) * TICKS_PER_DAY +
      BigInt(Number(m[4]) * 3600 + Number(m[5]) * 60 + Number(m[6])) * 10_000_000n +
      fraction;
    const zone = m[8];
    if (zone === undefined) return { ticks, kind: "Unspecified" };
    if (zone === "Z") return { ticks, kind: "Utc" };
    const sign = zone.startsWith("-") ? -1n : 1n;
    const offset = sign * BigInt(Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 600_000_000n;
    return { ticks: ticks - offset + this.offsetTicks, kind: "Local" };
  }

  private dateJson51(d: DotNetDateTime): string {
    // [JSS] SerializeDateTime: (ToUniversalTime().Ticks - 1970 ticks) / 10000; Local and Unspecified are local time.
    const utc = d.kind === "Utc" ? d.ticks : d.ticks - this.offsetTicks;
    return `"\\/Date(${(utc - EPOCH_TICKS) / 10_000n})\\/"`;
  }

  private dateJson7(d: DotNetDateTime): string {
    // [NJ] DateTimeUtils.WriteDateTimeString (IsoDateFormat, RoundtripKind): fraction without trailing zeros,
    // Z for UTC, the machine's offset for local time, nothing for unspecified.
    let zone = "";
    if (d.kind === "Utc") zone = "Z";
    if (d.kind === "Local") {
      const minutes = Number(this.offsetTicks / 600_000_000n);
      const abs = Math.abs(minutes);
      zone = `${minutes >= 0 ? "+" : "-"}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
    }
    const { year, month, day, hour, minute, second, fraction } = civilFromTicks(d.ticks);
    const frac = fraction === 0 ? "" : `.${pad(fraction, 7).replace(/0+$/, "")}`;
    return `"${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}${frac}${zone}"`;
  }

  /** ProcessCustomObject(TimeSpan): its public properties, in the runtime's declaration order. */
  private timeSpanProperties(ticks: bigint): [string, JsonNode][] {
    const t = Number(ticks);
    const part = (per: bigint, mod: bigint) => int((ticks / per) % mod);
    const ms = (value: number): JsonNode => ({ kind: "double", value: clampMilliseconds(value) });
    const dbl = (value: number): JsonNode => ({ kind: "double", value });
    const head: [string, JsonNode][] = [
      ["Ticks", int(ticks)],
      ["Days", int(ticks / TICKS_PER_DAY)],
      ["Hours", part(36_000_000_000n, 24n)],
      ["Milliseconds", part(10_000n, 1000n)],
    ];
    const clock: [string, JsonNode][] = [
      ["Minutes", part(600_000_000n, 60n)],
      ["Seconds", part(10_000_000n, 60n)],
    ];
    if (this.flavour === "5.1") {
      // [NETFX] multiplies by constants 1.0 / TicksPerX (the captures' own TotalDays show it: 5.7870370370370366E-05).
      return [
        ...head,
        ...clock,
        ["TotalDays", dbl(t * (1 / 864e9))],
        ["TotalHours", dbl(t * (1 / 36e9))],
        ["TotalMilliseconds", ms(t * (1 / 1e4))],
        ["TotalMinutes", dbl(t * (1 / 6e8))],
        ["TotalSeconds", dbl(t * (1 / 1e7))],
      ];
    }
    // [NET8] divides, and adds Microseconds/Nanoseconds (.NET 7) after Milliseconds.
    return [
      ...head,
      ["Microseconds", part(10n, 1000n)],
      ["Nanoseconds", int((ticks % 10n) * 100n)],
      ...clock,
      ["TotalDays", dbl(t / 864e9)],
      ["TotalHours", dbl(t / 36e9)],
      ["TotalMilliseconds", ms(t / 1e4)],
      ["TotalMicroseconds", dbl(t / 10)],
      ["TotalNanoseconds", dbl(t * 100)],
      ["TotalMinutes", dbl(t / 6e8)],
      ["TotalSeconds", dbl(t / 1e7)],
    ];
  }
}

function numberNode(value: number, tag: string): JsonNode {
  if (tag === "Db") return { kind: "double", value };
  if (tag === "Sg") return { kind: "single", value: Math.fround(value) };
  if (tag === "D") return { kind: "decimal", value };
  return int(value);
}

function dictionaryTypeName(obj: PsObject): string {
  // [SER] ReadDictionary makes an OrderedDictionary when the first type name says so, else a Hashtable.
  return obj.typeNames[0] === "System.Collections.Specialized.OrderedDictionary"
    ? "System.Collections.Specialized.OrderedDictionary"
    : "System.Collections.Hashtable";
}

function integerText(value: number | bigint): string {
  if (typeof value === "bigint") return value.toString();
  // Beyond 2^53 the parser's number has already lost digits; BigInt at least avoids exponent notation.
  return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
}

function decimalText(value: number): string {
  // decimal.ToString(InvariantCulture) never uses an exponent. The parser keeps no scale (1.50 reads as 1.5).
  const d = decompose(value);
  if (d.digits === "") return "0";
  const sign = d.negative ? "-" : "";
  if (d.scale <= 0) return `${sign}0.${"0".repeat(-d.scale)}${d.digits}`;
  if (d.scale >= d.digits.length) return `${sign}${d.digits}${"0".repeat(d.scale - d.digits.length)}`;
  return `${sign}${d.digits.slice(0, d.scale)}.${d.digits.slice(d.scale)}`;
}

function clampMilliseconds(value: number): number {
  // TotalMilliseconds clamps to ±long.MaxValue / TicksPerMillisecond.
  const max = 922337203685477;
  return Math.min(Math.max(value, -max), max);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** Days from 0001-01-01 in the proleptic Gregorian calendar, as DateTime counts them. */
function daysFromCivil(year: number, month: number, day: number): bigint {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  // 719468 days from 0000-03-01 to 1970-01-01; 719162 from 0001-01-01 to 1970-01-01.
  return BigInt(era * 146097 + doe - 719468 + 719162);
}

function civilFromTicks(ticks: bigint) {
  const days = Number(ticks / TICKS_PER_DAY);
  const inDay = ticks % TICKS_PER_DAY;
  const z = days - 719162 + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const seconds = Number(inDay / 10_000_000n);
  return {
    year,
    month,
    day,
    hour: Math.floor(seconds / 3600),
    minute: Math.floor(seconds / 60) % 60,
    second: seconds % 60,
    fraction: Number(inDay % 10_000_000n),
  };
}

/** DateTime.ToString(null, InvariantCulture): "MM/dd/yyyy HH:mm:ss". */
function invariantDateText(ticks: bigint): string {
  const c = civilFromTicks(ticks);
  return `${pad(c.month, 2)}/${pad(c.day, 2)}/${pad(c.year, 4)} ${pad(c.hour, 2)}:${pad(c.minute, 2)}:${pad(c.second, 2)}`;
}

/** XmlConvert.ToTimeSpan of an xs:duration; a year counts 365 days and a month 30 (XsdDuration). */
function durationTicks(text: string): bigint {
  const m = /^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d+))?S)?)?$/.exec(text);
  if (!m) throw new Error(`${JSON.stringify(text)} is not an xs:duration`);
  const n = (i: number) => BigInt(m[i] ?? "0");
  const days = n(2) * 365n + n(3) * 30n + n(4);
  const seconds = ((days * 24n + n(5)) * 60n + n(6)) * 60n + n(7);
  const ticks = seconds * 10_000_000n + BigInt((m[8] ?? "").slice(0, 7).padEnd(7, "0"));
  return m[1] ? -ticks : ticks;
}

/** TimeSpan.ToString() ("c"): [-][d.]hh:mm:ss[.fffffff]. */
function timeSpanText(ticks: bigint): string {
  const negative = ticks < 0n;
  const t = negative ? -ticks : ticks;
  const days = t / TICKS_PER_DAY;
  const seconds = Number((t % TICKS_PER_DAY) / 10_000_000n);
  const fraction = Number(t % 10_000_000n);
  const clock = `${pad(Math.floor(seconds / 3600), 2)}:${pad(Math.floor(seconds / 60) % 60, 2)}:${pad(seconds % 60, 2)}`;
  return `${negative ? "-" : ""}${days > 0n ? `${days}.` : ""}${clock}${fraction ? `.${pad(fraction, 7)}` : ""}`;
}

/** ProcessCustomObject(Version): Major, Minor, Build, Revision, MajorRevision, MinorRevision (both runtimes). */
function versionProperties(text: string): [string, JsonNode][] {
  const parts = text.split(".").map(Number);
  const [major = 0, minor = 0, build = -1, revision = -1] = parts;
  const short = (n: number) => ((n & 0xffff) << 16) >> 16;
  return [
    ["Major", int(major)],
    ["Minor", int(minor)],
    ["Build", int(build)],
    ["Revision", int(revision)],
    ["MajorRevision", int(short(revision >> 16))],
    ["MinorRevision", int(short(revision & 0xffff))],
  ];
}

/** IPAddress.Parse of the canonical text IPAddress.ToString wrote; null for anything else (left deserialised). */
function parseIpAddress(text: string): IpAddress | null {
  const v4 = (s: string): number[] | null => {
    const parts = s.split(".");
    if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
    return parts.map(Number);
  };
  const four = v4(text);
  if (four) return { text, v6: false, parts: four, scopeId: 0 };
  const [address = "", scope, extra] = text.split("%");
  if (extra !== undefined || (scope !== undefined && !/^\d+$/.test(scope))) return null;
  let body = address;
  const tail: number[] = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (dotted) {
    const bytes = v4(dotted[2] ?? "");
    if (!bytes) return null;
    tail.push(((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0), ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0));
    body = dotted[1]?.endsWith("::") ? (dotted[1] ?? "") : (dotted[1] ?? "").slice(0, -1);
  }
  const halves = body.split("::");
  if (halves.length > 2) return null;
  const group = (s: string) => (s === "" ? [] : s.split(":"));
  const head = group(halves[0] ?? "");
  const rest = halves.length === 2 ? group(halves[1] ?? "") : [];
  if ([...head, ...rest].some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  const given = head.length + rest.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return null;
  const labels = [...head.map((g) => Number.parseInt(g, 16)), ...Array(8 - given).fill(0), ...rest.map((g) => Number.parseInt(g, 16)), ...tail];
  return { text, v6: true, parts: labels, scopeId: scope === undefined ? 0 : Number(scope) };
}

// ---------------------------------------------------------------------------------------------------------
// .NET number formatting.

interface Digits {
  negative: boolean;
  /** Significant digits without trailing zeros; "" for zero. */
  digits: string;
  /** value = 0.digits × 10^scale (the NumberBuffer's Scale). */
  scale: number;
}

/** The digits of x: the shortest that round-trip, or `precision` significant digits correctly rounded. */
function decompose(x: number, precision?: number): Digits {
  const negative = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  if (a === 0) return { negative, digits: "", scale: 0 };
  const [mantissa = "", exponent = "0"] = (precision === undefined ? a.toExponential() : a.toExponential(precision - 1)).split("e");
  return { negative, digits: mantissa.replace(".", "").replace(/0+$/, ""), scale: Number(exponent) + 1 };
}

/** Number.Formatting FormatGeneral: fixed unless the exponent is > nMaxDigits or < -4 in scientific terms; "E+XX". */
function formatGeneral(d: Digits, nMaxDigits: number, negativeZero: boolean): string {
  let digPos = d.scale;
  let scientific = false;
  if (digPos > nMaxDigits || digPos < -3) {
    digPos = 1;
    scientific = true;
  }
  let out = d.negative && (d.digits !== "" || negativeZero) ? "-" : "";
  let i = 0;
  if (digPos > 0) {
    do {
      out += d.digits[i] ?? "0";
      if (i < d.digits.length) i++;
    } while (--digPos > 0);
  } else {
    out += "0";
  }
  if (i < d.digits.length || digPos < 0) {
    out += ".";
    while (digPos < 0) {
      out += "0";
      digPos++;
    }
    out += d.digits.slice(i);
  }
  if (scientific) {
    const e = d.scale - 1;
    out += `E${e < 0 ? "-" : "+"}${pad(Math.abs(e), 2)}`;
  }
  return out;
}

function nonFinite(x: number): string | undefined {
  if (Number.isNaN(x)) return "NaN";
  if (x === Number.POSITIVE_INFINITY) return "Infinity";
  if (x === Number.NEGATIVE_INFINITY) return "-Infinity";
  return undefined;
}

/** .NET Framework "R": 15 (7 for float) digits if they round-trip, else 17 (9); -0 prints as 0. */
function netFrameworkRoundTrip(x: number, short: number, long: number): string {
  const special = nonFinite(x);
  if (special) return special;
  const single = short === 7;
  const back = (d: Digits) => {
    const n = Number(`${d.negative ? "-" : ""}0.${d.digits || "0"}e${d.scale}`);
    return single ? Math.fround(n) : n;
  };
  const first = decompose(x, short);
  if (back(first) === x) return formatGeneral(first, short, false);
  return formatGeneral(decompose(x, long), long, false);
}

/** .NET Core 3.0+ "R": the shortest digits that round-trip, scientific past max(digits, 17) (9 for float). */
function netCoreRoundTrip(x: number, single: boolean): string {
  const special = nonFinite(x);
  if (special) return special;
  let d = decompose(x);
  if (single) {
    for (let p = 1; p <= 9; p++) {
      const candidate = decompose(x, p);
      if (Math.fround(Number(`0.${candidate.digits || "0"}e${candidate.scale}`)) === Math.abs(x)) {
        d = candidate;
        break;
      }
    }
  }
  return formatGeneral(d, Math.max(d.digits.length, single ? 9 : 17), true);
}

/** ToString("G15") / ("G7"). */
function dotNetGeneral(x: number, precision: number, flavour: PowerShellFlavour): string {
  const special = nonFinite(x);
  if (special) return special;
  return formatGeneral(decompose(x, precision), precision, flavour === "7");
}

// ---------------------------------------------------------------------------------------------------------
// Windows PowerShell 5.1: JavaScriptSerializer, then ConvertToPrettyJsonString.

/**
 * A JSON string as both serialisers escape it: \t \n \r \f \b \\ \", other controls and U+0085, U+2028, U+2029 as
 * \uXXXX in lower case, and whatever `more` lists the same way.
 */
function quoteJson(s: string, more = ""): string {
  let out = '"';
  for (let k = 0; k < s.length; k++) {
    const ch = s[k] as string;
    const code = ch.charCodeAt(0);
    if (ch === "\t") out += "\\t";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\f") out += "\\f";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\\") out += "\\\\";
    else if (ch === '"') out += '\\"';
    else if (code < 0x20 || code === 0x85 || code === 0x2028 || code === 0x2029 || more.includes(ch))
      out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

/** [JSS] HttpEncoder.JavaScriptStringEncode: also ' < > & (HTML-sensitive). */
const quote51 = (s: string) => quoteJson(s, "'<>&");

function primitiveJson51(node: JsonNode): string {
  switch (node.kind) {
    case "null":
      return "null";
    case "string":
      return quote51(node.value);
    case "char":
      // [JSS] the null char is written as null.
      return node.value === "\0" ? "null" : quote51(node.value);
    case "bool":
      return node.value ? "true" : "false";
    case "integer":
      return node.text;
    case "double":
      // [JSS] ToString("r"): NaN and infinities come out bare, which is not JSON.
      return netFrameworkRoundTrip(node.value, 15, 17);
    case "single":
      return netFrameworkRoundTrip(node.value, 7, 9);
    case "decimal":
      return decimalText(node.value);
    case "date":
      return node.json;
    case "guid":
      return `"${node.value}"`;
    default:
      throw new Error(`not a primitive: ${node.kind}`);
  }
}

function javaScriptSerializer(node: JsonNode): string {
  const write = (n: JsonNode): string => {
    if (n.kind === "list") return `[${n.items.map(write).join(",")}]`;
    if (n.kind === "dict") {
      // [JSS] SerializeDictionary writes a "__type" key first.
      const entries = [...n.entries];
      const typeFirst = entries.findIndex(([k]) => k === "__type");
      if (typeFirst > 0) entries.unshift(...entries.splice(typeFirst, 1));
      return `{${entries.map(([k, v]) => `${quote51(k)}:${write(v)}`).join(",")}}`;
    }
    return primitiveJson51(n);
  };
  return write(node);
}

/**
 * [PS51] ConvertToPrettyJsonString, ConvertDictionary, ConvertList and ConvertQuotedString, as written:
 * "\r\n" line ends, four spaces a level, two spaces after a colon, and a container's contents indented
 * from the column of its opening bracket (an empty one keeps an empty line).
 */
function prettyJson51(json: string): string {
  if (!json.startsWith("{") && !json.startsWith("[")) return json;
  const out: string[] = [json[0] as string];
  if (json.startsWith("{")) convertDictionary(json, 1, out, "", 0);
  else convertList(json, 1, out, "", 0);
  return out.join("");
}

const spaces = (n: number) => " ".repeat(n);

function convertList(json: string, index: number, result: string[], padString: string, numberOfSpaces: number): number {
  result.push("\r\n");
  const newPad = `${padString}${spaces(numberOfSpaces)}    `;
  let headChar = true;
  for (let i = index; i < json.length; i++) {
    const c = json[i] as string;
    switch (c) {
      case "{":
        result.push(newPad, c);
        i = convertDictionary(json, i + 1, result, newPad, 0);
        headChar = false;
        break;
      case "[":
        result.push(newPad, c);
        i = convertList(json, i + 1, result, newPad, 0);
        headChar = false;
        break;
      case "]":
        result.push("\r\n", padString, spaces(numberOfSpaces), c);
        return i;
      case '"':
        if (headChar) result.push(newPad);
        result.push(c);
        i = convertQuotedString(json, i + 1, result);
        headChar = false;
        break;
      case ",":
        result.push(c, "\r\n");
        headChar = true;
        break;
      default:
        if (headChar) result.push(newPad);
        result.push(c);
        headChar = false;
    }
  }
  throw new Error("JsonStringInBadFormat");
}

function convertQuotedString(json: string, index: number, result: string[]): number {
  for (let i = index; i < json.length; i++) {
    result.push(json[i] as string);
    if (json[i] === '"') {
      // A quote is escaped when an odd number of backslashes precede it.
      let j = i;
      let escaped = false;
      while (j > 0 && json[--j] === "\\") escaped = !escaped;
      if (!escaped) return i;
    }
  }
  throw new Error("JsonStringInBadFormat");
}

function convertDictionary(json: string, index: number, result: string[], padString: string, numberOfSpaces: number): number {
  result.push("\r\n");
  const newPad = `${padString}${spaces(numberOfSpaces)}    `;
  let headChar = true;
  let beforeQuote = true;
  let newSpaceCount = 0;
  for (let i = index; i < json.length; i++) {
    const c = json[i] as string;
    switch (c) {
      case "{":
        result.push(c);
        i = convertDictionary(json, i + 1, result, newPad, newSpaceCount);
        headChar = false;
        break;
      case "[":
        result.push(c);
        i = convertList(json, i + 1, result, newPad, newSpaceCount);
        headChar = false;
        break;
      case "}":
        result.push("\r\n", padString, spaces(numberOfSpaces), c);
        return i;
      case '"': {
        if (headChar) result.push(newPad);
        result.push(c);
        const end = convertQuotedString(json, i + 1, result);
        // The key's length as written (escapes included) sets the indent of a container value.
        if (beforeQuote) newSpaceCount += end - i + 1;
        i = end;
        headChar = false;
        break;
      }
      case ":":
        result.push(c, "  ");
        newSpaceCount += 3;
        headChar = false;
        beforeQuote = false;
        break;
      case ",":
        result.push(c, "\r\n");
        headChar = true;
        beforeQuote = true;
        newSpaceCount = 0;
        break;
      default:
        if (headChar) result.push(newPad);
        result.push(c);
        if (beforeQuote) newSpaceCount += 1;
        headChar = false;
    }
  }
  throw new Error("JsonStringInBadFormat");
}

// ---------------------------------------------------------------------------------------------------------
// PowerShell 7: Newtonsoft.Json, Formatting.Indented (two spaces, "key": value) or none.

/** [NJ] JavaScriptUtils with StringEscapeHandling.Default. */
const quote7 = (s: string) => quoteJson(s);

/** [NJ] JsonConvert.ToString(double): "R", ".0" when it has no '.', 'E' or 'e'; NaN and infinities as strings (FloatFormatHandling.String). */
function double7(x: number, single: boolean): string {
  const text = netCoreRoundTrip(x, single);
  if (!Number.isFinite(x)) return `"${text}"`;
  return /[.Ee]/.test(text) ? text : `${text}.0`;
}

function primitiveJson7(node: JsonNode): string {
  switch (node.kind) {
    case "null":
      return "null";
    case "string":
    case "char":
      return quote7(node.value);
    case "bool":
      return node.value ? "true" : "false";
    case "integer":
      return node.text;
    case "double":
      return double7(node.value, false);
    case "single":
      return double7(node.value, true);
    case "decimal": {
      const text = decimalText(node.value);
      return text.includes(".") ? text : `${text}.0`;
    }
    case "date":
      return node.json;
    case "guid":
      return `"${node.value}"`;
    default:
      throw new Error(`not a primitive: ${node.kind}`);
  }
}

function newtonsoft(node: JsonNode, newline: string | undefined): string {
  const out: string[] = [];
  const write = (n: JsonNode, level: number) => {
    if (n.kind !== "list" && n.kind !== "dict") {
      out.push(primitiveJson7(n));
      return;
    }
    const [open, close] = n.kind === "list" ? ["[", "]"] : ["{", "}"];
    const size = n.kind === "list" ? n.items.length : n.entries.size;
    out.push(open);
    if (size === 0) {
      out.push(close);
      return;
    }
    const indent = newline === undefined ? "" : `${newline}${spaces((level + 1) * 2)}`;
    let first = true;
    const each = (key: string | undefined, v: JsonNode) => {
      if (!first) out.push(",");
      first = false;
      out.push(indent);
      if (key !== undefined) out.push(quote7(key), newline === undefined ? ":" : ": ");
      write(v, level + 1);
    };
    if (n.kind === "list") for (const v of n.items) each(undefined, v);
    else for (const [k, v] of n.entries) each(k, v);
    if (newline !== undefined) out.push(newline, spaces(level * 2));
    out.push(close);
  };
  write(node, 0);
  return out.join("");
}
