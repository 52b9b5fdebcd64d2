import { builder } from "./builder.ts";
import "./types/enums.ts";
import "./types/viewer.ts";
import "./types/provider.ts";
import "./types/integration.ts";
import "./types/api-key.ts";
import "./types/health.ts";
import "./types/connection.ts";
import "./types/settings.ts";
import "./types/invitation.ts";
import "./types/webhook.ts";
import "./types/incident.ts";
import "./types/alert.ts";

export const schema = builder.toSchema({ sortSchema: true });
