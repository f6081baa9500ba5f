-- The providers a link may name, one row each, instead of a CHECK constraint listing them: a new
-- provider is one line, `INSERT INTO providers (key) VALUES ('<key>');`, in its own migration.
-- The service refuses to start when a registered provider has no row here.
CREATE TABLE providers (
  key text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9-]{0,31}$')
);

INSERT INTO providers (key) VALUES ('github'), ('vercel'), ('sanity'), ('supabase');

ALTER TABLE project_integrations DROP CONSTRAINT project_integrations_provider_check;
ALTER TABLE project_integrations ADD CONSTRAINT project_integrations_provider_fkey
  FOREIGN KEY (provider) REFERENCES providers (key);
