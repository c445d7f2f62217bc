/**
 * The toolbar item: seed button, determinism badge, per-cell toggle, DataLoader
 * workers toggle and the doctor (risks in the kernel now, each with its fix).
 * It renders `viewOf(connection.state)` and turns clicks into requests.
 */

import { Dialog, InputDialog, showErrorMessage } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { SeedConnection } from './connection';
import {
  Badge,
  fixRequest,
  IDoctorItem,
  IModelState,
  toggledPerCell,
  toggledWorkers,
  Translate,
  viewOf
} from './model';
import { PerCellMode, parseSeedInput } from './protocol';

export interface IToolbarOptions {
  connection: SeedConnection;
  trans: TranslationBundle;
  /** The per-cell mode the toggle switches on. */
  perCellOnMode: () => PerCellMode;
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
    this._perCellButton = this._element('button', 'jp-SeedToolbar-perCell');
    this._workersButton = this._element('button', 'jp-SeedToolbar-workers');
    this._doctorButton = this._element('button', 'jp-SeedToolbar-doctorButton');
    this._doctorPanel = this._element('div', 'jp-SeedToolbar-doctorPanel');
    this._doctorPanel.hidden = true;
    this._seedButton.addEventListener('click', this._onSeedClick);
    this._perCellButton.addEventListener('click', this._onPerCellClick);
    this._workersButton.addEventListener('click', this._onWorkersClick);
    this._doctorButton.addEventListener('click', this._onDoctorClick);

    options.connection.changed.connect(this._render, this);
    this._render(options.connection, options.connection.state);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.options.connection.dispose();
    super.dispose();
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

    const on = view.perCell !== 'off';
    this._perCellButton.disabled = !view.perCellEnabled;
    this._perCellButton.setAttribute('aria-pressed', String(on));
    this._perCellButton.classList.toggle('jp-mod-active', on);
    this._perCellButton.dataset.mode = view.perCell;
    this._perCellButton.textContent = on ? trans.__('per-cell: %1', view.perCell) : trans.__('per-cell: off');
    this._perCellButton.title = view.perCellEnabled
      ? trans.__('Reseed before every cell (click to toggle)')
      : trans.__('Per-cell reseeding needs a seed');

    this._workersButton.hidden = view.workers === null;
    this._workersButton.setAttribute('aria-pressed', String(view.workers === true));
    this._workersButton.classList.toggle('jp-mod-active', view.workers === true);
    this._workersButton.textContent = view.workers ? trans.__('workers: on') : trans.__('workers: off');
    this._workersButton.title = trans.__('Seed PyTorch DataLoader workers (click to toggle)');

    this._doctorButton.hidden = view.doctor.length === 0;
    this._doctorButton.textContent = trans.__('doctor (%1)', view.doctor.length);
    this._doctorButton.title = trans.__('Reproducibility risks in this kernel now, with fixes');
    this._doctorButton.setAttribute('aria-expanded', String(!this._doctorPanel.hidden));
    if (view.doctor.length === 0) {
      this._doctorPanel.hidden = true;
    }
    this._renderDoctor(view.doctor);
  }

  /** One row per risk: its message as text (never HTML) and its fix button. */
  private _renderDoctor(items: IDoctorItem[]): void {
    // Every push re-renders the item: keep the rows (and a button under the pointer) when nothing changed.
    const key = JSON.stringify(items);
    if (key === this._doctorKey) {
      return;
    }
    this._doctorKey = key;
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
        button.className = 'jp-SeedToolbar-fix';
        button.dataset.fix = fix;
        button.textContent = item.fixLabel;
        button.addEventListener('click', () => this.options.connection.send(fixRequest(fix)));
        row.appendChild(button);
      }
      return row;
    });
    this._doctorPanel.replaceChildren(...rows);
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

  private _onDoctorClick = (): void => {
    this._doctorPanel.hidden = !this._doctorPanel.hidden;
    this._doctorButton.setAttribute('aria-expanded', String(!this._doctorPanel.hidden));
  };

  private readonly _translate: Translate;
  private readonly _workersButton: HTMLButtonElement;
  private readonly _doctorButton: HTMLButtonElement;
  private readonly _doctorPanel: HTMLDivElement;
  private _doctorKey = '';
  private readonly _seedButton: HTMLButtonElement;
  private readonly _seedLabel: HTMLSpanElement;
  private readonly _badge: HTMLSpanElement;
  private readonly _perCellButton: HTMLButtonElement;
}
