import { gql } from "@urql/svelte";
import type {
  ApiKey,
  AuditEvent,
  CreatedApiKey,
  DashboardData,
  DisconnectIntegrationData,
  HealthEventData,
  HealthHistoryData,
  IncidentsData,
  IntegrationDetailData,
  IntegrationIncidentsData,
  CreatedInvitation,
  Invitation,
  Member,
  Role,
  TestAllIntegrationsData,
  TestIntegrationData,
  WebhookDelivery,
  WebhookEndpoint,
} from "./types";

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
  mutation ConnectIntegration($provider: ID!, $returnTo: String, $org: String) {
    connectIntegration(provider: $provider, returnTo: $returnTo, org: $org) { authorizationUrl }
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
    state
    consecutiveFailures
    unhealthyAfter
    healthMessage
    lastHealthCheckAt
    nextHealthCheckAt
    uptime { last24h }
    account { id name url }
    grantedScopes
    missingScopes
    suggestedAction
    org
  }
`;

export const DASHBOARD_QUERY = gql<DashboardData>`
  query Dashboard {
    providers { id name description configured sandbox redirectUri scopes type orgChoice }
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
      alreadyRevoked
      revocationError
      revocationMessage
      integration { ...IntegrationFields }
    }
  }
  ${INTEGRATION_FIELDS}
`;

/** Health events of the workspace, or of one connection; pages refetch on each one. */
export const HEALTH_EVENTS_SUBSCRIPTION = gql<HealthEventData, { integrationId?: string }>`
  subscription HealthEvents($integrationId: ID) {
    healthStatus(integrationId: $integrationId) { integrationId providerId kind status healthStatus checkedAt }
  }
