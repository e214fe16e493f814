-- The newest messages of a conversation, oldest first, as json: the history a reply reads.
-- A function so that its one statement is planned with settings of its own, which leave one
-- plan: messages_conversation_seq_idx read backwards, stopping at the last message it needs.
-- - No bitmap scans. Most conversations are short, so the statistics expect a few messages per
--   conversation; for those few a bitmap scan and a sort look cheapest, and the planner chose
--   them for a long conversation too: it read and sorted every message (1,200 on PostgreSQL:
--   0.97 ms against 0.33 ms) to keep the newest 59, a cost that grew with each message.
-- - A generic plan, from those statistics, never one for the conversation at hand: for a
--   conversation with a large share of all messages, that one walks every message of the
--   business backwards from the newest (messages_seq_idx) until it has found enough of its own,
--   which for a customer back after months is most of the table.
-- STABLE: called by a statement that stores a message, it sees that statement's snapshot, so
-- the history holds the messages before the new one.
CREATE FUNCTION "conversation_history"("conversation" text, "max_messages" integer) RETURNS json
LANGUAGE plpgsql STABLE
SET enable_bitmapscan = off
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
  RETURN (
    SELECT coalesce(json_agg(h ORDER BY h.seq), '[]'::json) FROM (
      SELECT id, type, text, created_at, response_time_ms, seq FROM messages
       WHERE conversation_id = "conversation" ORDER BY seq DESC LIMIT "max_messages") h);
END
$$;
