import { gql } from "@urql/svelte";
import type { DashboardData, HealthEventData } from "./types";

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

export const DASHBOARD_QUERY = gql<DashboardData>`
  query Dashboard {
    providers { id name description configured sandbox redirectUri scopes }
    integrations {
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
  }
`;

/** Every health event of the workspace; the dashboard refetches on each one. */
export const HEALTH_EVENTS_SUBSCRIPTION = gql<HealthEventData>`
  subscription HealthEvents {
    healthStatus { integrationId kind status healthStatus }
  }
`;
