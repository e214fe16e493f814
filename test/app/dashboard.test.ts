import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installDashboard } from '../../src/app/dashboard.js';
import { installErrorHandling } from '../../src/kernel/http-errors.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/** The dashboard's files at `/`, beside the API, whose 404s and 405s stay its own. */
let built: FastifyInstance;
let dir: string;
let t: TestApp;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'parley-web-'));
  await mkdir(path.join(dir, 'assets'));
  await writeFile(
    path.join(dir, 'index.html'),
    '<!doctype html><title>Parley</title><script src="/assets/app-1.js"></script>',
  );
  await writeFile(path.join(dir, 'assets', 'app-1.js'), 'console.log(1)');
  built = Fastify();
  installErrorHandling(built);
  built.post('/api/v1/things/', async () => ({ ok: true }));
  await installDashboard(built, { root: dir });
  t = await createTestApp();
});
afterAll(async () => {
  await built.close();
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the built dashboard', () => {
  it('answers its pages with index.html, never cached, under a policy without inline scripts', async () => {
    const screens = ['/start', '/ai', '/ai/prompts', '/ai/try', '/hours', '/channels', '/usage', '/admin', '/account'];
    for (const url of ['/', '/sign-in?next=%2F', '/c/abc123', ...screens, '/admin/abc123', '/hours/']) {
      const response = await built.inject({ url, headers: { host: 'parley.example:8000' } });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.body).toContain('<title>Parley</title>');
      expect(response.headers['cache-control']).toBe('no-cache');
      const csp = String(response.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("connect-src 'self' ws://parley.example:8000 wss://parley.example:8000");
      expect(csp).not.toContain('unsafe-inline');
    }
    expect((await built.inject({ method: 'HEAD', url: '/c/abc123' })).statusCode).toBe(200);
  });

  it('serves hashed assets for a year, immutable, and a missing asset is a 404, not the page', async () => {
    const asset = await built.inject({ url: '/assets/app-1.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.body).toBe('console.log(1)');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const missing = await built.inject({ url: '/assets/app-2.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'not_found' });
  });

  it('leaves API and machinery paths their own 404 and 405', async () => {
    const machinery = ['/api/v1/nothing/', '/webhooks/nothing', '/ws/x', '/healthz/x', '/metrics/x', '/readyz/x'];
    // Nor is a path the dashboard has no page for (a scanner's guesses among them).
    const unknown = ['/wp-admin/setup.php', '/c/abc123/extra', '/settings', '/.env', '/ai/other', '/admin/a/b'];
    for (const url of [...machinery, ...unknown]) {
      const response = await built.inject({ url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json()).toEqual({ detail: `No route for GET ${url}.`, code: 'not_found' });
    }
    const wrongMethod = await built.inject({ url: '/api/v1/things/' });
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers.allow).toBe('POST');
    // Only pages are read: writing to a page path is still a 404.
    expect((await built.inject({ method: 'POST', url: '/c/abc123' })).statusCode).toBe(404);
  });
});

describe('an app without a built dashboard', () => {
  it('says how to build it at /, and the API is unchanged', async () => {
    const app = Fastify();
    installErrorHandling(app);
    await installDashboard(app, { root: path.join(dir, 'missing') });
    const page = await app.inject({ url: '/' });
    expect(page.statusCode).toBe(503);
    expect(page.body).toContain('npm run build');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect((await app.inject({ url: '/api/v1/x/' })).statusCode).toBe(404);
    await app.close();
  });

  it('is served by the real app too, next to the API', async () => {
    const page = await t.app.inject({ url: '/sign-in' });
    expect([200, 503]).toContain(page.statusCode);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    const api = await t.app.inject({ url: '/api/v1/nothing/' });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toMatchObject({ code: 'not_found' });
  });
});
