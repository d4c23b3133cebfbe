#!/usr/bin/env node
// Small FHIR R4 server for integration tests: Medplum's FhirRouter over an in-memory repository
// that validates every create/update/patch/conditional write with Medplum's validateResource.
//
//   node --experimental-websocket server.mjs --port 0 [--host 127.0.0.1] [--exit-on-stdin-close]
//
// Prints exactly one line `LISTENING <port>` on stdout once it accepts connections; everything
// else goes to stderr. See README.md for endpoints and quirks.
import './websocket-shim.mjs';

import http from 'node:http';
import process from 'node:process';

import {
  OperationOutcomeError,
  badRequest,
  evalFhirPath,
  getReferenceString,
  getStatus,
  globalSchema,
  isOk,
  isResourceType,
  normalizeOperationOutcome,
  serverError,
} from '@medplum/core';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

import {
  DEFAULT_BASE64_MAX_BYTES,
  attachmentErrors,
  fhirjsErrors,
  getR4ResourceTypes,
  loadDefinitions,
  medplumValidate,
  narrowSearchParameterExpressions,
} from './fhir-engine.mjs';

const MEDPLUM_VERSION = '5.2.13';
const FHIR_JSON = 'application/fhir+json; charset=utf-8';

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

function usage(code) {
  process.stderr.write(
    [
      'usage: node --experimental-websocket server.mjs [options]',
      '  --port N                 port to listen on, 0 = any free port (env FHIR_SERVER_PORT, default 0)',
      '  --host H                 address to bind (env FHIR_SERVER_HOST, default 127.0.0.1)',
      '  --base-path P            optional path prefix served as the FHIR base, e.g. /fhir/R4',
      '                           (env FHIR_SERVER_BASE_PATH; the root is always served too)',
      '  --exit-on-stdin-close    exit when stdin reaches EOF (env FHIR_SERVER_EXIT_ON_STDIN_CLOSE=1)',
      '  --base64-max-bytes N     largest base64Binary accepted by validation',
      `                           (env FHIR_SERVER_BASE64_MAX_BYTES, default ${DEFAULT_BASE64_MAX_BYTES})`,
      '  --no-fhirjs              do not also validate with fhir.js (value-set codes such as',
      '                           DocumentReference.status); env FHIR_SERVER_FHIRJS=0',
      '  --check-attachments      also reject Attachments whose size/hash do not match their data',
      '                           (env FHIR_SERVER_CHECK_ATTACHMENTS=1)',
      '  --verbose                log every request to stderr (env FHIR_SERVER_VERBOSE=1)',
      '  --reject-patient-prefix P  refuse (400) resources whose subject.identifier.value starts with P,',
      '                           as an EHR refuses records about patients it does not know',
      '  A path prefix /require-token/<T>/ serves the same FHIR API but answers 401 without',
      '  "Authorization: Bearer <T>".',
      '',
    ].join('\n')
  );
  process.exit(code);
}

function parseOptions(argv, env) {
  const truthy = (v) => v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
  const opts = {
    port: env.FHIR_SERVER_PORT ?? '0',
    host: env.FHIR_SERVER_HOST || '127.0.0.1',
    basePath: env.FHIR_SERVER_BASE_PATH || '',
    exitOnStdinClose: truthy(env.FHIR_SERVER_EXIT_ON_STDIN_CLOSE),
    base64MaxBytes: env.FHIR_SERVER_BASE64_MAX_BYTES ?? String(DEFAULT_BASE64_MAX_BYTES),
    verbose: truthy(env.FHIR_SERVER_VERBOSE),
    fhirjs: env.FHIR_SERVER_FHIRJS === undefined ? true : truthy(env.FHIR_SERVER_FHIRJS),
    checkAttachments: truthy(env.FHIR_SERVER_CHECK_ATTACHMENTS),
  };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const next = () => {
      if (value !== undefined) return value;
      if (i + 1 >= argv.length) {
        process.stderr.write(`missing value for ${arg}\n`);
        usage(2);
      }
      return argv[++i];
    };
    switch (arg) {
      case '--port':
        opts.port = next();
        break;
      case '--host':
        opts.host = next();
        break;
      case '--base-path':
        opts.basePath = next();
        break;
      case '--base64-max-bytes':
        opts.base64MaxBytes = next();
        break;
      case '--exit-on-stdin-close':
        opts.exitOnStdinClose = true;
        break;
      case '--verbose':
        opts.verbose = true;
        break;
      case '--no-fhirjs':
        opts.fhirjs = false;
        break;
      case '--check-attachments':
        opts.checkAttachments = true;
        break;
      case '--reject-patient-prefix':
        opts.rejectPatientPrefix = next();
        break;
      case '-h':
      case '--help':
        usage(0);
        break;
      default:
        process.stderr.write(`unknown argument: ${argv[i]}\n`);
        usage(2);
    }
  }
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`invalid port: ${opts.port}\n`);
    usage(2);
  }
  opts.port = port;
  opts.base64MaxBytes = Number(opts.base64MaxBytes);
  if (!Number.isInteger(opts.base64MaxBytes) || opts.base64MaxBytes <= 0) {
    process.stderr.write('invalid --base64-max-bytes\n');
    usage(2);
  }
  opts.basePath = opts.basePath.replace(/\/+$/, '');
  if (opts.basePath && !opts.basePath.startsWith('/')) {
    opts.basePath = '/' + opts.basePath;
  }
  return opts;
}

