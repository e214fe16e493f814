ALTER TABLE "conversations" ADD COLUMN "read_through_seq" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "conversations_user_updated_idx" ON "conversations" USING btree ("user_id","updated_at");--> statement-breakpoint
CREATE INDEX "messages_seq_idx" ON "messages" USING btree ("seq");--> statement-breakpoint
-- Conversations from before the inbox start read: only messages after the upgrade count as unread.
UPDATE "conversations" SET "read_through_seq" = coalesce((SELECT max("seq") FROM "messages" WHERE "messages"."conversation_id" = "conversations"."id"), 0);
