-- Authentication (issue "Who may see what", part 2): users, sessions, refresh tokens, OAuth2 clients.
-- Every table carries the tenant (the county) and is keyed by it, like the record store.

CREATE TABLE auth_user (
  tenant text NOT NULL,
  id text NOT NULL,
  username text NOT NULL,
  -- scrypt$<N>$<r>$<p>$<salt>$<hash> (base64url); never the password itself
  password_hash text NOT NULL,
  roles text[] NOT NULL DEFAULT '{}',
  display_name text,
  practitioner_id text,
  organization_id text,
  -- residents: their own Patient id
  patient_id text,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  failed_logins integer NOT NULL DEFAULT 0,
  first_failed_at timestamptz,
  locked_until timestamptz,
  -- TOTP secret, SM4 field encryption (v1:<keyId>:<iv>:<ciphertext>:<mac>) bound to the user; never plain
  totp_secret text,
  totp_enabled boolean NOT NULL DEFAULT false,
  -- last accepted TOTP time step: a code is never accepted twice
  totp_last_step bigint,
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, id),
  UNIQUE (tenant, username)
);

CREATE TABLE auth_client (
  tenant text NOT NULL,
  client_id text NOT NULL,
  -- scrypt hash of the client secret
  secret_hash text NOT NULL,
  name text,
  scopes text[] NOT NULL DEFAULT '{}',
  roles text[] NOT NULL DEFAULT '{system}',
  organization_id text,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, client_id)
);

CREATE TABLE auth_session (
  tenant text NOT NULL,
  id text NOT NULL,
  user_id text,
  client_id text,
  created_at timestamptz NOT NULL,
  last_seen timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_reason text,
  source_ip text,
  PRIMARY KEY (tenant, id),
  CHECK ((user_id IS NULL) <> (client_id IS NULL))
);
CREATE INDEX auth_session_user_idx ON auth_session (tenant, user_id) WHERE user_id IS NOT NULL AND revoked_at IS NULL;
CREATE INDEX auth_session_expires_idx ON auth_session (expires_at);

CREATE TABLE auth_refresh_token (
  tenant text NOT NULL,
  -- SM3 of the token (hex); the token itself is never stored
  token_hash text NOT NULL,
  session_id text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  replaced_by text,
  PRIMARY KEY (tenant, token_hash)
);
CREATE INDEX auth_refresh_token_session_idx ON auth_refresh_token (tenant, session_id);
