import type { Cache } from '../infra/cache.js';
import { takePlace, type TakenPlace } from '../infra/sliding-window.js';
import { customerKey, type Conversation } from '../conversations/conversations.service.js';

/**
 * One customer's share of a business's AI: at most PARLEY_CUSTOMER_REPLIES_PER_HOUR
 * model calls in any sliding hour, counted per business and customer across
 * the customer's conversations, in the shared cache so every process counts
 * together. A burst answered by one reply job is one call, so it counts once.
 */

const HOUR_MS = 60 * 60 * 1000;

type Customer = Pick<Conversation, 'userId' | 'channel' | 'customerId'>;

const repliesKey = (customer: Customer) => `customer-replies:${customerKey(customer)}`;

/** A model call counted for a customer, to give back if the call does not happen after all. */
export type CountedReply = TakenPlace;

const NOT_COUNTED: CountedReply = { giveBack: async () => {} };

/** Counts a model call for the customer if the hour has room for it; undefined when it has none. */
export async function takeCustomerReply(
  cache: Cache,
  customer: Customer,
  perHour: number,
): Promise<CountedReply | undefined> {
  if (perHour <= 0) return NOT_COUNTED;
  const answer = await takePlace(cache, repliesKey(customer), perHour, HOUR_MS);
  return answer.taken ? answer.place : undefined;
}

/**
 * Whether the business's message for customers over their limit should be said now: once
 * an hour at most, however many of their messages (or conversations) go to people meanwhile.
 */
export async function firstLimitNotice(cache: Cache, customer: Customer): Promise<boolean> {
  return cache.compareAndSet(`customer-limit-said:${customerKey(customer)}`, undefined, '1', HOUR_MS);
}
