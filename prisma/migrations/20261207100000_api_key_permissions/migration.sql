-- What an API key may do (issue 15): read (GraphQL, as before), proxy (call providers through
-- /proxy), credentials (read a fresh access token). Existing keys keep today's access: read.
ALTER TABLE "api_key" ADD COLUMN "access" TEXT[] NOT NULL DEFAULT ARRAY['read']::TEXT[];
