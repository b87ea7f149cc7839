// The admin API's OpenAPI document, served at /api/openapi.json.
const bearer = [{ bearer: [] }];
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const json = (description: string) => ({
  description,
  content: { 'application/json': { schema: { type: 'object' } } },
});
const problems = {
  400: { description: 'a bad parameter (the message names it)' },
  401: { description: 'no token, or a bad one (WWW-Authenticate: Bearer)' },
  403: { description: 'a valid token without the needed group' },
  429: { description: 'too many failed token attempts from this address (Retry-After)' },
};
const ok = (description: string) => ({ 200: json(description), ...problems });
const q = (name: string, description: string, schema: Record<string, unknown> = { type: 'string' }) => ({
  name,
  in: 'query',
  description,
  schema,
});
const reasonBody = {
  content: {
    'application/json': {
      schema: { type: 'object', properties: { reason: { type: 'string', maxLength: 1000 } } },
    },
  },
};

export const openapi = {
  openapi: '3.1.0',
  info: {
    title: 'Portcullis admin API',
    version: '0.1.0',
    description:
      "Auditors (admin.auditors) read sessions; approvers (a rule's approvers) resolve its approvals; everyone else gets 401/403. Recorded frames are already masked.",
  },
  components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
  paths: {
    '/healthz': { get: { summary: 'The process is up', responses: { 200: json('{status: ok}') } } },
    '/readyz': {
      get: {
        summary: 'Listeners bound and the store reachable',
        responses: { 200: json('ready'), 503: json('not ready') },
      },
    },
    '/metrics': {
      get: {
        summary:
          'Prometheus text: portcullis_sessions_active/total, portcullis_commands_total{protocol,decision}, portcullis_masked_values_total{detector}, portcullis_approvals_pending, …',
        responses: { 200: { description: 'text exposition format 0.0.4' } },
      },
    },
    '/api/openapi.json': {
      get: { summary: 'This document (no token needed)', responses: { 200: json('OpenAPI 3.1') } },
    },
    '/api/oidc': {
      get: {
        summary: 'How the web UI signs in with the configured issuer (no token needed)',
        responses: {
          200: json('{issuer, authorization_endpoint, client_id, scope}'),
          404: json('not configured'),
          503: json('discovery failed or does not allow code + PKCE'),
        },
      },
    },
    '/api/oidc/token': {
      post: {
        summary:
          'Exchanges an authorization code (with its PKCE verifier) for a token the gateway accepts (no token needed)',
        requestBody: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['code', 'code_verifier', 'redirect_uri'],
                properties: {
                  code: { type: 'string' },
                  code_verifier: { type: 'string' },
                  redirect_uri: { type: 'string' },
                },
              },
            },
          },
        },
        responses: {
          200: json('{token}'),
          400: json('missing field'),
          401: json('the issuer refused the code, or its token is not accepted'),
        },
      },
    },
    '/api/me': {
      get: {
        summary: 'Who the token says you are, and what you may do',
        security: bearer,
        responses: ok('{subject, groups, auditor, approver}'),
      },
    },
    '/api/sessions': {
      get: {
        summary:
          "Sessions, newest first (auditors). When more exist, the X-Next-Offset header gives the next page's offset.",
        security: bearer,
        parameters: [
          q('connection', 'exact connection name'),
          q('subject', 'exact subject'),
          q('protocol', 'postgres | ssh | http', { type: 'string', enum: ['postgres', 'ssh', 'http'] }),
          q('status', 'active | closed | failed', { type: 'string', enum: ['active', 'closed', 'failed'] }),
          q('since', 'a duration ago (1h, 7d), an ISO date, or ms since the epoch'),
          q('limit', '1..1000, default 100', { type: 'integer', minimum: 1, maximum: 1000 }),
          q('offset', 'default 0', { type: 'integer', minimum: 0 }),
        ],
        responses: ok(
          'session metadata list; closed sessions carry commands, denied, reviewed, masked, masked_by',
        ),
      },
    },
    '/api/sessions/{id}': {
      get: {
        summary: 'One session (auditors)',
        security: bearer,
        parameters: [id],
        responses: { ...ok('session metadata'), 404: json('no such session') },
      },
    },
    '/api/sessions/{id}/frames': {
      get: {
        summary:
          'Frames of a session, paged; ?follow=1 streams them as server-sent events (event: frame, id: seq) and an `end` event after the close frame (auditors). Last-Event-ID resumes.',
        security: bearer,
        parameters: [
          id,
          q('from', 'first seq, default 1', { type: 'integer', minimum: 1 }),
          q('count', '1..10000, default 1000', { type: 'integer', minimum: 1, maximum: 10000 }),
          q('follow', '1 for server-sent events', { type: 'string', enum: ['0', '1'] }),
        ],
        responses: { ...ok('frames: {seq, t, kind, enc, data, hash}'), 404: json('no such session') },
      },
    },
    '/api/sessions/{id}/verify': {
      get: {
        summary: 'Hash-chain verification (auditors)',
        security: bearer,
        parameters: [id],
        responses: {
          ...ok('{ok: true, frames} or {ok: false, seq, problem, detail}'),
          404: json('no such session'),
        },
      },
    },
    '/api/approvals': {
      get: {
        summary: 'Approvals, newest first: all for auditors, those an approver may resolve for approvers',
        security: bearer,
        parameters: [q('status', 'pending | approved | denied | expired | cancelled')],
        responses: ok('approvals'),
      },
    },
    '/api/approvals/{id}': {
      get: {
        summary: 'One approval',
        security: bearer,
        parameters: [id],
        responses: { ...ok('the approval'), 404: json('no such approval') },
      },
    },
    '/api/approvals/{id}/approve': {
      post: {
        summary: 'Approve (an approver of the rule, never the requester)',
        security: bearer,
        parameters: [id],
        requestBody: reasonBody,
        responses: {
          ...ok('the approval'),
          404: json('no such approval'),
          409: json('already resolved, expired, or already voted'),
        },
      },
    },
    '/api/approvals/{id}/deny': {
      post: {
        summary: 'Deny (an approver of the rule, never the requester)',
        security: bearer,
        parameters: [id],
        requestBody: reasonBody,
        responses: {
          ...ok('the approval'),
          404: json('no such approval'),
          409: json('already resolved, expired, or already voted'),
        },
      },
    },
  },
};
