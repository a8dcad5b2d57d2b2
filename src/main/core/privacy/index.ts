/**
 * Privacy: secret redaction and reversible pseudonyms before anything leaves for a remote
 * model. Pure functions over text: no network, no process, no file I/O (DESIGN: safety and
 * privacy decide from data).
 */
export { Redactor, redact, findSecrets, type Finding, type RedactionResult } from './redactor';
export { RULES, type Rule, type Candidate } from './rules';
export { shannonEntropy } from './values';
export { Pseudonymiser, CompiledVocabulary, DEFAULT_INTERNAL_DOMAINS, type Vocabulary, type PseudonymKind, type RevealResult } from './pseudonymiser';
export { privacyConfig, type PrivacyConfig } from './config';
