import { describe, expect, it } from "vitest";
import { z } from "zod";
import { RECEIVE_AUTH_MECHANISMS, TLS_AUTH_LEVEL } from "./enums.js";
import {
  ipRangeText,
  listItems,
  psAddressSpace,
  psBindingPort,
  psBool,
  psDomainCapabilities,
  psEnum,
  psHost,
  psIpAddress,
  psList,
  psName,
} from "./values.js";

/** The messages of a refused value: each reader promises its own, never zod's default. */
function refusal(schema: z.ZodType, value: unknown): string[] {
  const result = schema.safeParse(value);
  if (result.success) throw new Error(`expected ${JSON.stringify(value)} to be refused, got ${JSON.stringify(result.data)}`);
  return result.error.issues.map((issue) => issue.message);
}

describe("listItems and psList", () => {
  const items = [{ Name: "a" }, { Name: "b" }];

  it("takes an array as it is", () => {
    expect(listItems(items)).toBe(items);
  });

  it("unwraps Windows PowerShell 5.1's {value, Count} wrapper, with or without Count", () => {
    expect(listItems({ value: items, Count: 2 })).toEqual(items);
    expect(listItems({ value: items })).toEqual(items);
  });

  it("reads a lone object as a one-item list (ConvertTo-Json of a single result)", () => {
    expect(listItems({ Name: "a" })).toEqual([{ Name: "a" }]);
    expect(listItems("0.0.0.0:25")).toEqual(["0.0.0.0:25"]);
  });

  it("reads null and absent as an empty list", () => {
    expect(listItems(null)).toEqual([]);
    expect(listItems(undefined)).toEqual([]);
  });

  it("keeps an object that merely has a value key among others as one item", () => {
    // An Exchange object with a property named "value" is data, not a wrapper.
    const object = { value: ["x"], Count: 1, Name: "not a wrapper" };
    expect(listItems(object)).toEqual([object]);
    // Nor is one whose value is not an array.
    expect(listItems({ value: "x", Count: 1 })).toEqual([{ value: "x", Count: 1 }]);
  });

  it("psList reads each shape and checks every item", () => {
    const ports = psList(z.number());
    expect(ports.parse([25, 587])).toEqual([25, 587]);
    expect(ports.parse({ value: [25], Count: 1 })).toEqual([25]);
    expect(ports.parse(25)).toEqual([25]);
    expect(ports.parse(null)).toEqual([]);
    const result = ports.safeParse([25, "x"]);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual([1]);
  });
});

describe("psBool", () => {
  it("reads JSON booleans and the strings PowerShell prints, in any case", () => {
    expect(psBool.parse(true)).toBe(true);
    expect(psBool.parse(false)).toBe(false);
    expect(psBool.parse("True")).toBe(true);
    expect(psBool.parse("False")).toBe(false);
    expect(psBool.parse(" TRUE ")).toBe(true);
    expect(psBool.parse("false")).toBe(false);
  });

  it("refuses anything else with its message", () => {
    for (const bad of ["yes", "1", 1, 0, null, {}]) expect(refusal(psBool, bad)).toEqual(["expected true or false"]);
  });
});

describe("psName", () => {
  it("reads a string, trimmed, or an object carrying the name", () => {
    expect(psName.parse("  EX01 ")).toBe("EX01");
    expect(psName.parse({ Name: "EX01", DistinguishedName: "CN=EX01,CN=Servers" })).toBe("EX01");
    expect(psName.parse({ name: "EX02" })).toBe("EX02");
    expect(psName.parse({ DistinguishedName: "CN=EX03,CN=Servers" })).toBe("CN=EX03,CN=Servers");
  });

  it("refuses an empty name and what is no name, with its messages", () => {
    expect(refusal(psName, "  ")).toEqual(["expected a non-empty name"]);
    expect(refusal(psName, 7)).toEqual(["expected a name (a string, or an object with Name)"]);
    expect(refusal(psName, { ObjectGuid: "x" })).toEqual(["expected a name (a string, or an object with Name)"]);
  });
});

