CREATE TABLE "daily_analytics" (
	"user_id" text NOT NULL,
	"day" date NOT NULL,
	"conversations" integer DEFAULT 0 NOT NULL,
	"customer_messages" integer DEFAULT 0 NOT NULL,
	"ai_messages" integer DEFAULT 0 NOT NULL,
	"support_messages" integer DEFAULT 0 NOT NULL,
	"system_messages" integer DEFAULT 0 NOT NULL,
	"ai_answered_messages" integer DEFAULT 0 NOT NULL,
	"coalesced_bursts" integer DEFAULT 0 NOT NULL,
	"discarded_replies" integer DEFAULT 0 NOT NULL,
	"response_times_ms" integer[] DEFAULT '{}'::integer[] NOT NULL,
	"handovers" integer DEFAULT 0 NOT NULL,
	"handovers_by_reason" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "daily_analytics_user_id_day_pk" PRIMARY KEY("user_id","day")
);
--> statement-breakpoint
CREATE TABLE "usage_quotas" (
	"user_id" text PRIMARY KEY NOT NULL,
	"daily_tokens" bigint DEFAULT 0 NOT NULL,
	"monthly_tokens" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "usage_quotas_daily_check" CHECK ("usage_quotas"."daily_tokens" >= 0),
	CONSTRAINT "usage_quotas_monthly_check" CHECK ("usage_quotas"."monthly_tokens" >= 0)
);
--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "answered_count" integer;--> statement-breakpoint
ALTER TABLE "daily_analytics" ADD CONSTRAINT "daily_analytics_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_quotas" ADD CONSTRAINT "usage_quotas_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;