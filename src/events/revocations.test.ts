import { describe, expect, it } from 'vitest';
import { createLocalPubSub } from '../infra/pubsub.js';
import { createTokenRevocations, TOKEN_REVOCATIONS_CHANNEL } from './revocations.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('token revocation announcements', () => {
  it('reach every listening process, the announcer included, and not a process that only announces', async () => {
    const pubsub = createLocalPubSub();
    const serveA = createTokenRevocations(pubsub);
    const serveB = createTokenRevocations(pubsub);
    const cli = createTokenRevocations(pubsub, { listen: false });
    await Promise.all([serveA.ready, serveB.ready, cli.ready]);
    const heard: string[] = [];
    serveA.subscribe((ids) => heard.push(`A ${ids.join(',')}`));
    serveB.subscribe((ids) => heard.push(`B ${ids.join(',')}`));
    cli.subscribe(() => heard.push('cli'));

    await cli.announce(['t1', 't2']);
    await serveA.announce([]);
    await tick();
    expect(heard.sort()).toEqual(['A t1,t2', 'B t1,t2']);

    await serveB.close();
    heard.length = 0;
    await serveA.announce(['t3']);
    await tick();
    expect(heard).toEqual(['A t3']);
  });

  it('reports what is not a list of token ids, and a refused publish, and carries on', async () => {
    const pubsub = createLocalPubSub();
    const problems: unknown[] = [];
    const serve = createTokenRevocations(pubsub, { onListenerError: (error) => problems.push(error) });
    await serve.ready;
    const heard: string[][] = [];
    serve.subscribe((ids) => heard.push(ids));

    await pubsub.publish(TOKEN_REVOCATIONS_CHANNEL, 'not json');
    await pubsub.publish(TOKEN_REVOCATIONS_CHANNEL, JSON.stringify({ token_ids: [1, 2] }));
    await serve.announce(['t1']);
    await tick();
    expect(heard).toEqual([['t1']]);
    expect(problems).toHaveLength(2);

    const refused: unknown[] = [];
    const down = createTokenRevocations(
      { ...pubsub, publish: () => Promise.reject(new Error('Redis is down')) },
      { listen: false, onPublishError: (error) => refused.push(error) },
    );
    await expect(down.announce(['t1'])).resolves.toBeUndefined();
    expect(refused).toEqual([new Error('Redis is down')]);
  });
});
