-- Usernames become unique without regard to case ("ALICE" and "alice" are one name); the spelling given is kept.
-- A database already holding names that differ only by case cannot take the index: stop, naming them, and change nothing.
DO $$
DECLARE
  clashes text;
BEGIN
  SELECT string_agg(names, '; ' ORDER BY name) INTO clashes
  FROM (
    SELECT lower(username) AS name, string_agg('"' || username || '"', ' and ' ORDER BY created_at, username) AS names
    FROM users
    GROUP BY lower(username)
    HAVING count(*) > 1
  ) AS clash;
  IF clashes IS NOT NULL THEN
    RAISE EXCEPTION 'usernames are now unique without regard to case, but these users'' names differ only by case: %. Rename all but one of each (UPDATE users SET username = ''new-name'' WHERE username = ''old-name''; the README''s "Usernames" section shows how with the embedded database), then start Parley again.', clashes;
  END IF;
END $$;--> statement-breakpoint
CREATE UNIQUE INDEX "users_username_lower_key" ON "users" USING btree (lower("username"));--> statement-breakpoint
DROP INDEX "users_username_key";
