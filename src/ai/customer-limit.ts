import { updateShared, type Cache } from '../infra/cache.js';
import type { Conversation } from '../conversations/conversations.service.js';

/**
 * One customer's share of a business's AI: at most PARLEY_CUSTOMER_REPLIES_PER_HOUR
 * model calls in any sliding hour, counted per business and customer across
 * the customer's conversations, in the shared cache so every process counts
 * together. A burst answered by one reply job is one call, so it counts once.
 */

const HOUR_MS = 60 * 60 * 1000;

type Customer = Pick<Conversation, 'userId' | 'channel' | 'customerId'>;

const customerKey = (customer: Customer) =>
  `${customer.userId}:${customer.channel}:${encodeURIComponent(customer.customerId)}`;

const repliesKey = (customer: Customer) => `customer-replies:${customerKey(customer)}`;

/** A model call counted for a customer, to give back if the call does not happen after all. */
export interface CountedReply {
  giveBack(): Promise<void>;
}

const NOT_COUNTED: CountedReply = { giveBack: async () => {} };

/** Counts a model call for the customer if the hour has room for it; undefined when it has none. */
export async function takeCustomerReply(
  cache: Cache,
  customer: Customer,
  perHour: number,
): Promise<CountedReply | undefined> {
  if (perHour <= 0) return NOT_COUNTED;
  const key = repliesKey(customer);
  const at = Date.now();
  const taken = await updateShared(cache, key, HOUR_MS, (current) => {
    const calls = (current ? (JSON.parse(current) as number[]) : []).filter((time) => time > at - HOUR_MS);
    if (calls.length >= perHour) return { value: current ?? '[]', result: false };
    return { value: JSON.stringify([...calls, at]), result: true };
  });
  if (!taken) return undefined;
  return {
    giveBack: () =>
      updateShared(cache, key, HOUR_MS, (current) => {
        const calls = current ? (JSON.parse(current) as number[]) : [];
        const index = calls.indexOf(at);
        return { value: JSON.stringify(calls.filter((_, i) => i !== index)), result: undefined };
      }),
  };
}

/**
 * Whether the business's message for customers over their limit should be said now: once
 * an hour at most, however many of their messages (or conversations) go to people meanwhile.
 */
export async function firstLimitNotice(cache: Cache, customer: Customer): Promise<boolean> {
  return cache.compareAndSet(`customer-limit-said:${customerKey(customer)}`, undefined, '1', HOUR_MS);
}
