/** One mail exchanger to try, lowest priority first. */
export interface MxTarget {
  host: string;
  port: number;
  priority: number;
}

/**
 * Parses `BRIDGEMAIL_MX_OVERRIDE`: comma-separated `domain=host:port` pairs, `*` for any domain,
 * e.g. `example.test=127.0.0.1:2526,*=127.0.0.1:2525`; several entries for one domain are tried in order.
 * Throws on the first bad entry, naming it.
 */
export function parseMxOverride(text: string): Map<string, MxTarget[]> {
  const map = new Map<string, MxTarget[]>();
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^([^=\s]+)=(\[[^\]]+\]|[^:\s]+)(?::(\d{1,5}))?$/.exec(part);
    if (!match?.[1] || !match[2]) throw new Error(`bad MX override entry "${part}" (want domain=host:port)`);
    const host = match[2].replace(/^\[|\]$/g, '');
    const port = match[3] ? Number(match[3]) : 25;
    if (port < 1 || port > 65535) throw new Error(`bad port in MX override entry "${part}"`);
    const domain = match[1].toLowerCase();
    const list = map.get(domain) ?? [];
    list.push({ host, port, priority: list.length * 10 });
    map.set(domain, list);
  }
  return map;
}
