/**
 * How the sidebar talks to the workbench service (`request.ts`): the URL
 * under `aios/api/`, JSON bodies, and errors turned into messages a user
 * can act on, whatever the service (or the network) answered.
 */
import {
  IRequestError,
  postAPI,
  requestAPI,
  requestText,
  withQuery
} from '../src/request';
import { FakeService, failure, ok } from './fakeService';

describe('request', () => {
  let service: FakeService;

  beforeEach(() => {
    service = new FakeService().install();
  });

  afterEach(() => {
    service.uninstall();
  });

  it('sends JSON to the workbench API and returns its answer', async () => {
    service.on('POST', 'alerts/ack', request =>
      ok({ id: (request.body as { id: number }).id, state: 'acknowledged' })
    );
    await expect(postAPI('alerts/ack', { id: 7 })).resolves.toEqual({
      id: 7,
      state: 'acknowledged'
    });
    expect(service.requests).toEqual([
      { method: 'POST', endpoint: 'alerts/ack', query: {}, body: { id: 7 } }
    ]);
  });

  it('leaves empty query parameters out', () => {
    expect(
      withQuery('runs', {
        notebook: null,
        limit: 50,
        page_token: '',
        mine: false
      })
    ).toBe('runs?limit=50&mine=false');
    expect(withQuery('alerts', { state: undefined })).toBe('alerts');
    expect(withQuery('jobs/job', { name: 'daily summary' })).toBe(
      'jobs/job?name=daily+summary'
    );
  });

  it('reads the service’s error body: message, fix, code and status', async () => {
    service.on(
      'GET',
      'jobs/job',
      failure(
        404,
        'not_found',
        'there is no job nightly',
        'list the jobs with `aios jobs list`'
      )
    );
    const error = (await requestAPI('jobs/job?name=nightly').catch(
      e => e
    )) as IRequestError;
    expect(error.message).toBe(
      'there is no job nightly — Fix: list the jobs with `aios jobs list`'
    );
    expect(error.status).toBe(404);
    expect(error.code).toBe('not_found');
  });

  it('falls back to the HTTP status when the error is not the service’s (e.g. a proxy’s HTML page)', async () => {
    service.on('GET', 'status', {
      status: 500,
      body: `<html>${'x'.repeat(600)}</html>`
    });
    await expect(requestAPI('status')).rejects.toThrow(
      'Internal Server Error (HTTP 500)'
    );
  });

  it('says when the service cannot be reached', async () => {
    service.on('GET', 'status', () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(requestAPI('status')).rejects.toThrow(
      /^Cannot reach the AI OS service: .*Failed to fetch/
    );
  });

  it('refuses a JSON endpoint that answers text, but reads text endpoints as text', async () => {
    service.on('GET', 'jobs/runs/output', {
      status: 200,
      body: '<html><body>output</body></html>'
    });
    await expect(requestAPI('jobs/runs/output?id=4')).rejects.toThrow(
      'The AI OS service returned a response that is not JSON (endpoint "jobs/runs/output?id=4").'
    );
    await expect(requestText('jobs/runs/output?id=4')).resolves.toBe(
      '<html><body>output</body></html>'
    );
  });
});
