import type { BridgeSettings, DeliveryJob, TrackingTokens, UnsubscribeAddresses } from '../../core/index.js';

/** The two URIs of one copy's List-Unsubscribe header. */
export interface ListUnsubscribe {
  /** `https://…/u/<token>`: the one-click POST target (RFC 8058). */
  url: string;
  /** `unsub-<token>@<bounce domain>`, accepted by the inbound MX. */
  mailto: string;
}

/** Whether the top-level header block of `raw` has a List-Unsubscribe field (the sender's own). */
export function hasListUnsubscribe(raw: Buffer): boolean {
  const head = raw.subarray(0, Math.min(raw.length, 256 * 1024)).toString('latin1');
  const end = /\r?\n\r?\n/.exec(head);
  return /(?:^|\n)list-unsubscribe[ \t]*:/i.test(end ? head.slice(0, end.index) : head);
}

/**
 * Puts `List-Unsubscribe` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` at the top of the
 * header block (the DKIM signature made after this covers both). A message that already has a
 * List-Unsubscribe field comes back as the very same bytes: the sender's own header wins.
 */
export function addListUnsubscribe(raw: Buffer, links: ListUnsubscribe): Buffer {
  if (hasListUnsubscribe(raw)) return raw;
  const firstBreak = raw.indexOf(0x0a);
  const eol = firstBreak > 0 && raw[firstBreak - 1] === 0x0d ? '\r\n' : firstBreak >= 0 ? '\n' : '\r\n';
  const fields =
    `List-Unsubscribe: <${links.url}>,${eol} <mailto:${links.mailto}>${eol}` +
    `List-Unsubscribe-Post: List-Unsubscribe=One-Click${eol}`;
  return Buffer.concat([Buffer.from(fields, 'latin1'), raw]);
}

/** Collaborators of {@link createUnsubscribePlanner}. */
export interface UnsubscribePlannerDeps {
  settings: { get(bridgeId: string): Promise<BridgeSettings | undefined> };
  /** Base URL of the send port's public endpoints when a Bridge has no tracking base URL of its own. */
  defaultBaseUrl: () => string;
  tokens: TrackingTokens;
  addresses: UnsubscribeAddresses;
}

/**
 * The planning half of one-click unsubscribe: reads the Bridge's `listUnsubscribe` now (send time)
 * and, when it is on, makes the copy's two links. Undefined when off, or when the copy goes to more
 * than one recipient (a link names exactly one).
 */
export function createUnsubscribePlanner(deps: UnsubscribePlannerDeps) {
  return async (job: DeliveryJob, recipients: readonly string[]): Promise<ListUnsubscribe | undefined> => {
    const [recipient] = recipients;
    if (recipients.length !== 1 || !recipient) return undefined;
    const bridge = await deps.settings.get(job.bridgeId);
    if (!bridge?.listUnsubscribe) return undefined;
    const base = (bridge.trackingBaseUrl ?? deps.defaultBaseUrl()).replace(/\/+$/, '');
    const token = deps.tokens.sign({
      k: 'u',
      m: job.messageId,
      b: job.bridgeId,
      p: job.poolId,
      r: recipient,
      t: Date.now(),
    });
    return { url: `${base}/u/${token}`, mailto: deps.addresses.address(job.messageId, recipient) };
  };
}
