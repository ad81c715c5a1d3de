import { expect } from 'vitest';
import { BatcherError } from 'mm-tokenize-batcher';

/** The BatcherError `run` throws; fails the test if it throws nothing or something else. */
export function caught(run: () => unknown): BatcherError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(BatcherError);
    return error as BatcherError;
  }
  throw new Error('expected a BatcherError');
}
