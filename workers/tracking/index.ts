export { applyTracking, capTracking, type TrackingPlan, type TrackedCopy } from './apply-tracking.js';
export { rewriteHtml, isTrackable, type HtmlRewrite } from './rewrite-html.js';
export { rewriteHtmlParts, type HtmlPartRewriter } from './rewrite-mime.js';
export { createTrackingPlanner, type TrackingPlannerDeps, type TrackingWork } from './tracking-step.js';
export {
  addListUnsubscribe,
  createUnsubscribePlanner,
  hasListUnsubscribe,
  type ListUnsubscribe,
  type UnsubscribePlannerDeps,
} from './list-unsubscribe.js';
