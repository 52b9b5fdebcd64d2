-- Several connections per provider in a workspace (issue 14): a connection is one provider
-- account (Slack team, HubSpot portal, Google user, Salesforce org), named by a label.

ALTER TABLE "integration" ADD COLUMN "accountId" TEXT;
ALTER TABLE "integration" ADD COLUMN "label" TEXT;
ALTER TABLE "integration" ADD COLUMN "labelSetByUser" BOOLEAN NOT NULL DEFAULT false;

UPDATE "integration" SET
  "accountId" = NULLIF("account"->>'id', ''),
  "label" = NULLIF("account"->>'name', '');

DROP INDEX "integration_workspaceId_providerId_key";

-- The same provider account connects once per workspace (NULL account ids, from a failed
-- account read, never collide).
CREATE UNIQUE INDEX "integration_workspaceId_providerId_accountId_key" ON "integration"("workspaceId", "providerId", "accountId");

-- The dashboard's keyset order: provider, label (case-insensitive), id.
CREATE INDEX "integration_workspaceId_providerId_label_id_idx" ON "integration"("workspaceId", "providerId", lower(COALESCE("label", "account"->>'name', '')), "id");

-- Reconnect renews one connection: the flow remembers which.
ALTER TABLE "oauth_state" ADD COLUMN "integrationId" TEXT;

-- A Slack alert channel names the Slack connection that posts (several may be connected).
ALTER TABLE "alert_channel" ADD COLUMN "slackIntegrationId" TEXT;