// ---------------------------------------------------------------------------------------------
// Repository: MemoryRepository + validation + all-or-nothing transactions
// ---------------------------------------------------------------------------------------------

class ValidatingMemoryRepository extends MemoryRepository {
  constructor({ base64MaxBytes, fhirjs, checkAttachments }) {
    super();
    this.base64MaxBytes = base64MaxBytes;
    this.useFhirjs = fhirjs;
    this.checkAttachments = checkAttachments;
    /** Resource types ever written (for /_stats, which counts what is stored now). */
    this.typesSeen = new Set();
    this.txDepth = 0;
    /** stored resource object → lower-cased `identifier` search values (see searchSync) */
    this.identifierKeys = new WeakMap();
  }

  validate(resource) {
    if (!resource || typeof resource !== 'object' || Array.isArray(resource)) {
      throw new OperationOutcomeError(badRequest('Request body must be a FHIR resource (JSON object)'));
    }
    // Throws OperationOutcomeError (→ 400) on any error-severity issue.
    medplumValidate(resource, this.base64MaxBytes);
    // Medplum does not check codes against value sets (status "bogus" passes); fhir.js does.
    if (this.useFhirjs) {
      const errors = fhirjsErrors(resource);
      if (errors.length) {
        throw new OperationOutcomeError({
          resourceType: 'OperationOutcome',
          issue: errors.map((e) => ({
            severity: 'error',
            code: 'invalid',
            details: { text: `fhir.js: ${e.message}` },
            expression: [e.location],
          })),
        });
      }
    }
    const subjectId = resource?.subject?.identifier?.value;
    if (opts.rejectPatientPrefix && typeof subjectId === 'string' && subjectId.startsWith(opts.rejectPatientPrefix)) {
      throw new OperationOutcomeError({
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'business-rule', details: { text: `unknown patient ${subjectId}` }, expression: [`${resource.resourceType}.subject.identifier`] }],
      });
    }
    if (this.checkAttachments) {
      const errors = attachmentErrors(resource);
      if (errors.length) {
        throw new OperationOutcomeError({
          resourceType: 'OperationOutcome',
          issue: errors.map((text) => ({ severity: 'error', code: 'invalid', details: { text } })),
        });
      }
    }
  }

  // Plain create, and the funnel MemoryRepository.updateResource uses (update = true), which in
  // turn is what patchResource, conditionalUpdate and conditionalPatch end in.
  async createResource(resource, options, update = false) {
    if (!update) {
      this.validate(resource);
    }
    const result = await super.createResource(resource, options, update);
    this.typesSeen.add(result.resourceType);
    return result;
  }

  // PUT /Type/id, PATCH (after applying the patch), conditional PUT on a match.
  async updateResource(resource, options) {
    this.validate(resource);
    return super.updateResource(resource, options);
  }

  // MemoryRepository.conditionalCreate stores through a private createResourceSync and so
  // bypasses createResource: validate here. Validation happens before the If-None-Exist search,
  // so an invalid body is rejected (400) even when a matching resource already exists.
  async conditionalCreate(resource, search, options) {
    this.validate(resource);
    const result = await super.conditionalCreate(resource, search, options);
    this.typesSeen.add(result.resource.resourceType);
    return result;
  }

  // MemoryRepository.withTransaction just runs the callback (no rollback), so a failing
  // transaction Bundle would leave its earlier entries stored. Snapshot the maps and restore
  // them if the outermost transaction throws. Safe because every request is serialized.
  async withTransaction(callback) {
    if (this.txDepth > 0 || !(this.resources instanceof Map) || !(this.history instanceof Map)) {
      return callback(this);
    }
    const snapshot = {
      resources: new Map([...this.resources].map(([type, byId]) => [type, new Map(byId)])),
      history: new Map(
        [...this.history].map(([type, byId]) => [type, new Map([...byId].map(([id, v]) => [id, v.slice()]))])
      ),
      typesSeen: new Set(this.typesSeen),
    };
    this.txDepth++;
    try {
      return await callback(this);
    } catch (err) {
      this.resources.clear();
      for (const [k, v] of snapshot.resources) this.resources.set(k, v);
      this.history.clear();
      for (const [k, v] of snapshot.history) this.history.set(k, v);
      this.typesSeen = snapshot.typesSeen;
      throw err;
    } finally {
      this.txDepth--;
    }
  }

  // MemoryRepository.readHistory calls .reverse() on the stored version array itself, so every
  // call flips the order. Undo the in-place flip: _history is then always newest first.
  async readHistory(resourceType, id, options) {
    const bundle = await super.readHistory(resourceType, id, options);
    if (this.history instanceof Map) {
      this.history.get(resourceType)?.get(id)?.reverse();
    }
    return bundle;
  }

  // Every conditional create/update searches `identifier`, and MemoryRepository.searchSync runs
  // the FHIRPath matcher over every stored resource of the type. With an identifier filter, hand
  // it only the resources whose identifier values can match (cached per stored object, which is
  // replaced on every write), so the look-up stays cheap with thousands of stored records.
  // Everything else (system, other filters, _count, total) is still decided by Medplum.
  searchSync(searchRequest) {
    const candidates = this.identifierCandidates(searchRequest);
    if (!candidates) {
      return super.searchSync(searchRequest);
    }
    const all = this.resources;
    this.resources = new Map([[searchRequest.resourceType, candidates]]);
    try {
      return super.searchSync(searchRequest);
    } finally {
      this.resources = all;
    }
  }

  identifierCandidates(searchRequest) {
    const filters = searchRequest?.filters;
    if (!(this.resources instanceof Map) || !filters?.length) return undefined;
    const filter = filters.find((f) => f.code === 'identifier' && f.operator === 'eq');
    if (!filter || typeof filter.value !== 'string' || filter.value.includes('\\')) return undefined;
    if (filters.some((f) => f.code.includes('.') || f.code.startsWith('_has'))) return undefined; // chains
    const param = globalSchema.types[searchRequest.resourceType]?.searchParams?.identifier;
    if (param?.type !== 'token' || !param.expression) return undefined;
    const wanted = new Set();
    for (const part of filter.value.split(',')) {
      const bar = part.indexOf('|');
      const value = bar >= 0 ? part.slice(bar + 1) : part;
      if (!value || value.includes('|')) return undefined; // "system|" or odd input: full scan
      wanted.add(value.toLowerCase());
    }
    const candidates = new Map();
    for (const [id, resource] of this.resources.get(searchRequest.resourceType) ?? []) {
      let keys = this.identifierKeys.get(resource);
      if (keys === undefined) {
        keys = identifierSearchKeys(param.expression, resource);
        this.identifierKeys.set(resource, keys);
      }
      if (keys === null || keys.some((k) => wanted.has(k))) {
        candidates.set(id, resource);
      }
    }
    return candidates;
  }

  clear() {
    super.clear();
    this.typesSeen.clear();
  }

  async countsByType() {
    const counts = {};
    for (const resourceType of [...this.typesSeen].sort()) {
      // A count-only search would still deep-clone every stored resource: use the map's size.
      const total =
        this.resources instanceof Map
          ? (this.resources.get(resourceType)?.size ?? 0)
          : (await this.search({ resourceType, count: 0, total: 'accurate' })).total;
      if (total > 0) {
        counts[resourceType] = total;
      }
    }
    return counts;
  }
}

