/**
 * How both runs views load runs: a late answer to an older reload never
 * replaces a newer one, "Load more" says why a page did not come, and a
 * poll clears a failure once the service answers again.
 */
import { waitFor } from '@testing-library/dom';
import userEvent from '@testing-library/user-event';
import { Widget } from '@lumino/widgets';

import { RunsPage } from '../src/api';
import { RunsLoader, loadMoreButton } from '../src/runsLoader';
import { FakeService, IReply, deferred, failure, ok } from './fakeService';
import { runSummary } from './fixtures';

const OLD = runSummary({ id: 'old0000000000000', name: 'old' });
const NEW = runSummary({ id: 'new0000000000000', name: 'new' });

describe('RunsLoader', () => {
  let service: FakeService;
  let widget: Widget;
  let loader: RunsLoader;
  let notebook: string | null;
  let shown: number;

  beforeEach(() => {
    notebook = null;
    shown = 0;
    service = new FakeService().on('GET', 'models', ok({ versions: [] }));
    service.install();
    widget = new Widget();
    Widget.attach(widget, document.body);
    loader = new RunsLoader({
      widget,
      notebook: () => notebook,
      show: () => shown++
    });
  });

  afterEach(() => {
    loader.dispose();
    widget.dispose();
    service.uninstall();
  });

  const page = (runs: RunsPage['runs'], next: string | null = null) =>
    ok({ runs, next_page_token: next });

  it('keeps the newest reload when an older answer arrives late', async () => {
    const late = deferred<IReply>();
    service.on('GET', 'runs', request =>
      request.query.notebook === 'a.ipynb' ? late.promise : page([NEW])
    );
    notebook = 'a.ipynb';
    const first = loader.reload();
    notebook = null;
    await loader.reload();
    late.resolve(page([OLD]));
    await first;
    expect(loader.runs.map(r => r.name)).toEqual(['new']);
    expect(shown).toBe(1);
    expect(widget.node.hasAttribute('aria-busy')).toBe(false);
  });

  it('asks for the next page by its token and says why it did not come', async () => {
    service.on('GET', 'runs', request =>
      request.query.page_token === 'p2'
        ? failure(503, 'unavailable', 'MLflow does not answer', 'start it')
        : page([NEW], 'p2')
    );
    await loader.reload();
    const message = document.createElement('div');
    const more = loadMoreButton(loader, message, 'more');
    document.body.appendChild(more);
    await userEvent.click(more);
    await waitFor(() =>
      expect(message.textContent).toBe(
        'Cannot load more runsMLflow does not answer — Fix: start it'
      )
    );
    expect(more.textContent).toBe('Load more');
    expect(loader.runs.map(r => r.name)).toEqual(['new']);
    expect(loader.next).toBe('p2'); // the user may try again
    more.remove();
  });

  it('keeps the runs after a failed reload, says why, and recovers on a poll', async () => {
    let reply = page([OLD]);
    service.on('GET', 'runs', () => reply);
    await loader.reload();
    reply = failure(503, 'unavailable', 'MLflow does not answer', 'start it');
    await loader.reload();
    expect(loader.error).toBe('MLflow does not answer — Fix: start it');
    expect(loader.runs.map(r => r.name)).toEqual(['old']);
    reply = page([OLD]); // the same runs: only the failure tells a poll to reload
    await waitFor(() => expect(loader.error).toBeNull(), { timeout: 5000 });
  });
});
