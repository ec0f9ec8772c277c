-- Whether a registration is accepted (approved | pending | rejected, with the reason for a rejection): a
-- sponsorship request counts only for an approved one. Registrations entered before this were staff-entered.
ALTER TABLE delegates
    ADD COLUMN approval        text NOT NULL DEFAULT 'approved' CHECK (approval IN ('approved', 'pending', 'rejected')),
    ADD COLUMN approval_reason text;
