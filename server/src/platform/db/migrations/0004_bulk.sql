-- FHIR Bulk Data: $export and $import jobs and their NDJSON files.
-- Jobs live in the database so their status and checkpoint survive a restart; files too (see
-- platform/bulk/store.ts): one row per written page, so a file is streamed part by part.
CREATE TABLE bulk_job (
  tenant text NOT NULL,
  id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('export', 'import')),
  status text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
  request text NOT NULL,
  base_url text NOT NULL,
  params jsonb NOT NULL,
  transaction_time timestamptz NOT NULL,
  checkpoint jsonb NOT NULL DEFAULT '{}'::jsonb,
  progress text,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, id)
);

-- The runner looks for unfinished jobs at start-up and after each kick-off.
CREATE INDEX bulk_job_active ON bulk_job (created_at) WHERE status IN ('queued', 'running');

CREATE TABLE bulk_file (
  tenant text NOT NULL,
  job_id text NOT NULL,
  name text NOT NULL,
  part integer NOT NULL,
  resource_type text NOT NULL,
  lines integer NOT NULL,
  content text NOT NULL,
  PRIMARY KEY (tenant, job_id, name, part)
);
