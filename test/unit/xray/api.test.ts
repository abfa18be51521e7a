import test from 'ava';
import { FakeHostExec, REST } from '../../../src/host/fake.js';
import { addInboundUser, parseGrpcStatus, removeInboundUser } from '../../../src/xray/api/handler.js';
import { parseV2ctlStats } from '../../../src/xray/health.js';
import { V2RAY } from './golden.js';

// Frames that Debian's v2ray 4.34 accepted (grpc-status 0) when measured by hand.
const ADD_FRAME = '00000000a00a08766c6573732d696e1293010a3076327261792e636f72652e6170702e70726f78796d616e2e636f6d6d616e642e416464557365724f7065726174696f6e125f0a5d120b634070726976726f7574651a4e0a1e76327261792e636f72652e70726f78792e766c6573732e4163636f756e74122c0a2439393939393939392d323232322d343333332d383434342d3535353535353535353535351a046e6f6e65';
const REMOVE_FRAME = '00000000500a08766c6573732d696e12440a3376327261792e636f72652e6170702e70726f78796d616e2e636f6d6d616e642e52656d6f7665557365724f7065726174696f6e120d0a0b634070726976726f757465';

function api(status = 0, message = '') {
  const frames: string[] = [];
  const fake = new FakeHostExec({ target: 'ssh:root@vps:22' }).on(['curl', REST], ({ stdin, argv }) => {
    frames.push(stdin!.toString('hex'));
    // The UUID travels in stdin only.
    if (argv.join(' ').includes('99999999')) throw new Error('secret in argv');
    return `HTTP/2 200\r\ncontent-type: application/grpc\r\n\r\ngrpc-status: ${status}\r\ngrpc-message: ${message}\r\n`;
  }, { times: 'any' });
  return { fake, frames };
}

test('AlterInbound add/remove frames are byte-identical to the ones v2ray 4.34 accepted', async (t) => {
  const { fake, frames } = api();
  await addInboundUser(fake, V2RAY, 10085, 'vless-in', { uuid: '99999999-2222-4333-8444-555555555555', email: 'c@privroute' });
  await removeInboundUser(fake, V2RAY, 10085, 'vless-in', 'c@privroute');
  t.deepEqual(frames, [ADD_FRAME, REMOVE_FRAME]);
  t.regex(fake.runs()[0]!.at(-1)!, /^http:\/\/127\.0\.0\.1:10085\/v2ray\.core\.app\.proxyman\.command\.HandlerService\/AlterInbound$/);
});

test('a non-zero grpc-status is an error naming the method, target and message', async (t) => {
  const { fake } = api(2, 'v2ray.com/core/proxy/vless: User c@privroute not found.');
  const err = await t.throwsAsync(removeInboundUser(fake, V2RAY, 10085, 'vless-in', 'c@privroute'));
  t.regex(err!.message, /^vps:remove-user: .*AlterInbound on ssh:root@vps:22 returned grpc-status 2: .*not found/);
});

test('grpc trailers parse; missing status is null', (t) => {
  t.deepEqual(parseGrpcStatus('HTTP/2 200\ncontent-type: application/grpc\n\ngrpc-status: 0\ngrpc-message: \n'), { status: 0, message: '' });
  t.deepEqual(parseGrpcStatus('HTTP/2 200\ngrpc-status: 12\ngrpc-message: unknown service x\n'), { status: 12, message: 'unknown service x' });
  t.is(parseGrpcStatus('curl: (7) Failed to connect').status, null);
});

test('v2ctl QueryStats output (measured) parses into counters', (t) => {
  const out = 'stat: <\n  name: "inbound>>>vless-in>>>traffic>>>uplink"\n  value: 80\n>\nstat: <\n  name: "user>>>a@privroute>>>traffic>>>downlink"\n  value: 45\n>\nstat: <\n  name: "outbound>>>direct>>>traffic>>>uplink"\n>\n';
  t.deepEqual(parseV2ctlStats(out), { 'inbound>>>vless-in>>>traffic>>>uplink': 80, 'user>>>a@privroute>>>traffic>>>downlink': 45, 'outbound>>>direct>>>traffic>>>uplink': 0 });
});
