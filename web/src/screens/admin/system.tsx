import type { SystemStatus } from '../../types-admin.js';
import { count, when } from '../../ui/format.js';
import { useSystem } from './data.js';
import { ScrollTable } from '../../ui/scroll-table.js';

const MODEL_KIND: Record<SystemStatus['model']['kind'], string> = {
  gemini: 'Gemini, with the shared key',
  simulated: 'Simulated replies (PARLEY_SIMULATED_MODEL), not a real model',
  none: 'None: GEMINI_API_KEY is not set, so the AI cannot answer',
};

function Health({ health }: { health: SystemStatus['model']['health'] }) {
  if (!health) return <p>Not checked yet: the check runs every 12 hours.</p>;
  const result = health.ok === null ? 'Running' : health.ok ? 'Healthy' : 'Failed';
  return (
    <p>
      <span class={`tag ${health.ok === false ? 'tag--attention' : 'tag--people'}`}>{result}</span>{' '}
      {health.detail ?? ''} <span class="hint">({when(health.checked_at)})</span>
    </p>
  );
}

/** The model, the queue and the scheduled tasks, as /metrics and `job_runs` know them. */
export function System() {
  const system = useSystem();
  const data = system.data;
  return (
    <section aria-labelledby="system-heading">
      <div class="section-head">
        <h2 id="system-heading">System</h2>
        <button type="button" onClick={() => void system.refetch()} disabled={system.isFetching}>
          {system.isFetching ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <p class="error" role="alert">
        {system.error ? `The system's state could not be loaded: ${system.error.message}` : ''}
      </p>
      {data && (
        <div class="system">
          <div class="card">
            <h3>Model</h3>
            <p>
              {MODEL_KIND[data.model.kind]}; <code>{data.model.default_model}</code> unless a business chooses another.
            </p>
            <h4>Last health check</h4>
            <Health health={data.model.health} />
          </div>

          <div class="card">
            <h3>Queue</h3>
            <p class="hint">
              {data.queue.kind === 'redis' ? 'BullMQ on Redis, shared by every process.' : 'In this process.'}
            </p>
            <p class="error" role="alert">
              {data.queue.error ? `The queue could not be read: ${data.queue.error}` : ''}
            </p>
            {data.queue.jobs.length === 0 ? (
              <p>No jobs yet.</p>
            ) : (
              <ScrollTable label="Jobs in the queue">
                <table class="data">
                  <caption class="visually-hidden">Jobs in the queue by type and state</caption>
                  <thead>
                    <tr>
                      <th scope="col">Job</th>
                      <th scope="col">Waiting</th>
                      <th scope="col">Running</th>
                      <th scope="col">Delayed</th>
                      <th scope="col">Failed</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.queue.jobs.map((job) => (
                      <tr key={job.name}>
                        <th scope="row">
                          <code>{job.name}</code>
                        </th>
                        <td>{count(job.waiting)}</td>
                        <td>{count(job.active)}</td>
                        <td>{count(job.delayed)}</td>
                        <td class={job.failed > 0 ? 'error' : undefined}>{count(job.failed)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </ScrollTable>
            )}
            <h4>Failed jobs</h4>
            {data.queue.failed_jobs.length === 0 ? (
              <p>None.</p>
            ) : (
              <ul class="failed-jobs">
                {data.queue.failed_jobs.map((job) => (
                  <li key={`${job.name}-${job.id}`}>
                    <code>{job.name}</code> after {job.attempts} {job.attempts === 1 ? 'try' : 'tries'},{' '}
                    {when(job.failed_at)}: <span class="error">{job.error}</span>
                  </li>
                ))}
              </ul>
            )}
          </div>

          <div class="card">
            <h3>Scheduled tasks</h3>
            <ScrollTable label="Scheduled tasks">
              <table class="data">
                <caption class="visually-hidden">Each scheduled task and its last run</caption>
                <thead>
                  <tr>
                    <th scope="col">Task</th>
                    <th scope="col">Last run</th>
                    <th scope="col">Result</th>
                  </tr>
                </thead>
                <tbody>
                  {data.scheduled_jobs.map((job) => (
                    <tr key={job.name}>
                      <th scope="row">
                        <code>{job.name}</code>
                        <span class="hint block">{job.what}</span>
                      </th>
                      <td>{job.last_started_at ? when(job.last_started_at) : 'Not yet'}</td>
                      <td>
                        {job.ok === null ? (job.last_started_at ? 'Running' : '—') : job.ok ? 'OK' : 'Failed'}
                        {job.detail && <span class="hint block">{job.detail}</span>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </ScrollTable>
          </div>
        </div>
      )}
    </section>
  );
}
