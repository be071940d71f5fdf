// Turns the schema validator's (ajv's) errors into one sentence that names the offending field, e.g.
// "Field 'partitions_count' must be <= 2147483647." or "Field 'configs[0].name' is required.".

const PART_NAMES: Readonly<Record<string, string>> = {
  body: 'Field',
  params: 'Path parameter',
  querystring: 'Query parameter',
  headers: 'Header',
};

const WHOLE_NAMES: Readonly<Record<string, string>> = {
  body: 'Request body',
  params: 'Path parameters',
  querystring: 'Query string',
  headers: 'Headers',
};

/** '/configs/0/name' -> 'configs[0].name'. */
function fieldPath(instancePath: string, child?: string): string {
  const segments = instancePath.split('/').slice(1);
  if (child !== undefined) segments.push(child);
  let path = '';
  for (const raw of segments) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (/^[0-9]+$/.test(segment)) path += `[${segment}]`;
    else path += path === '' ? segment : `.${segment}`;
  }
  return path;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function describe(error: Record<string, unknown>, part: string): string {
  const instancePath = typeof error.instancePath === 'string' ? error.instancePath : '';
  const params = record(error.params);
  const keyword = error.keyword;
  const partName = PART_NAMES[part] ?? 'Field';
  if (keyword === 'required' && typeof params.missingProperty === 'string') {
    return `${partName} '${fieldPath(instancePath, params.missingProperty)}' is required.`;
  }
  if (keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    return `Unrecognized ${partName.toLowerCase()} '${fieldPath(instancePath, params.additionalProperty)}'.`;
  }
  let detail = typeof error.message === 'string' ? error.message : 'is invalid';
  if (keyword === 'enum' && Array.isArray(params.allowedValues)) {
    detail = `must be one of ${params.allowedValues.map(String).join(', ')}`;
  }
  if (keyword === 'type' && (typeof params.type === 'string' || Array.isArray(params.type))) {
    // ajv gives a type list as 'integer,null'.
    const types = typeof params.type === 'string' ? params.type.split(',') : params.type.map(String);
    detail = `must be ${types.join(' or ')}`;
  }
  if (instancePath === '') return `${WHOLE_NAMES[part] ?? 'Request body'} ${detail}.`;
  return `${partName} '${fieldPath(instancePath)}' ${detail}.`;
}

/** One message for the first validation error (the validator stops at the first one). */
export function validationMessage(errors: readonly unknown[], part: string): string {
  const first = errors[0];
  if (first === undefined) return 'Invalid request payload.';
  return describe(record(first), part);
}
