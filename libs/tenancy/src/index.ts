export * from './principal.js';
export * from './tenancy.module.js';
export * from './tenants/tenants.service.js';
export * from './tenants/tenant.repository.js';
export * from './api-keys/api-keys.service.js';
export * from './api-keys/api-key-token.js';
export * from './tenants/tenant-access.service.js';
