-- Delivery logs no longer keep what a webhook target answered (issue 12: a target on an
-- internal network must not be readable through the log). Rows written before kept an excerpt
-- of the body after "HTTP nnn: "; only the status stays.
UPDATE "webhook_delivery"
SET "lastError" = substring("lastError" from '^HTTP [0-9]{3}')
WHERE "lastError" ~ '^HTTP [0-9]{3}: ';
