-- CreateEnum
CREATE TYPE "AlertChannelKind" AS ENUM ('EMAIL', 'SLACK', 'SLACK_WEBHOOK');

-- AlterTable
ALTER TABLE "incident" ADD COLUMN     "closeAlertedAt" TIMESTAMP(3),
ADD COLUMN     "openAlertedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "integration" ADD COLUMN     "reauthAlertedAt" TIMESTAMP(3),
ADD COLUMN     "scopesAlertedAt" TIMESTAMP(3);

-- What happened before alerting existed is not alerted after the upgrade.
UPDATE "incident" SET "openAlertedAt" = "startedAt", "closeAlertedAt" = "endedAt";
UPDATE "integration" SET "reauthAlertedAt" = CURRENT_TIMESTAMP WHERE "status" = 'REAUTH_REQUIRED';
UPDATE "integration" SET "scopesAlertedAt" = CURRENT_TIMESTAMP WHERE "healthErrorCode" = 'insufficient_scope';

-- What the alert planner looks for at every tick: incidents whose opening or closing has not
-- been planned yet (few at any time). Prisma cannot express a partial index.
CREATE INDEX "incident_alert_pending_idx" ON "incident"("workspaceId") WHERE "openAlertedAt" IS NULL OR ("endedAt" IS NOT NULL AND "closeAlertedAt" IS NULL);

-- CreateTable
CREATE TABLE "alert_channel" (
    "id" TEXT NOT NULL,
    "workspaceId" TEXT NOT NULL,
    "kind" "AlertChannelKind" NOT NULL,
    "name" TEXT NOT NULL,
    "emails" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "slackChannel" TEXT,
    "webhookUrlEnc" TEXT,
    "keyId" TEXT,
    "events" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "providers" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "alert_channel_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "alert_delivery" (
    "id" TEXT NOT NULL,
    "channelId" TEXT NOT NULL,
    "workspaceId" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "incidentIds" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "integrationIds" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "subject" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "responseStatus" INTEGER,
    "lastError" TEXT,
    "durationMs" INTEGER,
    "nextAttemptAt" TIMESTAMP(3),
    "deliveredAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "alert_delivery_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "alert_channel_workspaceId_idx" ON "alert_channel"("workspaceId");

-- CreateIndex
CREATE INDEX "alert_delivery_channelId_createdAt_idx" ON "alert_delivery"("channelId", "createdAt");

-- CreateIndex
CREATE INDEX "alert_delivery_status_nextAttemptAt_idx" ON "alert_delivery"("status", "nextAttemptAt");

-- AddForeignKey
ALTER TABLE "alert_channel" ADD CONSTRAINT "alert_channel_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alert_delivery" ADD CONSTRAINT "alert_delivery_channelId_fkey" FOREIGN KEY ("channelId") REFERENCES "alert_channel"("id") ON DELETE CASCADE ON UPDATE CASCADE;
