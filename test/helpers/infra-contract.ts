import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { updateShared, type Cache } from '../../src/infra/cache.js';
import type { PubSub } from '../../src/infra/pubsub.js';
import { jobType, PermanentJobError, type Queue } from '../../src/infra/queue.js';

/** The behaviour both queues promise; each suite runs it against one implementation. */
const unique = () => `t${randomBytes(5).toString('hex')}`;
const until = async (check: () => boolean, ms = 5_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const matches = (actual: Record<string, object>, expected: Record<string, object>) =>
  Object.entries(expected).every(([key, value]) => JSON.stringify(actual[key]) === JSON.stringify(value));

export function queueContract(label: string, make: () => Queue) {
  describe(`${label} queue`, () => {
    const open: Queue[] = [];
    const queue = () => {
      const made = make();
      open.push(made);
      return made;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((q) => q.close()));
    });

    it('runs jobs with their data, in order at concurrency 1, including those added before start', async () => {
      const q = queue();
      const type = jobType<{ n: number }>(unique());
      const seen: number[] = [];
      q.handle(type, async (job) => {
        seen.push(job.data.n);
      });
      await q.add(type, { n: 1 });
      await q.start();
      await q.add(type, { n: 2 });
      await q.add(type, { n: 3 });
      await until(() => seen.length === 3);
      expect(seen).toEqual([1, 2, 3]);
    });

    it('adds a job id only once while it waits', async () => {
      const q = queue();
      const type = jobType<{ n: number }>(unique());
      const seen: number[] = [];
      q.handle(type, async (job) => {
        seen.push(job.data.n);
      });
      await q.add(type, { n: 1 }, { jobId: 'tg-1000' });
      await q.add(type, { n: 2 }, { jobId: 'tg-1000' });
      await q.add(type, { n: 3 }, { jobId: 'tg-1001' });
      await q.start();
      await until(() => seen.length === 2);
      await sleep(100);
      expect(seen).toEqual([1, 3]);
    });

    it('coalesces a burst into one run with the last data, after the window', async () => {
      const q = queue();
      const type = jobType<{ n: number }>(unique());
      const seen: { n: number; at: number }[] = [];
      q.handle(type, async (job) => {
        seen.push({ n: job.data.n, at: Date.now() });
      });
      await q.start();
      const started = Date.now();
      for (let n = 1; n <= 5; n++) {
        await q.add(type, { n }, { debounce: { id: 'conversation-1', ms: 300 } });
        await sleep(40);
      }
      await until(() => seen.length === 1);
      await sleep(400);
      expect(seen.map((s) => s.n)).toEqual([5]);
      expect(seen[0]!.at - started).toBeGreaterThanOrEqual(300);
    });

    it('retries a failing job with backoff, counting attempts', async () => {
      const q = queue();
      const type = jobType<null>(unique());
      const attempts: number[] = [];
      q.handle(type, async (job) => {
        attempts.push(job.attempt);
        if (job.attempt < 3) throw new Error('flaky');
      });
      await q.start();
      await q.add(type, null, { attempts: 4 });
      await until(() => attempts.length === 3);
      await sleep(150);
      expect(attempts).toEqual([1, 2, 3]);
      expect(await q.failed()).toEqual([]);
    });

    it('fails a job for good on a permanent error, or when its attempts run out', async () => {
      const q = queue();
      const permanent = jobType<{ who: string }>(unique());
      const doomed = jobType<null>(unique());
      let doomedRuns = 0;
      q.handle(permanent, async () => {
        throw new PermanentJobError('bot was blocked by the user');
      });
      q.handle(doomed, async () => {
        doomedRuns++;
        throw new Error('still down');
      });
      await q.start();
      await q.add(permanent, { who: 'x' }, { attempts: 5 });
      await q.add(doomed, null, { attempts: 2 });
      await until(() => doomedRuns === 2);
      let failed: Awaited<ReturnType<Queue['failed']>> = [];
      for (let i = 0; i < 50 && failed.length < 2; i++) {
        failed = await q.failed();
        await sleep(50);
      }
      const byName = Object.fromEntries(failed.map((f) => [f.name, f]));
      expect(byName[permanent.name]).toMatchObject({
        attempts: 1,
        error: 'bot was blocked by the user',
        data: { who: 'x' },
      });
      expect(byName[doomed.name]).toMatchObject({ attempts: 2, error: 'still down' });
    });

    it('waits out a delay', async () => {
      const q = queue();
      const type = jobType<null>(unique());
      let ranAt = 0;
      q.handle(type, async () => {
        ranAt = Date.now();
      });
      await q.start();
      const added = Date.now();
      await q.add(type, null, { delayMs: 250 });
      await until(() => ranAt > 0);
      expect(ranAt - added).toBeGreaterThanOrEqual(240);
    });

    it('counts the jobs of each type that wait, run, wait out a delay, or failed for good', async () => {
      const q = queue();
      const slow = jobType<{ n: number }>(unique());
      const broken = jobType<null>(unique());
      // Added here but handled elsewhere, as a `serve` without workers sees it.
      const elsewhere = jobType<null>(unique());
      let release = () => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      q.handle(slow, () => gate);
      q.handle(broken, async () => {
        throw new PermanentJobError('cannot be done');
      });
      try {
        await q.add(slow, { n: 1 });
        await q.add(slow, { n: 2 });
        await q.add(broken, null);
        await q.add(elsewhere, null, { delayMs: 60_000 });
        await q.add(elsewhere, null, { debounce: { id: unique(), ms: 60_000 } });
        const none = { waiting: 0, active: 0, delayed: 0, failed: 0 };
        expect(await q.counts()).toMatchObject({
          [slow.name]: { ...none, waiting: 2 },
          [broken.name]: { ...none, waiting: 1 },
          [elsewhere.name]: { ...none, delayed: 2 },
        });

        await q.start();
        const expected = {
          [slow.name]: { ...none, waiting: 1, active: 1 },
          [broken.name]: { ...none, failed: 1 },
          [elsewhere.name]: { ...none, delayed: 2 },
        };
        let counts = await q.counts();
        for (let i = 0; i < 100 && !matches(counts, expected); i++) {
          await sleep(50);
          counts = await q.counts();
        }
        expect(counts).toMatchObject(expected);
      } finally {
        release();
      }
    });

    it('says it runs a job type here only once it handles it and has started', async () => {
      const q = queue();
      const handled = jobType<null>(unique());
      // Added here but handled elsewhere, as a `serve` without workers sees a reply.
      const elsewhere = jobType<null>(unique());
      const ran: string[] = [];
      q.handle(handled, async () => {
        ran.push(handled.name);
      });
      await q.start();
      expect(q.runsHere(handled)).toBe(true);
      expect(q.runsHere(elsewhere)).toBe(false);
      await q.add(handled, null, { here: true });
      await until(() => ran.length === 1);
    });

    it('runs a job added `here`, a failed first try going on in the queue with its tries counted', async () => {
      const q = queue();
      const type = jobType<{ n: number }>(unique());
      const tries: { n: number; attempt: number }[] = [];
      q.handle(type, async (job) => {
        tries.push({ n: job.data.n, attempt: job.attempt });
        if (job.attempt < 3) throw new Error('the model is down');
      });
      await q.start();
      await q.add(type, { n: 7 }, { here: true, attempts: 4 });
      await until(() => tries.length === 3);
      await sleep(150);
      expect(tries).toEqual([1, 2, 3].map((attempt) => ({ n: 7, attempt })));
      expect((await q.failed()).filter((f) => f.name === type.name)).toEqual([]);
    });

    it('hands what its adder read to a first try that starts at once, not to a later one or a retry', async () => {
      const q = queue();
      const type = jobType<{ n: number }, string>(unique());
      const tries: { n: number; attempt: number; read: string | undefined }[] = [];
      let release = () => {};
      const held = new Promise<void>((resolve) => (release = resolve));
      q.handle(
        type,
        async (job) => {
          tries.push({ n: job.data.n, attempt: job.attempt, read: job.alreadyRead });
          if (job.data.n === 1) await held;
          if (job.data.n === 1 && job.attempt === 1) throw new Error('the model is down');
        },
        { concurrency: 1 },
      );
      await q.start();
      await q.add(type, { n: 1 }, { here: true, attempts: 2, alreadyRead: 'history of 1' });
      // The one run at a time is taken: this one starts later, and reads for itself.
      await q.add(type, { n: 2 }, { here: true, attempts: 2, alreadyRead: 'history of 2' });
      release();
      await until(() => tries.length === 3);
      expect(tries.sort((a, b) => a.n - b.n || a.attempt - b.attempt)).toEqual([
        { n: 1, attempt: 1, read: 'history of 1' },
        { n: 1, attempt: 2, read: undefined },
        { n: 2, attempt: 1, read: undefined },
      ]);
    });

    it('fails a job tried `here` for good on a permanent error, or when it had one try', async () => {
      const q = queue();
      const permanent = jobType<{ who: string }>(unique());
      const once = jobType<{ who: string }>(unique());
      q.handle(permanent, async () => {
        throw new PermanentJobError('bot was blocked by the user');
      });
      q.handle(once, async () => {
        throw new Error('still down');
      });
      await q.start();
      await q.add(permanent, { who: 'x' }, { here: true, attempts: 5 });
      await q.add(once, { who: 'y' }, { here: true, attempts: 1 });
      const ours = async () => (await q.failed()).filter((f) => f.name === permanent.name || f.name === once.name);
      let failed = await ours();
      for (let i = 0; i < 50 && failed.length < 2; i++) {
        await sleep(50);
        failed = await ours();
      }
      const byName = Object.fromEntries(failed.map((f) => [f.name, f]));
      expect(byName[permanent.name]).toMatchObject({
        attempts: 1,
        error: 'bot was blocked by the user',
        data: { who: 'x' },
      });
      expect(byName[once.name]).toMatchObject({ attempts: 1, error: 'still down', data: { who: 'y' } });
    });

    it('refuses a second handler for one job type', () => {
      const q = queue();
      const type = jobType<null>(unique());
      q.handle(type, async () => {});
      expect(() => q.handle(type, async () => {})).toThrow(/already has a handler/);
    });
  });
}

