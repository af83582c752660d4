/**
 * The loader every section shares: the newest load wins, failures become a
 * message, the busy mark follows the newest load, polls are scheduled and
 * cancelled, and nothing shows after dispose.
 */
import { Widget } from '@lumino/widgets';

import { Loader, pollWhileVisible } from '../src/loader';

/** A promise settled by the test. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('Loader', () => {
  let node: HTMLElement;
  let loader: Loader;

  beforeEach(() => {
    node = document.createElement('div');
    loader = new Loader({ busy: node });
  });

  afterEach(() => {
    loader.dispose();
  });

  it('returns the value and marks the node busy until it arrives', async () => {
    const answer = deferred<number>();
    const loading = loader.load(() => answer.promise);
    expect(node.getAttribute('aria-busy')).toBe('true');

    answer.resolve(42);
    expect(await loading).toEqual({ ok: true, value: 42 });
    expect(node.hasAttribute('aria-busy')).toBe(false);
    expect(loader.error).toBeNull();
  });

  it('keeps a failure as a message until the next success', async () => {
    const failed = await loader.load(() =>
      Promise.reject(new Error('the service is down'))
    );
    expect(failed).toMatchObject({
      ok: false,
      message: 'the service is down'
    });
    expect(loader.error).toBe('the service is down');
    expect(node.hasAttribute('aria-busy')).toBe(false);

    await loader.load(async () => 'back');
    expect(loader.error).toBeNull();
  });

  it('drops an older answer that arrives after a newer one', async () => {
    const older = deferred<string>();
    const newer = deferred<string>();
    const first = loader.load(() => older.promise);
    const second = loader.load(() => newer.promise);

    newer.resolve('newer');
    expect(await second).toEqual({ ok: true, value: 'newer' });
    older.reject(new Error('late failure'));
    expect(await first).toBeNull();
    expect(loader.error).toBeNull(); // the late failure is not the section's state
  });

  it('stays busy while the newest load runs, even when an older one ends', async () => {
    const older = deferred<string>();
    const newer = deferred<string>();
    const first = loader.load(() => older.promise);
    const second = loader.load(() => newer.promise);

    older.resolve('older');
    await first;
    expect(node.getAttribute('aria-busy')).toBe('true');
    newer.resolve('newer');
    await second;
    expect(node.hasAttribute('aria-busy')).toBe(false);
  });

  it('drops a follow-up page when a new load started meanwhile', async () => {
    await loader.load(async () => ['page 1']);
    const page2 = deferred<string[]>();
    const more = loader.follow(() => page2.promise);
    const reload = loader.load(async () => ['page 1, again']);

    page2.resolve(['page 2']);
    expect(await more).toBeNull();
    expect(await reload).toEqual({ ok: true, value: ['page 1, again'] });
    expect(await loader.follow(async () => ['page 2'])).toEqual({
      ok: true,
      value: ['page 2']
    });
  });

  it('cancel() drops the load in flight and clears the busy mark', async () => {
    const answer = deferred<string>();
    const loading = loader.load(() => answer.promise);
    loader.cancel();
    expect(node.hasAttribute('aria-busy')).toBe(false);

    answer.resolve('too late');
    expect(await loading).toBeNull();
  });

  it('is stale until a load starts, and again when marked', async () => {
    expect(loader.stale).toBe(true);
    const loading = loader.load(async () => 1);
    expect(loader.stale).toBe(false);
    await loading;
    loader.markStale();
    expect(loader.stale).toBe(true);
  });

  describe('polling', () => {
    beforeEach(() => {
      jest.useFakeTimers();
    });

    afterEach(() => {
      jest.useRealTimers();
    });

    it('polls once after the delay; a new schedule replaces the old one', () => {
      const first = jest.fn();
      const second = jest.fn();
      loader.schedulePoll(1000, first);
      loader.schedulePoll(2000, second);

      jest.advanceTimersByTime(5000);
      expect(first).not.toHaveBeenCalled();
      expect(second).toHaveBeenCalledTimes(1);
    });

    it('does not poll for a delay of 0, after stopPolling(), or once a load starts', () => {
      const poll = jest.fn();
      loader.schedulePoll(0, poll);
      loader.schedulePoll(1000, poll);
      loader.stopPolling();
      loader.schedulePoll(1000, poll);
      void loader.load(() => new Promise(() => undefined));

      jest.advanceTimersByTime(5000);
      expect(poll).not.toHaveBeenCalled();
    });

    it('stops polling and answering after dispose()', async () => {
      const poll = jest.fn();
      const answer = deferred<string>();
      const loading = loader.load(() => answer.promise);
      loader.schedulePoll(1000, poll);
      loader.dispose();
      loader.schedulePoll(1000, poll);

      answer.resolve('after dispose');
      expect(await loading).toBeNull();
      const fetch = jest.fn(async () => 'never asked');
      expect(await loader.load(fetch)).toBeNull();
      expect(fetch).not.toHaveBeenCalled();
      jest.advanceTimersByTime(5000);
      expect(poll).not.toHaveBeenCalled();
    });
  });
});

describe('pollWhileVisible', () => {
  let widget: Widget;

  beforeEach(() => {
    jest.useFakeTimers();
    widget = new Widget();
    Widget.attach(widget, document.body);
  });

  afterEach(() => {
    if (!widget.isDisposed) {
      widget.dispose();
    }
    jest.useRealTimers();
  });

  async function tick(ms: number): Promise<void> {
    jest.advanceTimersByTime(ms);
    await Promise.resolve();
    await Promise.resolve();
  }

  it('refreshes on each interval while the widget is visible, never while hidden', async () => {
    const refresh = jest.fn(async () => undefined);
    pollWhileVisible(widget, 1000, refresh);

    await tick(1000);
    expect(refresh).toHaveBeenCalledTimes(1);
    widget.hide();
    await tick(5000);
    expect(refresh).toHaveBeenCalledTimes(1);

    widget.show(); // shown after a pause longer than the interval: at once
    await tick(0);
    expect(refresh).toHaveBeenCalledTimes(2);
  });

  it('runs one refresh at a time and stops with the widget', async () => {
    let finish!: () => void;
    const refresh = jest.fn(
      () => new Promise<void>(resolve => (finish = resolve))
    );
    const poll = pollWhileVisible(widget, 1000, refresh);

    await tick(1000);
    await tick(3000); // the first is still running: no second one meanwhile
    expect(refresh).toHaveBeenCalledTimes(1);
    finish();
    await tick(0);
    widget.dispose();
    await tick(5000);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(poll.isDisposed).toBe(true);
  });

  it('keeps polling after a refresh throws', async () => {
    const refresh = jest
      .fn()
      .mockRejectedValueOnce(new Error('offline'))
      .mockResolvedValue(undefined);
    pollWhileVisible(widget, 1000, refresh);

    await tick(1000);
    await tick(1000);
    expect(refresh).toHaveBeenCalledTimes(2);
  });
});
