ALTER TABLE "usage_records" ALTER COLUMN "estimated_cost_usd" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "usage_records" ALTER COLUMN "estimated_cost_usd" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_records" ADD COLUMN "cached_tokens" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_records" ADD COLUMN "cache_saving_usd" double precision;