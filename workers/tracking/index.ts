export { applyTracking, capTracking, type TrackingPlan, type TrackedCopy } from './apply-tracking.js';
export { rewriteHtml, isTrackable, type HtmlRewrite } from './rewrite-html.js';
export { rewriteHtmlParts, type HtmlPartRewriter } from './rewrite-mime.js';
export { createTrackingStep, type TrackingStepDeps } from './tracking-step.js';
