import type { ResultOf } from "./graphql";
import { graphql } from "./graphql";

// Settings → Alerts: the workspace's alert channels, what this server can send, and the
// providers a channel's rules can name. Types for the page are derived here from the documents.

export const ALERT_DELIVERY_FIELDS = graphql(`
  fragment AlertDeliveryFields on AlertDelivery {
    id
    event
    subject
    status
    attempts
    responseStatus
    lastError
    durationMs
    nextAttemptAt
    deliveredAt
    createdAt
  }
`);

export const ALERT_CHANNEL_FIELDS = graphql(
  `
  fragment AlertChannelFields on AlertChannel {
    id
    kind
    name
    emails
    slackChannel
    slackIntegrationId
    webhookUrlMasked
    events
    providers
    enabled
    createdAt
    deliveries(first: 10) { ...AlertDeliveryFields }
  }
`,
  [ALERT_DELIVERY_FIELDS],
);

export const ALERT_SETTINGS_QUERY = graphql(
  `
  query AlertSettings {
    alertChannels { ...AlertChannelFields }
    alertSetup { emailConfigured emailFrom slackConnected slackCanPost slackConnections { id label canPost } sandboxWebhookUrl }
    providers { id name }
  }
`,
  [ALERT_CHANNEL_FIELDS],
);

export const CREATE_ALERT_CHANNEL_MUTATION = graphql(
  `
  mutation CreateAlertChannel(
    $kind: AlertChannelKind!
    $name: String!
    $emails: [String!]
    $slackChannel: String
    $slackIntegrationId: ID
    $webhookUrl: String
    $events: [AlertEvent!]
    $providers: [String!]
  ) {
    createAlertChannel(
      kind: $kind
      name: $name
      emails: $emails
      slackChannel: $slackChannel
      slackIntegrationId: $slackIntegrationId
      webhookUrl: $webhookUrl
      events: $events
      providers: $providers
    ) {
      ...AlertChannelFields
    }
  }
`,
  [ALERT_CHANNEL_FIELDS],
);

export const UPDATE_ALERT_CHANNEL_MUTATION = graphql(
  `
  mutation UpdateAlertChannel($id: ID!, $enabled: Boolean, $slackIntegrationId: ID) {
    updateAlertChannel(id: $id, enabled: $enabled, slackIntegrationId: $slackIntegrationId) { ...AlertChannelFields }
  }
`,
  [ALERT_CHANNEL_FIELDS],
);

export const DELETE_ALERT_CHANNEL_MUTATION = graphql(`
  mutation DeleteAlertChannel($id: ID!) {
    deleteAlertChannel(id: $id)
  }
`);

/** Sends now and answers with the first attempt's outcome (a failed one is retried later). */
export const SEND_TEST_ALERT_MUTATION = graphql(
  `
  mutation SendTestAlert($id: ID!) {
    sendTestAlert(id: $id) { ...AlertDeliveryFields }
  }
`,
  [ALERT_DELIVERY_FIELDS],
);

type Scalar<Name extends string> = ReturnType<typeof graphql.scalar<Name>>;

export type AlertChannelKind = Scalar<"AlertChannelKind">;
export type AlertEvent = Scalar<"AlertEvent">;
export type AlertChannel = ResultOf<typeof ALERT_CHANNEL_FIELDS>;
export type AlertDelivery = ResultOf<typeof ALERT_DELIVERY_FIELDS>;
export type AlertSetup = ResultOf<typeof ALERT_SETTINGS_QUERY>["alertSetup"];
/** A connected Slack workspace a SLACK channel can post through. */
export type AlertSlackConnection = AlertSetup["slackConnections"][number];
