-- CreateTable
CREATE TABLE "incident" (
    "id" TEXT NOT NULL,
    "workspaceId" TEXT NOT NULL,
    "integrationId" TEXT NOT NULL,
    "providerId" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "endedAt" TIMESTAMP(3),
    "errorCode" TEXT,
    "message" TEXT,
    "firstCheckId" TEXT NOT NULL,
    "checksFailed" INTEGER NOT NULL DEFAULT 1,
    "alertsSent" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "incident_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "incident_integrationId_startedAt_idx" ON "incident"("integrationId", "startedAt");

-- CreateIndex
CREATE INDEX "incident_workspaceId_startedAt_idx" ON "incident"("workspaceId", "startedAt");

-- At most one open incident per connection: concurrent writers of failed checks cannot both
-- open one (the check writer inserts with ON CONFLICT DO NOTHING). Prisma cannot express a
-- partial index, so it lives only here.
CREATE UNIQUE INDEX "incident_integrationId_open_key" ON "incident"("integrationId") WHERE "endedAt" IS NULL;

-- AddForeignKey
ALTER TABLE "incident" ADD CONSTRAINT "incident_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "incident" ADD CONSTRAINT "incident_integrationId_fkey" FOREIGN KEY ("integrationId") REFERENCES "integration"("id") ON DELETE CASCADE ON UPDATE CASCADE;
