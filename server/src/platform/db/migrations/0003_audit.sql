-- The audit trail (server/src/platform/audit): one append-only, SM3 hash-chained log per tenant (county).
-- Every row is written already sealed: its chain position, prev_hash and hash are computed by the writer while it
-- holds the tenant's audit_head row FOR UPDATE, in the same transaction that inserts it. Nothing ever updates a row.

CREATE TABLE audit_event (
  tenant        text        NOT NULL,
  pos           bigint      NOT NULL,               -- position in the tenant's chain: 1, 2, 3 … without gaps
  recorded      timestamptz NOT NULL,
  kind          text        NOT NULL,               -- 'access' (personal data) | 'security'
  action        text        NOT NULL,               -- read, vread, search-type, create, update, delete, history,
                                                    -- export, login, logout, login-failure, lockout, token-refused,
                                                    -- policy-change
  outcome       smallint    NOT NULL DEFAULT 0,     -- FHIR AuditEvent.outcome: 0, 4, 8, 12
  user_id       text,                               -- who: a reference (Practitioner/…) or an account id
  user_display  text,
  user_role     text,
  institution   text,                               -- Organization id of the user's institution
  patient_id    text,                               -- the resident whose data was touched
  resources     text[]      NOT NULL DEFAULT '{}',  -- Type/id of the resources read or written
  query         text,                               -- the search, for search-type
  purpose       text,                               -- purpose of use (v3-ActReason code, e.g. TREAT)
  break_glass   text,                               -- break-glass reason: set only for emergency access
  source_ip     text,
  detail        text,                               -- free text (failure reason, policy changed …)
  prev_hash     text        NOT NULL,               -- hex SM3 of the previous row (anchor or 64 zeros at the start)
  hash          text        NOT NULL,               -- hex SM3(prev_hash bytes ‖ canonical JSON of this row)
  PRIMARY KEY (tenant, pos)
);

CREATE INDEX audit_event_patient ON audit_event (tenant, patient_id, pos) WHERE patient_id IS NOT NULL;
CREATE INDEX audit_event_user ON audit_event (tenant, user_id, pos) WHERE user_id IS NOT NULL;
CREATE INDEX audit_event_recorded ON audit_event (tenant, recorded);

-- The end of each tenant's chain. Writers lock it FOR UPDATE to append, so appends to one tenant are ordered.
CREATE TABLE audit_head (
  tenant    text   PRIMARY KEY,
  last_pos  bigint NOT NULL DEFAULT 0,
  last_hash text   NOT NULL DEFAULT '0000000000000000000000000000000000000000000000000000000000000000'
);

-- Where a tenant's chain starts after the retention purge removed its oldest rows: the position and hash of the
-- last purged row (the first kept row's prev_hash must equal anchor_hash).
CREATE TABLE audit_anchor (
  tenant      text        PRIMARY KEY,
  anchor_pos  bigint      NOT NULL,
  anchor_hash text        NOT NULL,
  purged_at   timestamptz NOT NULL
);

-- Append-only: UPDATE, DELETE and TRUNCATE are refused, except DELETE by the retention purge, which sets the
-- transaction-local setting yiwang.audit_purge = 'on'.
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND coalesce(current_setting('yiwang.audit_purge', true), '') = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- Anchors move only inside the retention purge.
CREATE FUNCTION audit_anchor_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') AND coalesce(current_setting('yiwang.audit_purge', true), '') = 'on' THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit anchors change only through the retention purge: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_anchor_guard BEFORE INSERT OR UPDATE OR DELETE ON audit_anchor
  FOR EACH ROW EXECUTE FUNCTION audit_anchor_guard();
CREATE TRIGGER audit_anchor_no_truncate BEFORE TRUNCATE ON audit_anchor
  FOR EACH STATEMENT EXECUTE FUNCTION audit_anchor_guard();

-- Chain heads are created and advanced, never removed.
CREATE FUNCTION audit_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit chain heads are never removed: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
  FOR EACH ROW EXECUTE FUNCTION audit_head_guard();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
  FOR EACH STATEMENT EXECUTE FUNCTION audit_head_guard();
