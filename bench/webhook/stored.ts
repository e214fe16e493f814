/**
 * Stored exactly once: after a target's run, the customer messages of its
 * channel are read back (PostgreSQL directly; the embedded data dir with PGlite
 * once the server has stopped) and compared with the ledger of what was posted
 * and acknowledged.
 */
import path from 'node:path';
import { openPglite } from '../../src/db/client.js';
import type { ServerProcess } from '../lib/process.js';
import { withClient } from '../lib/setup.js';
import type { Ledger } from './deliveries.js';

export interface Storage {
  /** Distinct updates posted; acknowledged with 200; rows stored (retries included). */
  sent: number;
  acked: number;
  stored: number;
  /** Acknowledged but not in the database: lost messages. */
  missing: number;
  /** Stored more than once. */
  duplicates: number;
  /** Stored though its delivery failed (a timeout after the insert); harmless, Telegram would retry it. */
  storedUnacked: number;
  missingSamples: string[];
  /** AI replies by delivery status: what reached the fake Telegram, what is still pending or failed. */
  replies: Record<string, number>;
}

const STORED_SQL = `
  select c.customer_id, m.channel_message_id, count(*)::int as n
  from messages m join conversations c on c.id = m.conversation_id
  where c.channel_id = $1 and m.type = 'customer'
  group by 1, 2`;
const REPLIES_SQL = `
  select coalesce(m.delivery_status, 'none') as status, count(*)::int as n
  from messages m join conversations c on c.id = m.conversation_id
  where c.channel_id = $1 and m.type = 'AI'
  group by 1`;

interface Rows {
  stored: { customer_id: string; channel_message_id: string; n: number }[];
  replies: { status: string; n: number }[];
}

function compare(ledger: Ledger, rows: Rows): Storage {
  const stored = new Map<string, number>();
  for (const row of rows.stored) stored.set(`${row.customer_id}:${row.channel_message_id}`, row.n);
  const missing = [...ledger.acked].filter((key) => !stored.has(key));
  return {
    sent: ledger.sent.size,
    acked: ledger.acked.size,
    stored: [...stored.values()].reduce((sum, n) => sum + n, 0),
    missing: missing.length,
    duplicates: [...stored.values()].filter((n) => n > 1).length,
    storedUnacked: [...stored.keys()].filter((key) => !ledger.acked.has(key)).length,
    missingSamples: missing.slice(0, 5),
    replies: Object.fromEntries(rows.replies.map((row) => [row.status, row.n])),
  };
}

/**
 * What the channel's conversations hold, against `ledger`. On PostgreSQL
 * (`databaseUrl`) it is read while the servers run; the embedded database is the
 * server's own, so `servers` are stopped first and its data dir opened here.
 */
export async function checkStored(target: {
  ledger: Ledger;
  channelId: string;
  databaseUrl: string | undefined;
  dataDir: string;
  servers: ServerProcess[];
}): Promise<Storage> {
  const { ledger, channelId, databaseUrl } = target;
  if (databaseUrl) {
    const rows = await withClient(databaseUrl, async (client) => ({
      stored: (await client.query<Rows['stored'][number]>(STORED_SQL, [channelId])).rows,
      replies: (await client.query<Rows['replies'][number]>(REPLIES_SQL, [channelId])).rows,
    }));
    return compare(ledger, rows);
  }
  for (const server of target.servers) await server.stop();
  const handle = await openPglite(path.join(target.dataDir, 'pglite'));
  try {
    const pglite = handle.pglite!;
    return compare(ledger, {
      stored: (await pglite.query<Rows['stored'][number]>(STORED_SQL, [channelId])).rows,
      replies: (await pglite.query<Rows['replies'][number]>(REPLIES_SQL, [channelId])).rows,
    });
  } finally {
    await handle.close();
  }
}
