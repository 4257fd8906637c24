import { useApp, useAppState } from '../../app/app-context.js';
import { queueCount, type QueueFilter } from '../../store/selectors.js';
import { IntakeList } from '../intake/IntakeList.js';
import { EmptyQueue } from './EmptyQueue.js';
import { QueueList } from './QueueList.js';
import './queue.css';

/** The home screen (all groups) and the Needs attention screen (failed jobs by cause). */
export function QueueScreen({ filter }: { filter: QueueFilter }) {
  const { actions } = useApp();
  const jobCount = useAppState((s) => (filter === 'attention' ? s.groups.attention.length : queueCount(s)));
  const hasIntake = useAppState((s) => Object.keys(s.intake).length > 0);
  const title = filter === 'attention' ? 'Needs attention' : 'Queue';
  return (
    <section className="queue-screen" aria-label={title}>
      <h1 className="visually-hidden">{title}</h1>
      <IntakeList />
      {jobCount > 0 ? (
        <QueueList filter={filter} label={filter === 'attention' ? 'Uploads that need attention' : 'Uploads'} />
      ) : filter === 'attention' ? (
        <div className="all-clear">
          <p className="all-clear-title">Nothing needs your attention</p>
          <p className="muted">Failed uploads show up here, grouped by what went wrong, with the fix for each.</p>
          <button type="button" className="button" onClick={() => actions.setScreen('queue')}>
            Back to the queue
          </button>
        </div>
      ) : hasIntake ? null : (
        <EmptyQueue />
      )}
    </section>
  );
}
