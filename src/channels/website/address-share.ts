import { getAiSettings } from '../../ai/ai-settings.js';
import { HISTORY_LIMIT, modelRequestFor } from '../../ai/answer.js';
import { worstCaseTokens } from '../../ai/call-admission.js';
import { recentMessages } from '../../conversations/conversations.service.js';
import { takeShare } from '../../infra/sliding-window.js';
import { quotaLimits } from '../../usage/quota.service.js';
import type { Cache } from '../../infra/cache.js';
import type { InboundDeps } from '../inbound.js';

/**
 * What a scripted flood can cost a business: unverified visitors from one address (an IPv4
 * address, an IPv6 /64) get AI answers worth at most this share of the business's daily token
 * cap in any 24 hours, however many visitors the address starts.
 */
export const ADDRESS_SHARE_OF_DAILY_CAP = 0.05;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Charges an unverified visitor's new message to its address: the worst case of the call that
 * would answer it, reckoned as the caps' reservation reckons it (the prompt, the conversation so
 * far, every output token). False when the address's share has no room left for it; true also
 * when the business has no daily cap (nothing to take a share of) or the Cache is away.
 */
export async function chargeAddress(
  deps: InboundDeps & { cache: Cache; now?: () => Date },
  userId: string,
  conversationId: string,
  address: string,
): Promise<boolean> {
  const { dailyTokens } = await quotaLimits(deps.db, deps.config.defaultQuota, userId);
  if (dailyTokens <= 0) return true;
  const settings = await getAiSettings(deps.db, userId, deps.config.gemini.defaultModel);
  const history = await recentMessages(deps.db, conversationId, HISTORY_LIMIT);
  const { request } = await modelRequestFor(deps, userId, settings, history, deps.now?.() ?? new Date());
  const share = Math.floor(dailyTokens * ADDRESS_SHARE_OF_DAILY_CAP);
  try {
    return await takeShare(
      deps.cache,
      `widget-address-tokens:${userId}:${address}`,
      worstCaseTokens(request),
      share,
      DAY_MS,
    );
  } catch {
    return true;
  }
}