describe("psEnum", () => {
  const levels = psEnum(TLS_AUTH_LEVEL);
  const auth = psEnum(RECEIVE_AUTH_MECHANISMS);
  const expected = "expected EncryptionOnly, CertificateValidation, DomainValidation, or their numbers";
  const expectedFlags =
    "expected None, Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer, ExternalAuthoritative (or several, comma-separated), or their numbers";

  it("reads names in any case, in Exchange's spelling", () => {
    expect(levels.parse("DomainValidation")).toEqual(["DomainValidation"]);
    expect(levels.parse("domainvalidation")).toEqual(["DomainValidation"]);
    expect(levels.parse(" ENCRYPTIONONLY ")).toEqual(["EncryptionOnly"]);
  });

  it("reads the numbers serialised objects carry", () => {
    expect(levels.parse(4)).toEqual(["DomainValidation"]);
    expect(levels.parse(2)).toEqual(["CertificateValidation"]);
  });

  it("reads a flags number as each of its bits", () => {
    expect(auth.parse(3)).toEqual(["Tls", "Integrated"]);
    expect(auth.parse(7)).toEqual(["Tls", "Integrated", "BasicAuth"]);
    // Zero is a value of its own where the enum names it.
    expect(auth.parse(0)).toEqual(["None"]);
  });

  it('reads a flags string ("Tls, Integrated"), an array of names and an array of numbers as each name', () => {
    expect(auth.parse("Tls, Integrated")).toEqual(["Tls", "Integrated"]);
    expect(auth.parse("tls,basicauth")).toEqual(["Tls", "BasicAuth"]);
    expect(auth.parse(["Integrated", "BasicAuth"])).toEqual(["Integrated", "BasicAuth"]);
    expect(auth.parse([1, 4])).toEqual(["Tls", "BasicAuth"]);
  });

  it("reads a single-valued enum's name whole, commas and all", () => {
    expect(refusal(levels, "EncryptionOnly, DomainValidation")).toEqual([
      `"EncryptionOnly, DomainValidation" is not a value of TlsAuthLevel: ${expected}`,
    ]);
  });

  it("refuses an unknown name or number, naming the enum and what was expected", () => {
    expect(refusal(levels, "Opportunistic")).toEqual([`"Opportunistic" is not a value of TlsAuthLevel: ${expected}`]);
    expect(refusal(levels, 3)).toEqual([`3 is not a value of TlsAuthLevel: ${expected}`]);
    expect(refusal(levels, true)).toEqual([`is boolean true: ${expected}`]);
    expect(refusal(auth, "Tls, Kerberos")).toEqual([`"Kerberos" is not a value of AuthMechanisms: ${expectedFlags}`]);
  });

  it("refuses a flags number with a bit it does not know", () => {
    // 65 is Tls plus an unknown bit 64: reading it as Tls alone would hide a value the enum cannot name.
    expect(refusal(auth, 65)).toEqual([`65 is not a value of AuthMechanisms: ${expectedFlags}`]);
    expect(refusal(auth, 64)).toEqual([`64 is not a value of AuthMechanisms: ${expectedFlags}`]);
    expect(refusal(auth, 1.5)).toEqual([`1.5 is not a value of AuthMechanisms: ${expectedFlags}`]);
  });
});

describe("psHost", () => {
  it("lower-cases and drops brackets and a trailing dot", () => {
    expect(psHost.parse("Mail.Contoso.COM.")).toBe("mail.contoso.com");
    expect(psHost.parse("[10.0.0.1]")).toBe("10.0.0.1");
    expect(psHost.parse("  mail.contoso.com ")).toBe("mail.contoso.com");
  });

  it("reads a smart host given by name as Exchange serialises it: Address 0.0.0.0, the name under Domain", () => {
    // From a real Get-SendConnector capture (E19-GetSendConnector.xml): the reader must not take Address first.
    const byName = {
      Address: { Address: 0, AddressFamily: "InterNetwork", IsIPv6Multicast: false, IPAddressToString: "0.0.0.0" },
      IsIPAddress: false,
      Domain: "microsoft-com.mail.protection.outlook.com",
    };
    expect(psHost.parse(byName)).toBe("microsoft-com.mail.protection.outlook.com");
    expect(psHost.parse({ Address: null, IsIPAddress: false, Domain: { HostnameString: "Relay.Contoso.com" } })).toBe("relay.contoso.com");
  });

  it("reads a smart host given by address, as an IPAddress object or as text", () => {
    expect(psHost.parse({ Address: { IPAddressToString: "10.0.0.2", AddressFamily: "InterNetwork" }, IsIPAddress: true, Domain: null })).toBe(
      "10.0.0.2",
    );
    expect(psHost.parse({ Address: "[10.0.0.2]", IsIPAddress: true })).toBe("10.0.0.2");
  });

  it("reads domain objects: Fqdn, SmtpDomain and SmtpDomainWithSubdomains (whose Address keeps the *.)", () => {
    expect(psHost.parse({ Domain: "Contoso.com" })).toBe("contoso.com");
    expect(psHost.parse({ HostnameString: "Smtp.Contoso.com" })).toBe("smtp.contoso.com");
    expect(psHost.parse({ Address: "*.contoso.local", IncludeSubDomains: true, Domain: "contoso.local", SmtpDomain: "contoso.local" })).toBe(
      "*.contoso.local",
    );
    expect(psHost.parse({ IncludeSubDomains: true, Domain: "contoso.local" })).toBe("*.contoso.local");
    expect(psHost.parse({ AutoDiscover: false, Domain: "contoso.com" })).toBe("contoso.com");
  });

  it("refuses what carries no host name, with its message", () => {
    expect(refusal(psHost, "")).toEqual(["expected a host name"]);
    expect(refusal(psHost, 25)).toEqual(["expected a host name"]);
    expect(refusal(psHost, { IsIPAddress: false })).toEqual(["expected a host name"]);
  });
});

