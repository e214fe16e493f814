ALTER TABLE "messages" ADD COLUMN "ai_skipped_reason" text;--> statement-breakpoint
ALTER TABLE "usage_records" ADD COLUMN "message_id" text;--> statement-breakpoint
CREATE INDEX "messages_calls_avoided_idx" ON "messages" USING btree ("created_at") WHERE "messages"."ai_skipped_reason" is not null or "messages"."answered_count" > 1;