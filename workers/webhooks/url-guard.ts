import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** Resolves a host name to every address it has (IPv4 and IPv6). */
export type HostResolver = (hostname: string) => Promise<string[]>;

/** Options of {@link checkWebhookUrl}. */
export interface UrlGuardOptions {
  /** Let targets on private, loopback and other internal addresses through (tests, closed networks). @defaultValue false */
  allowPrivate?: boolean;
  /** @defaultValue `dns.promises.lookup` with `all: true` */
  resolve?: HostResolver;
}

/** Why a URL was refused: `unresolvable` may pass later, the others never will. */
export type UrlRefusal = 'invalid' | 'scheme' | 'internal-address' | 'unresolvable';

/** The outcome of {@link checkWebhookUrl}. */
export type UrlCheck = { ok: true; url: URL; addresses: string[] } | { ok: false; reason: UrlRefusal; detail: string };

/** The system resolver: every address of the name, as the OS would resolve it for a connection. */
export const systemResolver: HostResolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

type Range = readonly [base: number, bits: number];

const v4 = (a: number, b: number, c: number, d: number): number => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

/** IPv4 ranges that are not the public internet (RFC 6890 special-purpose registry, the non-global ones). */
const INTERNAL_V4: readonly Range[] = [
  [v4(0, 0, 0, 0), 8], // "this network", incl. the unspecified 0.0.0.0
  [v4(10, 0, 0, 0), 8], // private (RFC 1918)
  [v4(100, 64, 0, 0), 10], // CGNAT shared space (RFC 6598)
  [v4(127, 0, 0, 0), 8], // loopback
  [v4(169, 254, 0, 0), 16], // link-local (cloud metadata lives here)
  [v4(172, 16, 0, 0), 12], // private
  [v4(192, 0, 0, 0), 24], // IETF protocol assignments
  [v4(192, 0, 2, 0), 24], // documentation
  [v4(192, 168, 0, 0), 16], // private
  [v4(198, 18, 0, 0), 15], // benchmarking
  [v4(198, 51, 100, 0), 24], // documentation
  [v4(203, 0, 113, 0), 24], // documentation
  [v4(224, 0, 0, 0), 4], // multicast
  [v4(240, 0, 0, 0), 4], // reserved, incl. broadcast 255.255.255.255
];

function parseV4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  const [a = 0, b = 0, c = 0, d = 0] = parts.map(Number);
  return v4(a, b, c, d);
}

function isInternalV4(addr: number): boolean {
  return INTERNAL_V4.some(([base, bits]) => (bits === 0 ? true : addr >>> (32 - bits) === base >>> (32 - bits)));
}

/** The 16 bytes of an IPv6 address (dotted IPv4 tail and zone id allowed); undefined if malformed. */
function parseV6(text: string): Uint8Array | undefined {
  let s = text.replace(/%.*$/, '');
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (tail?.[1]) {
    const n = parseV4(tail[1]);
    if (n === undefined) return undefined;
    s = `${s.slice(0, -tail[1].length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  const bytes = new Uint8Array(16);
  for (const [i, g] of groups.entries()) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
    const n = parseInt(g, 16);
    bytes[i * 2] = n >> 8;
    bytes[i * 2 + 1] = n & 0xff;
  }
  return bytes;
}

const startsWith = (bytes: Uint8Array, prefix: readonly number[]): boolean => prefix.every((b, i) => bytes[i] === b);
const v4At = (bytes: Uint8Array, at: number): number =>
  v4(bytes[at] ?? 0, bytes[at + 1] ?? 0, bytes[at + 2] ?? 0, bytes[at + 3] ?? 0);

function isInternalV6(b: Uint8Array): boolean {
  const b0 = b[0] ?? 0;
  const b1 = b[1] ?? 0;
  const zeros = (n: number) => b.subarray(0, n).every((x) => x === 0);
  if (zeros(16)) return true; // :: unspecified
  if (zeros(15) && b[15] === 1) return true; // ::1 loopback
  // Addresses that carry an IPv4 address: judge that address.
  if (zeros(10) && b[10] === 0xff && b[11] === 0xff) return isInternalV4(v4At(b, 12)); // ::ffff:a.b.c.d mapped
  if (zeros(12)) return true; // ::a.b.c.d compatible (deprecated; never a real public target)
  if (startsWith(b, [0x00, 0x64, 0xff, 0x9b]) && b.subarray(4, 12).every((x) => x === 0))
    return isInternalV4(v4At(b, 12)); // 64:ff9b::/96 NAT64
  if (b0 === 0x20 && b1 === 0x02) return isInternalV4(v4At(b, 2)); // 2002::/16 6to4
  if ((b0 & 0xfe) === 0xfc) return true; // fc00::/7 unique local (private)
  if (b0 === 0xfe && (b1 & 0xc0) === 0x80) return true; // fe80::/10 link-local
  if (b0 === 0xfe && (b1 & 0xc0) === 0xc0) return true; // fec0::/10 site-local (deprecated)
  if (b0 === 0xff) return true; // ff00::/8 multicast
  if (startsWith(b, [0x20, 0x01, 0x0d, 0xb8])) return true; // 2001:db8::/32 documentation
  if (startsWith(b, [0x01, 0x00]) && b.subarray(2, 8).every((x) => x === 0)) return true; // 100::/64 discard
  return false;
}

/**
 * True when an IP literal is not a public internet address: private, loopback, link-local,
 * CGNAT, multicast, unspecified, reserved or documentation (IPv4 and IPv6, IPv4-mapped included).
 * Anything that does not parse counts as internal.
 */
export function isInternalAddress(ip: string): boolean {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const family = isIP(bare.replace(/%.*$/, ''));
  if (family === 4) {
    const n = parseV4(bare);
    return n === undefined || isInternalV4(n);
  }
  if (family === 6) {
    const bytes = parseV6(bare);
    return bytes === undefined || isInternalV6(bytes);
  }
  return true;
}

/**
 * Checks a webhook target: http or https only, and unless `allowPrivate`, a host that is not
 * (and does not resolve to any) internal address — the server-side request forgery guard.
 * An answer naming several addresses is refused if any of them is internal.
 */
export async function checkWebhookUrl(text: string, options: UrlGuardOptions = {}): Promise<UrlCheck> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'invalid', detail: 'not an absolute URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, reason: 'scheme', detail: `scheme ${url.protocol} is not http or https` };
  }
  // WHATWG URL parsing has already normalised numeric hosts (2130706433, 0x7f.1 → 127.0.0.1).
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (!host) return { ok: false, reason: 'invalid', detail: 'no host' };
  let addresses: string[];
  if (isIP(host)) {
    addresses = [host];
  } else {
    try {
      addresses = await (options.resolve ?? systemResolver)(host);
    } catch (err) {
      return { ok: false, reason: 'unresolvable', detail: `${host} does not resolve: ${(err as Error).message}` };
    }
    if (addresses.length === 0) return { ok: false, reason: 'unresolvable', detail: `${host} has no address` };
  }
  if (!options.allowPrivate) {
    const internal = addresses.find(isInternalAddress);
    if (internal !== undefined) {
      return {
        ok: false,
        reason: 'internal-address',
        detail: `${host} is or resolves to the internal address ${internal}; set BRIDGEMAIL_WEBHOOK_ALLOW_PRIVATE=1 to allow private and loopback targets`,
      };
    }
  }
  return { ok: true, url, addresses };
}
