export { createStore, type Store, type NewPool, type NewBridge } from './store.js';
export { openPostgres, openPglite, type SqlClient, type SqlExecutor } from './sql.js';
export { migrate, MIGRATIONS } from './migrations.js';
