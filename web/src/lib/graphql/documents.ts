import { graphql } from "./graphql";

// Every document the web sends, typed from schema.graphql by gql.tada (./graphql.ts); named types
// for components are derived from these in ./types.ts. web/scripts/graphql.mjs validates each
// one against the schema before every build, typecheck and test.

/** Sent by hooks.server.ts over loopback (printed: it never goes through urql). */
export const VIEWER_QUERY = graphql(`
  query Viewer {
    viewer {
      role
      authenticatedWith
      user { id name email }
      workspace { id name }
      permissions {
        testIntegrations
        connectIntegrations
        manageApiKeys
        manageWebhooks
        manageAlerts
        manageMembers
        readAuditLog
        changeOwners
        assignableRoles
      }
    }
  }
`);

/** Sent by /api/integrations/oauth/authorize; the response sets the flow's binding cookie. */
export const CONNECT_INTEGRATION_MUTATION = graphql(`
  mutation ConnectIntegration($provider: ID!, $returnTo: String, $org: String) {
    connectIntegration(provider: $provider, returnTo: $returnTo, org: $org) { authorizationUrl }
  }
`);

/** Sent by /api/integrations/oauth/callback/[provider]; the response clears the binding cookie. */
export const COMPLETE_INTEGRATION_CONNECTION_MUTATION = graphql(`
  mutation CompleteIntegrationConnection($provider: ID!, $callbackQuery: String!) {
    completeIntegrationConnection(provider: $provider, callbackQuery: $callbackQuery) { redirectTo errorCode }
  }
`);

/**
 * What a card shows of a connection; mutations select it too, so their results match the list.
 * `recentChecks` is aliased: the detail page asks for healthHistory with its own arguments.
 */
export const INTEGRATION_FIELDS = graphql(`
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
    lastError { code message step httpStatus endpoint providerMessage at }
    recentChecks: healthHistory(first: 30) { id status checkedAt latencyMs errorCode }
    provider { id statusPageUrl }
    org
  }
`);

export const PROVIDER_FIELDS = graphql(`
  fragment ProviderFields on Provider { id name description configured sandbox redirectUri scopes type orgChoice }
`);

export const DASHBOARD_QUERY = graphql(
  `
  query Dashboard {
    providers { ...ProviderFields }
    integrations { ...IntegrationFields }
  }
`,
  [PROVIDER_FIELDS, INTEGRATION_FIELDS],
);

/** What "Test" and "Test all" answer for one connection. */
export const TEST_RESULT_FIELDS = graphql(
  `
  fragment TestResultFields on TestIntegrationPayload {
    status
    steps { step ok latencyMs code message }
    errorCode
    message
    latencyMs
    checkedAt
    integration { ...IntegrationFields }
  }
`,
  [INTEGRATION_FIELDS],
);

export const TEST_INTEGRATION_MUTATION = graphql(
  `
  mutation TestIntegration($id: ID!) {
    testIntegration(id: $id) { ...TestResultFields }
  }
`,
  [TEST_RESULT_FIELDS],
);

export const DISCONNECT_INTEGRATION_MUTATION = graphql(
  `
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
`,
  [INTEGRATION_FIELDS],
);

/**
 * Health events of the workspace, or of one connection. Each carries the connection as it is
 * after the event (null once it no longer exists), so a page patches its list instead of
 * refetching it.
 */
export const HEALTH_EVENTS_SUBSCRIPTION = graphql(
  `
  subscription HealthEvents($integrationId: ID) {
    healthStatus(integrationId: $integrationId) {
      integrationId
      providerId
      kind
      status
      healthStatus
      checkedAt
      integration { ...IntegrationFields }
    }
  }
`,
  [INTEGRATION_FIELDS],
);

/** One "Test all": every connected integration of the workspace, checked now. */
export const TEST_ALL_INTEGRATIONS_MUTATION = graphql(
  `
  mutation TestAllIntegrations {
    testAllIntegrations { ...TestResultFields }
  }
`,
  [TEST_RESULT_FIELDS],
);

export const HEALTH_CHECK_FIELDS = graphql(`
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
`);

export const INTEGRATION_DETAIL_QUERY = graphql(
  `
  query IntegrationDetail($id: ID!, $first: Int!) {
    integration(id: $id) {
      ...IntegrationFields
      provider { ...ProviderFields }
      connectedAt
      nextHealthCheckAt
      healthErrorCode
      uptime { last24h last7d last30d checks30d }
      healthHistory(first: $first) { ...HealthCheckFields }
    }
  }
`,
  [INTEGRATION_FIELDS, PROVIDER_FIELDS, HEALTH_CHECK_FIELDS],
);

/** One page of the check log, older than `before` (the checkedAt of the last one seen). */
export const HEALTH_HISTORY_QUERY = graphql(
  `
  query HealthHistory($id: ID!, $first: Int!, $before: DateTime) {
    integration(id: $id) {
      id
      healthHistory(first: $first, before: $before) { ...HealthCheckFields }
    }
  }
`,
  [HEALTH_CHECK_FIELDS],
);

export const API_KEYS_QUERY = graphql(`
  query ApiKeys {
    apiKeys { id name start role createdAt lastUsedAt expiresAt }
  }
`);

export const CREATE_API_KEY_MUTATION = graphql(`
  mutation CreateApiKey($name: String!) {
    createApiKey(name: $name) { id name start createdAt key }
  }
`);

export const REVOKE_API_KEY_MUTATION = graphql(`
  mutation RevokeApiKey($id: ID!) {
    revokeApiKey(id: $id)
  }
`);

