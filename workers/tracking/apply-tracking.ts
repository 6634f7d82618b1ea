import type { TrackingTokens } from '../../core/index.js';
import { rewriteHtml } from './rewrite-html.js';
import { rewriteHtmlParts } from './rewrite-mime.js';

/** Which tracking applies to one copy of a message, and where the tracking endpoints live. */
export interface TrackingPlan {
  opens: boolean;
  clicks: boolean;
  /** Base URL of the tracking endpoints (`/t/o/…`, `/t/c/…`), e.g. a Bridge's custom tracking domain. */
  baseUrl: string;
}

/** Identity of the copy the tokens point back to. */
export interface TrackedCopy {
  messageId: string;
  bridgeId: string;
  poolId: string;
  /** The recipient when the copy goes to exactly one, else ''. */
  recipient: string;
}

/**
 * Returns the message with an open pixel and tracked links in its HTML parts, per `plan`;
 * with both off, the very same bytes come back.
 */
export function applyTracking(raw: Buffer, plan: TrackingPlan, copy: TrackedCopy, tokens: TrackingTokens): Buffer {
  if (!plan.opens && !plan.clicks) return raw;
  const base = plan.baseUrl.replace(/\/+$/, '');
  const claims = { m: copy.messageId, b: copy.bridgeId, p: copy.poolId, r: copy.recipient, t: Date.now() };
  const pixelUrl = plan.opens ? `${base}/t/o/${tokens.sign({ k: 'o', ...claims })}` : undefined;
  const linkUrl = plan.clicks
    ? (u: string, i: number) => `${base}/t/c/${tokens.sign({ k: 'c', ...claims, i, u })}`
    : undefined;
  return rewriteHtmlParts(
    raw,
    (html) =>
      rewriteHtml(html, {
        ...(pixelUrl ? { pixelUrl } : {}),
        ...(linkUrl ? { linkUrl } : {}),
        trackingBase: `${base}/t/`,
      }).html,
  );
}

/** The per-message ceiling of `X-Bridgemail-Track`: it can only turn tracking off. */
export function capTracking(
  bridge: { trackOpens: boolean; trackClicks: boolean },
  ceiling: 'none' | 'opens' | 'clicks' | undefined,
) {
  return {
    opens: bridge.trackOpens && (ceiling === undefined || ceiling === 'opens'),
    clicks: bridge.trackClicks && (ceiling === undefined || ceiling === 'clicks'),
  };
}
