import { z } from 'zod';

/** Value schemas several variables share; each message completes "Invalid configuration: VARIABLE …". */

export const httpUrl = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL such as https://api-singapore.klingai.com')
  .transform((value) => value.replace(/\/+$/, ''));

export const positiveInt = (max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n > 0 && n <= max, `must be between 1 and ${max}`);

export const positiveNumber = z
  .string()
  .trim()
  .refine((value) => value !== '' && Number.isFinite(Number(value)) && Number(value) > 0, 'must be a positive number')
  .transform(Number);

export const nonEmpty = z.string().trim().min(1, 'must not be empty');

export const databaseUrl = z
  .string()
  .trim()
  .refine(
    (value) => value.startsWith('file:') || value.startsWith('postgres://') || value.startsWith('postgresql://'),
    'must be file:<path> (SQLite) or postgres://… (PostgreSQL)',
  );

export const otlpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:4318' });

export const otlpProtocol = z.enum(
  ['http/protobuf', 'http/json'],
  'must be http/protobuf or http/json (grpc is not supported)',
);
