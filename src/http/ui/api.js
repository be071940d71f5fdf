// The console's only way to the cluster: the node's public REST API (v3 JSON, REST v2 where v3 has no
// equivalent), same origin. A failure is an ApiError carrying the API's error_code and message.

export class ApiError extends Error {
  constructor(status, errorCode, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.errorCode = errorCode;
  }
}

async function call(method, path, body, headers = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (error) {
    throw new ApiError(0, 0, `The node cannot be reached: ${error.message}`);
  }
  const text = await response.text();
  let json = null;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    // Not JSON: reported below with the status.
  }
  if (!response.ok) {
    const code = typeof json?.error_code === 'number' ? json.error_code : response.status;
    const message =
      typeof json?.message === 'string' ? json.message : text.slice(0, 300) || response.statusText;
    throw new ApiError(response.status, code, message);
  }
  return json;
}

let clusterIdPromise = null;

/** The cluster's id (GET /v3/clusters: this node's one cluster). */
export function clusterId() {
  clusterIdPromise ??= call('GET', '/v3/clusters').then((list) => {
    const id = list?.data?.[0]?.cluster_id;
    if (typeof id !== 'string') throw new ApiError(0, 0, 'GET /v3/clusters named no cluster');
    return id;
  });
  clusterIdPromise.catch(() => {
    clusterIdPromise = null;
  });
  return clusterIdPromise;
}

const segment = (part) => encodeURIComponent(String(part));

/** A path under /v3/clusters/{c}/ from segments, each percent-encoded; `query` an object of parameters. */
export async function v3Path(segments, query) {
  const path = `/v3/clusters/${segment(await clusterId())}/${segments.map(segment).join('/')}`;
  const params = new URLSearchParams(
    Object.entries(query ?? {}).filter(([, v]) => v !== undefined && v !== ''),
  );
  return params.size > 0 ? `${path}?${params}` : path;
}

export const v3 = {
  get: async (segments, query) => call('GET', await v3Path(segments, query)),
  post: async (segments, body) => call('POST', await v3Path(segments), body),
  put: async (segments, body) => call('PUT', await v3Path(segments), body),
  patch: async (segments, body) => call('PATCH', await v3Path(segments), body),
  delete: async (segments) => call('DELETE', await v3Path(segments)),
};

/** Every element of a v3 list (`data`). */
export async function list(segments, query) {
  return (await v3.get(segments, query))?.data ?? [];
}

/** Runs `work` over `items`, at most `limit` at a time, keeping their order. */
export async function mapLimited(items, limit, work) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Text as base64 of its UTF-8 bytes (produce headers). */
export function utf8Base64(text) {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The bytes of base64 data. */
export function base64Bytes(data) {
  const binary = atob(data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The broker id at the end of a v3 broker link (`.../brokers/3`), or null. */
export function brokerIdOf(link) {
  const match = /\/brokers\/(\d+)$/.exec(link?.related ?? '');
  return match === null ? null : Number(match[1]);
}
