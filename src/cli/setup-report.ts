import type { BusinessCheck, FindingCode, SetupFinding } from '../ai/setup-checks.js';
import { statusOf } from '../ai/setup-checks.js';

/** How an operator fixes each finding from a terminal (the dashboard links to its screens instead). */
const HINTS: Record<FindingCode, (username: string) => string | undefined> = {
  ai_off: (username) => `turn it on with: parley ai_control enable --user ${username}`,
  no_key: () => 'set GEMINI_API_KEY and restart Parley',
  no_prompts: () => 'write them on the dashboard\'s Prompts screen, or PUT /api/v1/ai/config/ with "prompts"',
  no_opening_hours: () => "set opening hours on the dashboard's Hours screen, or turn business hours off",
  model_not_allowed: () => "choose an allowed model on the dashboard's AI screen, or add it to PARLEY_ALLOWED_MODELS",
  model_unavailable: () => "choose another model on the dashboard's AI screen",
  model_unchecked: () => undefined,
};

export function findingLine(finding: SetupFinding, username: string): string {
  const hint = HINTS[finding.code](username);
  return hint ? `${finding.message} (${hint})` : finding.message;
}

/** "ready", "not set up yet" or "BROKEN", as the reports say it. */
export function statusWords(check: BusinessCheck): string {
  const status = statusOf(check.findings);
  if (status === 'ready') return 'ready';
  return status === 'broken' ? 'BROKEN: the AI is on but cannot answer' : 'not set up yet';
}

/** The machine-readable form both commands print with --json. */
export function findingsJson(check: BusinessCheck) {
  return {
    username: check.username,
    model_name: check.modelName,
    ai_enabled: check.aiOn,
    status: statusOf(check.findings),
    problems: check.findings.map((finding) => findingLine(finding, check.username)),
    findings: check.findings.map(({ code, severity, message }) => ({ code, severity, message })),
  };
}
