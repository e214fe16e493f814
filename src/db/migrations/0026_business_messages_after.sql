-- What a reconnecting dashboard missed: the business's messages after a cursor, oldest first, its
-- test conversations left out. As one query, planned generically (prepared statements are), it
-- walked messages_seq_idx from the cursor through every business's messages until it had found
-- enough of this one's: 6,007 rows on PostgreSQL for 4 messages, with another business's 6,000
-- since (test/conversations/sync-after.test.ts). Here the walk covers the next 1,000 seqs (seqs
-- are unique, so at most 1,000 messages, any business's): a cursor a few seconds old has fewer
-- after it, and a business with much of the traffic finds its page among them. Past them, each of
-- the business's conversations is read on from there (messages_conversation_seq_idx), which grows
-- with its own conversations, not with the others' traffic. Both parts read one snapshot, in seq
-- order: the answer is that of the one query.
CREATE FUNCTION "business_messages_after"("business" text, "after_seq" bigint, "max_messages" integer)
RETURNS SETOF "messages"
LANGUAGE plpgsql STABLE
SET enable_bitmapscan = off
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
  walked_to bigint := "after_seq" + 1000;
  found integer;
BEGIN
  RETURN QUERY SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id
   WHERE m.seq > "after_seq" AND m.seq <= walked_to AND c.user_id = "business" AND NOT c.is_test
   ORDER BY m.seq LIMIT "max_messages";
  GET DIAGNOSTICS found = ROW_COUNT;
  IF found >= "max_messages" OR NOT EXISTS (SELECT 1 FROM messages WHERE seq > walked_to) THEN
    RETURN;
  END IF;
  RETURN QUERY SELECT m.* FROM conversations c
    CROSS JOIN LATERAL (
      SELECT * FROM messages
       WHERE conversation_id = c.id AND seq > walked_to
       ORDER BY seq LIMIT "max_messages" - found
    ) m
   WHERE c.user_id = "business" AND NOT c.is_test
   ORDER BY m.seq LIMIT "max_messages" - found;
END
$$;