/** Lower-cased values an `identifier` token search can match, or null for "always check". */
function identifierSearchKeys(expression, resource) {
  let values;
  try {
    values = evalFhirPath(expression, resource);
  } catch {
    return null;
  }
  const keys = [];
  for (const v of values) {
    if (typeof v === 'string') {
      keys.push(v.toLowerCase());
    } else if (v && typeof v === 'object' && (typeof v.value === 'string' || v.value === undefined)) {
      if (typeof v.value === 'string') keys.push(v.value.toLowerCase());
    } else {
      return null;
    }
  }
  return keys;
}

// ---------------------------------------------------------------------------------------------
// HTTP plumbing
// ---------------------------------------------------------------------------------------------

const MAX_BODY_BYTES = 256 * 1024 * 1024;

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(Object.assign(new Error('Request body too large'), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    // client went away mid-body (a no-op if 'end' came first)
    req.on('close', () => reject(new Error('connection closed before the request body was complete')));
  });
}

function parseBody(buf, contentType) {
  if (buf.length === 0) {
    return undefined;
  }
  const text = buf.toString('utf8');
  if ((contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    const out = Object.create(null);
    for (const [k, v] of new URLSearchParams(text)) {
      out[k] = out[k] === undefined ? v : [].concat(out[k], v);
    }
    return out;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new OperationOutcomeError(badRequest(`Invalid JSON body: ${err.message}`));
  }
}

function send(res, status, body, contentType = FHIR_JSON, extraHeaders = {}) {
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(payload),
    ...extraHeaders,
  });
  res.end(payload);
}