export const MEMBER_FIELDS = graphql(`
  fragment MemberFields on Membership {
    id
    role
    joinedAt
    user { id name email }
  }
`);

export const MEMBERS_QUERY = graphql(
  `
  query Members {
    members { ...MemberFields }
  }
`,
  [MEMBER_FIELDS],
);

export const INVITATION_FIELDS = graphql(`
  fragment InvitationFields on Invitation {
    id
    email
    role
    status
    expiresAt
    createdAt
    invitedBy { id name email }
  }
`);

/** Pending invitations (owners and admins); never their tokens. */
export const INVITATIONS_QUERY = graphql(
  `
  query Invitations {
    invitations { ...InvitationFields }
  }
`,
  [INVITATION_FIELDS],
);

/** The answer's acceptUrl is the only time the link (with its token) is shown. */
export const INVITE_MEMBER_MUTATION = graphql(
  `
  mutation InviteMember($email: String!, $role: Role!) {
    inviteMember(email: $email, role: $role) { ...InvitationFields acceptUrl }
  }
`,
  [INVITATION_FIELDS],
);

export const REVOKE_INVITATION_MUTATION = graphql(`
  mutation RevokeInvitation($id: ID!) {
    revokeInvitation(id: $id)
  }
`);

/** Sent by the /invite/[token] page with plain fetch (it has no urql client). */
export const ACCEPT_INVITATION_MUTATION = graphql(`
  mutation AcceptInvitation($token: String!) {
    acceptInvitation(token: $token) { role workspace { id name } }
  }
`);

export const RENAME_WORKSPACE_MUTATION = graphql(`
  mutation RenameWorkspace($name: String!) {
    renameWorkspace(name: $name) { id name }
  }
`);

export const UPDATE_MEMBER_ROLE_MUTATION = graphql(
  `
  mutation UpdateMemberRole($id: ID!, $role: Role!) {
    updateMemberRole(id: $id, role: $role) { ...MemberFields }
  }
`,
  [MEMBER_FIELDS],
);

export const REMOVE_MEMBER_MUTATION = graphql(`
  mutation RemoveMember($id: ID!) {
    removeMember(id: $id)
  }
`);

/** One page of the audit log, filtered by action, actor and time (`to` exclusive); page with `before`. */
export const AUDIT_EVENTS_QUERY = graphql(`
  query AuditEvents($first: Int!, $before: DateTime, $action: String, $actorUserId: ID, $from: DateTime, $to: DateTime) {
    auditEvents(first: $first, before: $before, action: $action, actorUserId: $actorUserId, from: $from, to: $to) {
      id
      action
      actorUserId
      actorApiKeyId
      targetType
      targetId
      details
      createdAt
    }
  }
`);

/** The actions the workspace's log holds: the choices of the audit log's action filter. */
export const AUDIT_ACTIONS_QUERY = graphql(`
  query AuditActions {
    auditActions
  }
`);

export const WEBHOOK_DELIVERY_FIELDS = graphql(`
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
`);

export const WEBHOOK_ENDPOINT_FIELDS = graphql(
  `
  fragment WebhookEndpointFields on WebhookEndpoint {
    id
    url
    description
    events
    enabled
    createdAt
    deliveries(first: 10) { ...WebhookDeliveryFields }
  }
`,
  [WEBHOOK_DELIVERY_FIELDS],
);

export const WEBHOOK_ENDPOINTS_QUERY = graphql(
  `
  query WebhookEndpoints {
    webhookEndpoints { ...WebhookEndpointFields }
  }
`,
  [WEBHOOK_ENDPOINT_FIELDS],
);

export const CREATE_WEBHOOK_ENDPOINT_MUTATION = graphql(
  `
  mutation CreateWebhookEndpoint($url: String!, $events: [WebhookEventType!], $description: String) {
    createWebhookEndpoint(url: $url, events: $events, description: $description) {
      secret
      endpoint { ...WebhookEndpointFields }
    }
  }
`,
  [WEBHOOK_ENDPOINT_FIELDS],
);

export const UPDATE_WEBHOOK_ENDPOINT_MUTATION = graphql(
  `
  mutation UpdateWebhookEndpoint($id: ID!, $enabled: Boolean) {
    updateWebhookEndpoint(id: $id, enabled: $enabled) { ...WebhookEndpointFields }
  }
`,
  [WEBHOOK_ENDPOINT_FIELDS],
);

export const DELETE_WEBHOOK_ENDPOINT_MUTATION = graphql(`
  mutation DeleteWebhookEndpoint($id: ID!) {
    deleteWebhookEndpoint(id: $id)
  }
`);

export const SEND_TEST_WEBHOOK_MUTATION = graphql(
  `
  mutation SendTestWebhook($id: ID!) {
    sendTestWebhook(id: $id) { ...WebhookDeliveryFields }
  }
`,
  [WEBHOOK_DELIVERY_FIELDS],
);

export const INCIDENT_FIELDS = graphql(`
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
`);

/** The workspace's incidents, latest first; page with `before` (the startedAt of the last one seen). */
export const INCIDENTS_QUERY = graphql(
  `
  query Incidents($first: Int!, $before: DateTime, $open: Boolean) {
    incidents(first: $first, before: $before, open: $open) { ...IncidentFields }
  }
`,
  [INCIDENT_FIELDS],
);

/** One connection's incidents, for its detail page. */
export const INTEGRATION_INCIDENTS_QUERY = graphql(
  `
  query IntegrationIncidents($id: ID!, $first: Int!) {
    integration(id: $id) {
      id
      incidents(first: $first) { ...IncidentFields }
    }
  }
`,
  [INCIDENT_FIELDS],
);
