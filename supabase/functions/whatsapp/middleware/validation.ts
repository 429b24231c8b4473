// The OpenAPIHono defaultHook: a failed zod validation becomes a 400 with a stable code.
// Unknown fields (strict schemas) are `unknown_field`; everything else is `validation_failed`.
import type { z } from 'zod';
import { ApiError } from '../../_shared/api-error.ts';

type HookResult = { success: true } | { success: false; error: z.ZodError; target?: string };

export function rejectInvalid(result: HookResult): void {
  if (result.success) return;
  const issues = result.error.issues;
  const where = result.target === 'json' ? '' : result.target ? `${result.target} ` : '';
  const details = issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  const unknown = issues.find((issue) => issue.code === 'unrecognized_keys');
  if (unknown && unknown.code === 'unrecognized_keys') {
    throw new ApiError(400, 'unknown_field', `Unknown field${unknown.keys.length > 1 ? 's' : ''}: ${unknown.keys.join(', ')}`, { details });
  }
  const message = issues.map((issue) => `${where}${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ');
  throw new ApiError(400, 'validation_failed', message, { details });
}
