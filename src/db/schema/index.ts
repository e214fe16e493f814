export * from './ai.js';
export * from './auth.js';
export * from './channels.js';
export * from './conversations.js';
export * from './jobs.js';
export * from './usage.js';
export * from './analytics.js';
