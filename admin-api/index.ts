export { createAdminApp, adminRoutes } from './admin-app.js';
export type { AdminAppDeps, AdminRoute, AdminState } from './admin-route.js';
export { bridgeView, poolView, auditView, type PublicEndpoints } from './views.js';
export * from './admin-schemas.js';
export * from './samples/index.js';
export { SHAPING_SETTING } from './routes/shaping-routes.js';
