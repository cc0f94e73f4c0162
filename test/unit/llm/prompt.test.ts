import assert from 'node:assert/strict';
import { contextKeysIn, defaultInputText, renderTemplate } from '../../../core/llm/prompt';
import { labelFor, readableText } from '../../../core/llm/readable-text';

describe('llm/prompt', () => {
  it('renders payload fields at the top level of the template', () => {
    assert.equal(renderTemplate('Product: {{product}}, quantity {{quantity}}', { product: 'Laptop', quantity: 5 }), 'Product: Laptop, quantity 5');
  });

  it('says in a sentence when a value cannot be written as text (an object without a prototype)', () => {
    const bare = Object.create(null);
    assert.throws(() => renderTemplate('Order: {{order}}', { order: bare }), /could not write a value of the input as text: give it text, numbers or JSON data/);
  });

  it('keeps mustache\'s own message for a broken template', () => {
    assert.throws(() => renderTemplate('Order: {{#order}}', { order: 1 }), /Unclosed section/);
  });

  it('does not HTML-escape values', () => {
    assert.equal(renderTemplate('{{note}} {{payload.q}}', { note: 'Free & <fast> "shipping"', q: "it's" }), 'Free & <fast> "shipping" it\'s');
  });

  it('exposes a string payload as {{payload}}', () => {
    assert.equal(renderTemplate('Q: {{payload}}', 'why is CDU-1 hot?'), 'Q: why is CDU-1 hot?');
  });

  it('renders flow and global context values', () => {
    assert.equal(renderTemplate('{{flow.site}}/{{global.limit}}', {}, { flow: { site: 'DC-1' }, global: { limit: 83 } }), 'DC-1/83');
  });

  it('lists the context values a template refers to, inside sections too', () => {
    assert.deepEqual(contextKeysIn('{{flow.site}} {{#global.rules}}{{flow.x.y}}{{/global.rules}} {{payload}}'), { flow: ['site', 'x'], global: ['rules'] });
  });

  it('makes a readable "Label: value" text from an object when there is no template', () => {
    assert.equal(defaultInputText({ product: 'Laptop', quantity: 5, shipping: 'Free' }), 'Product: Laptop\nQuantity: 5\nShipping: Free');
  });

  it('passes a string through as the input text when there is no template', () => {
    assert.equal(defaultInputText('hello'), 'hello');
  });
});

describe('llm/readable-text', () => {
  it('turns camelCase and snake_case keys into labels', () => {
    assert.deepEqual([labelFor('unitPrice'), labelFor('shipping_method')], ['Unit price', 'Shipping method']);
  });

  it('writes nested values as JSON on their line', () => {
    assert.equal(readableText({ items: [1, 2] }), 'Items: [1,2]');
  });
});
