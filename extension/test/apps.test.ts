import { AppField } from '../src/api';
import { fieldValue } from '../src/apps';

function field(
  type: AppField['type'],
  extra: Partial<AppField> = {}
): AppField {
  return {
    name: 'x',
    label: 'X',
    type,
    value_type: 'str',
    default: null,
    nullable: false,
    help: '',
    ...extra
  };
}

describe("an app form's values, typed as the notebook declares them", () => {
  it('reads numbers, checkboxes and empty optional values', () => {
    expect(fieldValue(field('integer'), '5', false)).toBe(5);
    expect(fieldValue(field('number'), '0.25', false)).toBe(0.25);
    expect(fieldValue(field('boolean'), '', true)).toBe(true);
    expect(fieldValue(field('text', { nullable: true }), '', false)).toBeNull();
  });

  it('gives a choice its own type and parses lists', () => {
    expect(
      fieldValue(field('choice', { choices: [1, 2, 5] }), '5', false)
    ).toBe(5);
    expect(fieldValue(field('choice', { choices: ['EU'] }), 'EU', false)).toBe(
      'EU'
    );
    expect(fieldValue(field('list'), '[1, 2]', false)).toEqual([1, 2]);
    expect(fieldValue(field('list'), 'not json', false)).toBe('not json');
  });
});
