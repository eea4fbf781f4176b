-- Chronic disease management (docs/chronic.md). The FHIR resources are the record (EpisodeOfCare, Encounter,
-- Observation, Task); these rows are the module's index of them, written in the same transaction as the resources
-- they describe: what due lists, duplicate checks and indicators need without parsing every resource. Reads for users
-- always join the resource row with the caller's access condition.

-- One row per programme enrolment (EpisodeOfCare).
CREATE TABLE chronic_episode (
  tenant text NOT NULL,
  episode_id text NOT NULL,
  patient text NOT NULL,
  programme text NOT NULL,
  status text NOT NULL,
  organization text,
  village_doctor text,
  township_gp text,
  specialist text,
  birth_date date,
  start_date date NOT NULL,
  end_date date,
  exit_reason text,
  PRIMARY KEY (tenant, episode_id)
);
-- One managed enrolment per resident and programme.
CREATE UNIQUE INDEX chronic_episode_active ON chronic_episode (tenant, patient, programme) WHERE status = 'active';
CREATE INDEX chronic_episode_org ON chronic_episode (tenant, organization);

-- One row per follow-up (Encounter + classification Observation); one per episode and day.
CREATE TABLE chronic_followup (
  tenant text NOT NULL,
  encounter_id text NOT NULL,
  episode_id text NOT NULL,
  patient text NOT NULL,
  programme text NOT NULL,
  day date NOT NULL,
  classification text NOT NULL,
  controlled boolean NOT NULL,
  decision text NOT NULL,
  rule_version text NOT NULL,
  classification_id text NOT NULL,
  sbp integer,
  dbp integer,
  glucose double precision,
  hba1c double precision,
  organization text,
  practitioner text,
  source text NOT NULL,
  referral text,
  PRIMARY KEY (tenant, encounter_id)
);
CREATE UNIQUE INDEX chronic_followup_day ON chronic_followup (tenant, episode_id, day);
CREATE INDEX chronic_followup_org_day ON chronic_followup (tenant, organization, day);

-- One row per due follow-up (Task with restriction.period as the due window).
CREATE TABLE chronic_due (
  tenant text NOT NULL,
  task_id text NOT NULL,
  episode_id text NOT NULL,
  patient text NOT NULL,
  programme text NOT NULL,
  kind text NOT NULL,
  due_start date NOT NULL,
  due_end date NOT NULL,
  status text NOT NULL,
  organization text,
  practitioner text,
  fulfilled_by text,
  fulfilled_on date,
  created_on date NOT NULL,
  PRIMARY KEY (tenant, task_id)
);
CREATE INDEX chronic_due_open ON chronic_due (tenant, organization, due_end) WHERE status = 'open';
CREATE INDEX chronic_due_episode ON chronic_due (tenant, episode_id);
