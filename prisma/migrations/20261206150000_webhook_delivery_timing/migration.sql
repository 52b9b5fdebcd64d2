-- AlterTable
ALTER TABLE "webhook_delivery" ADD COLUMN     "durationMs" INTEGER,
ADD COLUMN     "responseHeaders" JSONB;
