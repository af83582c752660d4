import { shownValue } from '../src/actionReview';

describe('an action evidence value in words', () => {
  it('says yes or no for booleans', () => {
    expect(shownValue(true)).toBe('yes');
    expect(shownValue(false)).toBe('no');
  });

  it('joins lists and names the parts of a mapping', () => {
    expect(shownValue(['a', 2])).toBe('a, 2');
    expect(shownValue({ orders_at_risk: 14, minority_owned: true })).toBe(
      'orders at risk: 14; minority owned: yes'
    );
    expect(shownValue(null)).toBe('');
  });
});
