import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import { el } from './dom';

/**
 * One section of the AI OS sidebar.
 */
export interface ISidebarSection {
  /** Stable id, also the value of the tab's `data-section`. */
  id: string;
  label: string;
  widget: Widget;
}

/**
 * The AI OS sidebar: a tab strip (ARIA tablist, arrow keys move between
 * tabs) over the sections, one shown at a time. Hidden sections receive Lumino's
 * hide/show messages, so they can pause work while hidden.
 */
export class AiosSidebar extends Panel {
  constructor(sections: ISidebarSection[]) {
    super();
    this.addClass('aios-sidebar');
    this._sections = sections;
    this._strip = el('div', {
      class: 'aios-tabs',
      role: 'tablist',
      'aria-label': 'AI OS sections'
    });
    // A plain panel laid out by CSS flex: hidden sections are display:none.
    this._stack = new Panel();
    this._stack.addClass('aios-sections');

    sections.forEach((section, i) => {
      const tab = el(
        'button',
        {
          type: 'button',
          class: 'aios-tab',
          role: 'tab',
          id: `aios-tab-${section.id}`,
          'data-section': section.id,
          'data-testid': `aios-tab-${section.id}`,
          'aria-controls': `aios-section-${section.id}`
        },
        section.label
      );
      tab.addEventListener('click', () => this.select(section.id));
      tab.addEventListener('keydown', event => this._onTabKey(event, i));
      this._strip.appendChild(tab);
      this._tabs.push(tab);
      section.widget.id = `aios-section-${section.id}`;
      section.widget.node.setAttribute('role', 'tabpanel');
      section.widget.node.setAttribute('aria-labelledby', tab.id);
      this._stack.addWidget(section.widget);
    });

    this.addWidget(new Widget({ node: this._strip }));
    this.addWidget(this._stack);
    this.select(sections[0]?.id ?? '');
  }

  /** Id of the visible section. */
  get current(): string {
    return this._current;
  }

  /**
   * Show the section with id `id`.
   */
  select(id: string): void {
    const index = this._sections.findIndex(s => s.id === id);
    if (index < 0) {
      return;
    }
    this._current = id;
    this._sections.forEach((section, i) => {
      const selected = i === index;
      this._tabs[i].setAttribute('aria-selected', String(selected));
      this._tabs[i].tabIndex = selected ? 0 : -1;
      if (selected) {
        section.widget.show();
      } else {
        section.widget.hide();
      }
    });
  }

  /**
   * Show `count` in a badge on the tab of section `id` (hidden at 0);
   * `noun` names what is counted for screen readers, e.g. "open alerts".
   */
  setBadge(id: string, count: number, noun: string): void {
    const index = this._sections.findIndex(s => s.id === id);
    const tab = this._tabs[index];
    if (!tab) {
      return;
    }
    let badge = tab.querySelector<HTMLElement>('.aios-tab-badge');
    if (!badge) {
      badge = el('span', {
        class: 'aios-tab-badge',
        'data-testid': `aios-tab-${id}-badge`,
        'aria-hidden': 'true'
      });
      tab.appendChild(badge);
    }
    badge.textContent = count > 99 ? '99+' : String(count);
    badge.hidden = count <= 0;
    const label = this._sections[index].label;
    tab.setAttribute(
      'aria-label',
      count > 0 ? `${label}, ${count} ${noun}` : label
    );
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    const index = this._sections.findIndex(s => s.id === this._current);
    this._tabs[index]?.focus();
  }

  private _onTabKey(event: KeyboardEvent, index: number): void {
    const n = this._tabs.length;
    let next = -1;
    if (event.key === 'ArrowRight') {
      next = (index + 1) % n;
    } else if (event.key === 'ArrowLeft') {
      next = (index - 1 + n) % n;
    } else if (event.key === 'Home') {
      next = 0;
    } else if (event.key === 'End') {
      next = n - 1;
    }
    if (next >= 0) {
      event.preventDefault();
      this.select(this._sections[next].id);
      this._tabs[next].focus();
    }
  }

  private readonly _sections: ISidebarSection[];
  private readonly _tabs: HTMLButtonElement[] = [];
  private readonly _strip: HTMLDivElement;
  private readonly _stack: Panel;
  private _current = '';
}
