import { gql } from "@urql/svelte";
import type { DashboardData, DisconnectIntegrationData, HealthEventData, TestIntegrationData } from "./types";

/** Sent by hooks.server.ts over loopback; a plain string because it never goes through urql. */
export const VIEWER_QUERY = /* GraphQL */ `
  query Viewer {
    viewer {
      role
      authenticatedWith
      user { id name email }
      workspace { id name }
    }
  }
`;

/** Sent by /api/integrations/oauth/authorize; the response sets the flow's binding cookie. */
export const CONNECT_INTEGRATION_MUTATION = /* GraphQL */ `
  mutation ConnectIntegration($provider: ID!, $returnTo: String) {
    connectIntegration(provider: $provider, returnTo: $returnTo) { authorizationUrl }
  }
`;

/** Sent by /api/integrations/oauth/callback/[provider]; the response clears the binding cookie. */
export const COMPLETE_INTEGRATION_CONNECTION_MUTATION = /* GraphQL */ `
  mutation CompleteIntegrationConnection($provider: ID!, $callbackQuery: String!) {
    completeIntegrationConnection(provider: $provider, callbackQuery: $callbackQuery) { redirectTo errorCode }
  }
`;

/** What a card shows of a connection; mutations select it too, so their results match the list. */
const INTEGRATION_FIELDS = gql`
  fragment IntegrationFields on Integration {
    id
    providerId
    status
    healthStatus
    healthMessage
    lastHealthCheckAt
    account { id name url }
    grantedScopes
    missingScopes
  }
`;

export const DASHBOARD_QUERY = gql<DashboardData>`
  query Dashboard {
    providers { id name description configured sandbox redirectUri scopes }
    integrations { ...IntegrationFields }
  }
  ${INTEGRATION_FIELDS}
`;

export const TEST_INTEGRATION_MUTATION = gql<TestIntegrationData, { id: string }>`
  mutation TestIntegration($id: ID!) {
    testIntegration(id: $id) {
      status
      steps { step ok latencyMs code message }
      errorCode
      message
      latencyMs
      checkedAt
      integration { ...IntegrationFields }
    }
  }
  ${INTEGRATION_FIELDS}
`;

export const DISCONNECT_INTEGRATION_MUTATION = gql<DisconnectIntegrationData, { id: string; forget: boolean }>`
  mutation DisconnectIntegration($id: ID!, $forget: Boolean!) {
    disconnectIntegration(id: $id, forget: $forget) {
      disconnected
      revoked
      revocationError
      revocationMessage
      integration { ...IntegrationFields }
    }
  }
  ${INTEGRATION_FIELDS}
`;

/** Every health event of the workspace; the dashboard refetches on each one. */
export const HEALTH_EVENTS_SUBSCRIPTION = gql<HealthEventData>`
  subscription HealthEvents {
    healthStatus { integrationId kind status healthStatus }
  }
`;