describe("psAddressSpace", () => {
  const expected = "expected an address space such as smtp:contoso.mail.onmicrosoft.com;1";

  it("reads type:domain;cost, a bare domain and the object form as the domain, lower-case", () => {
    expect(psAddressSpace.parse("smtp:Contoso.mail.onmicrosoft.com;1")).toBe("contoso.mail.onmicrosoft.com");
    expect(psAddressSpace.parse("SMTP:*;10")).toBe("*");
    expect(psAddressSpace.parse("fabrikam.com")).toBe("fabrikam.com");
    expect(psAddressSpace.parse({ Type: "smtp", Address: "Fabrikam.com", Cost: 1 })).toBe("fabrikam.com");
  });

  it("refuses what is no address space, with its message", () => {
    expect(refusal(psAddressSpace, 1)).toEqual([expected]);
    expect(refusal(psAddressSpace, { Cost: 1 })).toEqual([expected]);
    // Type and cost with no domain between them.
    expect(refusal(psAddressSpace, "smtp:;1")).toEqual([expected]);
  });
});

describe("psBindingPort", () => {
  const expected = "expected a binding such as 0.0.0.0:25";

  it("reads the port of IPv4 and IPv6 bindings and of the object form", () => {
    expect(psBindingPort.parse("0.0.0.0:25")).toBe(25);
    expect(psBindingPort.parse("[::]:2525")).toBe(2525);
    expect(psBindingPort.parse({ Address: "0.0.0.0", Port: 587 })).toBe(587);
    expect(psBindingPort.parse({ Address: "::", Port: "465" })).toBe(465);
  });

  it("refuses a binding without a port or with one out of range, with its message", () => {
    expect(refusal(psBindingPort, "0.0.0.0")).toEqual([expected]);
    expect(refusal(psBindingPort, { Address: "0.0.0.0" })).toEqual([expected]);
    expect(refusal(psBindingPort, { Address: "0.0.0.0", Port: "smtp" })).toEqual([expected]);
    expect(refusal(psBindingPort, "0.0.0.0:70000")).toEqual([expected]);
  });
});

describe("psDomainCapabilities", () => {
  const expected = "expected domain:capabilities, such as mail.protection.outlook.com:AcceptCloudServicesMail";

  it("reads the string form, each comma-separated capability", () => {
    expect(psDomainCapabilities.parse("Mail.Protection.Outlook.com:AcceptCloudServicesMail")).toEqual({
      domain: "mail.protection.outlook.com",
      capabilities: ["AcceptCloudServicesMail"],
    });
    expect(psDomainCapabilities.parse("contoso.com:AcceptOorgProtocol, AcceptCloudServicesMail")).toEqual({
      domain: "contoso.com",
      capabilities: ["AcceptOorgProtocol", "AcceptCloudServicesMail"],
    });
  });

  it("reads Capabilities as the SmtpReceiveCapabilities number a local session writes (512 is AcceptCloudServicesMail)", () => {
    expect(psDomainCapabilities.parse({ Domain: "mail.protection.outlook.com", Capabilities: 512, SmtpX509Identifier: null })).toEqual({
      domain: "mail.protection.outlook.com",
      capabilities: ["AcceptCloudServicesMail"],
    });
    expect(psDomainCapabilities.parse({ Domain: "contoso.com", Capabilities: 514 })).toEqual({
      domain: "contoso.com",
      capabilities: ["AcceptOorgProtocol", "AcceptCloudServicesMail"],
    });
  });

  it("reads the object form, with Domain as text or as a domain object and Capabilities as text or array", () => {
    const serialised = {
      Domain: { Address: "mail.protection.outlook.com", Domain: "mail.protection.outlook.com", IncludeSubDomains: false },
      Capabilities: "AcceptCloudServicesMail",
      SmtpX509Identifier: null,
    };
    expect(psDomainCapabilities.parse(serialised)).toEqual({ domain: "mail.protection.outlook.com", capabilities: ["AcceptCloudServicesMail"] });
    expect(psDomainCapabilities.parse({ Domain: "Contoso.com", Capabilities: ["AcceptOorgProtocol", "AcceptCloudServicesMail"] })).toEqual({
      domain: "contoso.com",
      capabilities: ["AcceptOorgProtocol", "AcceptCloudServicesMail"],
    });
  });

  it("refuses what is not domain:capabilities, with its message", () => {
    expect(refusal(psDomainCapabilities, "mail.protection.outlook.com")).toEqual([expected]);
    expect(refusal(psDomainCapabilities, 1)).toEqual([expected]);
    // No domain, whether missing from the object or empty before the colon.
    expect(refusal(psDomainCapabilities, { Capabilities: "AcceptCloudServicesMail" })).toEqual([expected]);
    expect(refusal(psDomainCapabilities, ":AcceptCloudServicesMail")).toEqual([expected]);
  });
});