function resourceHeaders(resource, includeLocation) {
  const headers = {};
  const versionId = resource?.meta?.versionId;
  if (versionId) {
    headers.ETag = `W/"${versionId}"`;
  }
  if (resource?.meta?.lastUpdated) {
    headers['Last-Modified'] = new Date(resource.meta.lastUpdated).toUTCString();
  }
  if (includeLocation && resource?.id) {
    headers.Location = getReferenceString(resource) + (versionId ? `/_history/${versionId}` : '');
  }
  return headers;
}

function capabilityStatement(startedAt) {
  const typeInteractions = ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'create', 'search-type'];
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: startedAt,
    kind: 'instance',
    software: { name: 'fhir-test-server (@medplum/fhir-router MemoryRepository)', version: MEDPLUM_VERSION },
    implementation: { description: 'In-memory FHIR R4 test server for integration tests' },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    patchFormat: ['application/json-patch+json'],
    rest: [
      {
        mode: 'server',
        resource: getR4ResourceTypes().map((type) => ({
          type,
          interaction: typeInteractions.map((code) => ({ code })),
          versioning: 'versioned',
          readHistory: true,
          updateCreate: true,
          conditionalCreate: true,
          conditionalUpdate: true,
          conditionalDelete: 'single',
        })),
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'search-system' }],
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

const opts = parseOptions(process.argv.slice(2), process.env);
loadDefinitions();
narrowSearchParameterExpressions();

const repo = new ValidatingMemoryRepository(opts);
const router = new FhirRouter();
const startedAt = new Date().toISOString();
const metadata = capabilityStatement(startedAt);
let requestCount = 0;

// Every request runs to completion before the next one starts: MemoryRepository has no locking,
// and batch preprocessing (If-None-Exist look-ups) happens well before the writes.
let queue = Promise.resolve();
function serialized(fn) {
  // setImmediate first: a chain of promise callbacks never returns to the event loop, so
  // without it a backlog of queued requests would starve socket reads and timers.
  const run = () => new Promise((resolve) => setImmediate(resolve)).then(fn);
  const p = queue.then(run, run);
  queue = p.catch(() => undefined);
  return p;
}

function log(msg) {
  if (opts.verbose) {
    process.stderr.write(`[fhir-server] ${msg}\n`);
  }
}

