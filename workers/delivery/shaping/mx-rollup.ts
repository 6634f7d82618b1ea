import { isIP } from 'node:net';
import { getDomain } from 'tldts';

/**
 * The rollup key of an MX host: destinations whose MX hosts belong to one provider share one
 * limit. It is the registrable domain (eTLD+1, ICANN section of the Public Suffix List) of the host,
 * lower-cased: `gmail-smtp-in.l.google.com` → `google.com`,
 * `contoso-com.mail.protection.outlook.com` → `outlook.com`, `mx.example.co.uk` → `example.co.uk`.
 * IP literals (bracketed or not), `localhost`, single-label names and bare public suffixes have no
 * registrable domain and are their own key.
 */
export function rollupKey(mxHost: string): string {
  const host = mxHost
    .trim()
    .toLowerCase()
    .replace(/^\[(?:ipv6:)?|\]$/g, '')
    .replace(/\.$/, '');
  if (isIP(host) !== 0) return host;
  // Private PSL entries (e.g. cloud tenants' suffixes) are left out on purpose: one provider's
  // mail hosts under its own domain must roll up together.
  return getDomain(host, { allowPrivateDomains: false }) ?? host;
}
