-- Issue 12: roles are one value, invitations carry a hashed token, API keys carry the creator
-- and role the server wrote, and failed attempts are counted in one table for every replica.

-- A role is exactly one of the four. Rows written through the auth library's own routes may
-- hold a list ("member,admin"): they keep the weakest role named (the least authority), or
-- viewer when none is recognised.
UPDATE "membership" SET "role" = CASE
    WHEN 'viewer' = ANY (string_to_array(replace(lower("role"), ' ', ''), ',')) THEN 'viewer'
    WHEN 'member' = ANY (string_to_array(replace(lower("role"), ' ', ''), ',')) THEN 'member'
    WHEN 'admin' = ANY (string_to_array(replace(lower("role"), ' ', ''), ',')) THEN 'admin'
    WHEN 'owner' = ANY (string_to_array(replace(lower("role"), ' ', ''), ',')) THEN 'owner'
    ELSE 'viewer'
  END
WHERE "role" NOT IN ('owner', 'admin', 'member', 'viewer');

ALTER TABLE "membership" ADD CONSTRAINT "membership_role_check" CHECK ("role" IN ('owner', 'admin', 'member', 'viewer'));

-- Invitations made before this migration have no token anyone could present: they are closed.
UPDATE "invitation" SET "status" = 'revoked' WHERE "status" = 'pending';
UPDATE "invitation" SET "role" = 'viewer' WHERE "role" IS NULL OR "role" NOT IN ('owner', 'admin', 'member', 'viewer');

-- AlterTable
ALTER TABLE "invitation" ALTER COLUMN "role" SET NOT NULL,
ALTER COLUMN "role" SET DEFAULT 'member',
ADD COLUMN     "tokenHash" TEXT,
ADD COLUMN     "acceptedAt" TIMESTAMP(3);

ALTER TABLE "invitation" ADD CONSTRAINT "invitation_role_check" CHECK ("role" IN ('owner', 'admin', 'member', 'viewer'));

-- AlterTable
ALTER TABLE "api_key" ADD COLUMN     "createdById" TEXT,
ADD COLUMN     "role" TEXT;

ALTER TABLE "api_key" ADD CONSTRAINT "api_key_role_check" CHECK ("role" IS NULL OR "role" IN ('owner', 'admin', 'member', 'viewer'));

-- A key's creator and role as the server recorded them (the audit row Mutation.createApiKey
-- and the CLI wrote), never its client-written metadata. Keys without such a row were made
-- through the auth library's open route and cannot be attributed: they are removed.
UPDATE "api_key" AS k SET "createdById" = a."actorUserId", "role" = a."metadata"->>'role'
FROM "audit_event" AS a
WHERE a."action" = 'api_key.created' AND a."targetId" = k."id" AND a."workspaceId" = k."referenceId"
  AND a."actorUserId" IS NOT NULL AND a."metadata"->>'role' IN ('owner', 'admin', 'member', 'viewer')
  AND EXISTS (SELECT 1 FROM "user" u WHERE u."id" = a."actorUserId");
DELETE FROM "api_key" WHERE "createdById" IS NULL OR "role" IS NULL;

-- CreateTable
CREATE TABLE "auth_throttle" (
    "key" TEXT NOT NULL,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "lastFailureAt" TIMESTAMP(3) NOT NULL,
    "blockedUntil" TIMESTAMP(3),

    CONSTRAINT "auth_throttle_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE UNIQUE INDEX "invitation_tokenHash_key" ON "invitation"("tokenHash");

-- CreateIndex
CREATE INDEX "auth_throttle_lastFailureAt_idx" ON "auth_throttle"("lastFailureAt");

-- AddForeignKey
ALTER TABLE "api_key" ADD CONSTRAINT "api_key_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;
