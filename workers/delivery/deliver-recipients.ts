import type { DeliveryResult } from './classify-reply.js';
import type { MxResolver } from './mx-resolver.js';
import { sendAttempt } from './send-attempt.js';

/** What one delivery pass needs besides the message. */
export interface DeliverContext {
  resolveMx: MxResolver;
  heloName: string;
  timeoutMs: number;
}

/** One message to hand to its recipients' MX hosts from one source IP. */
export interface DeliverInput {
  ip: string;
  from: string;
  recipients: string[];
  raw: Buffer;
}

/** Groups recipients by lower-cased domain: one transaction carries all recipients of a domain. */
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

/**
 * Delivers to every recipient, one chain per domain: resolve MX → try each MX in priority order
 * (the next one when a host is unreachable or answers 421 at greeting) → per-recipient results.
 */
export async function deliverToRecipients(ctx: DeliverContext, input: DeliverInput): Promise<DeliveryResult[]> {
  const perDomain = [...groupByDomain(input.recipients)].map(async ([domain, recipients]) => {
    const lookup = await ctx.resolveMx(domain);
    if (lookup.kind !== 'found') {
      const status = lookup.kind === 'temporary' ? 'deferred' : 'bounced';
      return recipients.map((recipient): DeliveryResult => ({ recipient, status, reason: 'dns', reply: lookup.reason }));
    }
    let last: { replyCode?: number; reply: string } = { reply: `no MX host for ${domain}` };
    for (const target of lookup.targets) {
      const attempt = await sendAttempt({
        target,
        localAddress: input.ip,
        heloName: ctx.heloName,
        from: input.from,
        recipients,
        raw: input.raw,
        timeoutMs: ctx.timeoutMs,
      });
      if (attempt.kind === 'answered') return attempt.results;
      last = attempt;
    }
    return recipients.map((recipient): DeliveryResult => {
      const r: DeliveryResult = { recipient, status: 'deferred', reason: 'connection', reply: last.reply };
      if (last.replyCode !== undefined) r.replyCode = last.replyCode;
      return r;
    });
  });
  return (await Promise.all(perDomain)).flat();
}
