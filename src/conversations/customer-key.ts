/**
 * The key of one customer of a business on one channel, for what is kept per customer in memory
 * or in the shared cache. The customer's id is the platform's, so it is encoded.
 */
export function customerKey(customer: { userId: string; channel: string; customerId: string }): string {
  return `${customer.userId}:${customer.channel}:${encodeURIComponent(customer.customerId)}`;
}
