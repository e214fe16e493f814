import type { Config } from '../kernel/config.js';
import type { Database } from '../db/client.js';
import { checkBusiness, statusOf, type FindingCode, type ModelCheck } from './setup-checks.js';
import { firstRunFacts } from './setup.repo.js';

/** The first-run checklist: the steps done, and the same findings as `ai_control validate`. */
export async function businessSetup(
  db: Database,
  config: Config,
  checkModel: ModelCheck,
  user: { id: string; username: string },
) {
  const [check, facts] = await Promise.all([checkBusiness(db, config, checkModel, user), firstRunFacts(db, user.id)]);
  const has = (code: FindingCode) => check.findings.some((finding) => finding.code === code);
  const steps = { prompts: !has('no_prompts'), ai_on: check.aiOn, tried: facts.asked, channel: facts.connected };
  const status = statusOf(check.findings);
  return {
    status,
    complete: Object.values(steps).every(Boolean) && status !== 'broken',
    steps,
    findings: check.findings.map(({ code, severity, message }) => ({ code, severity, message })),
  };
}
