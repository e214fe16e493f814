import { describe, expect, it } from 'vitest';
import { rowFromJson } from './json-rows.js';
import { conversations } from './schema/index.js';

describe('a row read back from row_to_json', () => {
  it('has the properties and values Drizzle would give: Dates, numbers, nulls', () => {
    const row = rowFromJson(conversations, {
      id: 'c1',
      user_id: 'u1',
      channel: 'telegram',
      channel_id: null,
      customer_id: '42',
      customer_name: 'Ana',
      status: 'support_active',
      is_active: true,
      ownership_version: 3,
      waiting_for_ai: true,
      answered_through_seq: 9007199254740,
      read_through_seq: '12',
      is_test: false,
      message_count: 5,
      created_at: '2026-12-06T15:13:00.123456+00:00',
      updated_at: '2026-12-06T15:14:00+00:00',
      last_message_at: null,
    });
    expect(row).toEqual({
      id: 'c1',
      userId: 'u1',
      channel: 'telegram',
      channelId: null,
      customerId: '42',
      customerName: 'Ana',
      status: 'support_active',
      isActive: true,
      ownershipVersion: 3,
      waitingForAi: true,
      answeredThroughSeq: 9007199254740,
      readThroughSeq: 12,
      isTest: false,
      messageCount: 5,
      createdAt: new Date('2026-12-06T15:13:00.123Z'),
      updatedAt: new Date('2026-12-06T15:14:00Z'),
      lastMessageAt: null,
    });
  });
});
