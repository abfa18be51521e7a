/**
 * A tiny protobuf (proto3) writer for the few engine-API messages privroute sends.
 * Only what is needed: varints, length-delimited fields, and TypedMessage.
 * Field numbers follow v2ray-core 4.x's .proto files (app/proxyman/command,
 * common/protocol, proxy/vless, transport/internet, transport/internet/tls).
 */

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v > 127) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

/** A length-delimited field (strings, bytes, embedded messages). Empty values are omitted (proto3). */
export function bytesField(no: number, value: Buffer | string): Buffer {
  const b = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (b.length === 0) return Buffer.alloc(0);
  return Buffer.concat([varint((no << 3) | 2), varint(b.length), b]);
}

/** A varint field (uint32, int32 >= 0, enum, bool). Zero is omitted (proto3). */
export function varintField(no: number, value: number): Buffer {
  if (value === 0) return Buffer.alloc(0);
  return Buffer.concat([varint(no << 3), varint(value)]);
}

/** `common.serial.TypedMessage { string type = 1; bytes value = 2; }` */
export function typedMessage(type: string, value: Buffer): Buffer {
  return Buffer.concat([bytesField(1, type), bytesField(2, value)]);
}

/** Wrap a message in a gRPC length-prefixed frame (uncompressed). */
export function grpcFrame(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}
