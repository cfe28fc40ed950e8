import { codedError } from '@cip/core';
import type { GraphQLError } from 'graphql';

/** One problem with one input field; `field` is its path from the argument, e.g. `input.name`. */
export interface InputIssue {
  field: string;
  message: string;
}

/** A `BAD_USER_INPUT` error naming the input field (`extensions.field`) so a client can point at it. */
export function invalidInput(field: string, message: string): GraphQLError {
  return codedError('BAD_USER_INPUT', `${field}: ${message}`, { extensions: { field } });
}

/**
 * Collects every problem of one input before anything is written; `throwIfInvalid` throws the first
 * as a `BAD_USER_INPUT` with its field path, and lists all of them in `extensions.issues` so a form
 * can mark every bad field at once.
 */
export class InputChecks {
  readonly issues: InputIssue[] = [];

  add(field: string, message: string): this {
    this.issues.push({ field, message });
    return this;
  }

  /** Trimmed text of `min`..`max` characters; returns the trimmed value. */
  text(field: string, value: string, { min = 1, max = 200 }: { min?: number; max?: number } = {}): string {
    const trimmed = value.trim();
    if (trimmed.length < min || trimmed.length > max) {
      this.add(field, min === 1 && trimmed.length === 0 ? 'must not be empty' : `must be ${min} to ${max} characters`);
    }
    return trimmed;
  }

  /** A readable id: lower-case words joined by hyphens (`united-kingdom`). */
  slug(field: string, value: string, max = 64): string {
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(value) || value.length > max) {
      this.add(field, `must be lower-case letters and digits joined by single hyphens, at most ${max} characters`);
    }
    return value;
  }

  /** A version as read from the record: a positive integer. */
  version(field: string, value: number): number {
    if (!Number.isInteger(value) || value < 1) this.add(field, 'must be the positive version you read');
    return value;
  }

  throwIfInvalid(): void {
    const [first] = this.issues;
    if (!first) return;
    const error = invalidInput(first.field, first.message);
    Object.assign(error.extensions, { issues: this.issues });
    throw error;
  }
}
