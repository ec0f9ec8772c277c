-- Whether a delegate attended a held workshop (issue 18), recorded by staff after closing it: the finance officer's
-- books count a no-show's ticket as unused and allowance as not paid.
ALTER TABLE delegates ADD COLUMN attendance text CHECK (attendance IN ('attended', 'no_show'));
