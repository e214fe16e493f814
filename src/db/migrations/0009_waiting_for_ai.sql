ALTER TABLE "conversations" ADD COLUMN "waiting_for_ai" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "conversations_waiting_for_ai_idx" ON "conversations" USING btree ("user_id") WHERE "conversations"."waiting_for_ai";--> statement-breakpoint
-- Conversations opened before this column existed that went to people with no recorded reason
-- (no handover, no agent reply) while the business wanted the AI: opened while the AI was
-- unavailable, the case this column marks.
UPDATE "conversations" AS c SET "waiting_for_ai" = true
 WHERE c."status" = 'support_active'
   AND EXISTS (SELECT 1 FROM "users" u WHERE u."id" = c."user_id" AND u."default_reply_handler" = 'AI')
   AND NOT EXISTS (SELECT 1 FROM "handovers" h WHERE h."conversation_id" = c."id")
   AND NOT EXISTS (SELECT 1 FROM "messages" m WHERE m."conversation_id" = c."id" AND m."type" = 'support');
