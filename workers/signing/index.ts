export { createSigningStep, type SigningStepDeps } from './signing-step.js';
export { fromDomain, headerBlock } from './header-from.js';
