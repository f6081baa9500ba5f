-- Quick actions, executed durably: who asked with which role, how the action runs (here or in the
-- host workspace), its lease while a worker holds it, and every state change with its time.
ALTER TABLE integration_actions
  ADD COLUMN role text NOT NULL DEFAULT 'viewer' CHECK (role IN ('owner', 'admin', 'editor', 'viewer')),
  ADD COLUMN mode text NOT NULL DEFAULT 'inline' CHECK (mode IN ('inline', 'host')),
  ADD COLUMN attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN claimed_by text,
  ADD COLUMN lease_until timestamptz;

-- Idempotency keys live 24 h (pruned), actions longer: the key moves to its own table, whose
-- primary key decides between concurrent requests on every instance.
DROP INDEX integration_actions_idempotency;
CREATE TABLE action_idempotency_keys (
  project_id text NOT NULL,
  user_id text NOT NULL,
  idempotency_key uuid NOT NULL,
  request_fingerprint text NOT NULL,
  -- NULL while the first request is still being accepted (a duplicate then gets 409).
  action_id uuid REFERENCES integration_actions (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, user_id, idempotency_key)
);
CREATE INDEX action_idempotency_keys_created ON action_idempotency_keys (created_at);

CREATE TABLE integration_action_transitions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  action_id uuid NOT NULL REFERENCES integration_actions (id) ON DELETE CASCADE,
  status text NOT NULL,
  progress jsonb,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX integration_action_transitions_action ON integration_action_transitions (action_id, id);

DROP INDEX integration_actions_pending;
CREATE INDEX integration_actions_claimable ON integration_actions (mode, created_at) WHERE status IN ('pending', 'running');

-- OAuth connect/reconnect: one row per authorization in progress. The signed `state` names the
-- row; the callback consumes it once (used_at), so a replayed or expired state stores nothing.
CREATE TABLE oauth_states (
  nonce text PRIMARY KEY,
  action_id uuid REFERENCES integration_actions (id) ON DELETE CASCADE,
  project_id text NOT NULL,
  user_id text NOT NULL,
  provider text NOT NULL,
  config jsonb NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX oauth_states_expires ON oauth_states (expires_at);