export function cacheContract(label: string, make: () => Cache) {
  describe(`${label} cache`, () => {
    it('keeps values for their time to live', async () => {
      const cache = make();
      try {
        const key = unique();
        expect(await cache.get(key)).toBeUndefined();
        await cache.set(key, 'v', 150);
        expect(await cache.get(key)).toBe('v');
        await sleep(250);
        expect(await cache.get(key)).toBeUndefined();
        await cache.set(key, 'w', 10_000);
        await cache.delete(key);
        expect(await cache.get(key)).toBeUndefined();
      } finally {
        await cache.close();
      }
    });

    it('sets a key only when it holds nothing live, and says whether it did', async () => {
      const cache = make();
      try {
        const key = unique();
        const tries = await Promise.all([1, 2, 3].map((n) => cache.setIfAbsent(key, `owner-${n}`, 200)));
        expect(tries.filter(Boolean)).toHaveLength(1);
        expect(await cache.get(key)).toBe(`owner-${tries.indexOf(true) + 1}`);
        await sleep(300);
        expect(await cache.setIfAbsent(key, 'after-expiry', 10_000)).toBe(true);
        expect(await cache.get(key)).toBe('after-expiry');
        await cache.delete(key);
        expect(await cache.setIfAbsent(key, 'after-delete', 10_000)).toBe(true);
      } finally {
        await cache.close();
      }
    });

    it('counts within a window that starts at the first increment', async () => {
      const cache = make();
      try {
        const key = unique();
        expect([
          await cache.increment(key, 300),
          await cache.increment(key, 300),
          await cache.increment(key, 300),
        ]).toEqual([1, 2, 3]);
        await sleep(400);
        expect(await cache.increment(key, 300)).toBe(1);
      } finally {
        await cache.close();
      }
    });

    it('sets a value only over the one expected, so concurrent updates are never lost', async () => {
      const cache = make();
      try {
        const key = unique();
        expect(await cache.compareAndSet(key, 'x', 'a', 10_000)).toBe(false);
        expect(await cache.get(key)).toBeUndefined();
        expect(await cache.compareAndSet(key, undefined, 'a', 10_000)).toBe(true);
        expect(await cache.compareAndSet(key, undefined, 'b', 10_000)).toBe(false);
        expect(await cache.compareAndSet(key, 'a', 'b', 10_000)).toBe(true);
        expect(await cache.get(key)).toBe('b');
        // Twenty writers adding one each, all at once: every addition lands.
        const counter = unique();
        const added = await Promise.all(
          Array.from({ length: 20 }, () =>
            updateShared(cache, counter, 10_000, (current) => {
              const value = String(Number(current ?? 0) + 1);
              return { value, result: value };
            }),
          ),
        );
        expect(await cache.get(counter)).toBe('20');
        expect(new Set(added).size).toBe(20);
      } finally {
        await cache.close();
      }
    });
  });
}

export function pubsubContract(label: string, make: () => PubSub) {
  describe(`${label} pub/sub`, () => {
    it('delivers to every subscriber of a channel, and only that channel, until they leave', async () => {
      const pubsub = make();
      try {
        const channel = unique();
        const a: string[] = [];
        const b: string[] = [];
        const other: string[] = [];
        const leaveA = await pubsub.subscribe(channel, (m) => a.push(m));
        await pubsub.subscribe(channel, (m) => b.push(m));
        await pubsub.subscribe(unique(), (m) => other.push(m));
        await pubsub.publish(channel, 'one');
        await until(() => a.length === 1 && b.length === 1);
        await leaveA();
        await pubsub.publish(channel, 'two');
        await until(() => b.length === 2);
        await sleep(50);
        expect(a).toEqual(['one']);
        expect(b).toEqual(['one', 'two']);
        expect(other).toEqual([]);
      } finally {
        await pubsub.close();
      }
    });
  });
}
