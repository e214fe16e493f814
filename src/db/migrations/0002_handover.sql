CREATE TABLE "handovers" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"conversation_id" text NOT NULL,
	"source" text NOT NULL,
	"reason" text NOT NULL,
	"detail" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "handovers_source_check" CHECK ("handovers"."source" in ('ai', 'agent', 'system'))
);
--> statement-breakpoint
ALTER TABLE "ai_configs" ADD COLUMN "handover_message" text;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "ownership_version" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "handovers" ADD CONSTRAINT "handovers_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "handovers" ADD CONSTRAINT "handovers_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "handovers_user_created_idx" ON "handovers" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "handovers_conversation_idx" ON "handovers" USING btree ("conversation_id","created_at");