#!/usr/bin/env python3
"""The drift check as an admin would script it with the standard library:
ipaddress reads the entries and writes the covers, the set arithmetic runs on
integer intervals (sort, merge, sweep), which is what makes such a script
usable on large lists at all; ipaddress.collapse_addresses and
address_exclude on 200,000 networks take several times longer.

Usage: python3 bench/check.py INVENTORY FEED-FILE

INVENTORY is a mailflow-guard inventory (only `allowlists` are read), FEED-FILE
a saved /endpoints response. The EOP SMTP set is the union of the ips of the
Exchange endpoint sets whose tcpPorts include 25. For each allowlist it prints

    missing = EOP - coverage
    stale   = coverage - EOP - protected   (exact lists only)

as minimal CIDR covers, IPv4 before IPv6, ascending, in one JSON object
{name: {"missing": [...], "stale": [...]}} on stdout, and one JSON line
{"ms": ..., "peakRssBytes": ...} on stderr. `benchmark` compares both with
`mailflow-guard check`.
"""
import ipaddress
import json
import resource
import sys
import time


LOCAL_RANGES = ["127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10", "::1", "fc00::/7", "fe80::/10"]


def parse_entry(text):
    """A single address, a CIDR (host bits ignored) or an a-b range, as (version, first, last) integers."""
    text = text.strip()
    if "-" in text:
        first, last = (ipaddress.ip_address(part.strip()) for part in text.split("-", 1))
        return first.version, int(first), int(last)
    net = ipaddress.ip_network(text, strict=False)
    return net.version, int(net.network_address), int(net.broadcast_address)


def merge(intervals):
    """Sorted, disjoint, non-adjacent intervals per family: {4: [(first, last), ...], 6: [...]}."""
    out = {4: [], 6: []}
    for version, first, last in sorted(intervals):
        merged = out[version]
        if merged and first <= merged[-1][1] + 1:
            if last > merged[-1][1]:
                merged[-1] = (merged[-1][0], last)
        else:
            merged.append((first, last))
    return out


def subtract(a, b):
    """`a` minus `b`, both merged; a linear sweep per family."""
    out = {}
    for version in (4, 6):
        result, holes, j = [], b[version], 0
        for first, last in a[version]:
            while j < len(holes) and holes[j][1] < first:
                j += 1
            k = j
            while k < len(holes) and holes[k][0] <= last:
                if holes[k][0] > first:
                    result.append((first, holes[k][0] - 1))
                first = max(first, holes[k][1] + 1)
                k += 1
            if first <= last:
                result.append((first, last))
        out[version] = result
    return out


def union(a, b):
    return merge([(v, f, l) for v in (4, 6) for f, l in a[v] + b[v]])


def cover(merged):
    """The minimal CIDR cover, IPv4 first, then IPv6, each ascending."""
    make = {4: ipaddress.IPv4Address, 6: ipaddress.IPv6Address}
    return [
        str(net)
        for version in (4, 6)
        for first, last in merged[version]
        for net in ipaddress.summarize_address_range(make[version](first), make[version](last))
    ]


def has_port_25(ports):
    for part in (ports or "").split(","):
        low, _, high = part.strip().partition("-")
        if low and int(low) <= 25 <= int(high or low):
            return True
    return False


def eop_smtp(feed):
    return merge(
        parse_entry(ip)
        for endpoint_set in feed
        if endpoint_set.get("serviceArea") == "Exchange" and has_port_25(endpoint_set.get("tcpPorts"))
        for ip in endpoint_set.get("ips", [])
    )


def main():
    inventory_file, feed_file = sys.argv[1:3]
    started = time.perf_counter()
    with open(inventory_file, encoding="utf-8") as f:
        inventory = json.load(f)
    with open(feed_file, encoding="utf-8") as f:
        eop = eop_smtp(json.load(f))

    result = {}
    for allowlist in inventory.get("allowlists", []):
        coverage = merge(parse_entry(entry) for entry in allowlist["entries"])
        missing = cover(subtract(eop, coverage))
        stale = []
        if allowlist.get("mode", "superset") == "exact":
            # Loopback and private ranges are never stale unless listed as removable, as in mailflow-guard.
            removable = merge(parse_entry(entry) for entry in allowlist.get("removable", []))
            local = subtract(merge(parse_entry(entry) for entry in LOCAL_RANGES), removable)
            protected = union(merge(parse_entry(entry) for entry in allowlist.get("protected", [])), local)
            stale = cover(subtract(coverage, union(eop, protected)))
        result[allowlist["name"]] = {"missing": missing, "stale": stale}

    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    sys.stdout.flush()
    ms = (time.perf_counter() - started) * 1000
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    sys.stderr.write(json.dumps({"ms": ms, "peakRssBytes": peak}) + "\n")


if __name__ == "__main__":
    main()
