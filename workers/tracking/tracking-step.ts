import type { BridgeSettings, DeliveryJob, TrackingTokens } from '../../core/index.js';
import { applyTracking, capTracking } from './apply-tracking.js';

/** Collaborators of {@link createTrackingStep}. */
export interface TrackingStepDeps {
  settings: { get(bridgeId: string): Promise<BridgeSettings | undefined> };
  tokens: TrackingTokens;
  /** The platform's tracking base URL (the send port's public URL) when a Bridge has none. */
  defaultBaseUrl: () => string;
}

/**
 * The tracking step of a delivery attempt: reads the Bridge's toggles now (send time), caps them
 * with the message's `X-Bridgemail-Track` ceiling, and rewrites the HTML of the copy for `recipients`.
 */
export function createTrackingStep(deps: TrackingStepDeps) {
  return async (raw: Buffer, job: DeliveryJob, recipients: readonly string[]): Promise<Buffer> => {
    const bridge = await deps.settings.get(job.bridgeId);
    if (!bridge) return raw;
    const plan = { ...capTracking(bridge, job.track), baseUrl: bridge.trackingBaseUrl ?? deps.defaultBaseUrl() };
    const copy = {
      messageId: job.messageId,
      bridgeId: job.bridgeId,
      poolId: job.poolId,
      recipient: recipients.length === 1 ? (recipients[0] ?? '') : '',
    };
    return applyTracking(raw, plan, copy, deps.tokens);
  };
}
