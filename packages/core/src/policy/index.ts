export { globToRegExp, isGlob } from './glob.js';
export { CompiledPolicy, moreRestrictive, type BuiltinKey, type Evaluation } from './compiled-policy.js';
export { CommandJudge, type JudgeContext, type Judgement } from './command-judge.js';
