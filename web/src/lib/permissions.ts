import type { Role } from "./graphql/types";

// Mirrors the role rules in design.md only to explain disabled buttons up front; the API
// enforces them on every mutation regardless of what the UI shows.

export function canTest(role: Role): boolean {
  return role !== "VIEWER";
}

export function canManage(role: Role): boolean {
  return role === "OWNER" || role === "ADMIN";
}
