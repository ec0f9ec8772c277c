CREATE TABLE workshops (
    workshop_id   text PRIMARY KEY,
    title         text NOT NULL,
    city          text NOT NULL,
    country       text NOT NULL,
    airport       text NOT NULL,
    starts        date NOT NULL,
    ends          date NOT NULL,
    status        text NOT NULL,
    venue_version int  NOT NULL,
    revision      int  NOT NULL
);

-- Contact details: personal data, kept here and in registration only, never logged.
CREATE TABLE contacts (
    delegate_ref text PRIMARY KEY,
    workshop_id  text NOT NULL,
    given_name   text NOT NULL,
    family_name  text NOT NULL,
    email        text NOT NULL,
    language     text NOT NULL,
    revision     int  NOT NULL
);

CREATE TABLE emails (
    id                 bigserial PRIMARY KEY,
    delegate_ref       text NOT NULL,
    workshop_id        text NOT NULL,
    kind               text NOT NULL,
    version            int  NOT NULL,
    status             text NOT NULL DEFAULT 'pending',  -- pending | sending | sent | failed | superseded
    facts              jsonb NOT NULL,
    message_id         text NOT NULL,
    attempts           int  NOT NULL DEFAULT 0,
    resent_after_crash int  NOT NULL DEFAULT 0,
    last_error         text,
    next_attempt_at    timestamptz NOT NULL DEFAULT now(),
    created_at         timestamptz NOT NULL DEFAULT now(),
    sent_at            timestamptz,
    UNIQUE (delegate_ref, kind, version)                  -- I3: one e-mail per delegate, kind and version
);
CREATE INDEX emails_due ON emails (next_attempt_at) WHERE status = 'pending';
CREATE INDEX emails_by_workshop ON emails (workshop_id);
