export { createAdminApp, bridgeView, poolView, type AdminAppDeps, type PublicEndpoints } from './admin-app.js';
export { createBridgeSchema, createPoolSchema } from './admin-schemas.js';
