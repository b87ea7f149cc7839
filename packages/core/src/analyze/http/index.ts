// The HTTP analyzer: request → HttpUnit (methods incl. overrides, normalised path, headers, query, body, JSON).
export { analyzeHttp, headerKey, METHOD_OVERRIDE_HEADERS, METHOD_OVERRIDE_PARAM } from './analyze.js';
export { isJsonType, type MediaType, paramKey, parseMediaType } from './body.js';
export {
  type CompiledJsonPath,
  compileJsonPath,
  JsonPathError,
  type JsonPathStep,
  jsonPathValues,
} from './jsonpath.js';
export { type ParsedTarget, parseTarget, TargetError } from './target.js';
