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
  mutation ConnectIntegration($provider: ID!, $returnTo: String, $org: String, $integrationId: ID) {
    connectIntegration(provider: $provider, returnTo: $returnTo, org: $org, integrationId: $integrationId) { authorizationUrl }
  }
`);

/** Sent by /api/integrations/oauth/callback/[provider]; the response clears the binding cookie. */
export const COMPLETE_INTEGRATION_CONNECTION_MUTATION = graphql(`
  mutation CompleteIntegrationConnection($provider: ID!, $callbackQuery: String!) {
    completeIntegrationConnection(provider: $provider, callbackQuery: $callbackQuery) { redirectTo errorCode }
  }
`);

/**
 * What a card shows of a connection; mutations and live events select it too, so their results
 * match the list. `recentChecks` is aliased: the detail page asks for healthHistory with its own
 * arguments. `label` names the connection's article (several connections per provider).
 */
export const INTEGRATION_FIELDS = graphql(`
  fragment IntegrationFields on Integration {
    id
    providerId
    label
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

/** One page of connections, in the API's order (provider, label, id); `after` is the last page's endCursor. */
export const INTEGRATION_PAGE_FIELDS = graphql(
  `
  fragment IntegrationPageFields on IntegrationConnection {
    nodes { ...IntegrationFields }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
`,
  [INTEGRATION_FIELDS],
);

/** Per provider, for the whole workspace whatever page is loaded: the groups' counts and the summary line. */
export const CONNECTION_COUNT_FIELDS = graphql(`
  fragment ConnectionCountFields on ProviderConnectionCount {
    providerId
    total
    connected
    needsAttention
    states { state count }
  }
`);

/**
 * The dashboard: the catalog, the counts, and the first page of connections. The search and
 * the filters (from the address) are the server's to apply; "Load more" asks
 * INTEGRATIONS_PAGE_QUERY for the next page with the same variables.
 */
export const DASHBOARD_QUERY = graphql(
  `
  query Dashboard($first: Int!, $after: String, $filter: IntegrationFilter, $search: String) {
    providers { ...ProviderFields }
    integrations(first: $first, after: $after, filter: $filter, search: $search) { ...IntegrationPageFields }
    integrationCounts { ...ConnectionCountFields }
  }
`,
  [PROVIDER_FIELDS, INTEGRATION_PAGE_FIELDS, CONNECTION_COUNT_FIELDS],
);

/** The next page of the dashboard's list ("Load more"). */
export const INTEGRATIONS_PAGE_QUERY = graphql(
  `
  query IntegrationsPage($first: Int!, $after: String, $filter: IntegrationFilter, $search: String) {
    integrations(first: $first, after: $after, filter: $filter, search: $search) { ...IntegrationPageFields }
  }
`,
  [INTEGRATION_PAGE_FIELDS],
);

/** The counts alone: after an event about a connection the page has not loaded. */
export const INTEGRATION_COUNTS_QUERY = graphql(
  `
  query IntegrationCounts {
    integrationCounts { ...ConnectionCountFields }
  }
`,
  [CONNECTION_COUNT_FIELDS],
);

/** Names for the audit log's integration ids: provider and label, a page at a time. */
export const INTEGRATION_NAMES_QUERY = graphql(`
  query IntegrationNames($first: Int!, $after: String) {
    providers { id name }
    integrations(first: $first, after: $after) {
      nodes { id providerId label }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

/** Renames a connection (members and above); an empty label goes back to the account's name. */
export const RENAME_INTEGRATION_MUTATION = graphql(`
  mutation RenameIntegration($id: ID!, $label: String!) {
    renameIntegration(id: $id, label: $label) { id label labelSetByUser }
  }
`);

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

/** One hourly or daily rollup of a connection's checks (latencyAvgMs, which counts failed checks too, is not drawn). */
export const LATENCY_BUCKET_FIELDS = graphql(`
  fragment LatencyBucketFields on LatencyBucket { start checks upChecks latencyMinMs latencyMaxMs upLatencyAvgMs }
`);

// What the detail page shows of one connection: the query reads it and each live event carries
// it again (INTEGRATION_DETAIL_EVENTS_SUBSCRIPTION selects the same fields; the page's types fail
// if it selects fewer). Written out in both rather than as one fragment: the API's cost limit
// (graphql-armor) multiplies each level of fragment nesting by 1.5 and each literal `first` by
// its value, so the check log's page size is the variable `$first` (the page asks for 30, the
// same read as the card's `recentChecks`). The uptime bars and the latency chart draw from the
// rollups: `hourly` (LAST_7D) serves the 24 h and 7 d views, `daily` (LAST_30D) the 30 d one; no
// raw history is paged for them.
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
      hourly: latencySeries(range: LAST_7D) { ...LatencyBucketFields }
      daily: latencySeries(range: LAST_30D) { ...LatencyBucketFields }
    }
  }
`,
  [INTEGRATION_FIELDS, PROVIDER_FIELDS, HEALTH_CHECK_FIELDS, LATENCY_BUCKET_FIELDS],
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
    apiKeys { id name start role permissions createdAt lastUsedAt expiresAt }
  }
`);

export const CREATE_API_KEY_MUTATION = graphql(`
  mutation CreateApiKey($name: String!, $permissions: [ApiKeyPermission!]) {
    createApiKey(name: $name, permissions: $permissions) { id name start permissions createdAt key }
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

/**
 * The detail page's live events: each carries the page's state of its connection (the fields of
 * INTEGRATION_DETAIL_QUERY and its incidents), so an event costs the page no request.
 */
export const INTEGRATION_DETAIL_EVENTS_SUBSCRIPTION = graphql(
  `
  subscription IntegrationDetailEvents($integrationId: ID!, $first: Int!, $incidents: Int!) {
    healthStatus(integrationId: $integrationId) {
      integrationId
      kind
      integration {
        ...IntegrationFields
        provider { ...ProviderFields }
        connectedAt
        nextHealthCheckAt
        healthErrorCode
        uptime { last24h last7d last30d checks30d }
        healthHistory(first: $first) { ...HealthCheckFields }
        hourly: latencySeries(range: LAST_7D) { ...LatencyBucketFields }
        daily: latencySeries(range: LAST_30D) { ...LatencyBucketFields }
        incidents(first: $incidents) { ...IncidentFields }
      }
    }
  }
`,
  [INTEGRATION_FIELDS, PROVIDER_FIELDS, HEALTH_CHECK_FIELDS, LATENCY_BUCKET_FIELDS, INCIDENT_FIELDS],
);

/**
 * The Incidents page's live events: the connection's latest incident is the only one a health
 * event can open, extend or close, so the page patches that row instead of refetching.
 */
export const INCIDENT_EVENTS_SUBSCRIPTION = graphql(
  `
  subscription IncidentEvents {
    healthStatus {
      integrationId
      integration {
        id
        latestIncident: incidents(first: 1) { ...IncidentFields }
      }
    }
  }
`,
  [INCIDENT_FIELDS],
);
