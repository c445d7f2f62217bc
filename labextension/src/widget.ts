/**
 * The toolbar item: seed button, determinism badge, per-cell toggle, DataLoader
 * workers toggle and the risks list (risks in the kernel now, each with its fix).
 * It renders `viewOf(connection.state)` and turns clicks into requests. In a narrow
 * notebook it takes a compact form, so the seed stays in the toolbar instead of
 * moving into its overflow menu.
 */

import { Dialog, InputDialog, showErrorMessage } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { SeedConnection } from './connection';
import { Badge, IRiskItem, layoutFor, Translate, viewOf } from './display';
import { PerCellMode, parseSeedInput } from './protocol';
import { IModelState } from './reducer';
import { fixRequest, toggledPerCell, toggledWorkers } from './requests';

export interface IToolbarOptions {
  connection: SeedConnection;
  trans: TranslationBundle;
  /** The per-cell mode the toggle switches on. */
  perCellOnMode: () => PerCellMode;
  /** The element whose width decides the compact form (the notebook panel). */
  host?: HTMLElement;
}

/** A die (five pips), drawn in the theme's font colour: emoji fonts are not everywhere. */
const DIE_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">' +
  '<rect x="1.5" y="1.5" width="13" height="13" rx="3" fill="none" stroke="currentColor" stroke-width="1.3"/>' +
  '<g fill="currentColor"><circle cx="5" cy="5" r="1.2"/><circle cx="11" cy="5" r="1.2"/>' +
  '<circle cx="8" cy="8" r="1.2"/><circle cx="5" cy="11" r="1.2"/><circle cx="11" cy="11" r="1.2"/></g></svg>';

const BADGE_CLASS: Record<Badge, string> = {
  deterministic: 'jp-SeedToolbar-deterministic',
  seeded: 'jp-SeedToolbar-seeded',
  unseeded: 'jp-SeedToolbar-unseeded',
  'not loaded': 'jp-SeedToolbar-notLoaded',
  'n/a': 'jp-SeedToolbar-na',
  'no kernel': 'jp-SeedToolbar-noKernel',
  '…': 'jp-SeedToolbar-connecting'
};

