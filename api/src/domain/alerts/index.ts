export { ALERT_EVENTS, ALERT_CHANNEL_KINDS, type AlertEvent, type AlertChannelKind } from "./events.ts";
export { AlertInputError, maskSlackWebhookUrl } from "./input.ts";
export { createAlertChannel, updateAlertChannel, deleteAlertChannel, sendTestAlert, type ChannelInput } from "./channels.ts";
export { createAlertDispatcher, type AlertDispatcher } from "./dispatcher.ts";
export { planAlerts, ALERT_GROUP_WINDOW_MS } from "./plan.ts";
export { composeAlert, formatDuration } from "./message.ts";
export { webhookUrlSealedFor, type AlertServices } from "./send.ts";
