// Public surface of our OVSDB client.
export * from './json-stream.parser.js';
export * from './ovsdb-value.codec.js';
export * from './ovsdb-operation.types.js';
export * from './ovsdb-operation.builder.js';
export * from './ovsdb-schema.types.js';
export * from './ovsdb-table.cache.js';
export * from './ovsdb-monitor.handle.js';
export * from './ovsdb-rpc.connection.js';
export * from './ovsdb-transport.factory.js';
export * from './reconnect-backoff.policy.js';
export * from './ovsdb.client.js';
export * from './vswitch.queries.js';
