import { h } from './dom.js';
import type { InputWidget } from './input-widget.js';

export const DEFAULT_TEXT = 'crowdserve makes queues fun';

/** A line of text; stampede users add their number so every request differs. */
export function createTextInput(id: string): InputWidget {
  const field = h('input', { id, type: 'text', value: DEFAULT_TEXT, autocomplete: 'off', spellcheck: false });
  const element = h('div', { class: 'field' }, h('label', { for: id }, 'Text'), field);
  return {
    element,
    data: async (user) => [user === undefined ? field.value : `${field.value} #${user + 1}`],
  };
}
