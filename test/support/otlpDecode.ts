/**
 * Just enough of the OTLP trace format to read spans back, from both encodings the exporters send:
 * OTLP/JSON (ids as hex strings) and protobuf (opentelemetry-proto's trace.proto and common.proto, decoded
 * from the wire format by field number — no generated code needed for the fields tests look at).
 */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** undefined for a root span */
  parentSpanId: string | undefined;
  /** W3C tracestate carried by the span context, '' when none */
  traceState: string;
  name: string;
  /** 1 internal, 2 server, 3 client */
  kind: number;
  attributes: Record<string, unknown>;
  /** 0 unset, 1 ok, 2 error */
  statusCode: number;
  /** the resource's service.name */
  serviceName: unknown;
}

interface JsonAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: JsonAnyValue[] };
}
interface JsonKeyValue {
  key: string;
  value: JsonAnyValue;
}
interface JsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  name: string;
  kind: number;
  attributes?: JsonKeyValue[];
  status?: { code?: number };
}
interface JsonRequest {
  resourceSpans?: Array<{ resource?: { attributes?: JsonKeyValue[] }; scopeSpans?: Array<{ spans?: JsonSpan[] }> }>;
}

export function decodeJson(text: string): ReceivedSpan[] {
  const request = JSON.parse(text) as JsonRequest;
  return (request.resourceSpans ?? []).flatMap((rs) => {
    const serviceName = jsonAttributes(rs.resource?.attributes)['service.name'];
    return (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId || undefined,
        traceState: span.traceState ?? '',
        name: span.name,
        kind: span.kind,
        attributes: jsonAttributes(span.attributes),
        statusCode: span.status?.code ?? 0,
        serviceName,
      })),
    );
  });
}

function jsonAttributes(list: JsonKeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, jsonValue(value)]));
}

function jsonValue(value: JsonAnyValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(jsonValue);
  return undefined;
}

/** field number → values in order (varints as bigint, length-delimited as Buffer, fixed as Buffer) */
type Fields = Map<number, Array<bigint | Buffer>>;

function fields(buf: Buffer): Fields {
  const out: Fields = new Map();
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buf[pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    let value: bigint | Buffer;
    switch (key & 7) {
      case 0:
        value = varint();
        break;
      case 1:
        value = buf.subarray(pos, (pos += 8));
        break;
      case 2: {
        const length = Number(varint());
        value = buf.subarray(pos, (pos += length));
        break;
      }
      case 5:
        value = buf.subarray(pos, (pos += 4));
        break;
      default:
        throw new Error(`unsupported protobuf wire type ${key & 7}`);
    }
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

const messages = (f: Fields, n: number) => (f.get(n) ?? []).map((v) => fields(v as Buffer));
const bytesOf = (f: Fields, n: number) => f.get(n)?.[0] as Buffer | undefined;
const textOf = (f: Fields, n: number) => bytesOf(f, n)?.toString('utf8') ?? '';
const numberOf = (f: Fields, n: number) => Number((f.get(n)?.[0] as bigint | undefined) ?? 0n);

export function decodeProtobuf(body: Buffer): ReceivedSpan[] {
  return messages(fields(body), 1).flatMap((resourceSpans) => {
    const resource = messages(resourceSpans, 1)[0];
    const serviceName = resource ? protoAttributes(resource, 1)['service.name'] : undefined;
    return messages(resourceSpans, 2).flatMap((scopeSpans) =>
      messages(scopeSpans, 2).map((span) => {
        const parent = bytesOf(span, 4);
        const status = messages(span, 15)[0];
        return {
          traceId: bytesOf(span, 1)?.toString('hex') ?? '',
          spanId: bytesOf(span, 2)?.toString('hex') ?? '',
          parentSpanId: parent && parent.length > 0 ? parent.toString('hex') : undefined,
          traceState: textOf(span, 3),
          name: textOf(span, 5),
          kind: numberOf(span, 6),
          attributes: protoAttributes(span, 9),
          statusCode: status ? numberOf(status, 3) : 0,
          serviceName,
        };
      }),
    );
  });
}

function protoAttributes(f: Fields, n: number): Record<string, unknown> {
  return Object.fromEntries(messages(f, n).map((kv) => [textOf(kv, 1), protoValue(messages(kv, 2)[0])]));
}

function protoValue(value: Fields | undefined): unknown {
  if (!value) return undefined;
  if (value.has(1)) return textOf(value, 1);
  if (value.has(2)) return numberOf(value, 2) !== 0;
  if (value.has(3)) return numberOf(value, 3);
  if (value.has(4)) return (value.get(4)?.[0] as Buffer).readDoubleLE(0);
  if (value.has(5)) return messages(messages(value, 5)[0], 1).map(protoValue);
  return undefined;
}
