-- Runtime overrides of the rollout flag (src/rollout/). They win over the ROLLOUT_* configuration,
-- a project's over its team's. No foreign key to projects: an override may name a project nobody
-- has linked yet, and a team is only a name the host workspace puts in its tokens.
CREATE TABLE rollout_overrides (
  scope text NOT NULL CHECK (scope IN ('project', 'team')),
  subject text NOT NULL,
  enabled boolean NOT NULL,
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, subject)
);