async function handleFhir(req, res, path, search, body) {
  requestCount++;
  const fhirReq = {
    method: req.method,
    url: path + search,
    pathname: '', // FhirRouter.handleRequest rejects requests that already carry a pathname
    body,
    params: {},
    query: {},
    headers: req.headers,
    config: { transactions: true },
  };
  // FhirRouter answers a PUT that creates a resource with a client id (update-as-create) with
  // 200 like any update; FHIR wants 201 there. Find out beforehand (direct requests only).
  const putTarget = req.method === 'PUT' && !search ? /^([A-Za-z]+)\/([^/]+)$/.exec(path) : null;
  const putCreates = putTarget
    ? await repo.readResource(putTarget[1], putTarget[2]).then(
        () => false,
        () => true
      )
    : false;
  const [outcome, resource] = await router.handleRequest(fhirReq, repo);
  let status = getStatus(outcome);
  if (putCreates && status === 200) {
    status = 201;
  }
  log(`${req.method} /${path}${search} -> ${status}`);
  if (!isOk(outcome)) {
    send(res, status, outcome);
    return;
  }
  const headers = resource ? resourceHeaders(resource, status === 201) : {};
  const prefer = String(req.headers.prefer ?? '');
  if (/return=minimal/.test(prefer)) {
    res.writeHead(status, headers);
    res.end();
  } else if (/return=OperationOutcome/i.test(prefer) || !resource) {
    send(res, status, outcome, FHIR_JSON, headers);
  } else {
    send(res, status, resource, FHIR_JSON, headers);
  }
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  let pathname = url.pathname;
  if (opts.basePath && (pathname === opts.basePath || pathname.startsWith(opts.basePath + '/'))) {
    pathname = pathname.slice(opts.basePath.length);
  }
  // /require-token/<T>/…: the same API behind a bearer token (tests of refused credentials)
  const guarded = pathname.match(/^\/require-token\/([^/]+)(\/.*)?$/);
  if (guarded) {
    if (req.headers.authorization !== `Bearer ${guarded[1]}`) {
      req.resume();
      send(res, 401, {
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'login', details: { text: 'Unauthorized' } }],
      });
      return;
    }
    pathname = guarded[2] ?? '/';
  }
  const path = pathname.replace(/^\/+/, '').replace(/\/+$/, '');
  const method = req.method;

  // Test-only endpoints (not counted in "requests").
  if (method === 'GET' && path === '_stats') {
    const counts = await serialized(() => repo.countsByType());
    send(res, 200, { counts, requests: requestCount }, 'application/json');
    return;
  }
  if (method === 'GET' && path.startsWith('_dump/')) {
    const type = decodeURIComponent(path.slice('_dump/'.length));
    if (!isResourceType(type)) {
      send(res, 400, badRequest(`Unknown resource type: ${type}`));
      return;
    }
    const all = await serialized(() => repo.searchResources({ resourceType: type }));
    send(res, 200, all, 'application/json');
    return;
  }
  // only id and identifier of each resource: at 10,000 DocumentReferences with their PDFs a
  // whole dump is larger than the longest string JSON.stringify can make
  if (method === 'GET' && path.startsWith('_identifiers/')) {
    const type = decodeURIComponent(path.slice('_identifiers/'.length));
    if (!isResourceType(type)) {
      send(res, 400, badRequest(`Unknown resource type: ${type}`));
      return;
    }
    const all = await serialized(() => repo.searchResources({ resourceType: type }));
    send(res, 200, all.map((r) => ({ id: r.id, identifier: r.identifier })), 'application/json');
    return;
  }
  if (method === 'POST' && path === '_reset') {
    await serialized(() => {
      repo.clear();
      requestCount = 0;
    });
    send(res, 200, { reset: true }, 'application/json');
    return;
  }
  if (method === 'GET' && path === 'metadata') {
    // FhirRouter has no /metadata route (it would be treated as a search of type "metadata").
    requestCount++;
    send(res, 200, metadata);
    return;
  }

  // FhirRouter treats any first segment as a type, so GET /NotAType is an empty searchset (200).
  const firstSegment = path.split('/')[0];
  if (firstSegment && !/^[$_]/.test(firstSegment) && !isResourceType(firstSegment)) {
    requestCount++;
    req.resume();
    send(res, 404, {
      resourceType: 'OperationOutcome',
      id: 'not-found',
      issue: [{ severity: 'error', code: 'not-found', details: { text: `Unknown resource type: ${firstSegment}` } }],
    });
    return;
  }

  let body;
  try {
    body = parseBody(await readBody(req), req.headers['content-type']);
  } catch (err) {
    requestCount++;
    if (err?.status === 413) {
      send(res, 413, badRequest(err.message));
    } else {
      send(res, 400, normalizeOperationOutcome(err));
    }
    return;
  }
  await serialized(() => handleFhir(req, res, path, url.search, body));
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    process.stderr.write(`[fhir-server] internal error: ${err?.stack ?? err}\n`);
    if (!res.headersSent) {
      send(res, 500, serverError(err instanceof Error ? err : new Error(String(err))));
    } else {
      res.destroy();
    }
  });
});
server.keepAliveTimeout = 5000;

let shuttingDown = false;
function shutdown(reason) {
  if (shuttingDown) return;
  shuttingDown = true;
  log(`shutting down (${reason})`);
  server.close(() => {
    process.exit(0);
  });
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGHUP', () => shutdown('SIGHUP'));

if (opts.exitOnStdinClose) {
  process.stdin.on('end', () => shutdown('stdin closed'));
  process.stdin.on('close', () => shutdown('stdin closed'));
  process.stdin.on('error', () => shutdown('stdin error'));
  process.stdin.resume(); // data is read and discarded
}

// The parent may close our stdout after reading the LISTENING line; never die of EPIPE.
process.stdout.on('error', () => undefined);

server.on('error', (err) => {
  process.stderr.write(`[fhir-server] ${err.message}\n`);
  process.exit(1);
});
server.listen(opts.port, opts.host, () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`);
});