`;

/** One "Test all": every connected integration of the workspace, checked now. */
export const TEST_ALL_INTEGRATIONS_MUTATION = gql<TestAllIntegrationsData>`
  mutation TestAllIntegrations {
    testAllIntegrations {
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

const HEALTH_CHECK_FIELDS = gql`
  fragment HealthCheckFields on HealthCheck {
    id
    status
    trigger
    latencyMs
    steps { step ok latencyMs code }
    errorCode
    message
    checkedAt
  }
`;

export const INTEGRATION_DETAIL_QUERY = gql<IntegrationDetailData, { id: string; first: number }>`
  query IntegrationDetail($id: ID!, $first: Int!) {
    integration(id: $id) {
      ...IntegrationFields
      provider { id name description configured sandbox redirectUri scopes type orgChoice }
      connectedAt
      nextHealthCheckAt
      healthErrorCode
      uptime { last24h last7d last30d checks30d }
      healthHistory(first: $first) { ...HealthCheckFields }
    }
  }
  ${INTEGRATION_FIELDS}
  ${HEALTH_CHECK_FIELDS}
`;

/** One page of the check log, older than `before` (the checkedAt of the last one seen). */
export const HEALTH_HISTORY_QUERY = gql<HealthHistoryData, { id: string; first: number; before?: string | null }>`
  query HealthHistory($id: ID!, $first: Int!, $before: DateTime) {
    integration(id: $id) {
      id
      healthHistory(first: $first, before: $before) { ...HealthCheckFields }
    }
  }
  ${HEALTH_CHECK_FIELDS}
`;

export const API_KEYS_QUERY = gql<{ apiKeys: ApiKey[] }>`
  query ApiKeys {
    apiKeys { id name start role createdAt lastUsedAt expiresAt }
  }
`;

export const CREATE_API_KEY_MUTATION = gql<{ createApiKey: CreatedApiKey }, { name: string }>`
  mutation CreateApiKey($name: String!) {
    createApiKey(name: $name) { id name start createdAt key }
  }
`;

export const REVOKE_API_KEY_MUTATION = gql<{ revokeApiKey: boolean }, { id: string }>`
  mutation RevokeApiKey($id: ID!) {
    revokeApiKey(id: $id)
  }
`;

const MEMBER_FIELDS = gql`
  fragment MemberFields on Membership {
    id
    role
    joinedAt
    user { id name email }
  }
`;

export const MEMBERS_QUERY = gql<{ members: Member[] }>`
  query Members {
    members { ...MemberFields }
  }
  ${MEMBER_FIELDS}
`;

const INVITATION_FIELDS = gql`
  fragment InvitationFields on Invitation {
    id
    email
    role
    status
    expiresAt
    createdAt
    invitedBy { id name email }
  }
`;

/** Pending invitations (owners and admins); never their tokens. */
export const INVITATIONS_QUERY = gql<{ invitations: Invitation[] }>`
  query Invitations {
    invitations { ...InvitationFields }
  }
  ${INVITATION_FIELDS}
`;

/** The answer's acceptUrl is the only time the link (with its token) is shown. */
export const INVITE_MEMBER_MUTATION = gql<{ inviteMember: CreatedInvitation }, { email: string; role: Role }>`
  mutation InviteMember($email: String!, $role: Role!) {
    inviteMember(email: $email, role: $role) { ...InvitationFields acceptUrl }
  }
  ${INVITATION_FIELDS}
`;

export const REVOKE_INVITATION_MUTATION = gql<{ revokeInvitation: boolean }, { id: string }>`
  mutation RevokeInvitation($id: ID!) {
    revokeInvitation(id: $id)
  }
`;

/** Sent by the /invite/[token] page with plain fetch (it has no urql client). */
export const ACCEPT_INVITATION_MUTATION = /* GraphQL */ `
  mutation AcceptInvitation($token: String!) {
    acceptInvitation(token: $token) { role workspace { id name } }
  }
`;

export const RENAME_WORKSPACE_MUTATION = gql<{ renameWorkspace: { id: string; name: string } }, { name: string }>`
  mutation RenameWorkspace($name: String!) {
    renameWorkspace(name: $name) { id name }
  }
`;

export const UPDATE_MEMBER_ROLE_MUTATION = gql<{ updateMemberRole: Member }, { id: string; role: Role }>`
  mutation UpdateMemberRole($id: ID!, $role: Role!) {
    updateMemberRole(id: $id, role: $role) { ...MemberFields }
  }
  ${MEMBER_FIELDS}
`;

export const REMOVE_MEMBER_MUTATION = gql<{ removeMember: boolean }, { id: string }>`
  mutation RemoveMember($id: ID!) {
    removeMember(id: $id)
  }
`;

export const AUDIT_EVENTS_QUERY = gql<{ auditEvents: AuditEvent[] }, { first: number; before?: string | null }>`
  query AuditEvents($first: Int!, $before: DateTime) {
    auditEvents(first: $first, before: $before) { id action actorUserId actorApiKeyId targetType targetId details createdAt }
  }
`;

const WEBHOOK_DELIVERY_FIELDS = gql`
  fragment WebhookDeliveryFields on WebhookDelivery {
    id
    messageId
    eventType
    status
    attempts
    responseStatus
    lastError
    nextAttemptAt
    createdAt
    updatedAt
  }
`;

const WEBHOOK_ENDPOINT_FIELDS = gql`
  fragment WebhookEndpointFields on WebhookEndpoint {
    id
    url
    description
    events
    enabled
    createdAt
    deliveries(first: 10) { ...WebhookDeliveryFields }
  }
  ${WEBHOOK_DELIVERY_FIELDS}
`;

export const WEBHOOK_ENDPOINTS_QUERY = gql<{ webhookEndpoints: WebhookEndpoint[] }>`
  query WebhookEndpoints {
    webhookEndpoints { ...WebhookEndpointFields }
  }
  ${WEBHOOK_ENDPOINT_FIELDS}
`;

export const CREATE_WEBHOOK_ENDPOINT_MUTATION = gql<
  { createWebhookEndpoint: { secret: string; endpoint: WebhookEndpoint } },
  { url: string; events: string[]; description: string | null }
>`
  mutation CreateWebhookEndpoint($url: String!, $events: [String!], $description: String) {
    createWebhookEndpoint(url: $url, events: $events, description: $description) {
      secret
      endpoint { ...WebhookEndpointFields }
    }
  }
  ${WEBHOOK_ENDPOINT_FIELDS}
`;

export const UPDATE_WEBHOOK_ENDPOINT_MUTATION = gql<{ updateWebhookEndpoint: WebhookEndpoint }, { id: string; enabled?: boolean }>`
  mutation UpdateWebhookEndpoint($id: ID!, $enabled: Boolean) {
    updateWebhookEndpoint(id: $id, enabled: $enabled) { ...WebhookEndpointFields }
  }
  ${WEBHOOK_ENDPOINT_FIELDS}
`;

export const DELETE_WEBHOOK_ENDPOINT_MUTATION = gql<{ deleteWebhookEndpoint: boolean }, { id: string }>`
  mutation DeleteWebhookEndpoint($id: ID!) {
    deleteWebhookEndpoint(id: $id)
  }
`;

export const SEND_TEST_WEBHOOK_MUTATION = gql<{ sendTestWebhook: WebhookDelivery }, { id: string }>`
  mutation SendTestWebhook($id: ID!) {
    sendTestWebhook(id: $id) { ...WebhookDeliveryFields }
  }
  ${WEBHOOK_DELIVERY_FIELDS}
`;

const INCIDENT_FIELDS = gql`
  fragment IncidentFields on Incident {
    id
    startedAt
    endedAt
    durationSeconds
    errorCode
    message
    checksFailed
    alertsSent
    open
    integration { id provider { id name } }
  }
`;

/** The workspace's incidents, latest first; page with `before` (the startedAt of the last one seen). */
export const INCIDENTS_QUERY = gql<IncidentsData, { first: number; before?: string | null; open?: boolean | null }>`
  query Incidents($first: Int!, $before: DateTime, $open: Boolean) {
    incidents(first: $first, before: $before, open: $open) { ...IncidentFields }
  }
  ${INCIDENT_FIELDS}
`;

/** One connection's incidents, for its detail page. */
export const INTEGRATION_INCIDENTS_QUERY = gql<IntegrationIncidentsData, { id: string; first: number }>`
  query IntegrationIncidents($id: ID!, $first: Int!) {
    integration(id: $id) {
      id
      incidents(first: $first) { ...IncidentFields }
    }
  }
  ${INCIDENT_FIELDS}
`;
