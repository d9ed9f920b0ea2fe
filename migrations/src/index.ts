export { migrate, ensureDatabase, MIGRATIONS } from './migrate.js';