export class SeedToolbarItem extends Widget {
  constructor(private readonly options: IToolbarOptions) {
    super();
    this.addClass('jp-SeedToolbar');
    const trans = options.trans;
    this._translate = (text, ...args) => trans.__(text, ...(args as string[]));

    this._seedButton = this._element('button', 'jp-SeedToolbar-seed');
    const die = document.createElement('span');
    die.className = 'jp-SeedToolbar-die';
    die.innerHTML = DIE_SVG; // a constant: nothing from the kernel is ever parsed as HTML
    this._seedLabel = document.createElement('span');
    this._seedLabel.className = 'jp-SeedToolbar-seedLabel';
    this._seedButton.append(die, this._seedLabel);
    this._badge = this._element('span', 'jp-SeedToolbar-badge');
    this._notice = this._element('span', 'jp-SeedToolbar-notice');
    this._perCellButton = this._element('button', 'jp-SeedToolbar-perCell');
    this._workersButton = this._element('button', 'jp-SeedToolbar-workers');
    this._risksButton = this._element('button', 'jp-SeedToolbar-risksButton');
    this._risksPanel = this._element('div', 'jp-SeedToolbar-risksPanel');
    this._risksPanel.hidden = true;
    this._seedButton.addEventListener('click', this._onSeedClick);
    this._perCellButton.addEventListener('click', this._onPerCellClick);
    this._workersButton.addEventListener('click', this._onWorkersClick);
    this._risksButton.addEventListener('click', this._onRisksClick);

    options.connection.changed.connect(this._render, this);
    this._render(options.connection, options.connection.state);
    if (options.host && typeof ResizeObserver !== 'undefined') {
      const host = options.host;
      this._resizeObserver = new ResizeObserver(() => this._applyLayout(host.clientWidth));
      this._resizeObserver.observe(host);
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._resizeObserver?.disconnect();
    this.options.connection.dispose();
    super.dispose();
  }

  private _applyLayout(width: number): void {
    const layout = layoutFor(width);
    if (layout === null) {
      return; // not laid out (a hidden tab): keep the last form
    }
    this.node.classList.toggle('jp-mod-compact', layout !== 'full');
    this.node.classList.toggle('jp-mod-narrow', layout === 'narrow');
  }

  private _element<K extends keyof HTMLElementTagNameMap>(
    tag: K,
    className: string
  ): HTMLElementTagNameMap[K] {
    const element = document.createElement(tag);
    element.className = className;
    if (element instanceof HTMLButtonElement) {
      element.type = 'button';
    }
    this.node.appendChild(element);
    return element;
  }

  private _render(_: SeedConnection, state: IModelState): void {
    const view = viewOf(state, this._translate);
    const trans = this.options.trans;
    this.node.title = view.tooltip;
    this.node.dataset.badge = view.badge;
    this.node.classList.toggle('jp-mod-pending', view.pending);

    this._seedLabel.textContent = view.pending
      ? `${view.seedLabel} (${trans.__('pending')})`
      : view.seedLabel;
    this._seedButton.disabled = view.seedAction === null;
    this._seedButton.setAttribute(
      'aria-label',
      view.seedAction === 'load' ? trans.__('Load jupyter-seed in this kernel') : trans.__('Set the seed')
    );

    this._badge.className = `jp-SeedToolbar-badge ${BADGE_CLASS[view.badge]}`;
    this._badge.textContent = view.badge === '…' ? '…' : trans.__(view.badge);
    this._badge.title = this._badge.textContent;

    this._notice.hidden = view.notice === null;
    this._notice.textContent = view.notice ?? '';

    const on = view.perCell !== 'off';
    this._perCellButton.disabled = !view.perCellEnabled;
    this._perCellButton.setAttribute('aria-pressed', String(on));
    this._perCellButton.classList.toggle('jp-mod-active', on);
    this._perCellButton.dataset.mode = view.perCell;
    this._perCellButton.textContent = on ? trans.__('per-cell: %1', view.perCell) : trans.__('per-cell: off');
    this._perCellButton.dataset.short = on ? trans.__('cell: %1', view.perCell) : trans.__('cell: off');
    this._perCellButton.title = view.perCellEnabled
      ? trans.__('Reseed before every cell (click to toggle)')
      : trans.__('Per-cell reseeding needs a seed');

    this._workersButton.hidden = view.workers === null;
    this._workersButton.setAttribute('aria-pressed', String(view.workers === true));
    this._workersButton.classList.toggle('jp-mod-active', view.workers === true);
    this._workersButton.textContent = view.workers ? trans.__('workers: on') : trans.__('workers: off');
    this._workersButton.dataset.short = view.workers ? trans.__('w: on') : trans.__('w: off');
    this._workersButton.title = trans.__('Seed PyTorch DataLoader workers (click to toggle)');

    this._risksButton.hidden = view.risks.length === 0;
    this._risksButton.textContent = trans.__('risks (%1)', view.risks.length);
    this._risksButton.dataset.short = `⚠ ${view.risks.length}`;
    this._risksButton.title = trans.__('Reproducibility risks in this kernel now, with fixes');
    this._risksButton.setAttribute('aria-expanded', String(!this._risksPanel.hidden));
    if (view.risks.length === 0) {
      this._risksPanel.hidden = true;
    }
    this._renderRisks(view.risks);
  }

  /** One row per risk: its message as text (never HTML) and its fix button. */
  private _renderRisks(items: IRiskItem[]): void {
    // Every push re-renders the item: keep the rows (and a button under the pointer) when nothing changed.
    const key = JSON.stringify(items);
    if (key === this._risksKey) {
      return;
    }
    this._risksKey = key;
    const rows = items.map(item => {
      const row = document.createElement('div');
      row.className = 'jp-SeedToolbar-risk';
      row.dataset.risk = item.id;
      const text = document.createElement('span');
      text.className = 'jp-SeedToolbar-riskMessage';
      text.textContent = item.message;
      row.appendChild(text);
      if (item.fix !== null) {
        const fix = item.fix;
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'jp-SeedToolbar-fix jp-Button';
        button.dataset.fix = fix;
        button.textContent = item.fixLabel;
        button.addEventListener('click', () => this.options.connection.send(fixRequest(fix)));
        row.appendChild(button);
      }
      return row;
    });
    this._risksPanel.replaceChildren(...rows);
  }

  private _onSeedClick = async (): Promise<void> => {
    const connection = this.options.connection;
    const view = viewOf(connection.state, this._translate);
    if (view.seedAction === 'load') {
      connection.loadExtension();
      return;
    }
    if (view.seedAction !== 'set_seed') {
      return;
    }
    const trans = this.options.trans;
    const current = connection.state.kernel?.seed;
    const result = await InputDialog.getText({
      title: trans.__('Set the seed'),
      label: trans.__('Seed (a whole number from 0 to 4294967295)'),
      text: current === null || current === undefined ? '' : String(current),
      okLabel: trans.__('Seed'),
      cancelLabel: trans.__('Cancel')
    });
    if (!result.button.accept || result.value === null) {
      return;
    }
    const parsed = parseSeedInput(result.value);
    if (!parsed.ok) {
      await showErrorMessage(trans.__('Invalid seed'), trans.__(parsed.reason), [Dialog.okButton()]);
      return;
    }
    connection.send({ type: 'set_seed', seed: parsed.seed });
  };

  private _onPerCellClick = (): void => {
    const connection = this.options.connection;
    const kernel = connection.state.kernel;
    if (kernel) {
      connection.send(toggledPerCell(kernel.per_cell, this.options.perCellOnMode()));
    }
  };

  private _onWorkersClick = (): void => {
    const request = toggledWorkers(this.options.connection.state.kernel);
    if (request) {
      this.options.connection.send(request);
    }
  };

  private _onRisksClick = (): void => {
    this._risksPanel.hidden = !this._risksPanel.hidden;
    this._risksButton.setAttribute('aria-expanded', String(!this._risksPanel.hidden));
  };

  private readonly _translate: Translate;
  private readonly _workersButton: HTMLButtonElement;
  private readonly _risksButton: HTMLButtonElement;
  private readonly _risksPanel: HTMLDivElement;
  private readonly _notice: HTMLSpanElement;
  private _resizeObserver: ResizeObserver | null = null;
  private _risksKey = '';
  private readonly _seedButton: HTMLButtonElement;
  private readonly _seedLabel: HTMLSpanElement;
  private readonly _badge: HTMLSpanElement;
  private readonly _perCellButton: HTMLButtonElement;
}
