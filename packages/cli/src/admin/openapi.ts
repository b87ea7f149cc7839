// The admin API's OpenAPI document, served at /api/openapi.json.
const bearer = [{ bearer: [] }];
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const ok = (description: string) => ({ 200: { description }, 401: { description: 'no or bad token' }, 403: { description: 'not allowed' } });

export const openapi = {
  openapi: '3.1.0',
  info: { title: 'Portcullis admin API', version: '0.1.0' },
  components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
  paths: {
    '/healthz': { get: { summary: 'The process is up', responses: { 200: { description: 'ok' } } } },
    '/readyz': { get: { summary: 'Listeners bound and the store reachable', responses: { 200: { description: 'ready' }, 503: { description: 'not ready' } } } },
    '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text exposition format' } } } },
    '/api/me': { get: { summary: 'Who the token says you are, and what you may do', security: bearer, responses: ok('identity') } },
    '/api/sessions': {
      get: {
        summary: 'Sessions, newest first (auditors)',
        security: bearer,
        parameters: ['connection', 'subject', 'protocol', 'status', 'since', 'limit', 'offset'].map((name) => ({ name, in: 'query', schema: { type: 'string' } })),
        responses: ok('session metadata list'),
      },
    },
    '/api/sessions/{id}': { get: { summary: 'One session (auditors)', security: bearer, parameters: [id], responses: ok('session metadata') } },
    '/api/sessions/{id}/frames': {
      get: {
        summary: 'Frames of a session, paged; ?follow=1 streams them as server-sent events until the session closes (auditors)',
        security: bearer,
        parameters: [id, { name: 'from', in: 'query', schema: { type: 'integer' } }, { name: 'count', in: 'query', schema: { type: 'integer' } }, { name: 'follow', in: 'query', schema: { type: 'string' } }],
        responses: ok('frames'),
      },
    },
    '/api/sessions/{id}/verify': { get: { summary: 'Hash-chain verification (auditors)', security: bearer, parameters: [id], responses: ok('{ok, frames} or {ok:false, seq, problem}') } },
    '/api/approvals': { get: { summary: 'Approvals (approvers and auditors)', security: bearer, parameters: [{ name: 'status', in: 'query', schema: { type: 'string' } }], responses: ok('approvals') } },
    '/api/approvals/{id}/approve': { post: { summary: 'Approve (an approver of the rule, never the requester)', security: bearer, parameters: [id], requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { reason: { type: 'string' } } } } } }, responses: ok('the approval') } },
    '/api/approvals/{id}/deny': { post: { summary: 'Deny (an approver of the rule, never the requester)', security: bearer, parameters: [id], requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { reason: { type: 'string' } } } } } }, responses: ok('the approval') } },
  },
};
