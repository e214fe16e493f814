ALTER TABLE "usage_quotas" ALTER COLUMN "daily_tokens" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "usage_quotas" ALTER COLUMN "daily_tokens" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_quotas" ALTER COLUMN "monthly_tokens" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "usage_quotas" ALTER COLUMN "monthly_tokens" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "ai_configs" ADD COLUMN "customer_limit_message" text;--> statement-breakpoint
-- Before defaults existed, 0 was also what a cap never set was stored as: it becomes "the default" (none until one is set).
UPDATE "usage_quotas" SET "daily_tokens" = NULLIF("daily_tokens", 0), "monthly_tokens" = NULLIF("monthly_tokens", 0);
