// @portcullis/http: the HTTP listener (a judged, masking reverse proxy).
export { type HttpListenerOptions, JSON_MASK_CAP, startHttpListener } from './listener.js';
