import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyReply } from 'fastify';
import { NotFoundError } from '../kernel/errors.js';
import { responses } from '../kernel/http-errors.js';
import { withWarnings } from '../kernel/ignored-fields.js';
import { paginate } from '../kernel/pagination.js';
import { currentUser, requireToken } from '../auth/authenticate.js';
import { conversationIdFromSession, getOwnConversation } from '../conversations/conversations.service.js';
import { listConversations, sessionDetail, sessionView } from '../conversations/sessions.service.js';
import type { AuthUser } from '../auth/auth.service.js';
import {
  getAiSettings,
  offeredModels,
  thinkingBudgetInUse,
  type AiSettings,
  type AiSettingsPatch,
} from './ai-settings.js';
import { answeringNow } from './availability.js';
import {
  aiConfigBody,
  aiConfigResponse,
  askBody,
  askResponse,
  sendBody,
  sessionDetail as sessionDetailSchema,
  sessionList,
  sessionListQuery,
  sessionParams,
} from './ai.schema.js';
import { askAsCustomer, outcomeView, sendToConversation, type ReplyOutcome } from './ask.service.js';
import { saveAiSettings } from './handback.js';
import type { ReplyDeps } from './reply-deps.js';

const security = [{ bearer: [] }];

/** The seed's AI endpoints: ask, sessions, config. */
export const aiRoutes: FastifyPluginAsyncZod<ReplyDeps> = async (app, deps) => {
  const { db, config } = deps;
  app.addHook('onRequest', requireToken(db));

  const answer = (reply: FastifyReply, outcome: ReplyOutcome) =>
    reply.code(outcome.success ? 200 : 502).send(outcomeView(outcome));

  app.post(
    '/api/v1/ai/ask/',
    {
      config: { limit: 'ask' },
      schema: {
        tags: ['ai'],
        summary: "Ask a question as a customer and get the AI's answer",
        description:
          'Stores the question in the conversation with that customer (created on first contact), answers it with the conversation so far as context, and stores the answer. When no answer is generated, `reason` says why; a model failure after retries answers 502 with `reason: "ai_unavailable"` and leaves the conversation to people.',
        security,
        body: askBody,
        response: responses({ 200: askResponse, 502: askResponse }, 400, 401),
      },
    },
    async (request, reply) =>
      answer(
        reply,
        await askAsCustomer(deps, currentUser(request), {
          customerId: request.body.customer_id,
          question: request.body.question,
        }),
      ),
  );

  app.get(
    '/api/v1/ai/sessions/',
    {
      schema: {
        tags: ['ai'],
        summary: 'Chat sessions, newest activity first',
        security,
        querystring: sessionListQuery,
        response: responses({ 200: sessionList }, 400, 401),
      },
    },
    async (request) => {
      const { page, page_size: pageSize, status, is_active: isActive, search } = request.query;
      const { count, rows } = await listConversations(
        db,
        currentUser(request).id,
        { status, isActive, search },
        { page, pageSize },
      );
      return paginate(request, config.publicUrl, page, pageSize, count, rows.map(sessionView));
    },
  );

  const ownSession = async (userId: string, session: string) => {
    const conversationId = conversationIdFromSession(session);
    const conversation = conversationId ? await getOwnConversation(db, userId, conversationId) : undefined;
    if (!conversation) throw new NotFoundError('No such session.');
    return conversation;
  };

  app.get(
    '/api/v1/ai/sessions/:session_id/',
    {
      schema: {
        tags: ['ai'],
        summary: 'One session with its messages, oldest first (the latest 200)',
        security,
        params: sessionParams,
        response: responses({ 200: sessionDetailSchema }, 401, 404),
      },
    },
    async (request) => sessionDetail(db, await ownSession(currentUser(request).id, request.params.session_id)),
  );

  app.post(
    '/api/v1/ai/sessions/:session_id/send/',
    {
      config: { limit: 'ask' },
      schema: {
        tags: ['ai'],
        summary: 'Send a customer message in a session; answered like ask',
        security,
        params: sessionParams,
        body: sendBody,
        response: responses({ 200: askResponse, 502: askResponse }, 400, 401, 404),
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const conversation = await ownSession(user.id, request.params.session_id);
      return answer(reply, await sendToConversation(deps, user, conversation.id, request.body.message));
    },
  );

  const configView = async (user: AuthUser, settings: AiSettings) => {
    return {
      model_name: settings.modelName,
      temperature: settings.temperature,
      max_tokens: settings.maxTokens,
      thinking_budget: settings.thinkingBudget,
      thinking_budget_in_use: thinkingBudgetInUse(config, settings) ?? null,
      auto_response_enabled: settings.autoResponseEnabled,
      business_hours_enabled: settings.businessHoursEnabled,
      business_hours: settings.businessHours,
      away_message: settings.awayMessage,
      handover_message: settings.handoverMessage,
      customer_limit_message: settings.customerLimitMessage,
      reply_debounce_ms: settings.replyDebounceMs,
      prompts: {
        manual_prompt: settings.prompts.manualPrompt,
        knowledge_source: settings.prompts.knowledgeSource,
        product_service: settings.prompts.productService,
        question_answer: settings.prompts.questionAnswer,
      },
      api_key_configured: Boolean(config.gemini.apiKey),
      simulated: config.gemini.simulated,
      models: offeredModels(config).map((model) => ({
        name: model.name,
        input_usd_per_million: model.inputPrice,
        output_usd_per_million: model.outputPrice,
        cached_input_usd_per_million: model.cachedPrice,
      })),
      answering_now: await answeringNow(deps, user, settings, deps.now?.() ?? new Date()),
    };
  };

  app.get(
    '/api/v1/ai/config/',
    {
      schema: {
        tags: ['ai'],
        summary: "This business's AI configuration and prompts",
        security,
        response: responses({ 200: aiConfigResponse }, 401),
      },
    },
    async (request) => {
      const user = currentUser(request);
      return configView(user, await getAiSettings(db, user.id, config.gemini.defaultModel));
    },
  );

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/api/v1/ai/config/',
      schema: {
        tags: ['ai'],
        summary: 'Change any subset of the AI configuration and prompts',
        security,
        body: aiConfigBody,
        response: responses({ 200: withWarnings(aiConfigResponse) }, 400, 401),
      },
      handler: async (request) => {
        const body = request.body;
        const patch: AiSettingsPatch = {};
        if (body.model_name !== undefined) patch.modelName = body.model_name;
        if (body.temperature !== undefined) patch.temperature = body.temperature;
        if (body.max_tokens !== undefined) patch.maxTokens = body.max_tokens;
        if (body.thinking_budget !== undefined) patch.thinkingBudget = body.thinking_budget;
        if (body.auto_response_enabled !== undefined) patch.autoResponseEnabled = body.auto_response_enabled;
        if (body.business_hours_enabled !== undefined) patch.businessHoursEnabled = body.business_hours_enabled;
        if (body.business_hours !== undefined) patch.businessHours = body.business_hours;
        if (body.away_message !== undefined) patch.awayMessage = body.away_message;
        if (body.handover_message !== undefined) patch.handoverMessage = body.handover_message;
        if (body.customer_limit_message !== undefined) patch.customerLimitMessage = body.customer_limit_message;
        if (body.reply_debounce_ms !== undefined) patch.replyDebounceMs = body.reply_debounce_ms;
        if (body.prompts) {
          const prompts: AiSettingsPatch['prompts'] = {};
          if (body.prompts.manual_prompt !== undefined) prompts.manualPrompt = body.prompts.manual_prompt;
          if (body.prompts.knowledge_source !== undefined) prompts.knowledgeSource = body.prompts.knowledge_source;
          if (body.prompts.product_service !== undefined) prompts.productService = body.prompts.product_service;
          if (body.prompts.question_answer !== undefined) prompts.questionAnswer = body.prompts.question_answer;
          patch.prompts = prompts;
        }
        const user = currentUser(request);
        return configView(user, await saveAiSettings(deps, user.id, patch));
      },
    });
  }
};
