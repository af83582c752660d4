/**
 * The sidebar's tab strip: ARIA tabs, arrow-key navigation and the count
 * badge (open alerts), as a keyboard and screen-reader user meets them.
 */
import { getByRole, queryByTestId } from '@testing-library/dom';
import userEvent from '@testing-library/user-event';
import { Widget } from '@lumino/widgets';

import { AiosSidebar } from '../src/sidebar';

function section(id: string, label: string) {
  const widget = new Widget();
  widget.node.textContent = `${label} content`;
  return { id, label, widget };
}

describe('AiosSidebar', () => {
  let sidebar: AiosSidebar;

  beforeEach(() => {
    sidebar = new AiosSidebar([
      section('status', 'Status'),
      section('jobs', 'Jobs'),
      section('alerts', 'Alerts')
    ]);
    Widget.attach(sidebar, document.body);
  });

  afterEach(() => {
    sidebar.dispose();
  });

  it('shows the first section and makes only its tab reachable by Tab', () => {
    const tabs = [
      ...sidebar.node.querySelectorAll<HTMLElement>('[role="tab"]')
    ];
    expect(tabs.map(t => t.textContent)).toEqual(['Status', 'Jobs', 'Alerts']);
    expect(tabs.map(t => t.getAttribute('aria-selected'))).toEqual([
      'true',
      'false',
      'false'
    ]);
    expect(tabs.map(t => t.tabIndex)).toEqual([0, -1, -1]);
    const panels = [
      ...sidebar.node.querySelectorAll<HTMLElement>('[role="tabpanel"]')
    ];
    expect(panels.map(p => p.classList.contains('lm-mod-hidden'))).toEqual([
      false,
      true,
      true
    ]);
    expect(panels[0].getAttribute('aria-labelledby')).toBe(tabs[0].id);
  });

  it('moves between sections with the arrow keys, Home and End', async () => {
    const user = userEvent.setup();
    const strip = getByRole(sidebar.node, 'tablist', {
      name: 'AI OS sections'
    });
    await user.tab();
    expect(document.activeElement).toBe(
      getByRole(strip, 'tab', { name: 'Status' })
    );

    await user.keyboard('{ArrowRight}');
    expect(sidebar.current).toBe('jobs');
    expect(document.activeElement).toBe(
      getByRole(strip, 'tab', { name: 'Jobs' })
    );

    await user.keyboard('{ArrowLeft}{ArrowLeft}');
    expect(sidebar.current).toBe('alerts'); // wraps around
    await user.keyboard('{Home}');
    expect(sidebar.current).toBe('status');
    await user.keyboard('{End}');
    expect(sidebar.current).toBe('alerts');
    expect(
      getByRole(strip, 'tab', { name: 'Alerts' }).getAttribute('aria-selected')
    ).toBe('true');
  });

  it('counts open alerts on the tab, for eyes and for screen readers', () => {
    const tab = sidebar.node.querySelector<HTMLElement>(
      '[data-section="alerts"]'
    )!;
    sidebar.setBadge('alerts', 3, 'open alerts');
    const badge = queryByTestId(sidebar.node, 'aios-tab-alerts-badge')!;
    expect(badge.textContent).toBe('3');
    expect(badge.hidden).toBe(false);
    expect(tab.getAttribute('aria-label')).toBe('Alerts, 3 open alerts');

    sidebar.setBadge('alerts', 120, 'open alerts');
    expect(badge.textContent).toBe('99+');

    sidebar.setBadge('alerts', 0, 'open alerts');
    expect(badge.hidden).toBe(true);
    expect(tab.getAttribute('aria-label')).toBe('Alerts');
  });
});
