import { pino, type Logger } from "pino";

// Paths whose values never reach a log line, whatever object a caller logs. Wildcards cover
// two levels of nesting (pino's redaction is path based, not a deep scan), so the common shapes
// are listed: a bare field, a field on any object, headers of req/res objects. An OAuth `code`
// is not listed because error objects carry `code` (ECONNREFUSED ...): never log query strings.
const SECRET_KEYS = [
  "password",
  "token",
  "accessToken",
  "refreshToken",
  "idToken",
  "access_token",
  "refresh_token",
  "id_token",
  "authorizationCode",
  "code_verifier",
  "codeVerifier",
  "client_secret",
  "clientSecret",
  "secret",
  "apiKey",
  "key",
  "authorization",
  "cookie",
  "set-cookie",
  "AUTH_SECRET",
  "ENCRYPTION_KEYS",
];

export const redactPaths = [
  ...SECRET_KEYS.map((k) => `["${k}"]`),
  ...SECRET_KEYS.map((k) => `*["${k}"]`),
  ...SECRET_KEYS.map((k) => `*.*["${k}"]`),
  'req.headers["authorization"]',
  'req.headers["cookie"]',
  'res.headers["set-cookie"]',
  "headers.authorization",
  "headers.cookie",
];

export function createLogger(options: { level: string; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: "switchboard" },
      redact: { paths: redactPaths, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}

export type { Logger };
