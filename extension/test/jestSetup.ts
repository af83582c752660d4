/**
 * Test set-up after @jupyterlab/testing's shim.
 */
import { configure } from '@testing-library/dom';

// The shim replaces `document.createRange` and `Range` with stubs (enough for
// CodeMirror, which this extension does not use); user-event selects text and
// options through real ranges, so give jsdom's own back.
delete (document as unknown as { createRange?: unknown }).createRange;
(globalThis as unknown as { Range: unknown }).Range =
  document.createRange().constructor;

// A schedule preview waits 250 ms after the last edit before asking the
// service: give waitFor() room for that on a busy CI machine.
configure({ asyncUtilTimeout: 4000 });
