-- The durable event log behind GET /api/integrations/events.
--
-- Ids are per project and allocated by incrementing projects.event_seq in the same transaction
-- that inserts the event. That UPDATE takes the project row's lock, so a second writer waits
-- until the first commits: ids of one project become visible strictly in id order, and a
-- resuming client that has seen id N can never later miss an event N' < N that committed late
-- (as it could with an identity column or a sequence, whose values commit in any order).
ALTER TABLE projects
  ADD COLUMN event_seq bigint NOT NULL DEFAULT 0,
  -- The caller-visible hash last published per role, so a status event is written only on change.
  ADD COLUMN status_hashes jsonb NOT NULL DEFAULT '{}'::jsonb;

CREATE TABLE integration_events (
  project_id text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  seq bigint NOT NULL,
  type text NOT NULL,
  payload jsonb NOT NULL,
  -- clock_timestamp(), not now(): taken after the project lock, so it follows id order.
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (project_id, seq)
);
-- For the retention job.
CREATE INDEX integration_events_created ON integration_events (created_at);
