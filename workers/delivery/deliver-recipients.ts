import type { DeliveryResult } from './classify-reply.js';
import type { ConnectionPool } from './connection-pool.js';
import type { MxResolver } from './mx-resolver.js';
import { rollupKey } from './shaping/mx-rollup.js';
import { SOURCE_IP_UNAVAILABLE } from './source-ips.js';
import type { Shaper } from './shaping/shaper.js';

/** What one delivery pass needs besides the message. */
export interface DeliverContext {
  resolveMx: MxResolver;
  heloName: string;
  timeoutMs: number;
  /** Connections reused across jobs, per (source IP, MX). */
  pool: ConnectionPool;
  /** Per-IP and per-(IP, provider) limits shared by every worker process; none: no shaping. */
  shaper?: Pick<Shaper, 'acquire' | 'recordReply'>;
  /** Destinations (recipient domain or MX provider rollup) that must be reached over TLS. */
  requireTls?: (domain: string, rollup: string) => boolean;
}

/** One message to hand to its recipients' MX hosts from one source IP. */
export interface DeliverInput {
  ip: string;
  recipients: string[];
  /** Envelope sender of the copy for one recipient (VERP gives each its own). */
  envelopeFrom: (recipient: string) => string;
  /** The bytes of the copy for one recipient (tracking tokens and signature differ per copy). */
  body: (recipient: string) => Promise<Buffer>;
}

/** Groups recipients by lower-cased domain: one connection carries all recipients of a domain. */
export function groupByDomain(recipients: readonly string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const r of recipients) {
    const domain = r.slice(r.lastIndexOf('@') + 1).toLowerCase();
    const list = groups.get(domain) ?? [];
    list.push(r);
    groups.set(domain, list);
  }
  return groups;
}

const deferAll = (recipients: string[], reason: string, last: { replyCode?: number; reply: string }) =>
  recipients.map((recipient): DeliveryResult => ({
    recipient,
    status: 'deferred',
    reason,
    reply: last.reply,
    ...(last.replyCode !== undefined ? { replyCode: last.replyCode } : {}),
  }));

/**
 * Delivers to every recipient, one chain per domain: resolve MX → take a connection to the first
 * MX that answers (the next one when a host is unreachable or greets with 421) → one transaction
 * per recipient on that connection → per-recipient results.
 */
export async function deliverToRecipients(ctx: DeliverContext, input: DeliverInput): Promise<DeliveryResult[]> {
  const perDomain = [...groupByDomain(input.recipients)].map(async ([domain, recipients]) => {
    const lookup = await ctx.resolveMx(domain);
    if (lookup.kind !== 'found') {
      const status = lookup.kind === 'temporary' ? 'deferred' : 'bounced';
      return recipients.map((recipient): DeliveryResult => ({
        recipient,
        status,
        reason: 'dns',
        reply: lookup.reason,
      }));
    }
    let last: { replyCode?: number; reply: string } = { reply: `no MX host for ${domain}` };
    for (const target of lookup.targets) {
      const rollup = rollupKey(target.host);
      const grant = ctx.shaper ? await ctx.shaper.acquire(input.ip, rollup) : undefined;
      if (grant && !grant.granted) {
        // Not an attempt: the job waits for a token (ARCHITECTURE: "no token → delay the job").
        return recipients.map((recipient): DeliveryResult => ({
          recipient,
          status: 'throttled',
          reason: grant.reason,
          reply: `shaping: ${grant.reason} for ${input.ip} → ${rollup}`,
          retryInMs: grant.retryInMs,
        }));
      }
      try {
        const requireTls = ctx.requireTls?.(domain, rollup) ?? false;
        const session = await ctx.pool.acquire({
          target,
          localAddress: input.ip,
          heloName: ctx.heloName,
          timeoutMs: ctx.timeoutMs,
          requireTls,
        });
        if ('unreachable' in session) {
          // The source IP left this host since it was checked: the next pass picks another.
          if (session.bindError) return deferAll(recipients, SOURCE_IP_UNAVAILABLE, session);
          // An unreachable host or a 421 greeting is failover (RFC 5321 §3.1), not a request to slow down.
          last = requireTls
            ? { ...session, reply: `STARTTLS required for ${domain} by policy: ${session.reply}` }
            : session;
          continue;
        }
        const results: DeliveryResult[] = [];
        for (const [i, recipient] of recipients.entries()) {
          if (!session.alive) {
            results.push(...deferAll(recipients.slice(i), 'connection', { reply: `${session.mx}: connection lost` }));
            break;
          }
          results.push(
            ...(await session.transaction(input.envelopeFrom(recipient), [recipient], await input.body(recipient))),
          );
        }
        ctx.pool.release(input.ip, target, session, requireTls);
        for (const r of results) {
          if (r.status === 'deferred' && r.replyCode !== undefined)
            await ctx.shaper?.recordReply(input.ip, rollup, r.replyCode, r.reply);
        }
        return results;
      } finally {
        if (grant?.granted) await grant.release();
      }
    }
    return deferAll(recipients, 'connection', last);
  });
  return (await Promise.all(perDomain)).flat();
}
