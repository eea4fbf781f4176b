-- Workflow engine (docs/workflow.md). The FHIR Task is the record; these rows are the engine's index of it, written in
-- the same transaction as every Task write: which workflow version and state a task is in, since when (the state
-- entry number keys its timed jobs), its due time and escalation level — what worklists, overdue counts and statistics
-- need without parsing every Task. Access to them always joins the Task row with the caller's access condition.
CREATE TABLE workflow_task (
  tenant text NOT NULL,
  task_id text NOT NULL,
  workflow text NOT NULL,
  version text NOT NULL,
  state text NOT NULL,
  -- Number of the current state entry (0 at start, +1 per transition): job keys and escalation checks use it.
  entry integer NOT NULL,
  entered_at timestamptz NOT NULL,
  due_at timestamptz,
  final boolean NOT NULL,
  priority text NOT NULL,
  owner text,
  requester text,
  requester_org text,
  patient text,
  focus text,
  escalation_level integer NOT NULL DEFAULT 0,
  started_at timestamptz NOT NULL,
  PRIMARY KEY (tenant, task_id)
);
CREATE INDEX workflow_task_owner ON workflow_task (tenant, owner) WHERE NOT final;
CREATE INDEX workflow_task_requester ON workflow_task (tenant, requester_org) WHERE NOT final;
CREATE INDEX workflow_task_due ON workflow_task (tenant, due_at) WHERE NOT final;

-- Every transition and escalation, in order: the statistics' source (time to acceptance, rejection reasons). The
-- Provenance chain is the record of the same facts for FHIR clients.
CREATE TABLE workflow_transition (
  tenant text NOT NULL,
  task_id text NOT NULL,
  seq integer NOT NULL,
  workflow text NOT NULL,
  action text NOT NULL,
  from_state text,
  to_state text NOT NULL,
  actor text,
  actor_org text,
  reason text,
  at timestamptz NOT NULL,
  PRIMARY KEY (tenant, task_id, seq)
);
CREATE INDEX workflow_transition_stats ON workflow_transition (tenant, workflow, action, at);
