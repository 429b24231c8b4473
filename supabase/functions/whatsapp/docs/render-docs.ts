// GET /docs: the OpenAPI document rendered as one self-contained HTML page (no CDN, works offline):
// every route with its parameters, body, responses and a curl example, plus a small console to call
// each route with the user's token from the page itself.
import { docsScript, docsStyle } from './docs-assets.ts';

interface OpenApiDoc {
  info: { title: string; version: string; description?: string };
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown> };
}
interface Parameter { name: string; in: string; required?: boolean; description?: string; schema?: unknown }
interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: unknown; example?: unknown }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
}

const esc = (value: unknown) =>
  String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const refName = (schema: unknown) => {
  const ref = (schema as { $ref?: string } | undefined)?.$ref;
  return ref ? ref.split('/').pop()! : undefined;
};

function schemaSummary(schema: unknown): string {
  const name = refName(schema);
  if (name) return `<a href="#schema-${esc(name)}"><code>${esc(name)}</code></a>`;
  const s = schema as { type?: string; format?: string; enum?: unknown[] } | undefined;
  if (!s) return '';
  const type = [s.type, s.format].filter(Boolean).join(', ');
  return `<code>${esc(type || 'object')}</code>${s.enum ? ` one of <code>${esc(s.enum.join(' | '))}</code>` : ''}`;
}

function exampleBody(op: Operation, schemas: Record<string, unknown>): unknown {
  const media = op.requestBody?.content?.['application/json'];
  if (!media) return undefined;
  if (media.example !== undefined) return media.example;
  const name = refName(media.schema);
  const props = (name ? schemas[name] : media.schema) as { properties?: Record<string, { example?: unknown }> } | undefined;
  return Object.fromEntries(Object.entries(props?.properties ?? {}).flatMap(([k, v]) => (v.example !== undefined ? [[k, v.example]] : [])));
}

function curlExample(base: string, method: string, path: string, op: Operation, body: unknown): string {
  const url = `${base}${path.replace(/\{(\w+)\}/g, (_m, p: string) => `<${p}>`)}`;
  const lines = [`curl -X ${method.toUpperCase()} '${url}'`];
  if (op.security?.length) lines.push(`  -H "Authorization: Bearer $USER_ACCESS_TOKEN"`);
  if (body !== undefined) {
    lines.push(`  -H 'Content-Type: application/json'`);
    lines.push(`  -d '${JSON.stringify(body)}'`);
  }
  return lines.join(' \\\n');
}

function renderOperation(base: string, path: string, method: string, op: Operation, schemas: Record<string, unknown>): string {
  const id = `${method}-${path}`.replace(/[^a-zA-Z0-9]+/g, '-');
  const params = op.parameters ?? [];
  const body = exampleBody(op, schemas);
  const bodySchema = op.requestBody?.content?.['application/json']?.schema;
  const paramRows = params.map((p) =>
    `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${p.required ? 'yes' : 'no'}</td>` +
    `<td>${schemaSummary(p.schema)}</td><td>${esc(p.description ?? '')}</td></tr>`).join('');
  const responses = Object.entries(op.responses ?? {}).map(([status, r]) => {
    const schema = r.content ? Object.values(r.content)[0]?.schema : undefined;
    return `<tr><td><code>${esc(status)}</code></td><td>${schema ? schemaSummary(schema) : ''}</td><td>${esc(r.description ?? '')}</td></tr>`;
  }).join('');
  const inputs = params.map((p) =>
    `<label>${esc(p.name)} <small>(${esc(p.in)})</small> <input data-in="${esc(p.in)}" data-name="${esc(p.name)}"></label>`).join('');
  return `
<section class="op" id="${esc(id)}" data-method="${esc(method.toUpperCase())}" data-path="${esc(path)}" data-auth="${op.security?.length ? '1' : ''}">
  <h3><span class="method ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
  <p><strong>${esc(op.summary ?? '')}</strong>${op.security?.length ? ' <span class="badge">needs sign-in</span>' : ''}</p>
  ${op.description ? `<p>${esc(op.description)}</p>` : ''}
  ${params.length ? `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>required</th><th>type</th><th>description</th></tr>${paramRows}</table>` : ''}
  ${bodySchema ? `<h4>Request body ${op.requestBody?.required ? '(required)' : '(optional)'}</h4><p>JSON: ${schemaSummary(bodySchema)}</p>` : ''}
  <h4>Responses</h4><table><tr><th>status</th><th>body</th><th>meaning</th></tr>${responses}</table>
  <h4>curl</h4><pre>${esc(curlExample(base, method, path, op, body))}</pre>
  <details class="try"><summary>Try it</summary>
    ${inputs}
    ${body !== undefined ? `<label>body <textarea rows="5">${esc(JSON.stringify(body, null, 2))}</textarea></label>` : ''}
    <button type="button">Send</button>
    <pre class="result"></pre>
  </details>
</section>`;
}

export function renderDocsPage(doc: OpenApiDoc): string {
  const base = doc.servers?.[0]?.url ?? '';
  const schemas = doc.components?.schemas ?? {};
  const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method, op })));
  const toc = ops.map(({ path, method, op }) => {
    const id = `${method}-${path}`.replace(/[^a-zA-Z0-9]+/g, '-');
    return `<li><a href="#${esc(id)}"><code>${esc(method.toUpperCase())} ${esc(path)}</code></a> ${esc(op.summary ?? '')}</li>`;
  }).join('');
  const schemaBlocks = Object.entries(schemas).map(([name, schema]) =>
    `<section id="schema-${esc(name)}"><h3>${esc(name)}</h3><pre>${esc(JSON.stringify(schema, null, 2))}</pre></section>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>${esc(doc.info.title)} ${esc(doc.info.version)}</title><style>${docsStyle}</style></head>
<body><main>
<h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1>
<p>${esc(doc.info.description ?? '')}</p>
<p>Base URL: <code>${esc(base)}</code>. Machine-readable: <a href="openapi.json">openapi.json</a>.</p>
<fieldset class="console"><legend>Console</legend>
  <label>Base URL <input id="base-url" value="${esc(base)}"></label>
  <label>Access token (the signed-in user's JWT) <input id="token" placeholder="eyJhbGciOi..."></label>
  <label>Supabase anon key (sent as <code>apikey</code>, optional) <input id="apikey"></label>
</fieldset>
<h2>Routes</h2><ul>${toc}</ul>
${ops.map(({ path, method, op }) => renderOperation(base, path, method, op, schemas)).join('\n')}
<h2>Schemas</h2>${schemaBlocks}
</main><script>${docsScript}</script></body></html>`;
}
