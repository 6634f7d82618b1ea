import type { BridgeSettings, DeliveryJob } from '../../core/index.js';
import { capTracking, type TrackedCopy, type TrackingPlan } from './apply-tracking.js';

/** Collaborators of {@link createTrackingPlanner}. */
export interface TrackingPlannerDeps {
  settings: { get(bridgeId: string): Promise<BridgeSettings | undefined> };
  /** The platform's tracking base URL (the send port's public URL) when a Bridge has none. */
  defaultBaseUrl: () => string;
}

/** What the tracking rewrite of one copy needs: the plan and the copy's identity (for the tokens). */
export interface TrackingWork {
  plan: TrackingPlan;
  copy: TrackedCopy;
}

/**
 * The planning half of the tracking step: reads the Bridge's toggles now (send time) and caps them
 * with the message's `X-Bridgemail-Track` ceiling; undefined when nothing is to be tracked. The
 * rewrite itself ({@link applyTracking}) is pure CPU work and may run on another thread.
 */
export function createTrackingPlanner(deps: TrackingPlannerDeps) {
  return async (job: DeliveryJob, recipients: readonly string[]): Promise<TrackingWork | undefined> => {
    const bridge = await deps.settings.get(job.bridgeId);
    if (!bridge) return undefined;
    const plan = { ...capTracking(bridge, job.track), baseUrl: bridge.trackingBaseUrl ?? deps.defaultBaseUrl() };
    if (!plan.opens && !plan.clicks) return undefined;
    const copy = {
      messageId: job.messageId,
      bridgeId: job.bridgeId,
      poolId: job.poolId,
      recipient: recipients.length === 1 ? (recipients[0] ?? '') : '',
    };
    return { plan, copy };
  };
}
