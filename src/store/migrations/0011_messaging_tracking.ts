/**
 * Messaging: open and click tracking on messages, the campaign filter, events of messages waiting to be
 * published to the in-process subscribers, and hook deliveries queued by the database in the very
 * transaction that stores an event (so a crash can never lose an event's forwarding).
 */
export default `
ALTER TABLE messages ADD COLUMN opened_at timestamptz;
ALTER TABLE messages ADD COLUMN clicked_at timestamptz;
ALTER TABLE messages ADD COLUMN clicks integer NOT NULL DEFAULT 0;
CREATE INDEX messages_campaign ON messages (campaign_id, id DESC) WHERE campaign_id IS NOT NULL;

-- Events written in a sender's transaction (an outbox message stored as sent, with its message_sent event)
-- are published to this process's subscribers by the delivery task once that transaction has committed.
CREATE TABLE message_event_outbox (
  id uuid PRIMARY KEY,
  event_ids uuid[] NOT NULL,
  created_at timestamptz NOT NULL
);

-- One delivery per active hook that subscribed to the event's name (or to *), due after the hook's flush
-- interval, written by the statement that inserts the events, whoever inserts them.
CREATE FUNCTION queue_hook_deliveries() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO hook_deliveries (id, hook_id, event_id, event_type, event_date, profile_id, event_data, status, due_at, created_at)
  SELECT gen_random_uuid(), h.id, e.id, e.name, e.occurred_at, e.profile_id, e.properties, 'pending',
    e.received_at + CASE
      WHEN h.target ->> 'flush_interval' ~ '^P([0-9]+[YMWD])*(T([0-9]+([.][0-9]+)?[HMS])+)?$' AND h.target ->> 'flush_interval' <> 'P'
      THEN (h.target ->> 'flush_interval')::interval
      ELSE interval '0'
    END,
    e.received_at
  FROM new_events e
  JOIN action_hooks h ON h.active AND (e.name = ANY (h.events) OR '*' = ANY (h.events))
  ON CONFLICT (hook_id, event_id) DO NOTHING;
  RETURN NULL;
END
$fn$;

CREATE TRIGGER events_queue_hook_deliveries AFTER INSERT ON events
  REFERENCING NEW TABLE AS new_events
  FOR EACH STATEMENT EXECUTE FUNCTION queue_hook_deliveries();
`;
