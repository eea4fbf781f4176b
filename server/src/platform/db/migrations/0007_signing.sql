-- SM2 signing keys of practitioners (电子签名): one active key per signer; retired keys stay so that
-- old signatures can still be verified. The private key is SM4-encrypted (field format v1), bound to its row.
CREATE TABLE signing_key (
  tenant text NOT NULL,
  key_id text NOT NULL,
  signer text NOT NULL,                -- 'Practitioner/<id>'
  public_key text NOT NULL,            -- uncompressed SM2 point, hex
  private_key text NOT NULL,           -- encryptField(hex private key, context 'signing_key/<key_id>')
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz,
  PRIMARY KEY (tenant, key_id)
);

CREATE UNIQUE INDEX signing_key_active ON signing_key (tenant, signer) WHERE retired_at IS NULL;
