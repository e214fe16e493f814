import { AppError, ValidationError } from '../kernel/errors.js';
import { perDatabaseCache } from '../db/cache.js';
import type { Database } from '../db/client.js';
import type { Config } from '../kernel/config.js';
import {
  findSettingsRows,
  saveSettings,
  statusCounts,
  suspendedAt,
  upsertAutoResponse,
  upsertSuspension,
  usersWithIds,
} from './ai.repo.js';
import { thinkingBudgetFor, thinkingBudgetProblem } from '../model/thinking.js';
import type { BusinessHours } from './business-hours.js';

/** One business's AI setup: model config and prompts (the seed's AIModelConfig and AI Prompts). */
export interface AiSettings {
  modelName: string;
  temperature: number;
  maxTokens: number;
  /** Tokens the model may think before answering; null: Parley's default for the model (thinkingBudgetFor). */
  thinkingBudget: number | null;
  autoResponseEnabled: boolean;
  businessHoursEnabled: boolean;
  businessHours: BusinessHours | null;
  awayMessage: string | null;
  handoverMessage: string | null;
  /** Said once to a customer past PARLEY_CUSTOMER_REPLIES_PER_HOUR, whose messages then go to people. */
  customerLimitMessage: string | null;
  /** How long a burst of a customer's messages on a channel is awaited before they are answered together. */
  replyDebounceMs: number;
  /** Suspended by the operator: the AI stays off whatever `autoResponseEnabled` says. */
  suspended: boolean;
  prompts: Prompts;
}

export interface Prompts {
  manualPrompt: string;
  knowledgeSource: string;
  productService: string;
  questionAnswer: string;
}

/** What a business may change: suspension is the operator's (`setSuspended`). */
export type AiSettingsPatch = Partial<Omit<AiSettings, 'prompts' | 'suspended'>> & { prompts?: Partial<Prompts> };

/** A model a business may choose, with what its tokens cost (USD per million). */
export interface OfferedModel {
  name: string;
  /** Null when PARLEY_MODEL_PRICES has no price for it. */
  inputPrice: number | null;
  outputPrice: number | null;
  cachedPrice: number | null;
}

/**
 * The models the server offers: exactly the operator's allowed ones
 * (PARLEY_ALLOWED_MODELS), the default first, each with the price usage is
 * counted at (null for a model the price table does not name: its cost is unknown).
 */
export function offeredModels(config: Pick<Config, 'gemini' | 'modelPrices'>): OfferedModel[] {
  return config.gemini.allowedModels.map((name) => {
    const price = Object.hasOwn(config.modelPrices, name) ? config.modelPrices[name] : undefined;
    return {
      name,
      inputPrice: price?.input ?? null,
      outputPrice: price?.output ?? null,
      cachedPrice: price?.cached ?? null,
    };
  });
}

/** A business asked for a model the operator does not allow. */
export class ModelNotAllowedError extends AppError {
  override readonly status = 400;
  override readonly code = 'model_not_allowed';
  constructor(name: string, allowed: string[]) {
    const message = `"${name}" is not a model this server allows; choose one of: ${allowed.join(', ')}.`;
    super(`model_name: ${message}`, { errors: { model_name: [message] } });
  }
}

export function assertModelAllowed(config: Pick<Config, 'gemini'>, name: string): void {
  if (!config.gemini.allowedModels.includes(name)) throw new ModelNotAllowedError(name, config.gemini.allowedModels);
}

/**
 * The model a business's replies use: its own choice while the operator
 * allows it; once the operator has withdrawn it, the server's default (the
 * stored choice stays, and the setup checks say it is not used).
 */
export function modelInUse(config: Pick<Config, 'gemini'>, settings: Pick<AiSettings, 'modelName'>): string {
  return config.gemini.allowedModels.includes(settings.modelName) ? settings.modelName : config.gemini.defaultModel;
}

/**
 * The thinking budget replies are sent with: the business's own for the model in use, unless that
 * model cannot take it (the operator withdrew the model it was set for), then Parley's default.
 */
export function thinkingBudgetInUse(
  config: Pick<Config, 'gemini'>,
  settings: Pick<AiSettings, 'modelName' | 'thinkingBudget'>,
): number | undefined {
  const model = modelInUse(config, settings);
  const own = thinkingBudgetProblem(model, settings.thinkingBudget) ? null : settings.thinkingBudget;
  return thinkingBudgetFor(model, own);
}

export const DEFAULT_TEMPERATURE = 0.7;
export const DEFAULT_MAX_TOKENS = 1024;
export const DEFAULT_REPLY_DEBOUNCE_MS = 2_000;

/**
 * Settings are read on every customer message, so they are cached per
 * business. Every write in this process invalidates; other processes see a
 * change within the TTL.
 */
const settingsCache = perDatabaseCache<AiSettings>({ ttlMs: 5_000, maxEntries: 10_000 });

export function invalidateAiSettings(db: Database, userIds?: string[]): void {
  settingsCache.invalidate(db, userIds);
}

export async function getAiSettings(db: Database, userId: string, defaultModel: string): Promise<AiSettings> {
  const hit = settingsCache.get(db, userId);
  if (hit) return hit;
  const settings = await loadAiSettings(db, userId, defaultModel);
  settingsCache.set(db, userId, settings);
  return settings;
}

