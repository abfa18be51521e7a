/** Streaming JSON splitter and datum helpers (RFC 7047 §3, §5.1). */
import test from 'ava';
import { JsonStream } from '../../../src/ovs/ovsdb/json-stream.js';
import { map, mapValues, namedUuid, optional, set, setValues, uuid, uuidSet } from '../../../src/ovs/ovsdb/datum.js';

const values = [
  { id: 1, result: [{ rows: [{ name: 'br}{0', ext: 'quote \\" and ] bracket' }] }], error: null },
  { method: 'echo', params: [], id: 'echo' },
  { id: 2, result: { text: 'snow ☃ and emoji 😀 {[' }, error: null },
  [1, [2, [3, {}]]],
];

test('splits concatenated JSON values at every possible chunk boundary', (t) => {
  const bytes = Buffer.from(values.map((v) => JSON.stringify(v)).join('\n '), 'utf8');
  for (let cut = 1; cut < bytes.length; cut += 3) {
    const s = new JsonStream();
    const got = [...s.push(bytes.subarray(0, cut)), ...s.push(bytes.subarray(cut))];
    t.deepEqual(got, values, `cut at ${cut}`);
  }
});

test('byte-at-a-time feeding (multi-byte UTF-8 split) yields the same values', (t) => {
  const bytes = Buffer.from(values.map((v) => JSON.stringify(v)).join(''), 'utf8');
  const s = new JsonStream();
  const got: unknown[] = [];
  for (let i = 0; i < bytes.length; i++) got.push(...s.push(bytes.subarray(i, i + 1)));
  t.deepEqual(got, values);
});

test('rejects garbage between values', (t) => {
  t.throws(() => new JsonStream().push(Buffer.from('{"a":1} x {"b":2}')), { message: /unexpected byte/ });
  t.throws(() => new JsonStream().push(Buffer.from('{"a":1}}')), { message: /unexpected '}'/ });
});

test('datum helpers encode and decode the RFC 7047 forms, including abbreviated sets', (t) => {
  t.deepEqual(set(['a', 'b']), ['set', ['a', 'b']]);
  t.deepEqual(map({ k: 'v' }), ['map', [['k', 'v']]]);
  t.deepEqual(uuid('u1'), ['uuid', 'u1']);
  t.deepEqual(namedUuid('n'), ['named-uuid', 'n']);
  t.deepEqual(setValues('single'), ['single']);
  t.deepEqual(setValues(['set', []]), []);
  t.deepEqual(uuidSet(['uuid', 'x']), ['x']);
  t.deepEqual(uuidSet(['set', [['uuid', 'x'], ['uuid', 'y']]]), ['x', 'y']);
  t.deepEqual(mapValues(['map', [['privroute-owner', 'privroute']]]), { 'privroute-owner': 'privroute' });
  t.is(optional(['set', []]), undefined);
  t.is(optional(7), 7);
});
