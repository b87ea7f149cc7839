export { CommandJudge, type JudgeContext, type Judgement } from './command-judge.js';
export { type BuiltinKey, CompiledPolicy, type Evaluation, moreRestrictive } from './compiled-policy.js';
export { globToRegExp, isGlob } from './glob.js';