async function loadAiSettings(db: Database, userId: string, defaultModel: string): Promise<AiSettings> {
  const row = await findSettingsRows(db, userId);
  const config = row?.config;
  const prompts = row?.prompts;
  return {
    modelName: config?.modelName ?? defaultModel,
    temperature: config?.temperature ?? DEFAULT_TEMPERATURE,
    maxTokens: config?.maxTokens ?? DEFAULT_MAX_TOKENS,
    thinkingBudget: config?.thinkingBudget ?? null,
    autoResponseEnabled: config?.autoResponseEnabled ?? false,
    businessHoursEnabled: config?.businessHoursEnabled ?? false,
    businessHours: config?.businessHours ?? null,
    awayMessage: config?.awayMessage ?? null,
    handoverMessage: config?.handoverMessage ?? null,
    customerLimitMessage: config?.customerLimitMessage ?? null,
    replyDebounceMs: config?.replyDebounceMs ?? DEFAULT_REPLY_DEBOUNCE_MS,
    suspended: config?.suspendedAt != null,
    prompts: {
      manualPrompt: prompts?.manualPrompt ?? '',
      knowledgeSource: prompts?.knowledgeSource ?? '',
      productService: prompts?.productService ?? '',
      questionAnswer: prompts?.questionAnswer ?? '',
    },
  };
}

/** Applies any subset of the settings in one transaction. */
export async function updateAiSettings(
  db: Database,
  userId: string,
  defaultModel: string,
  patch: AiSettingsPatch,
): Promise<AiSettings> {
  const current = await loadAiSettings(db, userId, defaultModel);
  const { prompts, ...config } = patch;
  const next = { ...current, ...config };
  if (next.businessHoursEnabled && !next.businessHours) {
    throw new ValidationError({ business_hours: ['Set business_hours before enabling them.'] });
  }
  // Checked against the model the business will have, so switching models cannot strand a budget it cannot take.
  const thinking = thinkingBudgetProblem(next.modelName, next.thinkingBudget);
  if (thinking && (patch.thinkingBudget !== undefined || patch.modelName !== undefined)) {
    throw new ValidationError({ thinking_budget: [thinking] });
  }
  const configValues =
    Object.keys(config).length > 0
      ? {
          modelName: next.modelName,
          temperature: next.temperature,
          maxTokens: next.maxTokens,
          thinkingBudget: next.thinkingBudget,
          autoResponseEnabled: next.autoResponseEnabled,
          businessHoursEnabled: next.businessHoursEnabled,
          businessHours: next.businessHours,
          awayMessage: next.awayMessage,
          handoverMessage: next.handoverMessage,
          customerLimitMessage: next.customerLimitMessage,
          replyDebounceMs: next.replyDebounceMs,
        }
      : undefined;
  const promptValues = prompts && Object.keys(prompts).length > 0 ? { ...current.prompts, ...prompts } : undefined;
  await saveSettings(db, userId, configValues, promptValues);
  invalidateAiSettings(db, [userId]);
  return loadAiSettings(db, userId, defaultModel);
}

/**
 * Switches automatic replies on or off for some businesses (all when
 * `userIds` is undefined), creating their AI config with the defaults on first
 * use. Returns the usernames changed.
 */
export async function setAutoResponse(
  db: Database,
  enabled: boolean,
  defaultModel: string,
  userIds?: string[],
): Promise<string[]> {
  const targets = await usersWithIds(db, userIds);
  if (targets.length === 0) return [];
  await upsertAutoResponse(
    db,
    targets.map((user) => user.id),
    enabled,
    defaultModel,
  );
  invalidateAiSettings(
    db,
    targets.map((user) => user.id),
  );
  return targets.map((user) => user.username);
}

/**
 * Suspends or resumes the AI of some businesses, creating their AI config
 * (off) on first use. Returns the usernames changed.
 */
export async function setSuspended(
  db: Database,
  suspended: boolean,
  defaultModel: string,
  userIds: string[],
): Promise<string[]> {
  const targets = await usersWithIds(db, userIds);
  if (targets.length === 0) return [];
  const ids = targets.map((user) => user.id);
  await upsertSuspension(db, ids, suspended ? new Date() : null, defaultModel);
  invalidateAiSettings(db, ids);
  return targets.map((user) => user.username);
}

/** Whether the operator has suspended this business, read fresh: checked just before each model call. */
export async function isSuspended(db: Database, userId: string): Promise<boolean> {
  return (await suspendedAt(db, userId)) !== null;
}

export interface AiStatusRow {
  username: string;
  autoResponseEnabled: boolean;
  suspended: boolean;
  defaultReplyHandler: string;
  modelName: string;
  active: number;
  supportActive: number;
  waitingForAi: number;
}

/** One row per business: the figures `ai_control status` prints. */
export async function aiStatusRows(db: Database, defaultModel: string): Promise<AiStatusRow[]> {
  const rows = await statusCounts(db);
  return rows.map((row) => ({
    username: row.username,
    autoResponseEnabled: row.autoResponseEnabled ?? false,
    suspended: row.suspendedAt != null,
    defaultReplyHandler: row.defaultReplyHandler,
    modelName: row.modelName ?? defaultModel,
    active: Number(row.active ?? 0),
    supportActive: Number(row.supportActive ?? 0),
    waitingForAi: Number(row.waitingForAi ?? 0),
  }));
}
