-- Projects are owned by the host workspace; a row appears when the first integration is linked.
CREATE TABLE projects (
  id text PRIMARY KEY,
  team_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per linked provider of a project. Credentials are AES-256-GCM ciphertext
-- (see src/lib/credentials-cipher.ts); the status columns hold the plan's cache and breaker state.
CREATE TABLE project_integrations (
  project_id text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  provider text NOT NULL CHECK (provider IN ('github', 'vercel', 'sanity', 'supabase')),
  config jsonb NOT NULL DEFAULT '{}'::jsonb,
  credentials_encrypted text,
  credentials_fingerprint text,
  enabled boolean NOT NULL DEFAULT true,
  hidden_from_roles text[] NOT NULL DEFAULT '{}',
  last_status_check timestamptz,
  status_cache jsonb,
  circuit_breaker_state jsonb,
  last_good_status jsonb,
  cache_expires_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, provider)
);

-- Quick actions. The idempotency key is scoped to the user and project that sent it
-- (IETF draft "The Idempotency-Key HTTP Header Field"); the unique index, not a process, decides.
CREATE TABLE integration_actions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  provider text NOT NULL,
  action text NOT NULL,
  idempotency_key uuid NOT NULL,
  user_id text NOT NULL,
  request_fingerprint text NOT NULL,
  params jsonb,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'succeeded', 'failed')),
  progress jsonb,
  result jsonb,
  error jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz
);

CREATE UNIQUE INDEX integration_actions_idempotency ON integration_actions (project_id, user_id, idempotency_key);
CREATE INDEX integration_actions_project_recent ON integration_actions (project_id, created_at DESC);
CREATE INDEX integration_actions_pending ON integration_actions (created_at) WHERE status IN ('pending', 'running');
