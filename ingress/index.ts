export { createSendApp, type SendAppDeps } from './http/send-app.js';
export { sendRequestSchema, parseMailbox, SEND_LIMITS, type SendRequest, type Mailbox } from './http/send-schema.js';
export { buildMime, composeMime } from './http/build-mime.js';
export { startSmtpIngress, type SmtpIngress, type SmtpIngressDeps } from './smtp/smtp-ingress.js';
export { loadTlsMaterial, type TlsMaterial, type TlsMaterialOptions } from './smtp/tls-material.js';
export { startInboundMx, type InboundMxDeps } from './mx/inbound-mx.js';
