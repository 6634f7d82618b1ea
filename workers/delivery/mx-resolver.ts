import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { MxTarget } from '../../core/index.js';

/** The outcome of resolving a recipient domain. */
export type MxLookup =
  | { kind: 'found'; targets: MxTarget[] }
  /** A DNS failure that may pass (SERVFAIL, timeout): defer. */
  | { kind: 'temporary'; reason: string }
  /** The domain cannot receive mail (NXDOMAIN, null MX per RFC 7505): bounce. */
  | { kind: 'permanent'; reason: string };

/** Resolves the mail exchangers of a domain. */
export type MxResolver = (domain: string) => Promise<MxLookup>;

/** Options of {@link createMxResolver}. */
export interface MxResolverOptions {
  /** Static map (the test hook); consulted before DNS. */
  override?: Map<string, MxTarget[]>;
  /** DNS servers to ask instead of the system's, e.g. a loopback test server. */
  dnsServers?: string[];
  /** @defaultValue 25 */
  port?: number;
}

const TEMPORARY_DNS_CODES = new Set(['ESERVFAIL', 'ETIMEOUT', 'ECONNREFUSED', 'EREFUSED', 'ECANCELLED', 'EOF']);

/**
 * Creates a resolver: override map first, then DNS MX records by priority, falling back to the
 * domain's own A/AAAA when it has no MX (RFC 5321 §5.1); a null MX means no mail (RFC 7505).
 */
export function createMxResolver(options: MxResolverOptions = {}): MxResolver {
  const resolver = new Resolver({ timeout: 5000, tries: 2 });
  if (options.dnsServers?.length) resolver.setServers(options.dnsServers);
  const port = options.port ?? 25;
  return async (rawDomain) => {
    const domain = rawDomain.toLowerCase().replace(/\.$/, '');
    const override = options.override?.get(domain) ?? options.override?.get('*');
    if (override) return { kind: 'found', targets: override };
    if (isIP(domain.replace(/^\[|\]$/g, ''))) {
      return { kind: 'found', targets: [{ host: domain.replace(/^\[|\]$/g, ''), port, priority: 0 }] };
    }
    try {
      const records = await resolver.resolveMx(domain);
      if (records.length === 1 && (records[0]?.exchange === '' || records[0]?.exchange === '.')) {
        return { kind: 'permanent', reason: `${domain} publishes a null MX (RFC 7505)` };
      }
      if (records.length > 0) {
        const targets = records
          .filter((r) => r.exchange !== '' && r.exchange !== '.')
          .sort((a, b) => a.priority - b.priority)
          .map((r) => ({ host: r.exchange, port, priority: r.priority }));
        return { kind: 'found', targets };
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (code === 'ENOTFOUND') return { kind: 'permanent', reason: `${domain} does not exist (NXDOMAIN)` };
      if (TEMPORARY_DNS_CODES.has(code))
        return { kind: 'temporary', reason: `MX lookup for ${domain} failed: ${code}` };
      if (code !== 'ENODATA')
        return { kind: 'temporary', reason: `MX lookup for ${domain} failed: ${code || String(err)}` };
    }
    return implicitMx(resolver, domain, port);
  };
}

/** RFC 5321 §5.1: without MX records the domain's address records are the implicit MX. */
async function implicitMx(resolver: Resolver, domain: string, port: number): Promise<MxLookup> {
  const [a, aaaa] = await Promise.allSettled([resolver.resolve4(domain), resolver.resolve6(domain)]);
  const addresses = [...(a.status === 'fulfilled' ? a.value : []), ...(aaaa.status === 'fulfilled' ? aaaa.value : [])];
  if (addresses.length > 0) return { kind: 'found', targets: [{ host: domain, port, priority: 0 }] };
  const codes = [a, aaaa].map((r) => (r.status === 'rejected' ? ((r.reason as NodeJS.ErrnoException).code ?? '') : ''));
  if (codes.some((c) => TEMPORARY_DNS_CODES.has(c)))
    return { kind: 'temporary', reason: `address lookup for ${domain} failed` };
  return { kind: 'permanent', reason: `${domain} has no MX or address records` };
}
