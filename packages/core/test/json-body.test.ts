import { expect } from 'chai';
import { parseJson, parseJsonObject } from '@isx/core';

interface ErrorShape {
  code: string;
  status: number;
  message: string;
  details?: { property?: string };
}

function errorOf(fn: () => unknown): ErrorShape {
  try {
    fn();
  } catch (error) {
    return error as ErrorShape;
  }
  expect.fail('expected the call to throw');
}

describe('parseJsonObject', () => {
  it('returns a plain object with its nested values', () => {
    expect(
      parseJsonObject('{"name":"spring","budget":{"amount":12.5,"tags":["a",null,true]}}'),
    ).to.deep.equal({
      name: 'spring',
      budget: { amount: 12.5, tags: ['a', null, true] },
    });
  });

  it('refuses text that is not JSON with INVALID_JSON', () => {
    for (const text of ['', '{', '{"a":1,}', "{'a':1}", 'undefined', '{"a":1} x']) {
      const err = errorOf(() => parseJsonObject(text));
      expect(err.code, text).to.equal('INVALID_JSON');
      expect(err.status).to.equal(400);
    }
  });

  it('refuses JSON that is too deeply nested with INVALID_JSON', () => {
    const deep = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    const err = errorOf(() => parseJsonObject(deep));
    expect(err.code).to.equal('INVALID_JSON');
    expect(err.message).to.include('nested too deeply');
  });

  for (const [label, text, kind] of [
    ['an array', '[1,2]', 'an array'],
    ['null', 'null', 'null'],
    ['a number', '42', 'a number'],
    ['a string', '"text"', 'a string'],
    ['a boolean', 'true', 'a boolean'],
  ] as const) {
    it(`refuses ${label} with INVALID_BODY`, () => {
      const err = errorOf(() => parseJsonObject(text));
      expect(err.code).to.equal('INVALID_BODY');
      expect(err.status).to.equal(400);
      expect(err.message).to.include(kind);
    });
  }

  for (const name of ['__proto__', 'constructor', 'prototype']) {
    it(`refuses the property "${name}" at the top level with FORBIDDEN_PROPERTY`, () => {
      const err = errorOf(() => parseJsonObject(`{"ok":1,"${name}":{"polluted":true}}`));
      expect(err.code).to.equal('FORBIDDEN_PROPERTY');
      expect(err.status).to.equal(400);
      expect(err.details?.property).to.equal(name);
    });

    it(`refuses the property "${name}" deep inside objects and arrays`, () => {
      const text = `{"a":{"b":[{"c":{"${name}":1}}]}}`;
      expect(errorOf(() => parseJsonObject(text)).code).to.equal('FORBIDDEN_PROPERTY');
    });
  }

  it('leaves Object.prototype untouched after refusing __proto__', () => {
    errorOf(() => parseJsonObject('{"__proto__":{"polluted":true}}'));
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });

  it('accepts forbidden names as values, and names that only contain them', () => {
    expect(parseJsonObject('{"kind":"constructor","__proto__x":1,"my_prototype":2}')).to.deep.equal({
      kind: 'constructor',
      __proto__x: 1,
      my_prototype: 2,
    });
  });

  it('refuses 9007199254740993, which JSON.parse would silently round, with NUMBER_OUT_OF_RANGE', () => {
    const err = errorOf(() => parseJsonObject('{"id":9007199254740993}'));
    expect(err.code).to.equal('NUMBER_OUT_OF_RANGE');
    expect(err.status).to.equal(400);
    expect(err.details?.property).to.equal('id');
  });

  it('refuses 1e400, which overflows to Infinity, with NUMBER_OUT_OF_RANGE', () => {
    expect(errorOf(() => parseJsonObject('{"x":1e400}')).code).to.equal('NUMBER_OUT_OF_RANGE');
    expect(errorOf(() => parseJsonObject('{"x":-1e400}')).code).to.equal('NUMBER_OUT_OF_RANGE');
  });

  it('refuses an out-of-range number inside an array', () => {
    expect(errorOf(() => parseJsonObject('{"ids":[1,2,-9007199254740993]}')).code).to.equal(
      'NUMBER_OUT_OF_RANGE',
    );
  });

  it('accepts 9007199254740991, the largest safe integer, and its negative', () => {
    const value = parseJsonObject('{"max":9007199254740991,"min":-9007199254740991}');
    expect(value.max).to.equal(Number.MAX_SAFE_INTEGER);
    expect(value.min).to.equal(Number.MIN_SAFE_INTEGER);
  });

  it('accepts ordinary fractions and exponents', () => {
    expect(parseJsonObject('{"a":0.1,"b":-2.5e-3,"c":1e3}')).to.deep.equal({ a: 0.1, b: -0.0025, c: 1000 });
  });
});

describe('parseJson', () => {
  it('accepts any JSON value with the same checks', () => {
    expect(parseJson('[1,"a",null]')).to.deep.equal([1, 'a', null]);
    expect(parseJson('null')).to.equal(null);
    expect(errorOf(() => parseJson('[{"constructor":1}]')).code).to.equal('FORBIDDEN_PROPERTY');
    expect(errorOf(() => parseJson('9007199254740993')).code).to.equal('NUMBER_OUT_OF_RANGE');
  });
});
