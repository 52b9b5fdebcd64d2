-- AlterTable
ALTER TABLE "integration" ADD COLUMN     "tokenGeneration" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "tokenIssuedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "oauth_state" ADD COLUMN     "org" TEXT;
