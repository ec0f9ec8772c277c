-- Award types: a full award pays airfare, subsistence allowance and terminal expenses, a ticket-only award the
-- airfare alone; a ticket-only pledge pays airfare (and the fee of a cancelled ticket) only.
ALTER TABLE pledges ADD COLUMN award_type text NOT NULL DEFAULT 'full' CHECK (award_type IN ('full', 'ticket_only'));
ALTER TABLE awards ADD COLUMN award_type text NOT NULL DEFAULT 'full' CHECK (award_type IN ('full', 'ticket_only'));
