import { Link } from '../nav.js';
import type { ScreenProps } from '../screens.js';
import { useSetup } from '../setup.js';
import type { Setup, SetupFinding, SetupStep } from '../types-account.js';
import './first-run.css';

interface Step {
  key: SetupStep;
  href: string;
  title: string;
  what: string;
}

// The path from a new account to an AI answering customers, in the order it is walked.
const STEPS: Step[] = [
  {
    key: 'prompts',
    href: '/ai/prompts',
    title: 'Write your prompts',
    what: 'Tell the AI about your business: how to answer, what you sell, your usual questions.',
  },
  {
    key: 'ai_on',
    href: '/ai',
    title: 'Turn the AI on',
    what: 'Switch on automatic answers. You can take over any conversation at any time.',
  },
  {
    key: 'tried',
    href: '/ai/try',
    title: 'Try a question',
    what: 'Ask something a customer would, and see what the AI answers and why.',
  },
  {
    key: 'channel',
    href: '/channels',
    title: 'Connect a channel',
    what: 'Connect your Telegram bot or Instagram account, so customers reach the AI there.',
  },
];

/** Where each finding is fixed; null when only the person who runs Parley can fix it. */
const FIX: Record<SetupFinding['code'], { href: string; label: string } | null> = {
  ai_off: { href: '/ai', label: 'AI settings' },
  no_prompts: { href: '/ai/prompts', label: 'Prompts' },
  no_opening_hours: { href: '/hours', label: 'Business hours' },
  model_not_allowed: { href: '/ai', label: 'AI settings' },
  model_unavailable: { href: '/ai', label: 'AI settings' },
  model_unchecked: null,
  no_key: null,
};

const sentence = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;

export function FirstRun(_props: ScreenProps) {
  const setup = useSetup({ poll: true });
  return (
    <main class="screen first-run">
      <h1>Get started</h1>
      {setup.isPending ? (
        <p class="loading">Loading…</p>
      ) : setup.isError ? (
        <p class="error" role="alert">
          {setup.error.message}
        </p>
      ) : (
        <Checklist setup={setup.data} />
      )}
    </main>
  );
}

function Checklist({ setup }: { setup: Setup }) {
  const done = STEPS.filter((step) => setup.steps[step.key]).length;
  const problems = setup.findings.filter((finding) => finding.severity === 'broken');
  return (
    <>
      <p class="lead">
        {setup.complete
          ? 'All set: the AI answers your customers. Watch the conversations in the inbox, and take over whenever you like.'
          : 'Four steps to an AI that answers your customers. Each ticks itself as you go.'}
      </p>
      <p class="progress" role="status">
        {done} of {STEPS.length} steps done
      </p>
      <ol class="checklist">
        {STEPS.map((step) => {
          const ticked = setup.steps[step.key];
          return (
            <li key={step.key} class={ticked ? 'step step--done' : 'step'}>
              <span class="step-mark" aria-hidden="true">
                {ticked ? '✓' : ''}
              </span>
              <div class="step-body">
                <Link href={step.href} class="step-title">
                  {step.title}
                </Link>
                <p>{step.what}</p>
              </div>
              <span class="step-state">{ticked ? 'Done' : 'To do'}</span>
            </li>
          );
        })}
      </ol>
      {setup.findings.length > 0 && (
        <section class="card findings" aria-labelledby="findings-heading">
          <h2 id="findings-heading">{problems.length > 0 ? 'What stops the AI answering' : 'Still to do'}</h2>
          <ul>
            {setup.findings.map((finding) => {
              const fix = FIX[finding.code];
              return (
                <li key={finding.code} class={`finding finding--${finding.severity}`}>
                  <span class="finding-kind">{finding.severity === 'broken' ? 'Needs fixing' : 'Not done yet'}</span>
                  {sentence(finding.message)}
                  {finding.code === 'no_key' && ' Ask the person who runs Parley to add it.'}
                  {fix && (
                    <>
                      {' '}
                      <Link href={fix.href}>Open {fix.label}</Link>
                    </>
                  )}
                </li>
              );
            })}
          </ul>
          <p class="hint">
            The same checks as <code>parley ai_control validate</code>.
          </p>
        </section>
      )}
      {setup.complete && (
        <p>
          <Link href="/">Go to the inbox</Link>
        </p>
      )}
    </>
  );
}
