import { describe, it, expect } from 'vitest';
import { AppError, ERROR_CODES, isAppError, toHttpError, toSmtpReply, type ErrorCode } from './errors.js';

describe('AppError', () => {
  it('carries code, field, details, retryable and cause', () => {
    const cause = new Error('root');
    const err = new AppError('QUEUE_UNAVAILABLE', 'queue down', {
      field: 'to[0]',
      details: { attempt: 2 },
      retryable: true,
      cause,
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('AppError');
    expect(err.code).toBe('QUEUE_UNAVAILABLE');
    expect(err.message).toBe('queue down');
    expect(err.field).toBe('to[0]');
    expect(err.details).toEqual({ attempt: 2 });
    expect(err.retryable).toBe(true);
    expect(err.cause).toBe(cause);
  });

  it('defaults to not retryable with no field', () => {
    const err = new AppError('NOT_FOUND', 'nope');
    expect(err.retryable).toBe(false);
    expect(err.field).toBeUndefined();
    expect('cause' in err).toBe(false);
  });

  it('is recognised by isAppError, and plain errors are not', () => {
    expect(isAppError(new AppError('INTERNAL', 'x'))).toBe(true);
    expect(isAppError(new Error('x'))).toBe(false);
    expect(isAppError({ code: 'INTERNAL', message: 'x' })).toBe(false);
  });
});

describe('toHttpError', () => {
  it('maps every code to its HTTP status with the message shown to the client', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const result = toHttpError(new AppError(code, `message for ${code}`));
      expect(result).toEqual({
        status: ERROR_CODES[code].http,
        body: { error: { code, message: `message for ${code}` } },
        expected: true,
      });
    }
  });

  it('maps representative codes to the statuses clients rely on', () => {
    expect(toHttpError(new AppError('VALIDATION_FAILED', 'x')).status).toBe(400);
    expect(toHttpError(new AppError('INVALID_CREDENTIALS', 'x')).status).toBe(401);
    expect(toHttpError(new AppError('NOT_FOUND', 'x')).status).toBe(404);
    expect(toHttpError(new AppError('MESSAGE_TOO_LARGE', 'x')).status).toBe(413);
    expect(toHttpError(new AppError('UNSUPPORTED_MEDIA_TYPE', 'x')).status).toBe(415);
    expect(toHttpError(new AppError('QUEUE_UNAVAILABLE', 'x')).status).toBe(503);
  });

  it('names the field at fault when there is one', () => {
    const { body } = toHttpError(new AppError('VALIDATION_FAILED', 'to[0]: bad', { field: 'to[0]' }));
    expect(body).toEqual({ error: { code: 'VALIDATION_FAILED', message: 'to[0]: bad', field: 'to[0]' } });
  });

  it('renders unknown errors as a generic 500 without leaking their message', () => {
    for (const thrown of [new Error('password=hunter2'), 'a string', undefined, { code: 'NOT_FOUND' }]) {
      const result = toHttpError(thrown);
      expect(result).toEqual({
        status: 500,
        body: { error: { code: 'INTERNAL', message: 'internal error' } },
        expected: false,
      });
    }
  });
});

describe('toSmtpReply', () => {
  it('maps every code to its SMTP reply and enhanced status', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const [smtpCode, enhanced] = ERROR_CODES[code].smtp;
      expect(toSmtpReply(new AppError(code, 'why'))).toEqual({
        code: smtpCode,
        enhanced,
        message: 'why',
        expected: true,
      });
    }
  });

  it('maps authentication and size failures to the standard replies', () => {
    expect(toSmtpReply(new AppError('INVALID_CREDENTIALS', 'x'))).toMatchObject({ code: 535, enhanced: '5.7.8' });
    expect(toSmtpReply(new AppError('MESSAGE_TOO_LARGE', 'x'))).toMatchObject({ code: 552, enhanced: '5.3.4' });
    expect(toSmtpReply(new AppError('TOO_MANY_RECIPIENTS', 'x'))).toMatchObject({ code: 452, enhanced: '4.5.3' });
  });

  it('renders unknown errors as a temporary 451 4.3.0 with generic text', () => {
    expect(toSmtpReply(new Error('ECONNRESET at 10.0.0.3'))).toEqual({
      code: 451,
      enhanced: '4.3.0',
      message: 'internal error, try again later',
      expected: false,
    });
    expect(toSmtpReply(null).code).toBe(451);
  });
});