describe("psIpAddress", () => {
  it("reads text, a serialised IPAddress with IPAddressToString, and one with only its IPv4 Address number", () => {
    expect(psIpAddress.parse(" 192.0.2.25 ")).toBe("192.0.2.25");
    expect(psIpAddress.parse({ Address: 0, AddressFamily: "InterNetwork", IPAddressToString: "0.0.0.0" })).toBe("0.0.0.0");
    expect(psIpAddress.parse({ AddressFamily: "InterNetworkV6", ScopeId: 0, IPAddressToString: "2001:db8::1" })).toBe("2001:db8::1");
    // IPAddress.Address is the four bytes read little-endian: 16777343 is 127.0.0.1, 419561664 is 192.0.2.25.
    expect(psIpAddress.parse({ Address: 16777343, AddressFamily: 2 })).toBe("127.0.0.1");
    expect(psIpAddress.parse({ Address: 419561664, AddressFamily: "InterNetwork" })).toBe("192.0.2.25");
  });

  it("refuses what is no address", () => {
    expect(refusal(psIpAddress, "mail.contoso.com")).toEqual(["expected an IP address"]);
    expect(refusal(psIpAddress, { Address: 1, AddressFamily: "InterNetworkV6" })).toEqual(["expected an IP address"]);
  });
});

describe("ipRangeText", () => {
  const agree = (a: string, b: string) => a.replace(/\s/g, "") === b.replace(/\s/g, "");

  it("takes a string as it is, and an IPRange's Expression", () => {
    expect(ipRangeText(" 10.0.0.0/8 ", agree)).toBe("10.0.0.0/8");
    expect(
      ipRangeText({ LowerBound: "0.0.0.0", UpperBound: "255.255.255.255", RangeFormat: "LoHi", Expression: "0.0.0.0-255.255.255.255" }, agree),
    ).toBe("0.0.0.0-255.255.255.255");
  });

  it("reads bounds that are deserialised IPAddress objects", () => {
    const bound = (text: string) => ({ IPAddressToString: text, Address: 0, AddressFamily: "InterNetwork" });
    expect(ipRangeText({ LowerBound: bound("192.0.2.1"), UpperBound: bound("192.0.2.9"), RangeFormat: 0 }, agree)).toBe("192.0.2.1-192.0.2.9");
    expect(ipRangeText({ LowerBound: bound("192.0.2.1"), UpperBound: bound("192.0.2.9"), Expression: "192.0.2.1-192.0.2.9" }, agree)).toBe(
      "192.0.2.1-192.0.2.9",
    );
  });

  it("refuses bounds that are no address and an Expression the bounds contradict", () => {
    expect(() => ipRangeText({ LowerBound: { Port: 1 }, UpperBound: "192.0.2.9" }, agree)).toThrow(
      "LowerBound: is an object: expected an IP address",
    );
    expect(() => ipRangeText({ LowerBound: "192.0.2.1", UpperBound: "192.0.2.9", Expression: "192.0.2.0/24" }, agree)).toThrow(
      'Expression "192.0.2.0/24" does not match LowerBound/UpperBound "192.0.2.1-192.0.2.9"',
    );
  });
});

describe("listItems joined", () => {
  it("splits the text PowerShell makes of a list beyond ConvertTo-Json's depth, only where asked", () => {
    expect(listItems("0.0.0.0-255.255.255.255 ::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", { joined: true })).toEqual([
      "0.0.0.0-255.255.255.255",
      "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ]);
    expect(listItems("Default Frontend EX01")).toEqual(["Default Frontend EX01"]);
  });
});
