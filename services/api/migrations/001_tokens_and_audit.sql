-- Bearer tokens: shown once, kept only as the SHA-256 of their secret part; one or more roles, an expiry, revocable.
CREATE TABLE tokens (
    token_id     text PRIMARY KEY,
    name         text        NOT NULL,
    roles        text[]      NOT NULL,
    secret_hash  bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text        NOT NULL,
    expires_at   timestamptz,
    revoked_at   timestamptz
);

-- Who did what: one row per command accepted (or refused for its role) by the API, never changed or deleted.
CREATE TABLE audit (
    position        bigserial PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT clock_timestamp(),
    command_id      uuid        NOT NULL UNIQUE,
    command_type    text        NOT NULL,
    correlation_id  uuid        NOT NULL,
    actor_token_id  text        NOT NULL,
    actor_name      text        NOT NULL,
    actor_roles     text[]      NOT NULL,
    workshop_id     text,
    delegate_ref    text,
    forbidden       text        -- why the API refused it (a missing role): then it was never published
);
CREATE INDEX audit_by_workshop ON audit (workshop_id, position);
CREATE INDEX audit_by_actor ON audit (actor_name, position);

-- What became of each published command, as its service answered: applied, refused or dead_lettered (once).
CREATE TABLE audit_outcomes (
    command_id  uuid PRIMARY KEY REFERENCES audit (command_id),
    outcome     text        NOT NULL,
    reason      text,
    at          timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE FUNCTION audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END $$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_is_append_only();
CREATE TRIGGER audit_outcomes_append_only BEFORE UPDATE OR DELETE ON audit_outcomes
    FOR EACH ROW EXECUTE FUNCTION audit_is_append_only();
