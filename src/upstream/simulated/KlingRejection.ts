/**
 * The answer codes of the Kling API with the HTTP status and wording it uses for each
 * (docs/kling.md, "Error codes"), so the simulated upstream fails like the real one.
 */
const KLING_CODES: Readonly<Record<number, { httpStatus: number; message: string }>> = {
  1000: { httpStatus: 401, message: 'Authentication failed' },
  1001: { httpStatus: 401, message: 'Authorization is empty' },
  1002: { httpStatus: 401, message: 'Authorization is invalid' },
  1003: { httpStatus: 401, message: 'Authorization is not yet valid' },
  1004: { httpStatus: 401, message: 'Authorization has expired' },
  1100: { httpStatus: 429, message: 'Account exception' },
  1101: { httpStatus: 429, message: 'Account in arrears' },
  1102: { httpStatus: 429, message: 'Resource pack exhausted or expired' },
  1103: { httpStatus: 403, message: 'No permission to access this resource' },
  1200: { httpStatus: 400, message: 'Invalid request parameters' },
  1201: { httpStatus: 400, message: 'Invalid parameter value' },
  1202: { httpStatus: 404, message: 'Invalid request method' },
  1203: { httpStatus: 404, message: 'Requested resource does not exist' },
  1300: { httpStatus: 400, message: 'Platform policy triggered' },
  1301: { httpStatus: 400, message: 'Content safety policy triggered' },
  1302: { httpStatus: 429, message: 'Too many requests, please slow down' },
  1303: { httpStatus: 429, message: 'Concurrency or QPS over the resource pack limit' },
  1304: { httpStatus: 429, message: 'IP allow-list policy triggered' },
  5000: { httpStatus: 500, message: 'Server internal error' },
  5001: { httpStatus: 503, message: 'Service temporarily unavailable, please try again later' },
  5002: { httpStatus: 504, message: 'Server internal timeout' },
};

/** What a simulated Kling answers instead of `code: 0`: the envelope code, its HTTP status and message. */
export class KlingRejection extends Error {
  readonly httpStatus: number;

  constructor(
    readonly code: number,
    message?: string,
    httpStatus?: number,
  ) {
    super(message ?? KLING_CODES[code]?.message ?? `Error ${code}`);
    this.name = 'KlingRejection';
    this.httpStatus = httpStatus ?? KLING_CODES[code]?.httpStatus ?? 500;
  }
}
