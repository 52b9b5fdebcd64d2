-- CreateTable
CREATE TABLE "integration_health_hourly" (
    "integrationId" TEXT NOT NULL,
    "workspaceId" TEXT NOT NULL,
    "bucketStart" TIMESTAMP(3) NOT NULL,
    "checks" INTEGER NOT NULL,
    "upChecks" INTEGER NOT NULL,
    "latencySumMs" BIGINT NOT NULL,
    "latencyMinMs" INTEGER NOT NULL,
    "latencyMaxMs" INTEGER NOT NULL,
    "upLatencySumMs" BIGINT NOT NULL,

    CONSTRAINT "integration_health_hourly_pkey" PRIMARY KEY ("integrationId","bucketStart")
);

-- CreateTable
CREATE TABLE "integration_health_daily" (
    "integrationId" TEXT NOT NULL,
    "workspaceId" TEXT NOT NULL,
    "bucketStart" TIMESTAMP(3) NOT NULL,
    "checks" INTEGER NOT NULL,
    "upChecks" INTEGER NOT NULL,
    "latencySumMs" BIGINT NOT NULL,
    "latencyMinMs" INTEGER NOT NULL,
    "latencyMaxMs" INTEGER NOT NULL,
    "upLatencySumMs" BIGINT NOT NULL,

    CONSTRAINT "integration_health_daily_pkey" PRIMARY KEY ("integrationId","bucketStart")
);

-- CreateIndex
CREATE INDEX "integration_health_hourly_bucketStart_idx" ON "integration_health_hourly"("bucketStart");

-- CreateIndex
CREATE INDEX "integration_health_daily_bucketStart_idx" ON "integration_health_daily"("bucketStart");

-- The models have no Prisma relation (schema.prisma's other models are left as they are), so
-- these foreign keys live only here: rollups go with their connection and workspace.
-- AddForeignKey
ALTER TABLE "integration_health_hourly" ADD CONSTRAINT "integration_health_hourly_integrationId_fkey" FOREIGN KEY ("integrationId") REFERENCES "integration"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "integration_health_hourly" ADD CONSTRAINT "integration_health_hourly_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "integration_health_daily" ADD CONSTRAINT "integration_health_daily_integrationId_fkey" FOREIGN KEY ("integrationId") REFERENCES "integration"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "integration_health_daily" ADD CONSTRAINT "integration_health_daily_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Backfill from the raw history kept so far, with the rule of api/src/domain/health/uptime.ts:
-- a check is up when its error code is null or one of ANSWERING_CODES. Checks written after
-- this migration are added to their buckets by the statement that writes them (record.ts).
INSERT INTO "integration_health_hourly" ("integrationId", "workspaceId", "bucketStart", "checks", "upChecks", "latencySumMs", "latencyMinMs", "latencyMaxMs", "upLatencySumMs")
SELECT "integrationId", "workspaceId", date_trunc('hour', "checkedAt"), count(*), count(*) FILTER (WHERE up),
    sum("latencyMs"), min("latencyMs"), max("latencyMs"), COALESCE(sum("latencyMs") FILTER (WHERE up), 0)
FROM (
    SELECT "integrationId", "workspaceId", "checkedAt", "latencyMs",
        ("errorCode" IS NULL OR "errorCode" IN ('slow', 'rate_limited', 'insufficient_scope')) AS up
    FROM "integration_health_log"
) l
GROUP BY "integrationId", "workspaceId", date_trunc('hour', "checkedAt");

INSERT INTO "integration_health_daily" ("integrationId", "workspaceId", "bucketStart", "checks", "upChecks", "latencySumMs", "latencyMinMs", "latencyMaxMs", "upLatencySumMs")
SELECT "integrationId", "workspaceId", date_trunc('day', "checkedAt"), count(*), count(*) FILTER (WHERE up),
    sum("latencyMs"), min("latencyMs"), max("latencyMs"), COALESCE(sum("latencyMs") FILTER (WHERE up), 0)
FROM (
    SELECT "integrationId", "workspaceId", "checkedAt", "latencyMs",
        ("errorCode" IS NULL OR "errorCode" IN ('slow', 'rate_limited', 'insufficient_scope')) AS up
    FROM "integration_health_log"
) l
GROUP BY "integrationId", "workspaceId", date_trunc('day', "checkedAt");
