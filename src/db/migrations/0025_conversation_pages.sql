-- A page of one conversation's messages, as the conversation view and the website widget read
-- them: the newest before a cursor (none: the newest of all), or the oldest after one. Functions
-- for the reason of 0024.
-- Without them, PostgreSQL plans such a page for the conversation at hand, and for a customer
-- with a large share of all messages it walks messages_seq_idx (every business's messages) from
-- the newest, or from the oldest, until it has found enough of theirs. For a customer back after
-- a while that read every message written since they last wrote (7,251 rows for a page of 50 in
-- test/conversations/long-thread.test.ts, on PostgreSQL and embedded alike). A generic plan reads
-- messages_conversation_seq_idx and stops at the last message of the page; bitmap scans are off,
-- as they would read and sort the whole conversation.
CREATE FUNCTION "conversation_messages_before"("conversation" text, "before_seq" bigint, "max_messages" integer, "with_system" boolean)
RETURNS SETOF "messages"
LANGUAGE plpgsql STABLE
SET enable_bitmapscan = off
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
  RETURN QUERY SELECT * FROM messages
   WHERE conversation_id = "conversation" AND seq < coalesce("before_seq", 9223372036854775807) AND ("with_system" OR type <> 'system')
   ORDER BY seq DESC LIMIT "max_messages";
END
$$;
--> statement-breakpoint
CREATE FUNCTION "conversation_messages_after"("conversation" text, "after_seq" bigint, "skip" integer, "max_messages" integer, "with_system" boolean)
RETURNS SETOF "messages"
LANGUAGE plpgsql STABLE
SET enable_bitmapscan = off
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
  RETURN QUERY SELECT * FROM messages
   WHERE conversation_id = "conversation" AND seq > "after_seq" AND ("with_system" OR type <> 'system')
   ORDER BY seq LIMIT "max_messages" OFFSET "skip";
END
$$;
