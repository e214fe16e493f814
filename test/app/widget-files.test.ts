import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installWidgetFiles } from '../../src/app/widget-files.js';
import { installErrorHandling } from '../../src/kernel/http-errors.js';

/** The website widget's built files, loaded by other sites' pages. */
let built: FastifyInstance;
let unbuilt: FastifyInstance;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'parley-widget-'));
  await writeFile(path.join(dir, 'widget.js'), 'console.log("loader")');
  await writeFile(path.join(dir, 'panel-abc123.js'), 'console.log("panel")');
  built = Fastify();
  installErrorHandling(built);
  await installWidgetFiles(built, dir);
  unbuilt = Fastify();
  installErrorHandling(unbuilt);
  await installWidgetFiles(unbuilt, path.join(dir, 'missing'));
});
afterAll(async () => {
  await built.close();
  await unbuilt.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the widget’s files', () => {
  it('serve the loader at its fixed address for minutes, to any site', async () => {
    const response = await built.inject({ url: '/widget.js' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('console.log("loader")');
    expect(response.headers['content-type']).toMatch(/^text\/javascript/);
    expect(response.headers['cache-control']).toBe('public, max-age=300');
    expect(response.headers['access-control-allow-origin']).toBe('*');
  });

  it('serve the hashed panel for a year, immutable, and nothing else', async () => {
    const response = await built.inject({ url: '/widget/panel-abc123.js' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('console.log("panel")');
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await built.inject({ url: '/widget/panel-other.js' })).statusCode).toBe(404);
    expect((await built.inject({ url: '/widget/../package.json' })).statusCode).toBe(404);
  });

  it('are plain 404s before the widget is built', async () => {
    expect((await unbuilt.inject({ url: '/widget.js' })).statusCode).toBe(404);
    expect((await unbuilt.inject({ url: '/widget/panel-abc123.js' })).statusCode).toBe(404);
  });
});
