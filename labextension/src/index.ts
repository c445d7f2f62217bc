/**
 * jupyter-seed toolbar plugin: one item per notebook showing its kernel's seed
 * and determinism state (JupyterLab 4 and Notebook 7; no ILabShell needed).
 */

import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IToolbarWidgetRegistry } from '@jupyterlab/apputils';
import { NotebookPanel } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { SeedConnection } from './connection';
import { ISeedMetadata, METADATA_KEY, parseMetadata, sameMetadata } from './metadata';
import { PER_CELL_MODES, PerCellMode } from './protocol';
import { metadataAtSave } from './saving';
import { SeedToolbarItem } from './widget';

const PLUGIN_ID = 'jupyter-seed:plugin';
const TOOLBAR_ITEM = 'jupyter-seed';

interface ISettings {
  autoLoad: boolean;
  applyNotebookMetadata: boolean;
  perCellMode: PerCellMode;
}

const DEFAULTS: ISettings = { autoLoad: false, applyNotebookMetadata: true, perCellMode: 'same' };

function readSettings(settings: ISettingRegistry.ISettings): ISettings {
  const mode = settings.get('perCellMode').composite;
  return {
    autoLoad: settings.get('autoLoad').composite === true,
    applyNotebookMetadata: settings.get('applyNotebookMetadata').composite !== false,
    perCellMode:
      typeof mode === 'string' && mode !== 'off' && (PER_CELL_MODES as readonly string[]).includes(mode)
        ? (mode as PerCellMode)
        : DEFAULTS.perCellMode
  };
}

function notebookMetadata(panel: NotebookPanel): ISeedMetadata | null {
  return parseMetadata(panel.model?.getMetadata(METADATA_KEY));
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Toolbar item with the seed and determinism state of the notebook kernel.',
  autoStart: true,
  requires: [IToolbarWidgetRegistry],
  optional: [ISettingRegistry, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    toolbarRegistry: IToolbarWidgetRegistry,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyter_seed');
    let settings: ISettings = { ...DEFAULTS };
    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(loaded => {
          settings = readSettings(loaded);
          loaded.changed.connect(() => {
            settings = readSettings(loaded);
          });
        })
        .catch(reason => console.warn('jupyter-seed: settings unavailable, using defaults', reason));
    }

    toolbarRegistry.addFactory<NotebookPanel>('Notebook', TOOLBAR_ITEM, panel => {
      const connection = new SeedConnection(panel.sessionContext, {
        autoLoad: () => settings.autoLoad,
        startupMetadata: () => (settings.applyNotebookMetadata ? notebookMetadata(panel) : null),
        remember: metadata => {
          const model = panel.model;
          if (model && !sameMetadata(parseMetadata(model.getMetadata(METADATA_KEY)), metadata)) {
            model.setMetadata(METADATA_KEY, { ...metadata });
          }
        }
      });
      // Before JupyterLab serialises the model ('started' is emitted synchronously first),
      // write the provenance of the kernel that made the outputs being saved.
      panel.context.saveState.connect((_, saveState) => {
        const model = panel.model;
        if (saveState !== 'started' || !model) {
          return;
        }
        const record = metadataAtSave(connection.state, model.getMetadata(METADATA_KEY));
        if (record) {
          model.setMetadata(METADATA_KEY, record);
        }
      });
      return new SeedToolbarItem({
        connection,
        trans,
        perCellOnMode: () => settings.perCellMode,
        host: panel.node
      });
    });
  }
};

export default plugin;
