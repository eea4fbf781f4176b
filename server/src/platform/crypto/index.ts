export * from './sm3.js';
export * from './keyring.js';
export * from './field.js';
export * from './sm2.js';
