-- The officials' answers on the reply page (issue 18): one per e-mail that carried a link (its link_id), a
-- confirmation or a request for other dates or another airport (then the command it became, audited with the
-- official as actor). A request the service refused may be answered again; nothing else replaces an answer.
CREATE TABLE replies (
    link_id        text PRIMARY KEY,
    delegate_ref   text        NOT NULL,
    workshop_id    text        NOT NULL,
    email_kind     text        NOT NULL,
    email_version  integer     NOT NULL,
    answer         text        NOT NULL,  -- confirmed | change_requested
    request        jsonb       NOT NULL,  -- home_airport, arrive_on, leave_on (each null when kept)
    command_id     uuid        NOT NULL REFERENCES audit (command_id) DEFERRABLE INITIALLY DEFERRED,
    at             timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX replies_by_workshop ON replies (workshop_id, at);
